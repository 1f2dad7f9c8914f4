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
                        let y0 = Swift.max(oy * stride - padding, 0), y1 = Swift.min(oy * stride - padding + kernel, h)
                        for ox in 0..<outW {
                            let x0 = Swift.max(ox * stride - padding, 0), x1 = Swift.min(ox * stride - padding + kernel, w)
                            var best = -Float.infinity, at = y0 * w + x0
                            for yy in y0..<y1 {
                                for xx in x0..<x1 {
                                    // A NaN wins and stays, as in PyTorch.
                                    let v = image[yy * w + xx]
                                    if v > best || (v.isNaN && !best.isNaN) { (best, at) = (v, yy * w + xx) }
                                }
                            }
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

/// The winners' indices, freed with the last reference (the forward pass's
/// or the recorded backward's).
private final class PoolingWinners: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Int32>
    init(_ pointer: UnsafeMutablePointer<Int32>) { self.pointer = pointer }
    deinit { pointer.deallocate() }
}
