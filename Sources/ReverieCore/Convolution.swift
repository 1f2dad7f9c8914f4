// MARK: - 2-D convolution and transposed convolution (im2col + GEMM)
//
// Layout is PyTorch's, so checkpoints load there unchanged:
//   conv2d:           x (N, C, H, W), weight (O, C, kh, kw)   → (N, O, H', W')
//   convTranspose2d:  x (N, C, H, W), weight (C, O, kh, kw)   → (N, O, H', W')
// A transposed convolution is the adjoint of a convolution, so the two share
// im2col and col2im with their roles swapped.

/// The sliding-window geometry of a convolution from an image (C, H, W) to
/// an output grid (outH, outW).
struct ConvolutionGeometry {
    let channels, height, width: Int
    let kernelH, kernelW, stride, padding: Int
    let outH, outW: Int

    init(channels: Int, height: Int, width: Int, kernelH: Int, kernelW: Int, stride: Int, padding: Int) {
        (self.channels, self.height, self.width) = (channels, height, width)
        (self.kernelH, self.kernelW, self.stride, self.padding) = (kernelH, kernelW, stride, padding)
        outH = (height + 2 * padding - kernelH) / stride + 1
        outW = (width + 2 * padding - kernelW) / stride + 1
        precondition(outH > 0 && outW > 0,
                     "a \(kernelH)×\(kernelW) kernel with stride \(stride), padding \(padding) does not fit a \(height)×\(width) image")
    }

    var imageSize: Int { channels * height * width }
    /// Rows of the column matrix: one per (channel, kernel row, kernel column).
    var patchSize: Int { channels * kernelH * kernelW }
    var outputSize: Int { outH * outW }

    /// cols (patchSize, outH·outW) ← image patches; zero where the window hangs over the padding.
    func im2col(_ image: UnsafePointer<Float>, _ cols: UnsafeMutablePointer<Float>) {
        for c in 0..<channels {
            for ki in 0..<kernelH {
                for kj in 0..<kernelW {
                    let row = cols + ((c * kernelH + ki) * kernelW + kj) * outputSize
                    for y in 0..<outH {
                        let iy = y * stride - padding + ki
                        let dst = row + y * outW
                        guard iy >= 0 && iy < height else {
                            dst.initialize(repeating: 0, count: outW); continue
                        }
                        let src = image + (c * height + iy) * width
                        for x in 0..<outW {
                            let ix = x * stride - padding + kj
                            dst[x] = ix >= 0 && ix < width ? src[ix] : 0
                        }
                    }
                }
            }
        }
    }

    /// image += scatter of cols (the adjoint of `im2col`). `image` must be zeroed by the caller.
    func col2im(_ cols: UnsafePointer<Float>, _ image: UnsafeMutablePointer<Float>) {
        for c in 0..<channels {
            for ki in 0..<kernelH {
                for kj in 0..<kernelW {
                    let row = cols + ((c * kernelH + ki) * kernelW + kj) * outputSize
                    for y in 0..<outH {
                        let iy = y * stride - padding + ki
                        guard iy >= 0 && iy < height else { continue }
                        let dst = image + (c * height + iy) * width, src = row + y * outW
                        for x in 0..<outW {
                            let ix = x * stride - padding + kj
                            if ix >= 0 && ix < width { dst[ix] += src[x] }
                        }
                    }
                }
            }
        }
    }
}

extension Tensor {
    /// 2-D cross-correlation, as PyTorch's `conv2d` (no bias; add it by broadcasting).
    /// - Parameters:
    ///   - self: (N, C, H, W) images.
    ///   - weight: (O, C, kh, kw) filters.
    /// - Returns: (N, O, H', W') with H' = (H + 2·padding − kh) / stride + 1.
    public func conv2d(_ weight: Tensor, stride: Int = 1, padding: Int = 0) -> Tensor {
        precondition(rank == 4 && weight.rank == 4 && weight.shape[1] == shape[1],
                     "conv2d needs x (N, C, H, W) and weight (O, C, kh, kw), got \(shape) and \(weight.shape)")
        let (n, o) = (shape[0], weight.shape[0])
        let g = ConvolutionGeometry(channels: shape[1], height: shape[2], width: shape[3],
                                    kernelH: weight.shape[2], kernelW: weight.shape[3], stride: stride, padding: padding)
        let px = storage.pointer, pw = weight.storage.pointer
        let out = Tensor(shape: [n, o, g.outH, g.outW]) { y in
            let cols = UnsafeMutablePointer<Float>.allocate(capacity: g.patchSize * g.outputSize)
            defer { cols.deallocate() }
            for i in 0..<n {
                g.im2col(px + i * g.imageSize, cols)
                // y_i (O, H'W') = W (O, CKK) · cols (CKK, H'W')
                sgemm(pw, transposeA: false, cols, transposeB: false, y.baseAddress! + i * o * g.outputSize,
                      m: o, n: g.outputSize, k: g.patchSize)
            }
        }
        return recorded(.conv2d, out, self, weight, backward: { [self, weight] gy in
            // Pointers are taken from the captured tensors, which keep the storage alive.
            let px = self.storage.pointer, pw = weight.storage.pointer, pg = gy.storage.pointer
            var dw = Tensor.zeros(weight.shape)
            let dx = Tensor(shape: shape) { dx in
                dx.initialize(repeating: 0)
                let cols = UnsafeMutablePointer<Float>.allocate(capacity: g.patchSize * g.outputSize)
                defer { cols.deallocate() }
                dw.withUnsafeMutableBufferPointer { dwp in
                    for i in 0..<n {
                        let gi = pg + i * o * g.outputSize
                        // ∂W += ∂y_i · cols_iᵀ
                        g.im2col(px + i * g.imageSize, cols)
                        sgemm(gi, transposeA: false, cols, transposeB: true, dwp.baseAddress!,
                              m: o, n: g.patchSize, k: g.outputSize, beta: 1)
                        // ∂cols_i = Wᵀ · ∂y_i, then scatter back to the image
                        sgemm(pw, transposeA: true, gi, transposeB: false, cols,
                              m: g.patchSize, n: g.outputSize, k: o)
                        g.col2im(cols, dx.baseAddress! + i * g.imageSize)
                    }
                }
            }
            return [dx, dw]
        })
    }

