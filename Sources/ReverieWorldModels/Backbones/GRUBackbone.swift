/// DreamerV3's deterministic recurrence (Hafner et al. 2023, the RSSM's
/// h_t = f(h_{t−1}, z_{t−1}, a_{t−1})): a GRU whose three gate
/// pre-activations are layer-normalised together, whose reset gate scales
/// the whole candidate pre-activation, and whose update gate starts biased
/// towards keeping the state:
///
///     r, c, u = split(LN(W_x·x + W_h·h))
///     h' = σ(u − 1) ⊙ tanh(σ(r) ⊙ c) + (1 − σ(u − 1)) ⊙ h
///
/// (the paper's reference code, `_gru`; LayerNorm's bias replaces the linear
/// layer's). With `blocks` G > 1 the recurrence is block-diagonal, as the
/// newer RSSM's: the H units form G groups, and group k's gates read only its
/// own units of h (and the whole input), normalised per group — G times fewer
/// recurrent weights and multiply-adds. Stacked layers feed one another; the
/// state holds every layer's h.
public final class GRUBackbone: SequenceBackbone {
    public let layers: [NormGRULayer]

    public init(inputSize: Int, width: Int, layers: Int, blocks: Int = 1, rng: inout RandomGenerator) {
        precondition(layers >= 1, "a backbone needs at least one layer")
        self.layers = (0..<layers).map {
            NormGRULayer(inputSize: $0 == 0 ? inputSize : width, width: width, blocks: blocks, rng: &rng)
        }
    }

    public var inputSize: Int { layers[0].inputWeight.shape[1] }
    public var outputSize: Int { layers[0].width }

    public func initialState(batch: Int) -> RecurrentState {
        RecurrentState(layers.map { Tensor.zeros([batch, $0.width]) })
    }

    public func step(_ input: Tensor, _ state: RecurrentState, resets: [Bool]) -> (output: Tensor, state: RecurrentState) {
        let start = state.reset(where: resets)
        var x = input.reshaped([1] + input.shape), next: [Tensor] = []
        for (layer, h) in zip(layers, start.parts) {
            let (outputs, last) = layer.run(layer.project(x), from: h, resets: [])
            x = outputs
            next.append(last)
        }
        return (x.select(0), RecurrentState(next))
    }

    /// Layer by layer: all L input projections in one matmul, then the
    /// recurrent part as one fused operation (`Tensor.normGRUScan`).
    public func scan(_ inputs: Tensor, _ state: RecurrentState, resets: [Bool]) -> (outputs: Tensor, state: RecurrentState) {
        let (_, _, flags) = scanShape(inputs, resets: resets)
        // Time-major, so that step t is a block of leading rows.
        var sequence = inputs.swappingLeadingAxes()
        var finals: [Tensor] = []
        for (layer, start) in zip(layers, state.parts) {
            let (outputs, last) = layer.run(layer.project(sequence), from: start, resets: Array(flags.joined()))
            sequence = outputs
            finals.append(last)
        }
        return (sequence.swappingLeadingAxes(), RecurrentState(finals))
    }
}

/// One layer of `GRUBackbone`.
public final class NormGRULayer: Module {
    /// W_x (3H, D), gates stacked [r_k | c_k | u_k] group after group (r | c | u with one group).
    public let inputWeight: Parameter
    /// W_h as G stacked (3H/G, H/G) blocks: (3H, H/G).
    public let hiddenWeight: Parameter
    /// LayerNorm over the 3H pre-activations (its bias is the layer's bias).
    public let norm: LayerNorm

    /// Xavier-uniform weights (DreamerV3 uses fan-average initialisers).
    public init(inputSize: Int, width: Int, blocks: Int = 1, rng: inout RandomGenerator) {
        precondition(blocks >= 1 && width % blocks == 0, "a GRU of width \(width) cannot form \(blocks) equal blocks")
        let units = width / blocks
        inputWeight = Parameter(Initializer.xavierUniform().make([3 * width, inputSize], using: &rng))
        let block = Initializer.xavierUniform()
        hiddenWeight = Parameter(Tensor.concatenate((0..<blocks).map { _ in block.make([3 * units, units], using: &rng) }, axis: 0))
        norm = LayerNorm(3 * width)
    }

    public var width: Int { inputWeight.shape[0] / 3 }
    /// G, groups of the block-diagonal recurrence.
    public var blocks: Int { width / hiddenWeight.shape[1] }

    /// W_x·x for inputs (…, D): (…, 3H).
    func project(_ x: Tensor) -> Tensor { x.linear(inputWeight.value) }

    /// L steps from W_x·x (L, B, 3H), h (B, H) before the first and reset
    /// flags (L·B, time-major, or empty).
    /// - Returns: h_1…h_L (L, B, H) and h_L.
    func run(_ projected: Tensor, from h: Tensor, resets: [Bool]) -> (Tensor, Tensor) {
        let (length, batch) = (projected.shape[0], projected.shape[1]), count = length * batch * width
        let packed = Tensor.normGRUScan(projected: projected, hiddenWeight: hiddenWeight.value, gain: norm.weight.value,
                                        bias: norm.bias.value, hidden: h, resets: resets, epsilon: norm.epsilon)
        return (packed.slice(0..<count).reshaped([length, batch, width]), packed.slice(count..<packed.count).reshaped([batch, width]))
    }
}
