/// SnAp-1 and UORO for the GRU. With the gate pre-activations of `GRUCell`
/// and, per unit i,
///
///     d_z = (h − n)·z(1 − z),   d_n = (1 − z)(1 − n²),   d_r = d_n·(W_hn·h + b_hn)·r(1 − r)
///
/// the rows r, z, n of W_i and b_i have local terms d_r, d_z, d_n (times x or
/// 1); those of W_h and b_h have d_r, d_z, d_n·r (times h_{t−1} or 1), and
///
///     ∂h'_i/∂h_k = z_i·[i = k] + d_z·W_hz[i, k] + d_r·W_hr[i, k] + d_n·r_i·W_hn[i, k].
extension GRUCell: ApproximateRealTimeRecurrent {
    public var recurrentParameters: [Parameter] { [inputWeight, hiddenWeight, inputBias, hiddenBias] }

    /// The step's values from plain numbers: h', the input rows' local terms
    /// [d_r | d_z | d_n] and the hidden rows' [d_r | d_z | d_n·r], (B, 3H) each,
    /// and the gates z and r·d_n for the Jacobian.
    private func derivatives(_ x: Tensor, _ h: Tensor)
        -> (next: Tensor, input: [Float], hidden: [Float], z: [Float])
    {
        let (batch, n) = (h.shape[0], hiddenSize)
        let gx = x.linear(inputWeight.storedValue, bias: inputBias.storedValue).scalars
        let gh = h.linear(hiddenWeight.storedValue, bias: hiddenBias.storedValue).scalars
        let hv = h.scalars
        var next = [Float](repeating: 0, count: batch * n), z = next
        var input = [Float](repeating: 0, count: batch * 3 * n), hidden = input
        for b in 0..<batch {
            for i in 0..<n {
                let (rRow, zRow, nRow) = (b * 3 * n + i, b * 3 * n + n + i, b * 3 * n + 2 * n + i)
                let r = fastSigmoid(gx[rRow] + gh[rRow]), u = fastSigmoid(gx[zRow] + gh[zRow])
                let c = fastTanh(gx[nRow] + r * gh[nRow])
                let hPrev = hv[b * n + i]
                next[b * n + i] = (1 - u) * c + u * hPrev
                z[b * n + i] = u
                let dn = (1 - u) * (1 - c * c), dz = (hPrev - c) * u * (1 - u), dr = dn * gh[nRow] * r * (1 - r)
                (input[rRow], input[zRow], input[nRow]) = (dr, dz, dn)
                (hidden[rRow], hidden[zRow], hidden[nRow]) = (dr, dz, dn * r)
            }
        }
        return (Tensor(next, shape: [batch, n]), input, hidden, z)
    }

    /// SnAp-1: every row of unit i keeps its sensitivity for unit i, carried by
    /// a_i = z_i + d_z·W_hz[i, i] + d_r·W_hr[i, i] + d_n·r_i·W_hn[i, i].
    public func snapStep(_ x: Tensor, _ state: RecurrentState, _ sensitivities: Sensitivities)
        -> (output: Tensor, state: RecurrentState, sensitivities: Sensitivities)
    {
        let previous = state.parts[0].detached, (batch, n) = (previous.shape[0], hiddenSize)
        let (next, input, hidden, z) = derivatives(x.detached, previous)
        let decay = hiddenWeight.storedValue.withUnsafeBufferPointer { w in
            (0..<(batch * n)).map { k -> Float in
                let (b, i) = (k / n, k % n)
                return z[k] + (0..<3).reduce(Float(0)) { $0 + hidden[b * 3 * n + $1 * n + i] * w[($1 * n + i) * n + i] }
            }
        }
        let rule = DiagonalRTRL(roles: [.inputWeight, .hiddenWeight, .bias, .hiddenBias], units: n)
        var carried = sensitivities
        let h = rule.step(x: x, previous: previous, next: next, decay: decay, local: input, hiddenLocal: hidden,
                          inputWeight: inputWeight.storedValue,
                          parameters: recurrentParameters.map(\.value), sensitivities: &carried)
        return (h, RecurrentState([h.detached]), carried)
    }

    /// UORO (`RankOneRTRL`) with the Jacobian-vector product
    /// (∂h'/∂h)·s̃ = z ⊙ s̃ + Σ_g (hidden local of gate g) ⊙ (W_hg·s̃).
    public func uoroStep(_ x: Tensor, _ state: RecurrentState, _ estimate: RankOneSensitivity,
                         using rng: inout RandomGenerator) -> (output: Tensor, state: RecurrentState, estimate: RankOneSensitivity)
    {
        let previous = state.parts[0].detached, (batch, n) = (previous.shape[0], hiddenSize)
        let (next, input, hidden, z) = derivatives(x.detached, previous)
        let pushed = estimate.state.linear(hiddenWeight.storedValue).scalars  // (B, 3H): W_h·s̃
        let s = estimate.state.scalars
        let tangent = (0..<(batch * n)).map { k -> Float in
            let (b, i) = (k / n, k % n)
            return z[k] * s[k] + (0..<3).reduce(Float(0)) { $0 + hidden[b * 3 * n + $1 * n + i] * pushed[b * 3 * n + $1 * n + i] }
        }
        let rule = RankOneRTRL(units: n)
        let (h, carried) = rule.step(
            x: x, next: next, tangent: tangent,
            blocks: [.init(coefficients: input, rows: 3 * n, input: x.detached),
                     .init(coefficients: hidden, rows: 3 * n, input: previous),
                     .init(coefficients: input, rows: 3 * n, input: nil),
                     .init(coefficients: hidden, rows: 3 * n, input: nil)],
            inputLocal: input, inputWeight: inputWeight.storedValue,
            parameters: recurrentParameters.map(\.value), estimate: estimate, using: &rng)
        return (h, RecurrentState([h.detached]), carried)
    }
}
