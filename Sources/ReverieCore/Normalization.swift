// MARK: - Fused normalisation over the last axis (no affine part)
//
// Layer norm (Ba et al. 2016):  x̂ = (x − μ) / √(σ² + ε)
//   ∂x = (g − mean(g) − x̂·mean(g⊙x̂)) / √(σ² + ε)
// RMS norm (Zhang & Sennrich 2019):  y = x / √(mean(x²) + ε)
//   ∂x = (g − y·mean(g⊙y)) / √(mean(x²) + ε)
// The learned gain and bias are applied by the layers in ReverieNN.

extension Tensor {
    /// Normalises each row of the last axis to zero mean and unit variance.
    public func layerNormalized(epsilon: Float = 1e-5) -> Tensor {
        let d = shape.last ?? 1, rows = count / Swift.max(d, 1)
        let p = storage.pointer
        var inverseStd = [Float](repeating: 0, count: rows)
        let out = Tensor(shape: shape) { y in
            for r in 0..<rows {
                let x = p + r * d
                var mean: Float = 0
                for j in 0..<d { mean += x[j] }
                mean /= Float(d)
                var variance: Float = 0
                for j in 0..<d { variance += (x[j] - mean) * (x[j] - mean) }
                let s = 1 / (variance / Float(d) + epsilon).squareRoot()
                inverseStd[r] = s
                for j in 0..<d { y[r * d + j] = (x[j] - mean) * s }
            }
        }
        return recorded(.layerNorm, out, self, backward: { g in
            let pg = g.storage.pointer, py = out.storage.pointer
            return [Tensor(shape: g.shape) { dx in
                for r in 0..<rows {
                    var meanG: Float = 0, meanGY: Float = 0
                    for j in 0..<d { meanG += pg[r * d + j]; meanGY += pg[r * d + j] * py[r * d + j] }
                    meanG /= Float(d); meanGY /= Float(d)
                    for j in 0..<d {
                        dx[r * d + j] = (pg[r * d + j] - meanG - py[r * d + j] * meanGY) * inverseStd[r]
                    }
                }
            }]
        })
    }

    /// Scales each row of the last axis to unit root-mean-square.
    public func rmsNormalized(epsilon: Float = 1e-6) -> Tensor {
        let d = shape.last ?? 1, rows = count / Swift.max(d, 1)
        let p = storage.pointer
        var inverseRMS = [Float](repeating: 0, count: rows)
        let out = Tensor(shape: shape) { y in
            for r in 0..<rows {
                let x = p + r * d
                var meanSquare: Float = 0
                for j in 0..<d { meanSquare += x[j] * x[j] }
                let s = 1 / (meanSquare / Float(d) + epsilon).squareRoot()
                inverseRMS[r] = s
                for j in 0..<d { y[r * d + j] = x[j] * s }
            }
        }
        return recorded(.rmsNorm, out, self, backward: { g in
            let pg = g.storage.pointer, py = out.storage.pointer
            return [Tensor(shape: g.shape) { dx in
                for r in 0..<rows {
                    var meanGY: Float = 0
                    for j in 0..<d { meanGY += pg[r * d + j] * py[r * d + j] }
                    meanGY /= Float(d)
                    for j in 0..<d { dx[r * d + j] = (pg[r * d + j] - py[r * d + j] * meanGY) * inverseRMS[r] }
                }
            }]
        })
    }
}
