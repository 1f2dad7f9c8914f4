import Testing
import ReverieNN

/// A small actor-critic shaped like the ones agents build, to check naming.
private final class ToyActorCritic: Module {
    let encoder: MLP
    let heads: [Linear]
    let norm: LayerNorm?
    let logStd: Parameter

    init(rng: inout RandomGenerator) {
        encoder = MLP(4, hidden: [8], 8, rng: &rng)
        heads = [Linear(8, 2, rng: &rng), Linear(8, 1, bias: false, rng: &rng)]
        norm = LayerNorm(8)
        logStd = Parameter(.zeros([2]))
    }
}

struct ModuleTests {
    @Test func parametersAreNamedByTheirPath() {
        var rng = RandomGenerator(seed: 0)
        let model = ToyActorCritic(rng: &rng)
        let names = model.namedParameters.map(\.name)
        #expect(names == [
            "encoder.layers.0.weight", "encoder.layers.0.bias",
            "encoder.layers.1.weight", "encoder.layers.1.bias",
            "heads.0.weight", "heads.0.bias", "heads.1.weight",
            "norm.weight", "norm.bias", "logStd",
        ])
        #expect(model.parameterCount == (4 * 8 + 8) + (8 * 8 + 8) + (8 * 2 + 2) + 8 + 8 + 8 + 2)
        // The same objects each time, so optimizers and checkpoints share them.
        #expect(model.parameters.map(ObjectIdentifier.init) == model.parameters.map(ObjectIdentifier.init))
    }

    @Test func sameSeedSameWeights() {
        var a = RandomGenerator(seed: 42), b = RandomGenerator(seed: 42), c = RandomGenerator(seed: 43)
        let m1 = MLP(3, hidden: [5], 2, rng: &a), m2 = MLP(3, hidden: [5], 2, rng: &b), m3 = MLP(3, hidden: [5], 2, rng: &c)
        #expect(zip(m1.parameters, m2.parameters).allSatisfy { $0.storedValue.scalars == $1.storedValue.scalars })
        #expect(m1.parameters[0].storedValue.scalars != m3.parameters[0].storedValue.scalars)
    }

    @Test func gradientsReachEveryParameter() {
        var rng = RandomGenerator(seed: 1)
        let model = ToyActorCritic(rng: &rng)
        let x = Tensor.uniform([5, 4], low: -1, high: 1, using: &rng)
        let (loss, grads) = valueWithGradients(wrt: model.parameters) {
            let h = model.norm!(model.encoder(x).tanh())
            return model.heads[0](h).squared().mean() + model.heads[1](h).mean() + model.logStd.value.sum()
        }
        #expect(loss.isFinite)
        for ((name, parameter), g) in zip(model.namedParameters, grads) {
            #expect(g.shape == parameter.shape, "\(name)")
            #expect(g.scalars.contains { $0 != 0 }, "no gradient reached \(name)")
        }
    }
}

struct LayerTests {
    @Test func linearIsXWTransposePlusBias() {
        var rng = RandomGenerator(seed: 2)
        let layer = Linear(3, 2, rng: &rng)
        layer.weight.storedValue = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        layer.bias!.storedValue = Tensor([0.5, -1])
        let y = layer(Tensor([1, 0, -1, 2, 1, 0], shape: [2, 3]))
        let expected: [Float] = [-1.5, -3, 4.5, 12]  // [1·1 − 3·1 + 0.5, 4 − 6 − 1, 2 + 2 + 0.5, 8 + 5 − 1]
        #expect(y.scalars == expected)
        // Leading axes are kept: (2, 2, 3) → (2, 2, 2).
        #expect(layer(Tensor.zeros([2, 2, 3])).shape == [2, 2, 2])
    }

    @Test func layerNormNormalisesRows() {
        let norm = LayerNorm(4)
        let y = norm(Tensor([1, 2, 3, 4, -10, 0, 10, 20], shape: [2, 4]))
        for r in 0..<2 {
            let row = Array(y.scalars[(r * 4)..<(r * 4 + 4)])
            let mean = row.reduce(0, +) / 4
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4
            #expect(abs(mean) < 1e-6)
            #expect(abs(variance - 1) < 1e-3)
        }
        let rms = RMSNorm(4)(Tensor([3, 4, 0, 0], shape: [1, 4]))
        #expect(rms.isClose(to: Tensor([1.2, 1.6, 0, 0], shape: [1, 4]), relative: 1e-5))
    }

