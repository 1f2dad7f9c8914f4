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

    /// Floats of the scratch `im2col` and `col2im` need for a padded copy of
    /// one image (C, H + 2·padding, W + 2·padding); 0 without padding.
    var paddedImageSize: Int { padding > 0 ? channels * (height + 2 * padding) * (width + 2 * padding) : 0 }

    /// The same windows over the padded image, which need no padding of their own.
    private var overPaddedImage: ConvolutionGeometry {
        ConvolutionGeometry(channels: channels, height: height + 2 * padding, width: width + 2 * padding,
                            kernelH: kernelH, kernelW: kernelW, stride: stride, padding: 0)
    }

    /// cols (patchSize, outH·outW) ← image patches; zero where the window
    /// hangs over the padding. Row r of cols starts at `cols + r·rowStride`
    /// (`outputSize` for a matrix of its own, wider when several images'
    /// columns sit side by side).
    ///
    /// With padding, the image is first copied into the middle of `padded`
    /// (`paddedImageSize` floats, zeroed by the caller once: only the middle
    /// is ever written), whose windows are then gathered as plain rows: the
    /// bounds of each window row would otherwise cost more than its copy.
    func im2col(_ image: UnsafePointer<Float>, _ cols: UnsafeMutablePointer<Float>, rowStride: Int,
                padded: UnsafeMutablePointer<Float>?) {
        guard padding > 0 else { return im2colUnpadded(image, cols, rowStride: rowStride) }
        let (pw, ph) = (width + 2 * padding, height + 2 * padding)
        for c in 0..<channels {
            for y in 0..<height {
                let src = image + (c * height + y) * width, dst = padded! + (c * ph + y + padding) * pw + padding
                for x in 0..<width { dst[x] = src[x] }
            }
        }
        overPaddedImage.im2colUnpadded(padded!, cols, rowStride: rowStride)
    }

    /// `im2col` without padding (the pixel encoders' layers): every window lies
    /// inside the image, so each row is a plain strided gather, with no bounds
    /// to work out and no zeros to write; small maps (6×6, 4×4) are mostly that
    /// bookkeeping otherwise.
    private func im2colUnpadded(_ image: UnsafePointer<Float>, _ cols: UnsafeMutablePointer<Float>, rowStride: Int) {
        let all = 0..<outW
        for c in 0..<channels {
            for ki in 0..<kernelH {
                for kj in 0..<kernelW {
                    var dst = cols + ((c * kernelH + ki) * kernelW + kj) * rowStride
                    var src = image + (c * height + ki) * width + kj
                    for _ in 0..<outH {
                        gather(src, dst, all)
                        (src, dst) = (src + stride * width, dst + outW)
                    }
                }
            }
        }
    }

    /// dst[x] = src[x·stride] for x in `columns`: one row of `im2col`.
    @inline(__always)
    private func gather(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ columns: Range<Int>) {
        switch stride {
        // Rows are short (8 to 84 values): a loop the compiler vectorises beats a call to memmove.
        case 1: for x in columns { dst[x] = src[x] }
        case 2: gatherEven(src, dst, columns)
        case 4: gatherEveryFourth(src, dst, columns)
        default: for x in columns { dst[x] = src[x * stride] }
        }
    }

    /// dst[x·stride] += src[x] for x in `columns`: one row of `col2im`.
    @inline(__always)
    private func scatter(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ columns: Range<Int>) {
        switch stride {
        case 1: for x in columns { dst[x] += src[x] }
        case 2: scatterEven(src, dst, columns)
        case 4: scatterEveryFourth(src, dst, columns)
        default: for x in columns { dst[x * stride] += src[x] }
        }
    }

    /// image += scatter of cols (the adjoint of `im2col`, rows `rowStride`
    /// apart). With padding, the windows are added into `padded`
    /// (`paddedImageSize` floats of scratch, zeroed here) as plain rows, and
    /// its middle into the image.
    func col2im(_ cols: UnsafePointer<Float>, _ image: UnsafeMutablePointer<Float>, rowStride: Int,
                padded: UnsafeMutablePointer<Float>?) {
        guard padding > 0 else { return col2imUnpadded(cols, image, rowStride: rowStride) }
        let (pw, ph) = (width + 2 * padding, height + 2 * padding)
        padded!.update(repeating: 0, count: paddedImageSize)
        overPaddedImage.col2imUnpadded(cols, padded!, rowStride: rowStride)
        for c in 0..<channels {
            for y in 0..<height {
                let src = padded! + (c * ph + y + padding) * pw + padding, dst = image + (c * height + y) * width
                for x in 0..<width { dst[x] += src[x] }
            }
        }
    }

    private func col2imUnpadded(_ cols: UnsafePointer<Float>, _ image: UnsafeMutablePointer<Float>, rowStride: Int) {
        let all = 0..<outW
        for c in 0..<channels {
            for ki in 0..<kernelH {
                for kj in 0..<kernelW {
                    var src = cols + ((c * kernelH + ki) * kernelW + kj) * rowStride
                    var dst = image + (c * height + ki) * width + kj
                    for _ in 0..<outH {
                        scatter(src, dst, all)
                        (src, dst) = (src + outW, dst + stride * width)
                    }
                }
            }
        }
    }
}

