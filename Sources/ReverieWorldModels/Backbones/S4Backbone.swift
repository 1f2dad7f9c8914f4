/// S4WM's backbone (Deng, Park & Ahn 2023): blocks of a diagonal
/// state-space layer in S4D / S5 form (Gu et al. 2022; Smith et al. 2023),
/// each followed by a nonlinearity, a linear mixing layer, a residual and a
/// LayerNorm:
///
///     u → Linear(D → H) → [ y = LN(u + W·GELU(SSM(u))) ] × layers
///
/// The SSM runs N complex modes per layer, continuous-time eigenvalues
/// Λ = −exp(Λ_re,log) + i·Λ_im (S4D-Lin initialisation: −1/2 + iπn), learned
/// timescales Δ = exp(log Δ), log-uniform in [10⁻³, 10⁻¹] by default, discretised by
/// zero-order hold:
///
///     Λ̄ = exp(ΛΔ),  B̄ = (Λ̄ − 1)/Λ · B
///     x_t = Λ̄ ⊙ x_{t−1} + B̄·u_t,  y_t = Re(C·x_t) + D ⊙ u_t
///
/// State: each layer's x ∈ ℂᴺ, stored (B, 2N) as [Re x | Im x]. The
/// recurrence over a sequence is one fused operation (`Tensor.diagonalScan`).
public final class S4Backbone: SequenceBackbone {
    public let input: Linear
    public let blocks: [S4Block]

    /// - Parameter timesteps: the range Δ starts in (log-uniformly).
    public init(inputSize: Int, width: Int, layers: Int, stateSize: Int, timesteps: ClosedRange<Float> = 1e-3...1e-1,
                rng: inout RandomGenerator) {
        precondition(layers >= 1, "a backbone needs at least one layer")
        input = Linear(inputSize, width, rng: &rng)
        blocks = (0..<layers).map { _ in S4Block(width: width, stateSize: stateSize, timesteps: timesteps, rng: &rng) }
    }

    public var inputSize: Int { input.inFeatures }
    public var outputSize: Int { input.outFeatures }

    public func initialState(batch: Int) -> RecurrentState {
        RecurrentState(blocks.map { Tensor.zeros([batch, 2 * $0.stateSize]) })
    }

    public func step(_ input: Tensor, _ state: RecurrentState, resets: [Bool]) -> (output: Tensor, state: RecurrentState) {
        let start = state.reset(where: resets)
        var u = self.input(input), next: [Tensor] = []
        for (block, x) in zip(blocks, start.parts) {
            let (y, state) = block.run(u.reshaped([1] + u.shape), from: x, resets: [resets.map { _ in false }])
            u = y.select(0)
            next.append(state)
        }
        return (u, RecurrentState(next))
    }

    public func scan(_ inputs: Tensor, _ state: RecurrentState, resets: [Bool]) -> (outputs: Tensor, state: RecurrentState) {
        let (_, _, flags) = scanShape(inputs, resets: resets)
        var u = input(inputs.swappingLeadingAxes())  // (L, B, H)
        var finals: [Tensor] = []
        for (block, x) in zip(blocks, state.parts) {
            let (y, last) = block.run(u, from: x, resets: flags)
            u = y
            finals.append(last)
        }
        return (u.swappingLeadingAxes(), RecurrentState(finals))
    }
}

/// One S4WM block: y = LN(u + W·GELU(SSM(u))).
public final class S4Block: Module {
    /// log of −Re Λ, (N).
    public let lambdaRealLog: Parameter
    /// Im Λ, (N).
    public let lambdaImaginary: Parameter
    /// log Δ, (N).
    public let logStep: Parameter
    /// B's real and imaginary parts, (N, H).
    public let inputWeightReal: Parameter
    public let inputWeightImaginary: Parameter
    /// C's real and imaginary parts, (H, N).
    public let outputWeightReal: Parameter
    public let outputWeightImaginary: Parameter
    /// D, (H).
    public let skipWeight: Parameter
    /// The mixing layer after the nonlinearity, and the norm after the residual.
    public let mix: Linear
    public let norm: LayerNorm