    @Test func convolutionLayersProduceDocumentedShapes() {
        var rng = RandomGenerator(seed: 3)
        let encoder = Conv2d(3, 8, kernel: 4, stride: 2, padding: 1, rng: &rng)
        let decoder = ConvTranspose2d(8, 3, kernel: 4, stride: 2, padding: 1, rng: &rng)
        let x = Tensor.uniform([2, 3, 64, 64], using: &rng)
        let h = encoder(x)
        #expect(h.shape == [2, 8, 32, 32])
        #expect(decoder(h).shape == [2, 3, 64, 64])
        // The bias is per output channel.
        encoder.weight.storedValue = .zeros(encoder.weight.shape)
        encoder.bias!.storedValue = Tensor((0..<8).map(Float.init))
        let constant = encoder(x)
        #expect(constant.select(1).select(5).scalars.allSatisfy { $0 == 5 })
    }

    @Test func orthogonalInitialisationIsOrthogonal() {
        var rng = RandomGenerator(seed: 4)
        for (rows, columns) in [(16, 16), (32, 8), (8, 32)] {
            let w = Initializer.orthogonal(gain: 2).make([rows, columns], using: &rng)
            // W·Wᵀ = 4·I when rows ≤ columns, Wᵀ·W = 4·I otherwise.
            let gram = rows <= columns ? w.matmul(w, transposeOther: true) : w.matmul(w, transposeSelf: true)
            let n = min(rows, columns)
            var identity = Tensor.zeros([n, n])
            for i in 0..<n { identity[i, i] = 4 }
            #expect(gram.maxAbsDifference(identity) < 1e-4, "\(rows)×\(columns)")
        }
    }

    /// The initialiser finishes four columns at a time; that must be the
    /// textbook modified Gram–Schmidt, one column after another, bit for bit
    /// (so a seed gives the weights it gave before). Sizes cover a whole
    /// number of blocks, a ragged last block, and a wide matrix.
    @Test func orthogonalInitialisationIsModifiedGramSchmidtBitForBit() {
        for (rows, columns) in [(40, 8), (37, 11), (6, 19), (3, 3)] {
            var rng = RandomGenerator(seed: 9)
            let w = Initializer.orthogonal(gain: 1.5).make([rows, columns], using: &rng)
            var again = RandomGenerator(seed: 9)
            let (n, k) = rows >= columns ? (rows, columns) : (columns, rows)
            var a = (0..<(n * k)).map { _ in Double(again.normal()) }  // column-major n×k
            for j in 0..<k {
                for p in 0..<j {
                    var dot = 0.0
                    for i in 0..<n { dot += a[p * n + i] * a[j * n + i] }
                    for i in 0..<n { a[j * n + i] -= dot * a[p * n + i] }
                }
                var norm = 0.0
                for i in 0..<n { norm += a[j * n + i] * a[j * n + i] }
                norm = norm.squareRoot()
                for i in 0..<n { a[j * n + i] /= norm }
            }
            var expected: [UInt32] = []
            for r in 0..<rows {
                for c in 0..<columns {
                    let value: Double = rows >= columns ? a[c * n + r] : a[r * n + c]
                    let scaled: Float = 1.5 * Float(value)
                    expected.append(scaled.bitPattern)
                }
            }
            #expect(w.scalars.map { $0.bitPattern } == expected, "\(rows)×\(columns)")
        }
    }

    @Test func initialiserScalesMatchTheirFormulas() {
        var rng = RandomGenerator(seed: 5)
        let shape = [256, 128]
        func std(_ t: Tensor) -> Float {
            let v = t.scalars, mean = v.reduce(0, +) / Float(v.count)
            return (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(v.count)).squareRoot()
        }
        let xavier = Initializer.xavierUniform().make(shape, using: &rng)
        // U(−a, a) has std a/√3 with a = √(6 / (fanIn + fanOut)).
        let a: Float = (6 / Float(128 + 256)).squareRoot()
        let xavierStd: Float = a / Float(3).squareRoot()
        #expect(abs(std(xavier) - xavierStd) < 2e-3)
        let he = Initializer.heNormal().make(shape, using: &rng)
        let heStd: Float = (2 / Float(128)).squareRoot()
        #expect(abs(std(he) - heStd) < 3e-3)
        let lecun = Initializer.lecunUniform.make(shape, using: &rng)
        #expect(lecun.scalars.allSatisfy { abs($0) <= 1 / Float(128).squareRoot() })
    }
}