// Stride 2, the image models' every layer, eight columns at a time. A vector
// of 16 input values spans eight columns' inputs and the odd values between
// them, so it stops before the last column of the range: the value after it
// may lie outside the row.

/// dst[x] = src[2x] for x in `columns`.
@inline(__always)
private func gatherEven(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ columns: Range<Int>) {
    var x = columns.lowerBound
    while x + 8 < columns.upperBound {
        let pairs = UnsafeRawPointer(src + 2 * x).loadUnaligned(as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(dst + x).storeBytes(of: pairs.evenHalf, as: SIMD8<Float>.self)
        x += 8
    }
    while x < columns.upperBound { dst[x] = src[2 * x]; x += 1 }
}

/// dst[2x] += src[x] for x in `columns` (the odd values in between are
/// written back unchanged).
@inline(__always)
private func scatterEven(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ columns: Range<Int>) {
    var x = columns.lowerBound
    while x + 8 < columns.upperBound {
        let p = UnsafeMutableRawPointer(dst + 2 * x)
        var pairs = p.loadUnaligned(as: SIMD16<Float>.self)
        pairs.evenHalf += UnsafeRawPointer(src + x).loadUnaligned(as: SIMD8<Float>.self)
        p.storeBytes(of: pairs, as: SIMD16<Float>.self)
        x += 8
    }
    while x < columns.upperBound { dst[2 * x] += src[x]; x += 1 }
}

// Stride 4, the Nature CNN's first layer (8×8 filters every 4 pixels), the
// same way: a vector of 32 input values spans eight columns' inputs and the
// three values after each.

/// dst[x] = src[4x] for x in `columns`.
@inline(__always)
private func gatherEveryFourth(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ columns: Range<Int>) {
    var x = columns.lowerBound
    while x + 8 < columns.upperBound {
        let quads = UnsafeRawPointer(src + 4 * x).loadUnaligned(as: SIMD32<Float>.self)
        UnsafeMutableRawPointer(dst + x).storeBytes(of: quads.evenHalf.evenHalf, as: SIMD8<Float>.self)
        x += 8
    }
    while x < columns.upperBound { dst[x] = src[4 * x]; x += 1 }
}

/// dst[4x] += src[x] for x in `columns` (the values in between are written back unchanged).
@inline(__always)
private func scatterEveryFourth(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ columns: Range<Int>) {
    var x = columns.lowerBound
    while x + 8 < columns.upperBound {
        let p = UnsafeMutableRawPointer(dst + 4 * x)
        var quads = p.loadUnaligned(as: SIMD32<Float>.self)
        quads.evenHalf.evenHalf += UnsafeRawPointer(src + x).loadUnaligned(as: SIMD8<Float>.self)
        p.storeBytes(of: quads, as: SIMD32<Float>.self)
        x += 8
    }
    while x < columns.upperBound { dst[4 * x] += src[x]; x += 1 }
}

/// Scratch for `Parallel.chunks` pieces: `count` floats per worker (piece p's
/// at `scratch + p·count`), the last `zeroedTail` of each zeroed.
private func withScratch<R>(_ count: Int, zeroedTail: Int = 0, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: Parallel.workers * count)
    defer { scratch.deallocate() }
    for piece in 0..<Parallel.workers where zeroedTail > 0 {
        (scratch + (piece + 1) * count - zeroedTail).initialize(repeating: 0, count: zeroedTail)
    }
    return body(scratch)
}

