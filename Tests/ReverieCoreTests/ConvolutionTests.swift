import Testing
import ReverieCore

/// conv2d and convTranspose2d (im2col + GEMM) against direct loops, the
/// adjoint identity between them, and PyTorch's values for one case each.
struct ConvolutionTests {
    struct Geometry: Sendable, CustomStringConvertible {
        var batch: Int, inChannels: Int, height: Int, width: Int
        var outChannels: Int, kernelH: Int, kernelW: Int
        var stride: Int, padding: Int, outputPadding = 0
        var description: String {
            "N\(batch) C\(inChannels) \(height)×\(width) → O\(outChannels), kernel \(kernelH)×\(kernelW), "
                + "stride \(stride), padding \(padding)" + (outputPadding > 0 ? ", output padding \(outputPadding)" : "")
        }
    }

    static let convolutions: [Geometry] = [
        Geometry(batch: 1, inChannels: 1, height: 5, width: 5, outChannels: 1, kernelH: 3, kernelW: 3, stride: 1, padding: 0),
        Geometry(batch: 2, inChannels: 3, height: 7, width: 6, outChannels: 4, kernelH: 3, kernelW: 2, stride: 2, padding: 1),
        Geometry(batch: 1, inChannels: 2, height: 8, width: 5, outChannels: 3, kernelH: 1, kernelW: 1, stride: 1, padding: 0),
        Geometry(batch: 2, inChannels: 1, height: 9, width: 7, outChannels: 2, kernelH: 4, kernelW: 3, stride: 3, padding: 2),
        Geometry(batch: 1, inChannels: 3, height: 5, width: 9, outChannels: 2, kernelH: 5, kernelW: 5, stride: 1, padding: 2),
        Geometry(batch: 3, inChannels: 2, height: 6, width: 6, outChannels: 2, kernelH: 2, kernelW: 2, stride: 2, padding: 0),
        Geometry(batch: 1, inChannels: 2, height: 11, width: 4, outChannels: 5, kernelH: 2, kernelW: 4, stride: 2, padding: 1),
        Geometry(batch: 2, inChannels: 2, height: 8, width: 9, outChannels: 3, kernelH: 3, kernelW: 4, stride: 2, padding: 1),
        // Rows wide enough for the eight-column stride-2 loops, five images one product each.
        Geometry(batch: 5, inChannels: 2, height: 34, width: 37, outChannels: 3, kernelH: 4, kernelW: 4, stride: 2, padding: 1),
        // 4×4 outputs: 32 images to a product, 40 images in two products.
        Geometry(batch: 40, inChannels: 2, height: 8, width: 8, outChannels: 3, kernelH: 4, kernelW: 4, stride: 2, padding: 1),
        // Stride 4 (the Nature CNN's first layer) on rows wide enough for its eight-column loops.
        Geometry(batch: 2, inChannels: 2, height: 44, width: 47, outChannels: 3, kernelH: 8, kernelW: 8, stride: 4, padding: 1),
        // Unpadded, as the Nature CNN's layers are: 8×8 every 4, then 4×4 every 2, then 3×3.
        Geometry(batch: 2, inChannels: 3, height: 40, width: 44, outChannels: 4, kernelH: 8, kernelW: 8, stride: 4, padding: 0),
        Geometry(batch: 3, inChannels: 4, height: 15, width: 21, outChannels: 2, kernelH: 4, kernelW: 4, stride: 2, padding: 0),
        Geometry(batch: 2, inChannels: 3, height: 6, width: 7, outChannels: 2, kernelH: 3, kernelW: 3, stride: 1, padding: 0),
        Geometry(batch: 2, inChannels: 2, height: 13, width: 14, outChannels: 2, kernelH: 3, kernelW: 2, stride: 3, padding: 0),
    ]

    static let transposedConvolutions: [Geometry] = [
        Geometry(batch: 1, inChannels: 1, height: 3, width: 3, outChannels: 1, kernelH: 3, kernelW: 3, stride: 1, padding: 0),
        Geometry(batch: 2, inChannels: 3, height: 4, width: 3, outChannels: 2, kernelH: 4, kernelW: 3, stride: 2, padding: 1, outputPadding: 1),
        Geometry(batch: 1, inChannels: 2, height: 5, width: 4, outChannels: 3, kernelH: 3, kernelW: 3, stride: 2, padding: 1),
        Geometry(batch: 2, inChannels: 2, height: 3, width: 5, outChannels: 1, kernelH: 5, kernelW: 2, stride: 3, padding: 2, outputPadding: 2),
        Geometry(batch: 1, inChannels: 1, height: 2, width: 2, outChannels: 1, kernelH: 2, kernelW: 2, stride: 2, padding: 0),
        Geometry(batch: 3, inChannels: 4, height: 2, width: 3, outChannels: 2, kernelH: 1, kernelW: 2, stride: 1, padding: 0),
        Geometry(batch: 5, inChannels: 3, height: 17, width: 19, outChannels: 2, kernelH: 4, kernelW: 4, stride: 2, padding: 1),
        Geometry(batch: 40, inChannels: 3, height: 4, width: 4, outChannels: 2, kernelH: 4, kernelW: 4, stride: 2, padding: 1),
        Geometry(batch: 2, inChannels: 2, height: 6, width: 13, outChannels: 2, kernelH: 8, kernelW: 8, stride: 4, padding: 2),
    ]

