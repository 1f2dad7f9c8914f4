/// The Linear Recurrent Unit (Orvieto et al. 2023, "Resurrecting Recurrent
/// Neural Networks for Long Sequences"): a diagonal complex linear recurrence
/// with an exponential parameterisation of its eigenvalues and a normalised
/// input.
///
///     λ = exp(−exp(ν_log) + i·exp(θ_log))          (|λ| < 1 for any ν_log)
///     h_t = λ ⊙ h_{t−1} + γ ⊙ (B·x_t)               (γ = exp(γ_log), B = B_re + i·B_im)
///     y_t = Re(C·h_t) + D ⊙ x_t                     (C = C_re + i·C_im)
///
/// γ is trained (as γ_log), starting at the normalisation √(1 − |λ|²) that
/// keeps the state's variance that of the input (their Sec. 3.3). The state h ∈ ℂᴺ
/// is stored (B, 2N) as [Re h | Im h]; the output y has the input's width D.
///
/// For RTRL, ∂h_t/∂h_{t−1} = λ (complex, per unit) and, with u = B·x_t,
///
///     S^ν_t = λ S^ν_{t−1} − exp(ν_log) λ h_{t−1}       (sensitivities to ν_log, θ_log, γ_log, B_re)
///     S^θ_t = λ S^θ_{t−1} + i exp(θ_log) λ h_{t−1}
///     S^γ_t = λ S^γ_{t−1} + γ u
///     S^B_t[i, j] = λ_i S^B_{t−1}[i, j] + γ_i x_j     (for B_im it is i·S^B)
///
/// The gradient of a real loss with e = ∂L/∂(Re h, Im h) is Re(ē·S) summed
/// over sequences. C and D, outside the recurrence, learn through the step.
public final class LRUCell: ElementwiseRecurrent {
    /// log of −log|λ|, (N).
    public let nuLog: Parameter
    /// log of arg λ, (N).
    public let thetaLog: Parameter
    /// log of the input normalisation γ, (N).
    public let gammaLog: Parameter
    /// B_re and B_im, (N, D) each.
    public let inputWeightReal: Parameter
    public let inputWeightImaginary: Parameter
    /// C_re and C_im, (D, N) each.
    public let outputWeightReal: Parameter
    public let outputWeightImaginary: Parameter
    /// D, (D).
    public let skipWeight: Parameter

    /// The paper's initialisation: |λ| uniform on the ring [rMin, rMax] (by
    /// area), arg λ uniform on [0, maxPhase]; B and C Glorot-normal (B with
    /// variance 1/(2D) per part), D standard normal.
    public init(inputSize: Int, stateSize: Int, rMin: Float = 0.4, rMax: Float = 0.99,
                maxPhase: Float = 2 * .pi, rng: inout RandomGenerator) {
        precondition(0 <= rMin && rMin < rMax && rMax < 1, "LRU needs 0 ≤ rMin < rMax < 1, got \(rMin), \(rMax)")
        let n = stateSize
        let nu = (0..<n).map { _ in logf(-0.5 * logf(rng.uniform() * (rMax * rMax - rMin * rMin) + rMin * rMin)) }
        let theta = (0..<n).map { _ in logf(max(maxPhase * rng.uniform(), 1e-4)) }
        nuLog = Parameter(Tensor(nu))
        thetaLog = Parameter(Tensor(theta))
        gammaLog = Parameter(Tensor(nu.map { v in
            let modulus = expf(-expf(v))
            return logf((1 - modulus * modulus).squareRoot())
        }))
        let inputStd = 1 / (2 * Float(inputSize)).squareRoot()
        inputWeightReal = Parameter(Tensor.normal([n, inputSize], std: inputStd, using: &rng))
        inputWeightImaginary = Parameter(Tensor.normal([n, inputSize], std: inputStd, using: &rng))
        let outputStd = 1 / Float(n).squareRoot()
        outputWeightReal = Parameter(Tensor.normal([inputSize, n], std: outputStd, using: &rng))
        outputWeightImaginary = Parameter(Tensor.normal([inputSize, n], std: outputStd, using: &rng))
        skipWeight = Parameter(Tensor.normal([inputSize], using: &rng))
    }

