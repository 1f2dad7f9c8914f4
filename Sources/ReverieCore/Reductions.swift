// MARK: - Reductions: sum, mean, max; softmax, log-softmax, logsumexp
//
// An axis reduction views the tensor as (outer, n, inner) with n the reduced
// extent, so one kernel serves every axis.

extension Tensor {
    /// (outer, n, inner) around `axis`, with `axis` normalised.
    func split(around axis: Int) -> (axis: Int, outer: Int, n: Int, inner: Int) {
        let axis = axis < 0 ? axis + rank : axis
        precondition(axis >= 0 && axis < rank, "axis \(axis) out of range for shape \(shape)")
        return (axis, shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }

    func reducedShape(_ axis: Int, keepingDimension: Bool) -> [Int] {
        var s = shape
        if keepingDimension { s[axis] = 1 } else { s.remove(at: axis) }
        return s
    }

    /// Sum of all elements, as a scalar.
    public func sum() -> Tensor {
        let p = storage.pointer
        var s: Float = 0
        for i in 0..<count { s += p[i] }
        return recorded(.sum, Tensor(scalar: s), self, backward: { [shape] g in [Tensor(repeating: g.item, shape: shape)] })
    }

    /// Mean of all elements, as a scalar.
    public func mean() -> Tensor { sum() * (1 / Float(Swift.max(count, 1))) }

    /// Sum along `axis`; the axis is removed unless `keepingDimension`.
    public func sum(axis: Int, keepingDimension: Bool = false) -> Tensor {
        let (axis, outer, n, inner) = split(around: axis)
        let p = storage.pointer
        let out = Tensor(shape: reducedShape(axis, keepingDimension: keepingDimension)) { dst in
            dst.initialize(repeating: 0)
            let d = dst.baseAddress!
            for o in 0..<outer {
                for j in 0..<n {
                    let row = p + (o * n + j) * inner, acc = d + o * inner
                    for i in 0..<inner { acc[i] += row[i] }
                }
            }
        }
        return recorded(.sumAlongAxis, out, self, backward: { [shape] g in
            [g.reshaped(Tensor(repeating: 0, shape: shape).reducedShape(axis, keepingDimension: true)).broadcast(to: shape)]
        })
    }

    /// Mean along `axis`.
    public func mean(axis: Int, keepingDimension: Bool = false) -> Tensor {
        let n = split(around: axis).n
        return sum(axis: axis, keepingDimension: keepingDimension) * (1 / Float(Swift.max(n, 1)))
    }

    /// Maximum along `axis`; the gradient flows to the (first) maximal element.
    public func max(axis: Int, keepingDimension: Bool = false) -> Tensor {
        let (axis, outer, n, inner) = split(around: axis)
        precondition(n > 0, "max over an empty axis of shape \(shape)")
        let p = storage.pointer
        var argmax = [Int](repeating: 0, count: outer * inner)
        let out = Tensor(shape: reducedShape(axis, keepingDimension: keepingDimension)) { dst in
            for o in 0..<outer {
                for i in 0..<inner {
                    var best = p[o * n * inner + i], at = 0
                    for j in 1..<Swift.max(n, 1) where p[(o * n + j) * inner + i] > best {
                        best = p[(o * n + j) * inner + i]; at = j
                    }
                    dst[o * inner + i] = best
                    argmax[o * inner + i] = at
                }
            }
        }
        return recorded(.maxAlongAxis, out, self, backward: { [shape] g in
            let pg = g.storage.pointer
            return [Tensor(shape: shape) { dx in
                dx.initialize(repeating: 0)
                for o in 0..<outer {
                    for i in 0..<inner { dx[(o * n + argmax[o * inner + i]) * inner + i] = pg[o * inner + i] }
                }
            }]
        })
    }

    /// Index of the largest element of each row of the last axis: (…, K) → (…).
    public func argmax() -> [Int] {
        let n = shape.last ?? 1, rows = count / Swift.max(n, 1)
        let p = storage.pointer
        return (0..<rows).map { r in
            var at = 0
            for j in 1..<Swift.max(n, 1) where p[r * n + j] > p[r * n + at] { at = j }
            return at
        }
    }

    // MARK: Softmax family (last axis)

    /// log Σ exp(x) over the last axis, computed stably: (…, K) → (…).
    public func logsumexp() -> Tensor {
        let n = shape.last ?? 1, rows = count / Swift.max(n, 1)
        let p = storage.pointer
        let out = Tensor(shape: Array(shape.dropLast())) { dst in
            for r in 0..<rows { dst[r] = rowLogSumExp(p + r * n, n) }
        }
        return recorded(.logsumexp, out, self, backward: { [self] g in
            let y = self.detached.softmax(), pg = g.storage.pointer
            return [Tensor(shape: y.shape) { dx in
                let py = y.storage.pointer
                for r in 0..<rows { for j in 0..<n { dx[r * n + j] = pg[r] * py[r * n + j] } }
            }]
        })
    }

    /// exp(x − logsumexp(x)) over the last axis.
    public func softmax() -> Tensor {
        let n = shape.last ?? 1, rows = count / Swift.max(n, 1)
        let p = storage.pointer
        let out = Tensor(shape: shape) { dst in
            for r in 0..<rows {
                let lse = rowLogSumExp(p + r * n, n)
                for j in 0..<n { dst[r * n + j] = fastExp(p[r * n + j] - lse) }
            }
        }
        return recorded(.softmax, out, self, backward: { g in
            // ∂x = y ⊙ (g − Σ g⊙y)
            let py = out.storage.pointer, pg = g.storage.pointer
            return [Tensor(shape: g.shape) { dx in
                for r in 0..<rows {
                    var dot: Float = 0
                    for j in 0..<n { dot += pg[r * n + j] * py[r * n + j] }
                    for j in 0..<n { dx[r * n + j] = py[r * n + j] * (pg[r * n + j] - dot) }
                }
            }]
        })
    }

    /// x − logsumexp(x) over the last axis.
    public func logSoftmax() -> Tensor {
        let n = shape.last ?? 1, rows = count / Swift.max(n, 1)
        let p = storage.pointer
        let out = Tensor(shape: shape) { dst in
            for r in 0..<rows {
                let lse = rowLogSumExp(p + r * n, n)
                for j in 0..<n { dst[r * n + j] = p[r * n + j] - lse }
            }
        }
        return recorded(.logSoftmax, out, self, backward: { g in
            // ∂x = g − softmax(x)·Σ g
            let py = out.storage.pointer, pg = g.storage.pointer
            return [Tensor(shape: g.shape) { dx in
                for r in 0..<rows {
                    var total: Float = 0
                    for j in 0..<n { total += pg[r * n + j] }
                    for j in 0..<n { dx[r * n + j] = pg[r * n + j] - fastExp(py[r * n + j]) * total }
                }
            }]
        })
    }
}

/// log Σ exp over `n` contiguous values, shifted by their maximum.
@inline(__always)
func rowLogSumExp(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var m = -Float.infinity
    for j in 0..<n { m = Swift.max(m, p[j]) }
    if m == -.infinity { return m }
    var s: Float = 0
    for j in 0..<n { s += fastExp(p[j] - m) }
    return m + logf(s)
}