    // MARK: - Direct loops (the definitions, as in PyTorch's documentation)

    /// out[n, o, y, x] = Σ_c,i,j in[n, c, y·s − p + i, x·s − p + j] · w[o, c, i, j].
    static func naiveConv2d(_ input: Tensor, _ weight: Tensor, stride s: Int, padding p: Int) -> (shape: [Int], values: [Double]) {
        let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (o, kh, kw) = (weight.shape[0], weight.shape[2], weight.shape[3])
        let (outH, outW) = ((h + 2 * p - kh) / s + 1, (w + 2 * p - kw) / s + 1)
        let shape = [n, o, outH, outW]
        let (x, k) = (doubles(input), doubles(weight))
        var out = [Double](repeating: 0, count: shape.reduce(1, *))
        for b in 0..<n {
            for f in 0..<o {
                for y in 0..<outH {
                    for xx in 0..<outW {
                        var total = 0.0
                        for ch in 0..<c {
                            for i in 0..<kh {
                                for j in 0..<kw {
                                    let (iy, ix) = (y * s - p + i, xx * s - p + j)
                                    guard iy >= 0 && iy < h && ix >= 0 && ix < w else { continue }
                                    total += x[flatOffset([b, ch, iy, ix], in: input.shape)] * k[flatOffset([f, ch, i, j], in: weight.shape)]
                                }
                            }
                        }
                        out[flatOffset([b, f, y, xx], in: shape)] = total
                    }
                }
            }
        }
        return (shape, out)
    }

    /// Each input element scatters its kernel: out[n, o, y·s − p + i, x·s − p + j]
    /// += in[n, c, y, x] · w[c, o, i, j], the output being (H − 1)·s − 2p + kh + outputPadding tall.
    static func naiveConvTranspose2d(
        _ input: Tensor, _ weight: Tensor, stride s: Int, padding p: Int, outputPadding: Int
    ) -> (shape: [Int], values: [Double]) {
        let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (o, kh, kw) = (weight.shape[1], weight.shape[2], weight.shape[3])
        let outH = (h - 1) * s - 2 * p + kh + outputPadding, outW = (w - 1) * s - 2 * p + kw + outputPadding
        let shape = [n, o, outH, outW]
        let (x, k) = (doubles(input), doubles(weight))
        var out = [Double](repeating: 0, count: shape.reduce(1, *))
        for b in 0..<n {
            for ch in 0..<c {
                for y in 0..<h {
                    for xx in 0..<w {
                        let v = x[flatOffset([b, ch, y, xx], in: input.shape)]
                        for f in 0..<o {
                            for i in 0..<kh {
                                for j in 0..<kw {
                                    let (oy, ox) = (y * s - p + i, xx * s - p + j)
                                    guard oy >= 0 && oy < outH && ox >= 0 && ox < outW else { continue }
                                    out[flatOffset([b, f, oy, ox], in: shape)] += v * k[flatOffset([ch, f, i, j], in: weight.shape)]
                                }
                            }
                        }
                    }
                }
            }
        }
        return (shape, out)
    }

    // MARK: - Against the direct loops

    @Test(arguments: convolutions)
    func conv2dMatchesDirectLoops(_ g: Geometry) {
        let x = randomTensor([g.batch, g.inChannels, g.height, g.width], seed: 1)
        let w = randomTensor([g.outChannels, g.inChannels, g.kernelH, g.kernelW], seed: 2)
        let expected = Self.naiveConv2d(x, w, stride: g.stride, padding: g.padding)
        expectClose(x.conv2d(w, stride: g.stride, padding: g.padding), expected.values, shape: expected.shape, "conv2d \(g)")
    }