/// The weight's gradient: the sum of the workers' partial sums in `partials`.
private func sumOfPartials(_ partials: UnsafeMutablePointer<Float>, shape: [Int]) -> Tensor {
    let count = shape.reduce(1, *)
    return Tensor(shape: shape) { dw in
        dw.baseAddress!.update(from: partials, count: count)
        for piece in 1..<Swift.max(Parallel.workers, 1) {
            let p = partials + piece * count
            for j in 0..<count { dw[j] += p[j] }
        }
    }
}

/// Samples `first..<first + count` of maps (N, C, size), sample-major, to
/// or from a (C, count·size) block whose row c holds channel c of each.
@inline(__always)
private func interleave(_ maps: UnsafeMutablePointer<Float>, _ block: UnsafeMutablePointer<Float>, first: Int, count: Int,
                        channels: Int, size: Int, toBlock: Bool) {
    let width = count * size
    for j in 0..<count {
        for c in 0..<channels {
            let sample = maps + ((first + j) * channels + c) * size, column = block + c * width + j * size
            if toBlock { column.update(from: sample, count: size) } else { sample.update(from: column, count: size) }
        }
    }
}

/// Splits `samples` into runs of at most `per` for one product each.
@inline(__always)
private func forEachRun(_ samples: Range<Int>, of per: Int, _ body: (_ first: Int, _ count: Int) -> Void) {
    for first in stride(from: samples.lowerBound, to: samples.upperBound, by: per) {
        body(first, Swift.min(per, samples.upperBound - first))
    }
}

