import Testing
import ReverieWorldModels

/// The properties every `SequenceBackbone` must have, run over each kind
/// (and the GRU's block-diagonal form): scan equals step in a loop, a reset
/// inside a sequence equals running the pieces apart, and scan's gradients
/// match central differences.
struct BackbonePropertyTests {
    struct Variant: Sendable, CustomStringConvertible {
        var kind: BackboneConfig.Kind
        var blocks = 1
        var description: String { blocks == 1 ? kind.rawValue : "\(kind.rawValue) in \(blocks) blocks" }
    }

    static let kinds = BackboneConfig.Kind.allCases.map { Variant(kind: $0) } + [Variant(kind: .gru, blocks: 2)]

    /// A small backbone; the width is rounded up to whole blocks.
    static func make(_ variant: Variant, inputSize: Int = 3, width: Int = 5, layers: Int = 2,
                     seed: UInt64 = 1) -> any SequenceBackbone {
        var rng = RandomGenerator(seed: seed)
        let width = (width + variant.blocks - 1) / variant.blocks * variant.blocks
        return BackboneConfig(kind: variant.kind, width: width, layers: layers, stateSize: 4, blocks: variant.blocks)
            .make(inputSize: inputSize, rng: &rng)
    }

    /// Step t of every row of (B, L, D) inputs: (B, D).
    static func column(_ x: Tensor, _ t: Int) -> Tensor {
        let (b, l, d) = (x.shape[0], x.shape[1], x.shape[2])
        let values = x.scalars
        var rows: [Float] = []
        for row in 0..<b {
            let start = (row * l + t) * d
            rows += values[start..<(start + d)]
        }
        return Tensor(rows, shape: [b, d])
    }

    static func randomState(_ backbone: any SequenceBackbone, batch: Int, seed: UInt64) -> RecurrentState {
        var rng = RandomGenerator(seed: seed)
        return RecurrentState(backbone.initialState(batch: batch).parts.map { Tensor.uniform($0.shape, low: -1, high: 1, using: &rng) })
    }

    @Test(arguments: kinds) func scanEqualsSteps(_ kind: Variant) {
        let backbone = Self.make(kind)
        var rng = RandomGenerator(seed: 2)
        let (batch, length) = (3, 9)
        let inputs = Tensor.uniform([batch, length, 3], low: -2, high: 2, using: &rng)
        let resets = (0..<(batch * length)).map { $0 % 7 == 4 }
        let start = Self.randomState(backbone, batch: batch, seed: 3)
        let (outputs, final) = backbone.scan(inputs, start, resets: resets)
        #expect(outputs.shape == [batch, length, backbone.outputSize])
        var state = start
        for t in 0..<length {
            let (y, next) = backbone.step(Self.column(inputs, t), state, resets: (0..<batch).map { resets[$0 * length + t] })
            #expect(y.isClose(to: Self.column(outputs, t), absolute: 1e-5), "\(kind) step \(t)")
            state = next
        }
        for (a, b) in zip(state.parts, final.parts) { #expect(a.isClose(to: b, absolute: 1e-5)) }
    }

    /// Row 0 resets at t = 5: its outputs from t = 5 on equal those of its
    /// second piece run alone from the initial state; row 1, never reset,
    /// equals itself run whole.
    @Test(arguments: kinds) func aResetEqualsRunningThePiecesApart(_ kind: Variant) {
        let backbone = Self.make(kind)
        var rng = RandomGenerator(seed: 4)
        let (batch, length, cut) = (2, 12, 5)
        let inputs = Tensor.uniform([batch, length, 3], low: -2, high: 2, using: &rng)
        var resets = [Bool](repeating: false, count: batch * length)
        resets[0 * length + cut] = true
        let (outputs, _) = backbone.scan(inputs, Self.randomState(backbone, batch: batch, seed: 5), resets: resets)
        let piece = Tensor((cut..<length).flatMap { Self.column(inputs, $0).select(0).scalars }, shape: [1, length - cut, 3])
        let (alone, _) = backbone.scan(piece, backbone.initialState(batch: 1), resets: Array(repeating: false, count: length - cut))
        for t in cut..<length {
            #expect(Self.column(outputs, t).select(0).isClose(to: Self.column(alone, t - cut).select(0), absolute: 1e-5),
                    "\(kind): row 0 at step \(t) remembers what came before its reset")
        }
    }

    /// d⟨w, scan(x)⟩ with respect to the inputs, the initial state and every parameter.
    @Test(arguments: kinds) func scanGradientsMatchFiniteDifferences(_ kind: Variant) {
        let backbone = Self.make(kind, inputSize: 2, width: 3, layers: 2)
        var rng = RandomGenerator(seed: 6)
        let inputs = Tensor.uniform([2, 4, 2], low: -1, high: 1, using: &rng)
        let start = Self.randomState(backbone, batch: 2, seed: 7)
        let resets = [false, false, true, false, false, false, false, false]
        let report = checkGradients(at: [inputs] + start.parts, step: 1e-2) { x in
            let (y, final) = backbone.scan(x[0], RecurrentState(Array(x.dropFirst())), resets: resets)
            return Tensor.concatenate([y.reshaped([-1])] + final.parts.map { $0.reshaped([-1]) })
        }
        #expect(report.maxRelativeError < 3e-3, "\(kind): \(report)")

        let weights = Tensor.uniform([2, 4, backbone.outputSize], low: -1, high: 1, using: &rng)
        func loss() -> Tensor { (backbone.scan(inputs, start, resets: resets).outputs * weights).sum() }
        // A small step: LayerNorm over 3 features curves sharply.
        for check in checkParameterGradients(backbone.namedParameters, step: 3e-3, loss) {
            #expect(check.relativeError < 5e-3, "\(kind).\(check)")
        }
    }
}