    @Test(arguments: transposedConvolutions)
    func convTranspose2dMatchesDirectLoops(_ g: Geometry) {
        let x = randomTensor([g.batch, g.inChannels, g.height, g.width], seed: 3)
        let w = randomTensor([g.inChannels, g.outChannels, g.kernelH, g.kernelW], seed: 4)
        let expected = Self.naiveConvTranspose2d(x, w, stride: g.stride, padding: g.padding, outputPadding: g.outputPadding)
        let y = x.convTranspose2d(w, stride: g.stride, padding: g.padding, outputPadding: g.outputPadding)
        expectClose(y, expected.values, shape: expected.shape, "convTranspose2d \(g)")
    }

    // MARK: - A batch at once

    /// The weight's gradient and the images' of ⟨f(x; W), r⟩ for a random r;
    /// `x` a constant (no gradient of its own, as an encoder's input) unless
    /// `inputGradient`.
    static func gradients(_ f: (Tensor, Tensor) -> Tensor, x: Tensor, w: Tensor, inputGradient: Bool) -> (dx: Tensor?, dw: Tensor) {
        let (px, pw) = (Parameter(x), Parameter(w))
        let r = randomTensor(f(x, w).shape, seed: 9)
        let (_, g) = valueWithGradients(wrt: inputGradient ? [pw, px] : [pw]) {
            (f(inputGradient ? px.value : x, pw.value) * r).sum()
        }
        return (inputGradient ? g[1] : nil, g[0])
    }

    /// A batch, whose images the convolutions take several to a product and
    /// split over the workers, gets the gradients its images get one at a
    /// time (which finite differences check in GradientCheckTests); with a
    /// constant input, the weight's gradient is the same.
    @Test(arguments: [(convolutions.last!, false), (transposedConvolutions.last!, true),
                      (convolutions[convolutions.count - 2], false), (transposedConvolutions[transposedConvolutions.count - 2], true)])
    func aBatchGetsTheGradientsOfItsImages(_ g: Geometry, transposed: Bool) {
        let f: (Tensor, Tensor) -> Tensor = { x, w in
            transposed ? x.convTranspose2d(w, stride: g.stride, padding: g.padding, outputPadding: g.outputPadding)
                : x.conv2d(w, stride: g.stride, padding: g.padding)
        }
        let x = randomTensor([g.batch, g.inChannels, g.height, g.width], seed: 10)
        let w = randomTensor(transposed ? [g.inChannels, g.outChannels, g.kernelH, g.kernelW]
                                        : [g.outChannels, g.inChannels, g.kernelH, g.kernelW], seed: 11)
        let batch = Self.gradients(f, x: x, w: w, inputGradient: true)
        // Image i alone, against its rows of the same r.
        let r = randomTensor(f(x, w).shape, seed: 9)
        var dw = [Double](repeating: 0, count: w.count), dx: [Double] = []
        for i in 0..<g.batch {
            let ri = r.slice(i..<(i + 1)), xi = Parameter(x.slice(i..<(i + 1))), pw = Parameter(w)
            let (_, gi) = valueWithGradients(wrt: [pw, xi]) { (f(xi.value, pw.value) * ri).sum() }
            dw = zip(dw, doubles(gi[0])).map { $0 + $1 }
            dx += doubles(gi[1])
        }
        expectClose(batch.dw, dw, shape: w.shape, tolerance: 1e-4, "∂W of the batch, \(g)")
        expectClose(batch.dx!, dx, shape: x.shape, tolerance: 1e-4, "∂x of the batch, \(g)")
        expectClose(Self.gradients(f, x: x, w: w, inputGradient: false).dw, batch.dw, tolerance: 1e-6, "∂W with a constant input, \(g)")
    }

    // MARK: - Adjointness

    /// ⟨conv(x; W), y⟩ = ⟨x, convT(y; W)⟩ with the same weight tensor, read as
    /// (O, C, kh, kw) by the convolution and (in = O, out = C, kh, kw) by the
    /// transposed one; outputPadding restores the rows a stride drops.
    @Test(arguments: convolutions)
    func transposedConvolutionIsTheAdjoint(_ g: Geometry) {
        let x = randomTensor([g.batch, g.inChannels, g.height, g.width], seed: 5)
        let w = randomTensor([g.outChannels, g.inChannels, g.kernelH, g.kernelW], seed: 6)
        let conv = x.conv2d(w, stride: g.stride, padding: g.padding)
        let (outH, outW) = (conv.shape[2], conv.shape[3])
        let dropH = g.height - ((outH - 1) * g.stride - 2 * g.padding + g.kernelH)
        let dropW = g.width - ((outW - 1) * g.stride - 2 * g.padding + g.kernelW)
        // convTranspose2d takes one output padding for both axes.
        guard dropH == dropW else { return }
        let y = randomTensor(conv.shape, seed: 7)
        let back = y.convTranspose2d(w, stride: g.stride, padding: g.padding, outputPadding: dropH)
        #expect(back.shape == x.shape)
        let left = zip(doubles(conv), doubles(y)).reduce(0) { $0 + $1.0 * $1.1 }
        let right = zip(doubles(x), doubles(back)).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(Swift.abs(left - right) <= 1e-5 * (1 + Swift.abs(left)), "⟨conv x, y⟩ = \(left), ⟨x, convT y⟩ = \(right) for \(g)")
    }