    public var inputSize: Int { skipWeight.shape[0] }
    /// H = D: the LRU maps a sequence to one of the same width.
    public var hiddenSize: Int { inputSize }
    /// N, the number of complex state units.
    public var stateSize: Int { nuLog.shape[0] }
    public var stateWidths: [Int] { [2 * stateSize] }
    public var recurrentParameters: [Parameter] { [nuLog, thetaLog, gammaLog, inputWeightReal, inputWeightImaginary] }

    /// S^ν, S^θ, S^γ (B, 2, N) and S^B (B, 2, N, D), [re; im] each; B_im's is i·S^B, not stored.
    public func initialSensitivities(batch: Int) -> Sensitivities {
        let n = stateSize
        return Sensitivities([Tensor.zeros([batch, 2, n]), .zeros([batch, 2, n]), .zeros([batch, 2, n]),
                              .zeros([batch, 2, n, inputSize])])
    }

    /// λ's real and imaginary parts, (N) each, from ν and θ (tape values or stored).
    private static func eigenvalues(nuLog: Tensor, thetaLog: Tensor) -> (real: Tensor, imaginary: Tensor) {
        let modulus = nuLog.exp().negated().exp(), phase = thetaLog.exp()
        return (modulus * phase.cos(), modulus * phase.sin())
    }

    public func step(_ x: Tensor, _ state: RecurrentState) -> (output: Tensor, state: RecurrentState) {
        let h = state.parts[0].split([stateSize, stateSize], axis: 1)
        let lambda = Self.eigenvalues(nuLog: nuLog.value, thetaLog: thetaLog.value)
        let gamma = gammaLog.value.exp()
        let real = lambda.real * h[0] - lambda.imaginary * h[1] + gamma * x.linear(inputWeightReal.value)
        let imaginary = lambda.real * h[1] + lambda.imaginary * h[0] + gamma * x.linear(inputWeightImaginary.value)
        let next = Tensor.concatenate([real, imaginary], axis: 1)
        return (output(x, next), RecurrentState([next]))
    }

