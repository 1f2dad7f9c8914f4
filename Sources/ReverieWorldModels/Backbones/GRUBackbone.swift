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
/// layer's). Stacked layers feed one another; the state holds every layer's h.
public final class GRUBackbone: SequenceBackbone {
    public let layers: [NormGRULayer]

    public init(inputSize: Int, width: Int, layers: Int, rng: inout RandomGenerator) {
        precondition(layers >= 1, "a backbone needs at least one layer")
        self.layers = (0..<layers).map { NormGRULayer(inputSize: $0 == 0 ? inputSize : width, width: width, rng: &rng) }
    }

    public var inputSize: Int { layers[0].inputWeight.shape[1] }
    public var outputSize: Int { layers[0].width }

    public func initialState(batch: Int) -> RecurrentState {
        RecurrentState(layers.map { Tensor.zeros([batch, $0.width]) })
    }

    public func step(_ input: Tensor, _ state: RecurrentState, resets: [Bool]) -> (output: Tensor, state: RecurrentState) {
        let start = state.reset(where: resets)
        var x = input, next: [Tensor] = []
        for (layer, h) in zip(layers, start.parts) {
            x = layer.step(projected: layer.project(x), h)
            next.append(x)
        }
        return (x, RecurrentState(next))
    }

    /// Layer by layer: all L input projections in one matmul, then a loop over
    /// the recurrent part only.
    public func scan(_ inputs: Tensor, _ state: RecurrentState, resets: [Bool]) -> (outputs: Tensor, state: RecurrentState) {
        let (batch, length, flags) = scanShape(inputs, resets: resets)
        // Time-major, so that step t is a block of leading rows.
        var sequence = inputs.swappingLeadingAxes()
        var finals: [Tensor] = []
        for (layer, start) in zip(layers, state.parts) {
            let projected = layer.project(sequence)  // (L, B, 3H)
            var h = start, outputs: [Tensor] = []
            for t in 0..<length {
                h = RecurrentState([h]).reset(where: flags[t]).parts[0]
                h = layer.step(projected: projected.select(t), h)
                outputs.append(h.reshaped([1, batch, layer.width]))
            }
            sequence = Tensor.concatenate(outputs, axis: 0)
            finals.append(h)
        }
        return (sequence.swappingLeadingAxes(), RecurrentState(finals))
    }
}

/// One layer of `GRUBackbone`.
public final class NormGRULayer: Module {
    /// W_x (3H, D), gates stacked r, c, u.
    public let inputWeight: Parameter
    /// W_h (3H, H).
    public let hiddenWeight: Parameter
    /// LayerNorm over the 3H pre-activations (its bias is the layer's bias).
    public let norm: LayerNorm

    /// Xavier-uniform weights (DreamerV3 uses fan-average initialisers).
    public init(inputSize: Int, width: Int, rng: inout RandomGenerator) {
        inputWeight = Parameter(Initializer.xavierUniform().make([3 * width, inputSize], using: &rng))
        hiddenWeight = Parameter(Initializer.xavierUniform().make([3 * width, width], using: &rng))
        norm = LayerNorm(3 * width)
    }

    public var width: Int { hiddenWeight.shape[1] }

    /// W_x·x for inputs (…, D): (…, 3H).
    func project(_ x: Tensor) -> Tensor { x.linear(inputWeight.value) }

    /// h' from W_x·x (B, 3H) and h (B, H).
    func step(projected: Tensor, _ h: Tensor) -> Tensor {
        let gates = norm(projected + h.linear(hiddenWeight.value)).split([width, width, width], axis: 1)
        let reset = gates[0].sigmoid(), update = (gates[2] - 1).sigmoid()
        let candidate = (reset * gates[1]).tanh()
        return update * candidate + (1 - update) * h
    }
}