    @Test func adjointCasesCoverStridesAndPadding() {
        // The guard above must not skip the interesting geometries.
        let covered = Self.convolutions.filter { g in
            let outH = (g.height + 2 * g.padding - g.kernelH) / g.stride + 1
            let outW = (g.width + 2 * g.padding - g.kernelW) / g.stride + 1
            return g.height - ((outH - 1) * g.stride - 2 * g.padding + g.kernelH)
                == g.width - ((outW - 1) * g.stride - 2 * g.padding + g.kernelW)
        }
        #expect(covered.contains { $0.stride > 1 && $0.padding > 0 })
        #expect(covered.contains { g in (g.height + 2 * g.padding - g.kernelH) % g.stride != 0 }, "no case needs output padding")
        #expect(covered.count >= 5)
    }

    // MARK: - PyTorch reference values (Tests/Python/make_conv_fixtures.py)

    /// Element i of a closed-form input: f(scale·i) + shift in Double, rounded to Float.
    static func closedForm(_ shape: [Int], scale: Double, shift: Double, _ f: (Double) -> Double) -> Tensor {
        Tensor((0..<shape.reduce(1, *)).map { Float(f(scale * Double($0)) + shift) }, shape: shape)
    }

    @Test func conv2dMatchesPyTorch() {
        let x = Self.closedForm([1, 2, 5, 4], scale: 0.37, shift: 0, sin)
        let w = Self.closedForm([3, 2, 3, 2], scale: 0.11, shift: -0.3, cos)
        // F.conv2d(x, w, stride=2, padding=1), torch 2.15.0 CPU, float32.
        let torch: [Double] = [
            0.801224291, 2.29246211, 1.10721827, 0.256848246, -0.959690452, -1.08392835, -1.00526333, -0.687101662,
            0.496869415, -2.04714108, -3.08113861, -0.638188481, 1.4593308, 3.30113029, 1.28590035, 0.150970221,
            -1.48655105, -1.26007712, -2.90573382, -5.95524025, -2.18027401, 0.800091803, 4.02457666, 2.62290144,
            1.66583371, -0.0734579563, -1.72758114,
        ]
        expectClose(x.conv2d(w, stride: 2, padding: 1), torch, shape: [1, 3, 3, 3], tolerance: 1e-6, "conv2d vs PyTorch")
    }

    @Test func convTranspose2dMatchesPyTorch() {
        let x = Self.closedForm([1, 2, 3, 2], scale: 0.37, shift: 0, sin)
        let w = Self.closedForm([2, 3, 3, 2], scale: 0.11, shift: -0.3, cos)
        // F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1), torch 2.15.0 CPU, float32.
        let torch: [Double] = [
            -0.775615513, -0.221199006, -0.276642919, -0.567007899, 0.425743639, 0.384232342, 0.259772032, 0.771811962,
            0.761028051, 1.28346848, 1.97013712, 2.00899339, 1.15928245, 1.36111689, 1.40063345, 1.14299464,
            1.42263699, 1.42686176, -1.02383685, -0.538698614, -0.583631516, -0.973914385, 0.0345758796, -0.057843864,
            -0.0644343495, 0.538092136, 0.463483632, 0.866055548, 1.79396009, 1.67273855, 0.9286713, 1.33342683,
            1.26816773, 0.740967333, 1.1869967, 1.09089518, -0.942401707, -0.741533637, -0.757082939, -1.17985189,
            -0.571973622, -0.676484048, -0.469296694, -0.0108969808, -0.11799325, -0.0815573335, 0.754792452, 0.524407864,
            0.249279946, 0.725439548, 0.582814336, -0.0310015678, 0.432561874, 0.276498258,
        ]
        let y = x.convTranspose2d(w, stride: 2, padding: 1, outputPadding: 1)
        expectClose(y, torch, shape: [1, 3, 6, 3], tolerance: 1e-6, "convTranspose2d vs PyTorch")
    }
}
