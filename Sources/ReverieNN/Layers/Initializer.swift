/// How a weight matrix (fanOut, fanIn, …) is initialised.
///
/// `fanIn`/`fanOut` follow PyTorch: for a (out, in, kh, kw) convolution weight,
/// fanIn = in·kh·kw and fanOut = out·kh·kw.
public enum Initializer: Sendable, Equatable {
    /// Orthogonal rows/columns scaled by `gain` (Saxe et al. 2014); PPO's default.
    case orthogonal(gain: Float)
    /// U(−a, a), a = gain·√(6 / (fanIn + fanOut)) (Glorot & Bengio 2010).
    case xavierUniform(gain: Float = 1)
    /// N(0, gain²·2 / (fanIn + fanOut)).
    case xavierNormal(gain: Float = 1)
    /// U(−a, a), a = gain·√(3 / fanIn) (He et al. 2015; gain √2 for ReLU).
    case heUniform(gain: Float = 1.4142135)
    /// N(0, gain² / fanIn).
    case heNormal(gain: Float = 1.4142135)
    /// U(−1/√fanIn, 1/√fanIn), PyTorch's default for Linear and Conv layers.
    case lecunUniform
    /// U(low, high) whatever the shape (PyTorch's recurrent cells: ±1/√hidden).
    case uniform(Float, Float)
    /// All zeros.
    case zeros
    /// Every element equal to the value.
    case constant(Float)

    /// A tensor of `shape` drawn from this initialiser.
    public func make(_ shape: [Int], using rng: inout RandomGenerator) -> Tensor {
        let receptive = shape.dropFirst(2).reduce(1, *)
        let fanOut = (shape.first ?? 1) * receptive
        let fanIn = (shape.count > 1 ? shape[1] : 1) * receptive
        switch self {
        case .orthogonal(let gain):
            return orthogonalMatrix(rows: shape.first ?? 1, columns: shape.dropFirst().reduce(1, *), gain: gain, using: &rng)
                .reshaped(shape)
        case .xavierUniform(let gain):
            let a = gain * (6 / Float(fanIn + fanOut)).squareRoot()
            return .uniform(shape, low: -a, high: a, using: &rng)
        case .xavierNormal(let gain):
            return .normal(shape, std: gain * (2 / Float(fanIn + fanOut)).squareRoot(), using: &rng)
        case .heUniform(let gain):
            let a = gain * (3 / Float(fanIn)).squareRoot()
            return .uniform(shape, low: -a, high: a, using: &rng)
        case .heNormal(let gain):
            return .normal(shape, std: gain / Float(fanIn).squareRoot(), using: &rng)
        case .lecunUniform:
            let a = 1 / Float(fanIn).squareRoot()
            return .uniform(shape, low: -a, high: a, using: &rng)
        case .uniform(let low, let high):
            return .uniform(shape, low: low, high: high, using: &rng)
        case .zeros:
            return .zeros(shape)
        case .constant(let value):
            return Tensor(repeating: value, shape: shape)
        }
    }
}

/// A (rows, columns) matrix with orthonormal rows or columns (whichever are
/// fewer), times `gain`: QR of a Gaussian matrix with the signs of R's
/// diagonal folded into Q, so the result is uniform over orthogonal matrices
/// (Mezzadri 2007), as PyTorch's `orthogonal_`.
func orthogonalMatrix(rows: Int, columns: Int, gain: Float, using rng: inout RandomGenerator) -> Tensor {
    // Work on the tall orientation (n ≥ k), then transpose back if needed.
    let (n, k) = rows >= columns ? (rows, columns) : (columns, rows)
    var a = [Double](repeating: 0, count: n * k)  // column-major n×k
    for i in 0..<(n * k) { a[i] = Double(rng.normal()) }
    // Modified Gram–Schmidt in Double: Q's columns orthonormal, r_jj's sign kept.
    // Columns are finished four at a time: each takes the same operations in
    // the same order as one at a time (so the same bits), but the four dot
    // products against a finished column run side by side instead of as one
    // chain of dependent additions.
    a.withUnsafeMutableBufferPointer { buffer in
        let a = buffer.baseAddress!
        /// Removes from column j its component along the finished unit column p.
        func project(_ j: Int, onto p: Int) {
            let (x, y) = (a + p * n, a + j * n)
            var dot = 0.0
            for i in 0..<n { dot += x[i] * y[i] }
            for i in 0..<n { y[i] -= dot * x[i] }
        }
        var block = 0
        while block < k {
            let width = min(4, k - block)
            if width == 4 {
                // Every column finished before the block, against all four at once.
                let (y0, y1, y2, y3) = (a + block * n, a + (block + 1) * n, a + (block + 2) * n, a + (block + 3) * n)
                for p in 0..<block {
                    let x = a + p * n
                    var (d0, d1, d2, d3) = (0.0, 0.0, 0.0, 0.0)
                    for i in 0..<n {
                        d0 += x[i] * y0[i]
                        d1 += x[i] * y1[i]
                        d2 += x[i] * y2[i]
                        d3 += x[i] * y3[i]
                    }
                    for i in 0..<n {
                        y0[i] -= d0 * x[i]
                        y1[i] -= d1 * x[i]
                        y2[i] -= d2 * x[i]
                        y3[i] -= d3 * x[i]
                    }
                }
            } else {
                for j in block..<(block + width) { for p in 0..<block { project(j, onto: p) } }
            }
            // Within the block, one column after another.
            for j in block..<(block + width) {
                for p in block..<j { project(j, onto: p) }
                let y = a + j * n
                var norm = 0.0
                for i in 0..<n { norm += y[i] * y[i] }
                norm = norm.squareRoot()
                for i in 0..<n { y[i] /= norm }
            }
            block += width
        }
    }
    return Tensor(shape: [rows, columns]) { out in
        for r in 0..<rows {
            for c in 0..<columns {
                let value = rows >= columns ? a[c * n + r] : a[r * n + c]
                out[r * columns + c] = gain * Float(value)
            }
        }
    }
}
