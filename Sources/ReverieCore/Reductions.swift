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
        Self.reducedShape(shape, axis, keepingDimension: keepingDimension)
    }

    static func reducedShape(_ shape: [Int], _ axis: Int, keepingDimension: Bool) -> [Int] {
        var s = shape
        if keepingDimension { s[axis] = 1 } else { s.remove(at: axis) }
        return s
    }

    /// Sum of all elements, as a scalar.
    public func sum() -> Tensor {
        let p = storage.pointer
        // A Float running sum drifts once it dwarfs the addends (2²² values
        // of 0.1 sum 4% short); a Double one keeps a mean loss right.
        var s: Double = 0
        for i in 0..<count { s += Double(p[i]) }
        return recorded(.sum, Tensor(scalar: Float(s)), self, backward: { [shape] g in [Tensor(repeating: g.item, shape: shape)] })
    }

    /// Mean of all elements, as a scalar.
    public func mean() -> Tensor { sum() * (1 / Float(Swift.max(count, 1))) }

    /// Sum along `axis`; the axis is removed unless `keepingDimension`.
    public func sum(axis: Int, keepingDimension: Bool = false) -> Tensor {
        let (axis, outer, n, inner) = split(around: axis)
        let p = storage.pointer
        let out = Tensor(shape: reducedShape(axis, keepingDimension: keepingDimension)) { dst in
            // Accumulated in Double, as `sum()`: the reduced extent may be a whole batch.
            if inner == 1 {
                for o in 0..<outer {
                    let row = p + o * n
                    var s: Double = 0
                    for j in 0..<n { s += Double(row[j]) }
                    dst[o] = Float(s)
                }
                return
            }
            let acc = UnsafeMutablePointer<Double>.allocate(capacity: inner)
            defer { acc.deallocate() }
            for o in 0..<outer {
                acc.initialize(repeating: 0, count: inner)
                for j in 0..<n {
                    let row = p + (o * n + j) * inner
                    for i in 0..<inner { acc[i] += Double(row[i]) }
                }
                for i in 0..<inner { dst[o * inner + i] = Float(acc[i]) }
            }
        }
        return recorded(.sumAlongAxis, out, self, backward: { [shape] g in
            [g.reshaped(Tensor.reducedShape(shape, axis, keepingDimension: true)).broadcast(to: shape)]
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
            for r in 0..<rows {
                let (m, logSum) = rowShiftedLogSumExp(p + r * n, n)
                dst[r] = m + logSum
            }
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
                let x = p + r * n, y = dst.baseAddress! + r * n
                // exp(x − max) / Σ exp(x − max): one exp per element, and no
                // rounding of logsumexp at the magnitude of x.
                let inverse = 1 / laneShiftedExp(x, shift: laneMax(x, n), n, into: y)
                var j = 0
                while j + 8 <= n {
                    let v = UnsafeRawPointer(y + j).loadUnaligned(as: SIMD8<Float>.self) * inverse
                    UnsafeMutableRawPointer(y + j).storeBytes(of: v, as: SIMD8<Float>.self)
                    j += 8
                }
                while j < n { y[j] *= inverse; j += 1 }
            }
        }
        return recorded(.softmax, out, self, backward: { g in
            // ∂x = y ⊙ (g − Σ g⊙y)
            let py = out.storage.pointer, pg = g.storage.pointer
            return [Tensor(shape: g.shape) { dx in
                for r in 0..<rows {
                    let (y, g, d) = (py + r * n, pg + r * n, dx.baseAddress! + r * n)
                    let dot = laneDot(g, y, n)
                    var j = 0
                    while j + 8 <= n {
                        let v = UnsafeRawPointer(y + j).loadUnaligned(as: SIMD8<Float>.self)
                            * (UnsafeRawPointer(g + j).loadUnaligned(as: SIMD8<Float>.self) - dot)
                        UnsafeMutableRawPointer(d + j).storeBytes(of: v, as: SIMD8<Float>.self)
                        j += 8
                    }
                    while j < n { d[j] = y[j] * (g[j] - dot); j += 1 }
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
                let (x, y) = (p + r * n, dst.baseAddress! + r * n)
                let (m, logSum) = rowShiftedLogSumExp(x, n)
                var j = 0
                while j + 8 <= n {
                    let v = (UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Float>.self) - m) - logSum
                    UnsafeMutableRawPointer(y + j).storeBytes(of: v, as: SIMD8<Float>.self)
                    j += 8
                }
                while j < n { y[j] = (x[j] - m) - logSum; j += 1 }
            }
        }
        return recorded(.logSoftmax, out, self, backward: { g in
            // ∂x = g − softmax(x)·Σ g
            let py = out.storage.pointer, pg = g.storage.pointer
            return [Tensor(shape: g.shape) { dx in
                for r in 0..<rows {
                    let (y, g, d) = (py + r * n, pg + r * n, dx.baseAddress! + r * n)
                    let total = laneSum(g, n)
                    var j = 0
                    while j + 8 <= n {
                        let v = UnsafeRawPointer(g + j).loadUnaligned(as: SIMD8<Float>.self)
                            - fastExp(UnsafeRawPointer(y + j).loadUnaligned(as: SIMD8<Float>.self)) * total
                        UnsafeMutableRawPointer(d + j).storeBytes(of: v, as: SIMD8<Float>.self)
                        j += 8
                    }
                    while j < n { d[j] = g[j] - fastExp(y[j]) * total; j += 1 }
                }
            }]
        })
    }
}

/// The maximum m of `n` contiguous values and log Σ exp(x − m); logsumexp is
/// m + log Σ exp(x − m). Callers subtract the two parts separately: x − m is
/// exact, while m + log Σ … rounds at the magnitude of m (±5·10⁻⁴ at 10⁴).
@inline(__always)
func rowShiftedLogSumExp(_ p: UnsafePointer<Float>, _ n: Int) -> (max: Float, logSum: Float) {
    let m = laneMax(p, n)
    if m == -.infinity { return (m, 0) }
    return (m, logf(laneShiftedExp(p, shift: m, n, into: nil)))
}

// MARK: - Whole-tensor checks (not on the tape)

extension Tensor {
    /// No NaN or infinity anywhere: x·0 is 0 for every finite x and NaN
    /// otherwise, so one vectorised sum of x·0 answers for all of them.
    public var isFinite: Bool {
        withUnsafeBufferPointer { buffer in
            // Storage always holds at least one element, so the address exists; no elements sum to 0.
            let p = buffer.baseAddress!, count = buffer.count
            var lanes = SIMD8<Float>(), i = 0
            while i + 8 <= count {
                lanes += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self) * 0
                i += 8
            }
            var sum = lanes.sum()
            while i < count { sum += p[i] * 0; i += 1 }
            return sum == 0
        }
    }
}
