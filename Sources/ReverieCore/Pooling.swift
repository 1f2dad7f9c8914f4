extension Tensor {
    /// 2-D max pooling, as PyTorch's `max_pool2d`: each output is the largest
    /// value in its kernel × kernel window, padding counting as −∞ (a window
    /// never sees only padding when padding ≤ kernel / 2). The gradient goes
    /// to the window's first largest element in row-major order, as PyTorch's
    /// CPU kernel sends it.
    /// - Parameter self: (N, C, H, W) feature maps.
    /// - Returns: (N, C, H', W') with H' = (H + 2·padding − kernel) / stride + 1.
    public func maxPool2d(kernel: Int, stride: Int, padding: Int = 0) -> Tensor {
        precondition(rank == 4, "maxPool2d needs (N, C, H, W), got \(shape)")
        precondition(kernel > 0 && stride > 0 && padding >= 0 && 2 * padding <= kernel,
                     "maxPool2d needs kernel > 0, stride > 0 and 0 ≤ padding ≤ kernel/2 (got \(kernel), \(stride), \(padding))")
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let outH = (h + 2 * padding - kernel) / stride + 1, outW = (w + 2 * padding - kernel) / stride + 1
        precondition(outH > 0 && outW > 0, "maxPool2d with kernel \(kernel) leaves nothing of a \(h)×\(w) map")
        let planes = n * c, inSize = h * w, outSize = outH * outW
        // The flat index in its plane of each output's maximum, for backward.
        let winners = UnsafeMutablePointer<Int32>.allocate(capacity: planes * outSize)
        let owner = PoolingWinners(winners)
        let px = storage.pointer
        let out = Tensor(shape: [n, c, outH, outW]) { y in
            let py = y.baseAddress!
            Parallel.chunks(planes) { _, range in
                for plane in range {
                    let image = px + plane * inSize, o = py + plane * outSize, win = winners + plane * outSize
                    for oy in 0..<outH {
                        let top = oy * stride - padding
                        for ox in 0..<outW {
                            let left = ox * stride - padding
                            let inside = kernel == 3 && top >= 0 && top + 3 <= h && left >= 0 && left + 3 <= w
                            let (best, at): (Float, Int) = inside
                                ? largestIn3x3(image, at: top * w + left, rowLength: w)
                                : largestIn(image, rows: Swift.max(top, 0)..<Swift.min(top + kernel, h),
                                          columns: Swift.max(left, 0)..<Swift.min(left + kernel, w), rowLength: w)
                            o[oy * outW + ox] = best
                            win[oy * outW + ox] = Int32(at)
                        }
                    }
                }
            }
        }
        return recorded(.maxPool2d, out, self, backward: { [shape] gy in
            let pg = gy.storage.pointer, winners = owner.pointer
            let dx = Tensor.zeros(shape)
            let pdx = dx.storage.pointer
            Parallel.chunks(planes) { _, range in
                for plane in range {
                    let g = pg + plane * outSize, win = winners + plane * outSize, d = pdx + plane * inSize
                    for k in 0..<outSize { d[Int(win[k])] += g[k] }
                }
            }
            return [dx]
        })
    }
}

/// The largest value of a window and its index, the first in row-major
/// order; a NaN wins and stays, as in PyTorch.
@inline(__always)
private func largestIn(_ image: UnsafePointer<Float>, rows: Range<Int>, columns: Range<Int>, rowLength w: Int) -> (Float, Int) {
    var best = -Float.infinity, at = rows.lowerBound * w + columns.lowerBound
    for y in rows {
        for x in columns {
            let v = image[y * w + x]
            if v > best || (v.isNaN && !best.isNaN) { (best, at) = (v, y * w + x) }
        }
    }
    return (best, at)
}

/// `largestIn` the 3×3 window whose top-left element is `image[first]`:
/// IMPALA's pooling, almost every window of which lies inside the map.
@inline(__always)
private func largestIn3x3(_ image: UnsafePointer<Float>, at first: Int, rowLength w: Int) -> (Float, Int) {
    var best = image[first], at = first
    if best.isNaN { return (best, at) }
    let row1 = first + w, row2 = first + 2 * w
    let others = SIMD8<Int>(first + 1, first + 2, row1, row1 + 1, row1 + 2, row2, row2 + 1, row2 + 2)
    for i in 0..<8 {
        let k = others[i], v = image[k]
        if !(v <= best) {  // larger, or NaN
            if v.isNaN { return (v, k) }
            (best, at) = (v, k)
        }
    }
    return (best, at)
}

/// The winners' indices, freed with the last reference (the forward pass's
/// or the recorded backward's).
private final class PoolingWinners: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Int32>
    init(_ pointer: UnsafeMutablePointer<Int32>) { self.pointer = pointer }
    deinit { pointer.deallocate() }
}
