/// minGRU (Feng et al. 2024, "Were RNNs All We Needed?", Sec. 3.1): a GRU
/// whose gate and candidate read only the input, so the recurrence is
/// element-wise and linear in h.
///
///     z_t = σ(W_z·x_t + b_z)
///     h̃_t = W_h·x_t + b_h
///     h_t = (1 − z_t) ⊙ h_{t−1} + z_t ⊙ h̃_t
///
/// State and output are h (B, N). For RTRL, ∂h_t/∂h_{t−1} = 1 − z_t, and the
/// local terms are (h̃_t − h_{t−1}) ⊙ z_t ⊙ (1 − z_t) for the gate rows and z_t
/// for the candidate rows: every parameter is recurrent.
public final class MinGRUCell: ElementwiseRecurrent {
    /// [W_z; W_h], (2N, D).
    public let inputWeight: Parameter
    /// [b_z; b_h], (2N).
    public let bias: Parameter

    /// PyTorch's `nn.Linear` initialisation, U(±1/√D), for weights and biases.
    public init(inputSize: Int, hiddenSize: Int, rng: inout RandomGenerator) {
        inputWeight = Parameter(Initializer.lecunUniform.make([2 * hiddenSize, inputSize], using: &rng))
        let bound = 1 / Float(inputSize).squareRoot()
        bias = Parameter(Initializer.uniform(-bound, bound).make([2 * hiddenSize], using: &rng))
    }

    public var inputSize: Int { inputWeight.shape[1] }
    public var hiddenSize: Int { bias.shape[0] / 2 }
    public var stateWidths: [Int] { [hiddenSize] }
    public var recurrentParameters: [Parameter] { [inputWeight, bias] }

    public func step(_ x: Tensor, _ state: RecurrentState) -> (output: Tensor, state: RecurrentState) {
        let h = state.parts[0]
        let parts = x.linear(inputWeight.value, bias: bias.value).split([hiddenSize, hiddenSize], axis: 1)
        let z = parts[0].sigmoid()
        let next = (1 - z) * h + z * parts[1]
        return (next, RecurrentState([next]))
    }

    public func realTimeStep(_ x: Tensor, _ state: RecurrentState, _ sensitivities: inout Sensitivities)
        -> (output: Tensor, state: RecurrentState)
    {
        let previous = state.parts[0].detached, (batch, n) = (previous.shape[0], hiddenSize)
        let gx = x.detached.linear(inputWeight.storedValue, bias: bias.storedValue)
        var decay = [Float](repeating: 0, count: batch * n), local = [Float](repeating: 0, count: batch * 2 * n)
        let next = Tensor(shape: [batch, n]) { out in
            gx.withUnsafeBufferPointer { g in
                previous.withUnsafeBufferPointer { h in
                    for b in 0..<batch {
                        for i in 0..<n {
                            let z = fastSigmoid(g[b * 2 * n + i]), candidate = g[b * 2 * n + n + i], hPrev = h[b * n + i]
                            out[b * n + i] = (1 - z) * hPrev + z * candidate
                            local[b * 2 * n + i] = (candidate - hPrev) * z * (1 - z)
                            local[b * 2 * n + n + i] = z
                            decay[b * n + i] = 1 - z
                        }
                    }
                }
            }
        }
        let rule = DiagonalRTRL(roles: [.inputWeight, .bias], units: n)
        let h = rule.step(x: x, previous: previous, next: next, decay: decay, local: local,
                          inputWeight: inputWeight.storedValue,
                          parameters: recurrentParameters.map(\.value), sensitivities: &sensitivities)
        return (h, RecurrentState([h.detached]))
    }
}
