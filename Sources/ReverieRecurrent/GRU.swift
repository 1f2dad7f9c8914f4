/// The gated recurrent unit (Cho et al. 2014), with PyTorch's `nn.GRUCell`
/// equations and weight layout (gates stacked r, z, n):
///
///     r = σ(W_ir·x + b_ir + W_hr·h + b_hr)
///     z = σ(W_iz·x + b_iz + W_hz·h + b_hz)
///     n = tanh(W_in·x + b_in + r ⊙ (W_hn·h + b_hn))
///     h' = (1 − z) ⊙ n + z ⊙ h
///
/// Output and state are both h, (B, H).
public final class GRUCell: GatedCell, RecurrentCell {
    /// Weights [W_ir; W_iz; W_in] (3H, D) and [W_hr; W_hz; W_hn] (3H, H), biases alike.
    /// - Parameter weightInit: see `GatedCell`; PyTorch's U(−1/√H, 1/√H) by default.
    public init(inputSize: Int, hiddenSize: Int, weightInit: Initializer? = nil, rng: inout RandomGenerator) {
        super.init(gates: 3, inputSize: inputSize, hiddenSize: hiddenSize, weightInit: weightInit, rng: &rng)
    }

    public var stateWidths: [Int] { [hiddenSize] }

    public func step(_ x: Tensor, _ state: RecurrentState) -> (output: Tensor, state: RecurrentState) {
        recur(project(x), state)
    }

    /// All T input projections W_i·x + b_i in one GEMM, then the whole
    /// recurrence as one fused operation (`Tensor.gruScan`, BPTT by hand).
    public func scan(_ inputs: Tensor, from state: RecurrentState, resets: [Bool]?) -> (outputs: Tensor, state: RecurrentState) {
        let packed = Tensor.gruScan(projected: project(inputs), hiddenWeight: hiddenWeight.value, hiddenBias: hiddenBias.value,
                                    hidden: state.parts[0], resets: resets ?? [])
        return unpack(packed, steps: inputs.shape[0], batch: inputs.shape[1], stateWidth: hiddenSize)
    }

    /// The recurrence given gx = W_i·x + b_i, (B, 3H): one GEMM for W_h·h,
    /// the gates fused (`Tensor.gruCell`).
    private func recur(_ gx: Tensor, _ state: RecurrentState) -> (output: Tensor, state: RecurrentState) {
        let h = state.parts[0]
        let next = Tensor.gruCell(inputPart: gx, hiddenPart: h.linear(hiddenWeight.value, bias: hiddenBias.value), hidden: h)
        return (next, RecurrentState([next]))
    }
}
