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
        var carried = sensitivities
        let h = rule.step(x: x, previous: previous, next: next, decay: decay, local: derivative,
                          inputWeight: inputWeight.storedValue,
                          parameters: recurrentParameters.map(\.value), sensitivities: &carried)
        return (h, RecurrentState([h.detached]), carried)
    }

    /// UORO (`RankOneRTRL`): ∂h/∂h₋ = diag(1 − h²)·W_h, and every parameter's
    /// rows have the coefficient 1 − h_i², times x, h_{t−1} or 1.
    public func uoroStep(_ x: Tensor, _ state: RecurrentState, _ estimate: RankOneSensitivity,
                         using rng: inout RandomGenerator) -> (output: Tensor, state: RecurrentState, estimate: RankOneSensitivity)
    {
        let previous = state.parts[0].detached, (batch, n) = (previous.shape[0], hiddenSize)
        let (next, derivative) = forward(x.detached, previous)
        let pushed = estimate.state.linear(hiddenWeight.storedValue).scalars  // W_h·s̃ per sequence
        let tangent = (0..<(batch * n)).map { derivative[$0] * pushed[$0] }
        let rule = RankOneRTRL(units: n)
        let (h, carried) = rule.step(
            x: x, next: next, tangent: tangent,
            blocks: [.init(coefficients: derivative, rows: n, input: x.detached),
                     .init(coefficients: derivative, rows: n, input: previous),
                     .init(coefficients: derivative, rows: n, input: nil)],
            inputLocal: derivative, inputWeight: inputWeight.storedValue,
            parameters: recurrentParameters.map(\.value), estimate: estimate, using: &rng)
        return (h, RecurrentState([h.detached]), carried)
    }
}
