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
                let x = p + r * d, out = y.baseAddress! + r * d
                let mean = laneSum(x, d) / Float(d)
                let s = 1 / (laneSquaredDeviations(x, d, from: mean) / Float(d) + epsilon).squareRoot()
                inverseStd[r] = s
                var j = 0
                while j + 8 <= d {
                    let v = (UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Float>.self) - mean) * s
                    UnsafeMutableRawPointer(out + j).storeBytes(of: v, as: SIMD8<Float>.self)
                    j += 8
                }
                while j < d { out[j] = (x[j] - mean) * s; j += 1 }
            }
        }
        return recorded(.layerNorm, out, self, backward: { g in
            let pg = g.storage.pointer, py = out.storage.pointer
            return [Tensor(shape: g.shape) { dx in
                for r in 0..<rows {
                    let (g, y, out, s) = (pg + r * d, py + r * d, dx.baseAddress! + r * d, inverseStd[r])
                    let meanG = laneSum(g, d) / Float(d), meanGY = laneDot(g, y, d) / Float(d)
                    var j = 0
                    while j + 8 <= d {
                        let v = (UnsafeRawPointer(g + j).loadUnaligned(as: SIMD8<Float>.self) - meanG
                                 - UnsafeRawPointer(y + j).loadUnaligned(as: SIMD8<Float>.self) * meanGY) * s
                        UnsafeMutableRawPointer(out + j).storeBytes(of: v, as: SIMD8<Float>.self)
                        j += 8
                    }
                    while j < d { out[j] = (g[j] - meanG - y[j] * meanGY) * s; j += 1 }
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