// The images of a batch are split over the workers, each with its own
// scratch and its own partial sum of the weight's gradient. A worker takes
// its images a few at a time, their columns side by side, so that every
// product is at least `productColumns` wide: a deep layer's 4×4 maps would
// otherwise make matrix products 16 columns wide, where OpenBLAS runs at a
// fraction of its speed.
private let productColumns = 512

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
        let per = Swift.max(1, productColumns / g.outputSize), width = per * g.outputSize
        let colsSize = g.patchSize * width, blockSize = o * width, paddedSize = g.paddedImageSize
        let out = Tensor(shape: [n, o, g.outH, g.outW]) { y in
            let py = y.baseAddress!
            // Per worker: columns, the product's block, and the image padded for im2col (zeroed once).
            withScratch(colsSize + blockSize + paddedSize, zeroedTail: paddedSize) { scratch in
                Parallel.chunks(n) { piece, samples in
                    let cols = scratch + piece * (colsSize + blockSize + paddedSize), block = cols + colsSize
                    let padded = block + blockSize
                    forEachRun(samples, of: per) { first, count in
                        let w = count * g.outputSize
                        for j in 0..<count {
                            g.im2col(px + (first + j) * g.imageSize, cols + j * g.outputSize, rowStride: w, padded: padded)
                        }
                        // Y (O, count·H'W') = W (O, CKK) · cols (CKK, count·H'W')
                        sgemm(pw, transposeA: false, cols, transposeB: false, block, m: o, n: w, k: g.patchSize)
                        interleave(py, block, first: first, count: count, channels: o, size: g.outputSize, toBlock: false)
                    }
                }
            }
        }
        // Images that are data (an encoder's input) need no gradient: its
        // scatter back through col2im is skipped.
        let needsInputGradient = tracking != nil
        return recorded(.conv2d, out, self, weight, backward: { [self, weight] gy in
            // Pointers are taken from the captured tensors, which keep the storage alive.
            let px = self.storage.pointer, pw = weight.storage.pointer, pg = gy.storage.pointer
            let dx: Tensor? = needsInputGradient ? .zeros(shape) : nil
            let pdx = dx?.storage.pointer
            let wCount = weight.count
            // Per worker: columns, block, scratch for col2im, and the image padded for im2col (zeroed once).
            let perWorker = colsSize + blockSize + 2 * paddedSize
            let dw = withScratch(perWorker, zeroedTail: paddedSize) { scratch in
                withScratch(wCount, zeroedTail: wCount) { partials in
                    Parallel.chunks(n) { piece, samples in
                        let cols = scratch + piece * perWorker, block = cols + colsSize
                        let paddedGradient = block + blockSize, padded = paddedGradient + paddedSize
                        let dwp = partials + piece * wCount
                        forEachRun(samples, of: per) { first, count in
                            let w = count * g.outputSize
                            for j in 0..<count {
                                g.im2col(px + (first + j) * g.imageSize, cols + j * g.outputSize, rowStride: w, padded: padded)
                            }
                            interleave(UnsafeMutablePointer(mutating: pg), block, first: first, count: count,
                                       channels: o, size: g.outputSize, toBlock: true)
                            // ∂W += ∂Y · colsᵀ
                            sgemm(block, transposeA: false, cols, transposeB: true, dwp, m: o, n: g.patchSize, k: w, beta: 1)
                            guard let pdx else { return }
                            // ∂cols = Wᵀ · ∂Y, then scattered back to each image
                            sgemm(pw, transposeA: true, block, transposeB: false, cols, m: g.patchSize, n: w, k: o)
                            for j in 0..<count {
                                g.col2im(cols + j * g.outputSize, pdx + (first + j) * g.imageSize, rowStride: w, padded: paddedGradient)
                            }
                        }
                    }
                    return sumOfPartials(partials, shape: weight.shape)
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
        let per = Swift.max(1, productColumns / inSize), width = per * inSize
        let colsSize = g.patchSize * width, blockSize = c * width, paddedSize = g.paddedImageSize
        let out = Tensor(shape: [n, o, outH, outW]) { y in
            let py = y.baseAddress!
            py.initialize(repeating: 0, count: y.count)
            withScratch(colsSize + blockSize + paddedSize) { scratch in
                Parallel.chunks(n) { piece, samples in
                    let cols = scratch + piece * (colsSize + blockSize + paddedSize), block = cols + colsSize
                    let padded = block + blockSize
                    forEachRun(samples, of: per) { first, count in
                        let w = count * inSize
                        interleave(UnsafeMutablePointer(mutating: px), block, first: first, count: count,
                                   channels: c, size: inSize, toBlock: true)
                        // cols (O·kh·kw, count·HW) = Wᵀ (O·kh·kw, C) · X (C, count·HW)
                        sgemm(pw, transposeA: true, block, transposeB: false, cols, m: g.patchSize, n: w, k: c)
                        for j in 0..<count { g.col2im(cols + j * inSize, py + (first + j) * g.imageSize, rowStride: w, padded: padded) }
                    }
                }
            }
        }
        return recorded(.convTranspose2d, out, self, weight, backward: { [self, weight] gy in
            let px = self.storage.pointer, pw = weight.storage.pointer, pg = gy.storage.pointer
            let wCount = weight.count
            var dw = Tensor.zeros([0])
            let dx = Tensor(shape: shape) { dx in
                let pdx = dx.baseAddress!
                // Per worker: columns, block, and the gradient padded for im2col (zeroed once).
                withScratch(colsSize + blockSize + paddedSize, zeroedTail: paddedSize) { scratch in
                    withScratch(wCount, zeroedTail: wCount) { partials in
                        Parallel.chunks(n) { piece, samples in
                            let cols = scratch + piece * (colsSize + blockSize + paddedSize), block = cols + colsSize
                            let padded = block + blockSize
                            let dwp = partials + piece * wCount
                            forEachRun(samples, of: per) { first, count in
                                let w = count * inSize
                                for j in 0..<count {
                                    g.im2col(pg + (first + j) * g.imageSize, cols + j * inSize, rowStride: w, padded: padded)
                                }
                                // ∂X (C, count·HW) = W (C, O·kh·kw) · cols
                                sgemm(pw, transposeA: false, cols, transposeB: false, block, m: c, n: w, k: g.patchSize)
                                interleave(pdx, block, first: first, count: count, channels: c, size: inSize, toBlock: false)
                                // ∂W (C, O·kh·kw) += X · colsᵀ
                                interleave(UnsafeMutablePointer(mutating: px), block, first: first, count: count,
                                           channels: c, size: inSize, toBlock: true)
                                sgemm(block, transposeA: false, cols, transposeB: true, dwp, m: c, n: g.patchSize, k: w, beta: 1)
                            }
                        }
                        dw = sumOfPartials(partials, shape: weight.shape)
                    }
                }
            }
            return [dx, dw]
        })
    }
}
