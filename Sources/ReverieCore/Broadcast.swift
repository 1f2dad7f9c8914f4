// MARK: - Broadcasting (NumPy rules)
//
// Shapes are aligned at their last axis; an axis of extent 1 (or a missing
// leading axis) stretches to the other operand's extent.

/// The shape two operands broadcast to, or a precondition failure naming both.
func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int] {
    if a == b { return a }
    let rank = Swift.max(a.count, b.count)
    var result = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let x = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let y = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        precondition(x == y || x == 1 || y == 1, "shapes \(a) and \(b) do not broadcast")
        result[i] = Swift.max(x, y)
    }
    return result
}

/// Element strides of `shape` read as `target` (0 along broadcast axes).
func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
    var strides = [Int](repeating: 0, count: target.count)
    var step = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        let t = i + target.count - shape.count
        strides[t] = shape[i] == 1 ? 0 : step
        step *= shape[i]
    }
    return strides
}

/// Calls `row` once per innermost row of `shape` with the row's element offset
/// in each operand (given by its strides) and the row length. Per-row, not
/// per-element: kernels run their own tight loop inside.
@inline(__always)
func forEachRow(
    _ shape: [Int], _ stridesA: [Int], _ stridesB: [Int],
    _ row: (_ out: Int, _ a: Int, _ b: Int, _ n: Int, _ stepA: Int, _ stepB: Int) -> Void
) {
    let total = shape.reduce(1, *)
    guard total > 0 else { return }
    let (shape, stridesA, stridesB) = coalesced(shape, stridesA, stridesB)
    guard let n = shape.last else { row(0, 0, 0, 1, 0, 0); return }
    let rank = shape.count
    var counter = [Int](repeating: 0, count: rank)
    var offA = 0, offB = 0
    var out = 0
    while out < total {
        row(out, offA, offB, n, stridesA[rank - 1], stridesB[rank - 1])
        out += n
        var axis = rank - 2
        while axis >= 0 {
            counter[axis] += 1
            offA += stridesA[axis]
            offB += stridesB[axis]
            if counter[axis] < shape[axis] { break }
            offA -= stridesA[axis] * shape[axis]
            offB -= stridesB[axis] * shape[axis]
            counter[axis] = 0
            axis -= 1
        }
    }
}

/// The same iteration with fewer, longer rows: axes of extent 1 are dropped
/// and neighbouring axes that both operands traverse contiguously are merged,
/// so (B, T, 1) rows are T long, not 1.
func coalesced(_ shape: [Int], _ stridesA: [Int], _ stridesB: [Int]) -> ([Int], [Int], [Int]) {
    var s: [Int] = [], a: [Int] = [], b: [Int] = []
    for i in shape.indices where shape[i] != 1 {
        if let last = s.indices.last, a[last] == stridesA[i] * shape[i], b[last] == stridesB[i] * shape[i] {
            s[last] *= shape[i]
            a[last] = stridesA[i]
            b[last] = stridesB[i]
        } else {
            s.append(shape[i]); a.append(stridesA[i]); b.append(stridesB[i])
        }
    }
    return (s, a, b)
}

extension Tensor {
    /// Sums this (broadcast) gradient down to `shape`, the reverse of broadcasting.
    func sumToShape(_ target: [Int]) -> Tensor {
        if shape == target { return self }
        let strides = broadcastStrides(target, to: shape)
        var result = Tensor.zeros(target)
        let src = storage.pointer
        result.withUnsafeMutableBufferPointer { dst in
            let d = dst.baseAddress!
            forEachRow(shape, strides, strides) { out, a, _, n, step, _ in
                if step == 0 {
                    var s: Float = 0
                    for i in 0..<n { s += src[out + i] }
                    d[a] += s
                } else {
                    for i in 0..<n { d[a + i * step] += src[out + i] }
                }
            }
        }
        return result
    }

    /// This tensor repeated along broadcast axes to `target` (materialised).
    public func broadcast(to target: [Int]) -> Tensor {
        precondition(broadcastShape(shape, target) == target, "cannot broadcast \(shape) to \(target)")
        if shape == target { return self }
        let strides = broadcastStrides(shape, to: target)
        let src = storage.pointer
        let out = Tensor(shape: target) { dst in
            forEachRow(target, strides, strides) { o, a, _, n, step, _ in
                for i in 0..<n { dst[o + i] = src[a + i * step] }
            }
        }
        return recorded(.broadcast, out, self, backward: { [shape] g in [g.sumToShape(shape)] })
    }
}
