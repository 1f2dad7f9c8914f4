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
public final class LSTMCell: RecurrentCell {
    /// (4H, D) input weights.
    public let inputWeight: Parameter
    /// (4H, H) recurrent weights.
    public let hiddenWeight: Parameter
    /// (4H) each.
    public let inputBias: Parameter
    public let hiddenBias: Parameter

    /// PyTorch's initialisation by default: every weight and bias U(−1/√H, 1/√H).
    /// - Parameter weightInit: overrides it for the weights, with zero biases.
    public init(inputSize: Int, hiddenSize: Int, weightInit: Initializer? = nil, rng: inout RandomGenerator) {
        let bound = 1 / Float(hiddenSize).squareRoot()
        let uniform = Initializer.uniform(-bound, bound)
        inputWeight = Parameter((weightInit ?? uniform).make([4 * hiddenSize, inputSize], using: &rng))
        hiddenWeight = Parameter((weightInit ?? uniform).make([4 * hiddenSize, hiddenSize], using: &rng))
        let biasInit = weightInit == nil ? uniform : .zeros
        inputBias = Parameter(biasInit.make([4 * hiddenSize], using: &rng))
        hiddenBias = Parameter(biasInit.make([4 * hiddenSize], using: &rng))
    }

    public var inputSize: Int { inputWeight.shape[1] }
    public var hiddenSize: Int { hiddenWeight.shape[1] }
    public var stateWidths: [Int] { [2 * hiddenSize] }

    public func step(_ x: Tensor, _ state: RecurrentState) -> (output: Tensor, state: RecurrentState) {
        recur(x.linear(inputWeight.value, bias: inputBias.value), state)
    }

    /// All T input projections in one GEMM, then the whole recurrence as one
    /// fused operation (`Tensor.lstmScan`, BPTT by hand).
    public func scan(_ inputs: Tensor, from state: RecurrentState, resets: [Bool]?) -> (outputs: Tensor, state: RecurrentState) {
        let (steps, batch) = (inputs.shape[0], inputs.shape[1])
        let projected = inputs.linear(inputWeight.value, bias: inputBias.value)  // (T, B, 4H)
        let packed = Tensor.lstmScan(projected: projected, hiddenWeight: hiddenWeight.value, hiddenBias: hiddenBias.value,
                                     state: state.parts[0], resets: resets ?? [])
        let n = steps * batch * hiddenSize
        return (packed.slice(0..<n).reshaped([steps, batch, hiddenSize]),
                RecurrentState([packed.slice(n..<packed.count).reshaped([batch, 2 * hiddenSize])]))
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
