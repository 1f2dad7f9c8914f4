/// Every differentiable operation the tape can record, in one place.
///
/// Recording requires naming the operation, and the gradient-check suite
/// switches over this enum exhaustively, so an operation without a
/// finite-difference test does not compile.
public enum Operation: String, CaseIterable, Sendable {
    // Element-wise binary (broadcasting)
    case add, subtract, multiply, divide
    // Element-wise unary
    case affine, exp, log, sqrt, square, abs, pow, clamp
    case tanh, sigmoid, relu, silu, elu, gelu, softplus, symlog, symexp, sin, cos
    // Matrix products
    case matmul, batchedMatmul, linear, concatenatedLinear
    // Reductions
    case sum, sumAlongAxis, maxAlongAxis, logsumexp, softmax, logSoftmax
    // Layout
    case reshape, transpose, swapLeadingAxes, slice, concatenate, broadcast
    // Indexing
    case gather, `where`
    // Convolution and pooling
    case conv2d, convTranspose2d, maxPool2d
    // Fused layers
    case layerNorm, rmsNorm
    // Fused recurrent cells
    case gruCell, lstmCell, gruScan, lstmScan, normGRUScan
    // Fused state-space scans
    case selectiveScan, diagonalScan, causalConvolution
    // Forward-mode learning: a value whose gradient is carried forward (RTRL)
    case realTimeRecurrent
}