    public func realTimeStep(_ x: Tensor, _ state: RecurrentState, _ sensitivities: inout Sensitivities)
        -> (output: Tensor, state: RecurrentState)
    {
        let previous = state.parts[0].detached, xv = x.detached
        let (batch, n, d) = (previous.shape[0], stateSize, inputSize)
        let lambda = Self.eigenvalues(nuLog: nuLog.storedValue, thetaLog: thetaLog.storedValue)
        let (lr, li) = (lambda.real.scalars, lambda.imaginary.scalars)
        let expNu = nuLog.storedValue.exp().scalars, expTheta = thetaLog.storedValue.exp().scalars
        let gamma = gammaLog.storedValue.exp().scalars
        let ur = xv.linear(inputWeightReal.storedValue), ui = xv.linear(inputWeightImaginary.storedValue)
        let old = sensitivities.parts
        // Every element of the new sensitivities is written below.
        var (newNu, newTheta, newGamma, newB) = (Tensor(shape: old[0].shape) { _ in }, Tensor(shape: old[1].shape) { _ in },
                                                 Tensor(shape: old[2].shape) { _ in }, Tensor(shape: old[3].shape) { _ in })
        let next = Tensor(shape: [batch, 2 * n]) { next in
            previous.withUnsafeBufferPointer { hp in
            ur.withUnsafeBufferPointer { ur in
            ui.withUnsafeBufferPointer { ui in
            xv.withUnsafeBufferPointer { xs in
            newNu.withUnsafeMutableBufferPointer { sNu in
            newTheta.withUnsafeMutableBufferPointer { sTheta in
            newGamma.withUnsafeMutableBufferPointer { sGamma in
            newB.withUnsafeMutableBufferPointer { sB in
            old[0].withUnsafeBufferPointer { oNu in
            old[1].withUnsafeBufferPointer { oTheta in
            old[2].withUnsafeBufferPointer { oGamma in
            old[3].withUnsafeBufferPointer { oB in
                for b in 0..<batch {
                    for i in 0..<n {
                        let (re, im) = (b * 2 * n + i, b * 2 * n + n + i)
                        let (hr, hi) = (hp[re], hp[im])
                        let (ar, ai) = (lr[i] * hr - li[i] * hi, lr[i] * hi + li[i] * hr)  // λ h_{t−1}
                        let (gr, gi) = (gamma[i] * ur[b * n + i], gamma[i] * ui[b * n + i])
                        next[re] = ar + gr
                        next[im] = ai + gi
                        // S ← λ S + local term, (B, 2, N) each: re at [b, 0, i], im at [b, 1, i].
                        func carry(_ old: UnsafeBufferPointer<Float>, _ new: UnsafeMutableBufferPointer<Float>,
                                   _ localRe: Float, _ localIm: Float) {
                            let (sr, si) = (old[re], old[im])
                            new[re] = lr[i] * sr - li[i] * si + localRe
                            new[im] = lr[i] * si + li[i] * sr + localIm
                        }
                        carry(oNu, sNu, -expNu[i] * ar, -expNu[i] * ai)
                        carry(oTheta, sTheta, -expTheta[i] * ai, expTheta[i] * ar)
                        carry(oGamma, sGamma, gr, gi)
                        // S^B[b, ·, i, j], (B, 2, N, D): local term γ_i x_j, real.
                        let (l, m, g) = (lr[i], li[i], gamma[i])
                        let (bre, bim, xb) = (re * d, im * d, b * d)
                        for j in 0..<d {
                            let (sr, si) = (oB[bre + j], oB[bim + j])
                            sB[bre + j] = l * sr - m * si + g * xs[xb + j]
                            sB[bim + j] = l * si + m * sr
                        }
                    }
                }
            }}}}}}}}}}}}
        }
        let carried = Sensitivities([newNu, newTheta, newGamma, newB])
        let inputs = [x] + recurrentParameters.map(\.value)
        let weights = Tensor.concatenate([inputWeightReal.storedValue, inputWeightImaginary.storedValue], axis: 0)
        let h = Tensor.realTimeRecurrent(next, inputs: inputs) { e in
            // Re(ē·S) summed over sequences, for a (B, 2, N, J) sensitivity; for
            // B_im the sensitivity is i·S^B, whose re is −S^B.im and im S^B.re.
            func gradient(_ s: Tensor, width: Int, imaginaryPart: Bool = false) -> Tensor {
                Tensor(shape: width == 1 ? [n] : [n, width]) { g in
                    for k in 0..<g.count { g[k] = 0 }
                    e.withUnsafeBufferPointer { e in
                        s.withUnsafeBufferPointer { s in
                            for b in 0..<batch {
                                for i in 0..<n {
                                    let (re, im) = (b * 2 * n + i, b * 2 * n + n + i)
                                    let (wr, wi) = imaginaryPart ? (e[im], -e[re]) : (e[re], e[im])
                                    let (sre, sim, out) = (re * width, im * width, i * width)
                                    for j in 0..<width { g[out + j] += wr * s[sre + j] + wi * s[sim + j] }
                                }
                            }
                        }
                    }
                }
            }
            // Through this step only: ∂h/∂x = γ ⊙ (B_re + i·B_im).
            let dx = x.isRecorded
                ? Tensor(shape: [batch, 2 * n]) { scaled in
                    e.withUnsafeBufferPointer { e in for k in 0..<scaled.count { scaled[k] = e[k] * gamma[k % n] } }
                  }.matmul(weights)
                : nil
            return [dx, gradient(carried.parts[0], width: 1), gradient(carried.parts[1], width: 1),
                    gradient(carried.parts[2], width: 1), gradient(carried.parts[3], width: d),
                    gradient(carried.parts[3], width: d, imaginaryPart: true)]
        }
        sensitivities = carried
        return (output(x, h), RecurrentState([h.detached]))
    }

    /// y = Re(C·h) + D ⊙ x = C_re·Re h − C_im·Im h + D ⊙ x.
    private func output(_ x: Tensor, _ h: Tensor) -> Tensor {
        let parts = h.split([stateSize, stateSize], axis: 1)
        return parts[0].linear(outputWeightReal.value) - parts[1].linear(outputWeightImaginary.value) + skipWeight.value * x
    }
}
