/// The element-wise LSTM of Irie, Gopalakrishnan & Schmidhuber (2024, eqs. 5–7):
/// a quasi-LSTM whose gates read the previous cell state through element-wise
/// weights only, with the output gate outside the recurrence.
///
///     f_t = σ(F·x_t + w_f ⊙ c_{t−1} + b_f)
///     z_t = tanh(Z·x_t + w_z ⊙ c_{t−1} + b_z)
///     c_t = f_t ⊙ c_{t−1} + (1 − f_t) ⊙ z_t
///     h_t = σ(O·[x_t; c_t] + b_o) ⊙ c_t
///
/// The state is c (B, N); the output h (B, N). For RTRL
/// (`ElementwiseRecurrent`), ∂c_t/∂c_{t−1} is the diagonal
///
///     a_t = f_t + w_f ⊙ (c_{t−1} − z_t) ⊙ f_t ⊙ (1 − f_t) + w_z ⊙ (1 − f_t) ⊙ (1 − z_t²)
///
/// and F, Z, w_f, w_z, b_f, b_z are learned by RTRL; O and b_o, outside the
/// recurrence, by backpropagation through the step.
public final class ELSTMCell: ElementwiseRecurrent {
    /// [F; Z], (2N, D).
    public let inputWeight: Parameter
    /// [w_f; w_z], (2N).
    public let recurrentWeight: Parameter
    /// [b_f; b_z], (2N).
    public let bias: Parameter
    /// O, (N, D + N), reading [x_t; c_t].
    public let outputWeight: Parameter
    /// b_o, (N).
    public let outputBias: Parameter

    /// The paper's initialisation: F, Z, w, b ~ N(0, 0.1²), plus `forgetBias`
    /// on b_f (a positive value starts the cell remembering); the output gate
    /// as PyTorch's `nn.Linear`, U(±1/√(D + N)).
    public init(inputSize: Int, hiddenSize: Int, forgetBias: Float = 0, rng: inout RandomGenerator) {
        inputWeight = Parameter(Tensor.normal([2 * hiddenSize, inputSize], std: 0.1, using: &rng))
        recurrentWeight = Parameter(Tensor.normal([2 * hiddenSize], std: 0.1, using: &rng))
        bias = Parameter(Tensor.normal([2 * hiddenSize], std: 0.1, using: &rng)
                         + Tensor((0..<(2 * hiddenSize)).map { $0 < hiddenSize ? forgetBias : 0 }))
        outputWeight = Parameter(Initializer.lecunUniform.make([hiddenSize, inputSize + hiddenSize], using: &rng))
        let bound = 1 / Float(inputSize + hiddenSize).squareRoot()
        outputBias = Parameter(Initializer.uniform(-bound, bound).make([hiddenSize], using: &rng))
    }

    public var inputSize: Int { inputWeight.shape[1] }
    public var hiddenSize: Int { outputBias.shape[0] }
    public var stateWidths: [Int] { [hiddenSize] }
    public var recurrentParameters: [Parameter] { [inputWeight, recurrentWeight, bias] }

    /// One step on the tape, differentiable through the previous state (TBPTT).
    public func step(_ x: Tensor, _ state: RecurrentState) -> (output: Tensor, state: RecurrentState) {
        let c = state.parts[0], n = hiddenSize
        let gates = x.linear(inputWeight.value, bias: bias.value).split([n, n], axis: 1)
        let w = recurrentWeight.value.split([n, n])
        let f = (gates[0] + w[0] * c).sigmoid()
        let z = (gates[1] + w[1] * c).tanh()
        let next = f * c + (1 - f) * z
        return (output(x, next), RecurrentState([next]))
    }

    public func realTimeStep(_ x: Tensor, _ state: RecurrentState, _ sensitivities: inout Sensitivities)
        -> (output: Tensor, state: RecurrentState)
    {
        let previous = state.parts[0].detached, (batch, n) = (previous.shape[0], hiddenSize)
        let gx = x.detached.linear(inputWeight.storedValue, bias: bias.storedValue)
        var decay = [Float](repeating: 0, count: batch * n), local = [Float](repeating: 0, count: batch * 2 * n)
        let next = Tensor(shape: [batch, n]) { out in
            gx.withUnsafeBufferPointer { g in
                previous.withUnsafeBufferPointer { c in
                    recurrentWeight.storedValue.withUnsafeBufferPointer { w in
                        for b in 0..<batch {
                            for i in 0..<n {
                                let cPrev = c[b * n + i]
                                let f = fastSigmoid(g[b * 2 * n + i] + w[i] * cPrev)
                                let z = fastTanh(g[b * 2 * n + n + i] + w[n + i] * cPrev)
                                let df = (cPrev - z) * f * (1 - f), dz = (1 - f) * (1 - z * z)
                                out[b * n + i] = f * cPrev + (1 - f) * z
                                local[b * 2 * n + i] = df
                                local[b * 2 * n + n + i] = dz
                                decay[b * n + i] = f + w[i] * df + w[n + i] * dz
                            }
                        }
                    }
                }
            }
        }
        let rule = DiagonalRTRL(roles: [.inputWeight, .stateWeight, .bias], units: n)
        let c = rule.step(x: x, previous: previous, next: next, decay: decay, local: local,
                          inputWeight: inputWeight.storedValue,
                          parameters: recurrentParameters.map(\.value), sensitivities: &sensitivities)
        return (output(x, c), RecurrentState([c.detached]))
    }

    /// h_t = σ(O·[x_t; c_t] + b_o) ⊙ c_t.
    private func output(_ x: Tensor, _ c: Tensor) -> Tensor {
        Tensor.linear(concatenating: [x, c], outputWeight.value, bias: outputBias.value).sigmoid() * c
    }
}
