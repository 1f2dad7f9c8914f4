/// The gated recurrent unit (Cho et al. 2014), with PyTorch's `nn.GRUCell`
/// equations and weight layout (gates stacked r, z, n):
///
///     r = σ(W_ir·x + b_ir + W_hr·h + b_hr)
///     z = σ(W_iz·x + b_iz + W_hz·h + b_hz)
///     n = tanh(W_in·x + b_in + r ⊙ (W_hn·h + b_hn))
///     h' = (1 − z) ⊙ n + z ⊙ h
///
/// Output and state are both h, (B, H).
public final class GRUCell: RecurrentCell {
    /// (3H, D) input weights [W_ir; W_iz; W_in].
    public let inputWeight: Parameter
    /// (3H, H) recurrent weights [W_hr; W_hz; W_hn].
    public let hiddenWeight: Parameter
    /// (3H) each.
    public let inputBias: Parameter
    public let hiddenBias: Parameter

    /// PyTorch's initialisation by default: every weight and bias U(−1/√H, 1/√H).
    /// - Parameter weightInit: overrides it for the weights (CleanRL's recurrent
    ///   PPO uses orthogonal weights and zero biases).
    public init(inputSize: Int, hiddenSize: Int, weightInit: Initializer? = nil, rng: inout RandomGenerator) {
        let bound = 1 / Float(hiddenSize).squareRoot()
        let uniform = Initializer.uniform(-bound, bound)
        inputWeight = Parameter((weightInit ?? uniform).make([3 * hiddenSize, inputSize], using: &rng))
        hiddenWeight = Parameter((weightInit ?? uniform).make([3 * hiddenSize, hiddenSize], using: &rng))
        let biasInit = weightInit == nil ? uniform : .zeros
        inputBias = Parameter(biasInit.make([3 * hiddenSize], using: &rng))
        hiddenBias = Parameter(biasInit.make([3 * hiddenSize], using: &rng))
    }

    public var inputSize: Int { inputWeight.shape[1] }
    public var hiddenSize: Int { hiddenWeight.shape[1] }
    public var stateWidths: [Int] { [hiddenSize] }

    public func step(_ x: Tensor, _ state: RecurrentState) -> (output: Tensor, state: RecurrentState) {
        recur(x.linear(inputWeight.value, bias: inputBias.value), state)
    }

    /// All T input projections W_i·x + b_i in one GEMM, then the whole
    /// recurrence as one fused operation (`Tensor.gruScan`, BPTT by hand).
    public func scan(_ inputs: Tensor, from state: RecurrentState, resets: [Bool]?) -> (outputs: Tensor, state: RecurrentState) {
        let (steps, batch) = (inputs.shape[0], inputs.shape[1])
        let projected = inputs.linear(inputWeight.value, bias: inputBias.value)  // (T, B, 3H)
        let packed = Tensor.gruScan(projected: projected, hiddenWeight: hiddenWeight.value, hiddenBias: hiddenBias.value,
                                    hidden: state.parts[0], resets: resets ?? [])
        let n = steps * batch * hiddenSize
        return (packed.slice(0..<n).reshaped([steps, batch, hiddenSize]),
                RecurrentState([packed.slice(n..<packed.count).reshaped([batch, hiddenSize])]))
    }

    /// The recurrence given gx = W_i·x + b_i, (B, 3H): one GEMM for W_h·h,
    /// the gates fused (`Tensor.gruCell`).
    private func recur(_ gx: Tensor, _ state: RecurrentState) -> (output: Tensor, state: RecurrentState) {
        let h = state.parts[0]
        let next = Tensor.gruCell(inputPart: gx, hiddenPart: h.linear(hiddenWeight.value, bias: hiddenBias.value), hidden: h)
        return (next, RecurrentState([next]))
    }
}