    public init(width: Int, stateSize: Int, timesteps: ClosedRange<Float> = 1e-3...1e-1, rng: inout RandomGenerator) {
        precondition(timesteps.lowerBound > 0, "S4's timesteps Δ must be positive, got \(timesteps)")
        let n = stateSize
        lambdaRealLog = Parameter(Tensor(repeating: logf(0.5), shape: [n]))
        lambdaImaginary = Parameter(Tensor((0..<n).map { Float.pi * Float($0) }))
        let (low, high) = (logf(timesteps.lowerBound), logf(timesteps.upperBound))
        logStep = Parameter(Tensor((0..<n).map { _ in low + rng.uniform() * (high - low) }))
        let bStd = 1 / Float(2 * width).squareRoot(), cStd = 1 / Float(n).squareRoot()
        inputWeightReal = Parameter(Tensor.normal([n, width], std: bStd, using: &rng))
        inputWeightImaginary = Parameter(Tensor.normal([n, width], std: bStd, using: &rng))
        outputWeightReal = Parameter(Tensor.normal([width, n], std: cStd, using: &rng))
        outputWeightImaginary = Parameter(Tensor.normal([width, n], std: cStd, using: &rng))
        skipWeight = Parameter(Tensor.normal([width], using: &rng))
        mix = Linear(width, width, rng: &rng)
        norm = LayerNorm(width)
    }

    public var stateSize: Int { lambdaRealLog.shape[0] }

    /// Λ̄ (N) and B̄ (N, H), real and imaginary parts, by zero-order hold.
    func discretized() -> (a: (Tensor, Tensor), b: (Tensor, Tensor)) {
        let re = lambdaRealLog.value.exp().negated(), im = lambdaImaginary.value, step = logStep.value.exp()
        let modulus = (re * step).exp(), angle = im * step
        let (aRe, aIm) = (modulus * angle.cos(), modulus * angle.sin())
        // g = (Λ̄ − 1)/Λ, then B̄ = g·B.
        let squared = re.squared() + im.squared()
        let gRe = ((aRe - 1) * re + aIm * im) / squared, gIm = (aIm * re - (aRe - 1) * im) / squared
        let (bRe, bIm) = (inputWeightReal.value, inputWeightImaginary.value)
        let column = [stateSize, 1]
        let (g1, g2) = (gRe.reshaped(column), gIm.reshaped(column))
        return ((aRe, aIm), (g1 * bRe - g2 * bIm, g1 * bIm + g2 * bRe))
    }

    /// The block over L steps of B rows, time-major: u (L, B, H), the state
    /// x (B, 2N) before the first step, per-step reset flags (L × B).
    /// - Returns: y (L, B, H) and the state after the last step.
    func run(_ u: Tensor, from x: Tensor, resets: [[Bool]]) -> (Tensor, Tensor) {
        let (length, batch, width, n) = (u.shape[0], u.shape[1], u.shape[2], stateSize)
        let (a, b) = discretized()
        let flat = u.reshaped([length * batch, width])
        let drivenRe = flat.linear(b.0).reshaped([length, batch, n]), drivenIm = flat.linear(b.1).reshaped([length, batch, n])
        // The recurrence as one fused operation (its backward by hand).
        let packed = Tensor.diagonalScan(aReal: a.0, aImaginary: a.1, drivenReal: drivenRe, drivenImaginary: drivenIm,
                                         hidden: x, resets: Array(resets.joined()))
        let count = length * batch * 2 * n
        let all = packed.slice(0..<count).reshaped([length * batch, 2 * n]).split([n, n], axis: 1)
        let ssm = all[0].linear(outputWeightReal.value) - all[1].linear(outputWeightImaginary.value) + flat * skipWeight.value
        let y = norm(flat + mix(ssm.gelu()))
        return (y.reshaped([length, batch, width]), packed.slice(count..<packed.count).reshaped([batch, 2 * n]))
    }
}