    /// Transposed 2-D convolution, as PyTorch's `conv_transpose2d` (no bias).
    /// - Parameters:
    ///   - self: (N, C, H, W) feature maps.
    ///   - weight: (C, O, kh, kw) filters.
    /// - Returns: (N, O, H', W') with H' = (H − 1)·stride − 2·padding + kh + outputPadding.
    public func convTranspose2d(_ weight: Tensor, stride: Int = 1, padding: Int = 0, outputPadding: Int = 0) -> Tensor {
        precondition(rank == 4 && weight.rank == 4 && weight.shape[0] == shape[1],
                     "convTranspose2d needs x (N, C, H, W) and weight (C, O, kh, kw), got \(shape) and \(weight.shape)")
        precondition(outputPadding >= 0 && outputPadding < Swift.max(stride, 1), "outputPadding must be in 0..<stride")
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let (o, kh, kw) = (weight.shape[1], weight.shape[2], weight.shape[3])
        let outH = (h - 1) * stride - 2 * padding + kh + outputPadding
        let outW = (w - 1) * stride - 2 * padding + kw + outputPadding
        // The geometry of the convolution this one is the adjoint of: from the
        // (O, outH, outW) output back down to the (h, w) input grid.
        let g = ConvolutionGeometry(channels: o, height: outH, width: outW,
                                    kernelH: kh, kernelW: kw, stride: stride, padding: padding)
        precondition(g.outH == h && g.outW == w, "convTranspose2d geometry does not invert: \(shape) → \(outH)×\(outW)")
        let px = storage.pointer, pw = weight.storage.pointer
        let inSize = h * w
        let out = Tensor(shape: [n, o, outH, outW]) { y in
            y.initialize(repeating: 0)
            let cols = UnsafeMutablePointer<Float>.allocate(capacity: g.patchSize * inSize)
            defer { cols.deallocate() }
            for i in 0..<n {
                // cols (O·kh·kw, HW) = Wᵀ (O·kh·kw, C) · x_i (C, HW)
                sgemm(pw, transposeA: true, px + i * c * inSize, transposeB: false, cols,
                      m: g.patchSize, n: inSize, k: c)
                g.col2im(cols, y.baseAddress! + i * g.imageSize)
            }
        }
        return recorded(.convTranspose2d, out, self, weight, backward: { [self, weight] gy in
            let px = self.storage.pointer, pw = weight.storage.pointer, pg = gy.storage.pointer
            var dw = Tensor.zeros(weight.shape)
            let dx = Tensor(shape: shape) { dx in
                let cols = UnsafeMutablePointer<Float>.allocate(capacity: g.patchSize * inSize)
                defer { cols.deallocate() }
                dw.withUnsafeMutableBufferPointer { dwp in
                    for i in 0..<n {
                        g.im2col(pg + i * g.imageSize, cols)
                        // ∂x_i (C, HW) = W (C, O·kh·kw) · cols
                        sgemm(pw, transposeA: false, cols, transposeB: false, dx.baseAddress! + i * c * inSize,
                              m: c, n: inSize, k: g.patchSize)
                        // ∂W (C, O·kh·kw) += x_i · colsᵀ
                        sgemm(px + i * c * inSize, transposeA: false, cols, transposeB: true, dwp.baseAddress!,
                              m: c, n: g.patchSize, k: inSize, beta: 1)
                    }
                }
            }
            return [dx, dw]
        })
    }
}
