// MARK: - Indexing: gather, one-hot, where

extension Tensor {
    /// Picks one element per row of the last axis: (…, K) and indices (…) → (…).
    /// The gradient flows back to the picked elements only.
    public func gather(_ indices: [Int]) -> Tensor {
        let n = shape.last ?? 1, rows = count / Swift.max(n, 1)
        precondition(indices.count == rows, "gather needs \(rows) indices for shape \(shape), got \(indices.count)")
        let p = storage.pointer
        let out = Tensor(shape: Array(shape.dropLast())) { dst in
            for r in 0..<rows {
                let k = indices[r]
                precondition(k >= 0 && k < n, "gather index \(k) out of range 0..<\(n)")
                dst[r] = p[r * n + k]
            }
        }
        return recorded(.gather, out, self, backward: { [shape] g in
            let pg = g.storage.pointer
            return [Tensor(shape: shape) { dx in
                dx.initialize(repeating: 0)
                for r in 0..<rows { dx[r * n + indices[r]] = pg[r] }
            }]
        })
    }

    /// One-hot rows: indices (N) → (N, depth). Not differentiable (a constant).
    public static func oneHot(_ indices: [Int], depth: Int) -> Tensor {
        Tensor(shape: [indices.count, depth]) { dst in
            dst.initialize(repeating: 0)
            for (r, k) in indices.enumerated() {
                precondition(k >= 0 && k < depth, "one-hot index \(k) out of range 0..<\(depth)")
                dst[r * depth + k] = 1
            }
        }
    }

    /// Element-wise choice: `mask` ≠ 0 takes `a`, else `b`. All three share one
    /// shape; the gradient goes to the chosen side.
    public static func `where`(_ mask: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(mask.shape == a.shape && a.shape == b.shape,
                     "where needs equal shapes, got mask \(mask.shape), \(a.shape), \(b.shape)")
        let pm = mask.storage.pointer, pa = a.storage.pointer, pb = b.storage.pointer
        let out = Tensor(shape: a.shape) { dst in
            for i in 0..<dst.count { dst[i] = pm[i] != 0 ? pa[i] : pb[i] }
        }
        return recorded(.where, out, a, b, backward: { [mask] g in
            // The rule owns the mask: a caller's temporary mask is freed before backward runs.
            let pm = mask.storage.pointer, pg = g.storage.pointer
            return [Tensor(shape: g.shape) { d in for i in 0..<d.count { d[i] = pm[i] != 0 ? pg[i] : 0 } },
                    Tensor(shape: g.shape) { d in for i in 0..<d.count { d[i] = pm[i] != 0 ? 0 : pg[i] } }]
        })
    }
}

extension Tensor {
    /// Element-wise min(a, b) of equal shapes, built on `where`: the gradient
    /// goes to the smaller side (to `b` on ties), as PPO's clipped surrogate needs.
    public static func minimum(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "minimum needs equal shapes, got \(a.shape) and \(b.shape)")
        let pa = a.storage.pointer, pb = b.storage.pointer
        let aIsSmaller = Tensor(shape: a.shape) { m in for i in 0..<m.count { m[i] = pa[i] < pb[i] ? 1 : 0 } }
        return .where(aIsSmaller, a, b)
    }

    /// Element-wise max(a, b) of equal shapes; the gradient goes to the larger side (to `b` on ties).
    public static func maximum(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "maximum needs equal shapes, got \(a.shape) and \(b.shape)")
        let pa = a.storage.pointer, pb = b.storage.pointer
        let aIsLarger = Tensor(shape: a.shape) { m in for i in 0..<m.count { m[i] = pa[i] > pb[i] ? 1 : 0 } }
        return .where(aIsLarger, a, b)
    }
}
