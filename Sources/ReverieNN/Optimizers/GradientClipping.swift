/// Scales `gradients` together so their global L2 norm is at most `maxNorm`
/// (Pascanu et al. 2013; PyTorch's `clip_grad_norm_`: scale by
/// maxNorm / (norm + 1e-6) when norm > maxNorm).
/// - Returns: the global norm before clipping (log it: it diagnoses instability).
@discardableResult
public func clipGlobalNorm(_ gradients: inout [Tensor], maxNorm: Float) -> Float {
    precondition(maxNorm > 0, "maxNorm must be positive")
    var sumOfSquares = 0.0
    for g in gradients {
        g.withUnsafeBufferPointer { p in for x in p { sumOfSquares += Double(x) * Double(x) } }
    }
    let norm = Float(sumOfSquares.squareRoot())
    guard norm > maxNorm else { return norm }
    let scale = maxNorm / (norm + 1e-6)
    for i in gradients.indices {
        gradients[i].withUnsafeMutableBufferPointer { p in for j in 0..<p.count { p[j] *= scale } }
    }
    return norm
}
