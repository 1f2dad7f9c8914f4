extension RNNCell: ApproximateRealTimeRecurrent {
    public var recurrentParameters: [Parameter] { [inputWeight, hiddenWeight, bias] }

    /// SnAp-1: W_x[i, ·], W_h[i, ·] and b_i feed unit i directly, so their
    /// sensitivities are kept for unit i only, and carried by the diagonal of
    /// ∂h_t/∂h_{t−1}, a_i = (1 − h_i²)·W_h[i, i] — exact RTRL when W_h is diagonal.
    public func snapStep(_ x: Tensor, _ state: RecurrentState, _ sensitivities: Sensitivities)
        -> (output: Tensor, state: RecurrentState, sensitivities: Sensitivities)
    {
        let previous = state.parts[0].detached, (batch, n) = (previous.shape[0], hiddenSize)
        let (next, derivative) = forward(x.detached, previous)
        let diagonal = hiddenWeight.storedValue.withUnsafeBufferPointer { w in (0..<n).map { w[$0 * n + $0] } }
        let decay = (0..<(batch * n)).map { derivative[$0] * diagonal[$0 % n] }
        let rule = DiagonalRTRL(roles: [.inputWeight, .hiddenWeight, .bias], units: n)
        let (h, carried) = rule.step(x: x, previous: previous, next: next, decay: decay, local: derivative,
                                     inputWeight: inputWeight.storedValue,
                                     parameters: recurrentParameters.map(\.value), sensitivities: sensitivities)
        return (h, RecurrentState([h.detached]), carried)
    }

    /// UORO (Tallec & Ollivier 2018, Alg. 1) with random signs ν ∈ {±1}ᴺ:
    ///
    ///     s̃ ← ρ₀·(∂h_t/∂h_{t−1})·s̃ + ρ₁·ν
    ///     θ̃ ← θ̃/ρ₀ + (νᵀ ∂h_t/∂θ)/ρ₁
    ///
    /// with ρ₀ = √(‖θ̃‖/‖(∂h/∂h₋)s̃‖), ρ₁ = √(‖νᵀ∂h/∂θ‖/‖ν‖) (the variance-minimising
    /// scales), per sequence. The gradient of a loss with e = ∂L/∂h_t is (e·s̃)·θ̃.
    public func uoroStep(_ x: Tensor, _ state: RecurrentState, _ estimate: RankOneSensitivity,
                         using rng: inout RandomGenerator) -> (output: Tensor, state: RecurrentState, estimate: RankOneSensitivity)
    {
        let previous = state.parts[0].detached, (batch, n, d) = (previous.shape[0], hiddenSize, inputSize)
        let (next, derivative) = forward(x.detached, previous)
        let pushed = estimate.state.linear(hiddenWeight.storedValue).scalars  // (B, N): W_h·s̃ per sequence
        let signs = (0..<(batch * n)).map { _ in Float(rng.int(below: 2) == 0 ? -1 : 1) }
        let (xs, hs, oldParameters) = (x.detached.scalars, previous.scalars, estimate.parameters.scalars)
        let count = estimate.parameters.shape[1], epsilon: Float = 1e-7
        var newState = [Float](repeating: 0, count: batch * n), newParameters = [Float](repeating: 0, count: batch * count)
        for b in 0..<batch {
            let units = (b * n)..<((b + 1) * n)
            let tangent = units.map { derivative[$0] * pushed[$0] }                // (∂h/∂h₋)·s̃
            let weighted = units.map { signs[$0] * derivative[$0] }                // ν ⊙ (1 − h²)
            // νᵀ ∂h/∂θ in parameter order: W_x (N·D), W_h (N·N), b (N).
            var local = [Float](repeating: 0, count: count)
            for i in 0..<n {
                for j in 0..<d { local[i * d + j] = weighted[i] * xs[b * d + j] }
                for k in 0..<n { local[n * d + i * n + k] = weighted[i] * hs[b * n + k] }
                local[n * d + n * n + i] = weighted[i]
            }
            func norm(_ v: some Sequence<Float>) -> Float { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
            let theta = oldParameters[(b * count)..<((b + 1) * count)]
            let rho0 = (norm(theta) / (norm(tangent) + epsilon)).squareRoot() + epsilon
            let rho1 = (norm(local) / (Float(n).squareRoot() + epsilon)).squareRoot() + epsilon
            for i in 0..<n { newState[b * n + i] = rho0 * tangent[i] + rho1 * signs[b * n + i] }
            for k in 0..<count { newParameters[b * count + k] = oldParameters[b * count + k] / rho0 + local[k] / rho1 }
        }
        let carried = RankOneSensitivity(state: Tensor(newState, shape: [batch, n]),
                                         parameters: Tensor(newParameters, shape: [batch, count]))
        let shapes = recurrentParameters.map(\.shape), weight = inputWeight.storedValue
        let h = Tensor.realTimeRecurrent(next, inputs: [x] + recurrentParameters.map(\.value)) { e in
            let ev = e.scalars
            var flat = [Float](repeating: 0, count: count)
            for b in 0..<batch {
                let c = (0..<n).reduce(Float(0)) { $0 + ev[b * n + $1] * newState[b * n + $1] }  // e·s̃
                for k in 0..<count { flat[k] += c * newParameters[b * count + k] }
            }
            var offset = 0
            let gradients = shapes.map { shape -> Tensor in
                let size = shape.reduce(1, *)
                defer { offset += size }
                return Tensor(Array(flat[offset..<(offset + size)]), shape: shape)
            }
            let dx = x.isRecorded ? Tensor((0..<(batch * n)).map { ev[$0] * derivative[$0] }, shape: [batch, n]).matmul(weight) : nil
            return [dx] + gradients
        }
        return (h, RecurrentState([h.detached]), carried)
    }
}
