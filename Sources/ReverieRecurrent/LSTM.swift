/// Long short-term memory (Hochreiter & Schmidhuber 1997, with the forget
/// gate of Gers et al. 2000), with PyTorch's `nn.LSTMCell` equations and
/// weight layout (gates stacked i, f, g, o):
///
///     i, f, g, o = σ(·), σ(·), tanh(·), σ(·) of W_i·x + b_i + W_h·h + b_h
///     c' = f ⊙ c + i ⊙ g
///     h' = o ⊙ tanh(c')
///
/// Output is h; the state is one (B, 2H) tensor [h | c], as the fused step
/// (`Tensor.lstmCell`) reads and writes it.
public final class LSTMCell: GatedCell, RecurrentCell {
    /// Weights (4H, D) and (4H, H), gates stacked i, f, g, o; biases alike.
    /// - Parameter weightInit: see `GatedCell`; PyTorch's U(−1/√H, 1/√H) by default.
    public init(inputSize: Int, hiddenSize: Int, weightInit: Initializer? = nil, rng: inout RandomGenerator) {
        super.init(gates: 4, inputSize: inputSize, hiddenSize: hiddenSize, weightInit: weightInit, rng: &rng)
    }

    public var stateWidths: [Int] { [2 * hiddenSize] }

    public func step(_ x: Tensor, _ state: RecurrentState) -> (output: Tensor, state: RecurrentState) {
        recur(project(x), state)
    }

    /// All T input projections in one GEMM, then the whole recurrence as one
    /// fused operation (`Tensor.lstmScan`, BPTT by hand).
    public func scan(_ inputs: Tensor, from state: RecurrentState, resets: [Bool]?) -> (outputs: Tensor, state: RecurrentState) {
        let packed = Tensor.lstmScan(projected: project(inputs), hiddenWeight: hiddenWeight.value, hiddenBias: hiddenBias.value,
                                     state: state.parts[0], resets: resets ?? [])
        return unpack(packed, steps: inputs.shape[0], batch: inputs.shape[1], stateWidth: 2 * hiddenSize)
    }

    /// The recurrence given gx = W_i·x + b_i, (B, 4H): one GEMM for W_h·h,
    /// the gates fused.
    private func recur(_ gx: Tensor, _ state: RecurrentState) -> (output: Tensor, state: RecurrentState) {
        let packed = state.parts[0], size = hiddenSize
        let h = packed.slice(0..<size, axis: 1)
        let next = Tensor.lstmCell(gates: gx + h.linear(hiddenWeight.value, bias: hiddenBias.value), state: packed)
        return (next.slice(0..<size, axis: 1), RecurrentState([next]))
    }
}
