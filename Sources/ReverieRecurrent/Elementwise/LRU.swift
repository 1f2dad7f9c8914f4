/// The Linear Recurrent Unit (Orvieto et al. 2023, "Resurrecting Recurrent
/// Neural Networks for Long Sequences"): a diagonal complex linear recurrence
/// with an exponential parameterisation of its eigenvalues and a normalised
/// input.
///
///     λ = exp(−exp(ν) + i·exp(θ))                  (|λ| < 1 for any ν)
///     h_t = λ ⊙ h_{t−1} + exp(γ) ⊙ (B·x_t)          (B = B_re + i·B_im)
///     y_t = Re(C·h_t) + D ⊙ x_t                     (C = C_re + i·C_im)
///
/// γ is trained, starting at the normalisation log √(1 − |λ|²) that keeps
/// the state's variance that of the input (their Sec. 3.3). The state h ∈ ℂᴺ
/// is stored (B, 2N) as [Re h | Im h]; the output y has the input's width D.
///
/// For RTRL, ∂h_t/∂h_{t−1} = λ (complex, per unit) and, with u = B·x_t,
///
///     S^ν_t = λ S^ν_{t−1} − exp(ν) λ h_{t−1}
///     S^θ_t = λ S^θ_{t−1} + i exp(θ) λ h_{t−1}
///     S^γ_t = λ S^γ_{t−1} + exp(γ) u
///     S^B_t[i, j] = λ_i S^B_{t−1}[i, j] + exp(γ_i) x_j     (for B_re; for B_im it is i·S^B)
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

    public func realTimeStep(_ x: Tensor, _ state: RecurrentState, _ sensitivities: Sensitivities)
        -> (output: Tensor, state: RecurrentState, sensitivities: Sensitivities)
    {
        let previous = state.parts[0].detached, xv = x.detached
        let (batch, n, d) = (previous.shape[0], stateSize, inputSize)
        let lambda = Self.eigenvalues(nuLog: nuLog.storedValue, thetaLog: thetaLog.storedValue)
        let (lr, li) = (lambda.real.scalars, lambda.imaginary.scalars)
        let expNu = nuLog.storedValue.exp().scalars, expTheta = thetaLog.storedValue.exp().scalars
        let gamma = gammaLog.storedValue.exp().scalars
        let ur = xv.linear(inputWeightReal.storedValue).scalars, ui = xv.linear(inputWeightImaginary.storedValue).scalars
        let hp = previous.scalars, xs = xv.scalars
        var next = [Float](repeating: 0, count: batch * 2 * n)
        var parts = sensitivities.parts.map { [Float](repeating: 0, count: $0.count) }
        let old = sensitivities.parts.map(\.scalars)
        for b in 0..<batch {
            for i in 0..<n {
                let (hr, hi) = (hp[b * 2 * n + i], hp[b * 2 * n + n + i])
                let (ar, ai) = (lr[i] * hr - li[i] * hi, lr[i] * hi + li[i] * hr)  // λ h_{t−1}
                let (gr, gi) = (gamma[i] * ur[b * n + i], gamma[i] * ui[b * n + i])
                next[b * 2 * n + i] = ar + gr
                next[b * 2 * n + n + i] = ai + gi
                // S ← λ S + local, for ν, θ, γ: parts (B, 2, N), re at [b, 0, i], im at [b, 1, i].
                let locals: [(Float, Float)] = [(-expNu[i] * ar, -expNu[i] * ai), (-expTheta[i] * ai, expTheta[i] * ar), (gr, gi)]
                for (k, (localRe, localIm)) in locals.enumerated() {
                    let (re, im) = (b * 2 * n + i, b * 2 * n + n + i)
                    let (sr, si) = (old[k][re], old[k][im])
                    parts[k][re] = lr[i] * sr - li[i] * si + localRe
                    parts[k][im] = lr[i] * si + li[i] * sr + localIm
                }
                // S^B[b, ·, i, j], (B, 2, N, D).
                let re = (b * 2 * n + i) * d, im = (b * 2 * n + n + i) * d
                for j in 0..<d {
                    let (sr, si) = (old[3][re + j], old[3][im + j])
                    parts[3][re + j] = lr[i] * sr - li[i] * si + gamma[i] * xs[b * d + j]
                    parts[3][im + j] = lr[i] * si + li[i] * sr
                }
            }
        }
        let carried = Sensitivities(zip(parts, sensitivities.parts).map { Tensor($0, shape: $1.shape) })
        let inputs = [x] + recurrentParameters.map(\.value)
        let weights = (inputWeightReal.storedValue, inputWeightImaginary.storedValue)
        let h = Tensor.realTimeRecurrent(Tensor(next, shape: [batch, 2 * n]), inputs: inputs) { e in
            let ev = e.scalars
            // Re(ē·S) summed over sequences, for a (B, 2, N, J) sensitivity.
            func gradient(_ s: Tensor, width: Int, imaginaryPart: Bool = false) -> Tensor {
                let sv = s.scalars
                var g = [Float](repeating: 0, count: n * width)
                for b in 0..<batch {
                    for i in 0..<n {
                        let (er, ei) = (ev[b * 2 * n + i], ev[b * 2 * n + n + i])
                        let re = (b * 2 * n + i) * width, im = (b * 2 * n + n + i) * width
                        for j in 0..<width {
                            // For B_im the sensitivity is i·S: re −S.im, im S.re.
                            g[i * width + j] += imaginaryPart ? -er * sv[im + j] + ei * sv[re + j]
                                                              : er * sv[re + j] + ei * sv[im + j]
                        }
                    }
                }
                return Tensor(g, shape: width == 1 ? [n] : [n, width])
            }
            // Through this step only: ∂h/∂x = γ ⊙ (B_re + i·B_im).
            let scaled = Tensor((0..<(batch * 2 * n)).map { k in ev[k] * gamma[k % n] }, shape: [batch, 2 * n])
            let dx = x.isRecorded ? scaled.matmul(Tensor.concatenate([weights.0, weights.1], axis: 0)) : nil
            return [dx, gradient(carried.parts[0], width: 1), gradient(carried.parts[1], width: 1),
                    gradient(carried.parts[2], width: 1), gradient(carried.parts[3], width: d),
                    gradient(carried.parts[3], width: d, imaginaryPart: true)]
        }
        return (output(x, h), RecurrentState([h.detached]), carried)
    }

    /// y = Re(C·h) + D ⊙ x = C_re·Re h − C_im·Im h + D ⊙ x.
    private func output(_ x: Tensor, _ h: Tensor) -> Tensor {
        let parts = h.split([stateSize, stateSize], axis: 1)
        return parts[0].linear(outputWeightReal.value) - parts[1].linear(outputWeightImaginary.value) + skipWeight.value * x
    }
}
