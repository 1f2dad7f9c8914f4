/// What GRU and LSTM share: G gates stacked in PyTorch's layout, each with an
/// input weight, a recurrent weight and their two biases (PyTorch keeps both
/// biases, so checkpoints move freely), and the unpacking of a fused scan's
/// result. Subclasses add the gate equations.
public class GatedCell {
    /// (G·H, D) input weights, the gates stacked.
    public let inputWeight: Parameter
    /// (G·H, H) recurrent weights.
    public let hiddenWeight: Parameter
    /// (G·H) each.
    public let inputBias: Parameter
    public let hiddenBias: Parameter

    /// PyTorch's initialisation by default: every weight and bias U(−1/√H, 1/√H).
    /// - Parameter weightInit: overrides it for the weights, with zero biases
    ///   (CleanRL's recurrent PPO uses orthogonal weights).
    init(gates: Int, inputSize: Int, hiddenSize: Int, weightInit: Initializer?, rng: inout RandomGenerator) {
        let bound = 1 / Float(hiddenSize).squareRoot()
        let uniform = Initializer.uniform(-bound, bound)
        inputWeight = Parameter((weightInit ?? uniform).make([gates * hiddenSize, inputSize], using: &rng))
        hiddenWeight = Parameter((weightInit ?? uniform).make([gates * hiddenSize, hiddenSize], using: &rng))
        let biasInit = weightInit == nil ? uniform : .zeros
        inputBias = Parameter(biasInit.make([gates * hiddenSize], using: &rng))
        hiddenBias = Parameter(biasInit.make([gates * hiddenSize], using: &rng))
    }

    public var inputSize: Int { inputWeight.shape[1] }
    public var hiddenSize: Int { hiddenWeight.shape[1] }

    /// W_i·x + b_i: (…, D) → (…, G·H), all steps of a sequence in one GEMM.
    func project(_ x: Tensor) -> Tensor { x.linear(inputWeight.value, bias: inputBias.value) }

    /// A fused scan's flat result — T·B·H outputs, then the final state — as
    /// outputs (T, B, H) and a state of one (B, stateWidth) part.
    func unpack(_ packed: Tensor, steps: Int, batch: Int, stateWidth: Int) -> (outputs: Tensor, state: RecurrentState) {
        let n = steps * batch * hiddenSize
        return (packed.slice(0..<n).reshaped([steps, batch, hiddenSize]),
                RecurrentState([packed.slice(n..<packed.count).reshaped([batch, stateWidth])]))
    }
}
