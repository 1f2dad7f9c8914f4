/// Drama's backbone (Wang et al. 2024): residual Mamba blocks (Gu & Dao 2023),
///
///     u → Linear(D → H) → [ u + Mamba(RMSNorm(u)) ] × layers
///
/// A Mamba layer of inner width E = expand·H and N states per channel:
///
///     x, z = split(W_in·u)                        (E each)
///     x = SiLU(causal depthwise conv₄(x))         (per channel, width 4)
///     δ, B_t, C_t = split(W_x·x)                  (R, N, N: input-dependent)
///     Δ = softplus(W_Δ·δ + b_Δ)                   (E)
///     h_t = exp(Δ A) ⊙ h_{t−1} + (Δ ⊙ x) ⊗ B_t    (E × N; A = −exp(A_log))
///     y = (h_t · C_t + D ⊙ x) ⊙ SiLU(z),  out = W_out·y
///
/// The state per layer is (h (B, E·N), the last three conv inputs (B, 3E)),
/// so `step` costs O(1); a reset restarts both. Initialisation as mamba.py:
/// A_log = log(1…N) per channel, D = 1, b_Δ = softplus⁻¹ of Δ log-uniform in
/// [10⁻³, 10⁻¹].
///
/// `scan` runs each layer over the whole sequence: projections in one matmul,
/// the convolution and the recurrence as fused operations with hand-written
/// backwards (`Tensor.causalConvolution`, `Tensor.selectiveScan`); `step`
/// runs the same equations one step at a time (a property test holds them
/// equal).
public final class MambaBackbone: SequenceBackbone {
    public let input: Linear
    public let layers: [MambaLayer]

    public init(inputSize: Int, width: Int, layers: Int, stateSize: Int, expand: Int = 2, rng: inout RandomGenerator) {
        precondition(layers >= 1, "a backbone needs at least one layer")
        input = Linear(inputSize, width, rng: &rng)
        self.layers = (0..<layers).map { _ in MambaLayer(width: width, stateSize: stateSize, expand: expand, rng: &rng) }
    }

    public var inputSize: Int { input.inFeatures }
    public var outputSize: Int { input.outFeatures }

    /// Per layer: h (B, E·N), then the conv window (B, 3E).
    public func initialState(batch: Int) -> RecurrentState {
        RecurrentState(layers.flatMap { [Tensor.zeros([batch, $0.inner * $0.stateSize]), Tensor.zeros([batch, 3 * $0.inner])] })
    }

    public func step(_ input: Tensor, _ state: RecurrentState, resets: [Bool]) -> (output: Tensor, state: RecurrentState) {
        let start = state.reset(where: resets)
        var u = self.input(input), next: [Tensor] = []
        for (k, layer) in layers.enumerated() {
            let (y, h, window) = layer.step(u, h: start.parts[2 * k], window: start.parts[2 * k + 1])
            u = y
            next += [h, window]
        }
        return (u, RecurrentState(next))
    }

    public func scan(_ inputs: Tensor, _ state: RecurrentState, resets: [Bool]) -> (outputs: Tensor, state: RecurrentState) {
        let (_, _, flags) = scanShape(inputs, resets: resets)
        var u = input(inputs.swappingLeadingAxes())  // (L, B, H), projected in one matmul
        var finals: [Tensor] = []
        for (k, layer) in layers.enumerated() {
            let (y, h, window) = layer.run(u, h: state.parts[2 * k], window: state.parts[2 * k + 1], resets: flags)
            u = y
            finals += [h, window]
        }
        return (u.swappingLeadingAxes(), RecurrentState(finals))
    }
}

/// One residual Mamba block of `MambaBackbone`.
public final class MambaLayer: Module {
    public let norm: RMSNorm
    /// W_in (2E, H): x and z.
    public let inProjection: Linear
    /// The causal depthwise convolution: (E, 4) taps, oldest input first, and (E) biases.
    public let convWeight: Parameter
    public let convBias: Parameter
    /// W_x (R + 2N, E): δ, B_t, C_t.
    public let xProjection: Linear
    /// W_Δ (E, R) and b_Δ.
    public let stepProjection: Linear
    /// log(−A), (E, N).
    public let aLog: Parameter
    /// D, (E).
    public let skipWeight: Parameter
    /// W_out (H, E).
    public let outProjection: Linear

    public init(width: Int, stateSize: Int, expand: Int, rng: inout RandomGenerator) {
        let inner = expand * width, rank = max(1, (width + 15) / 16)
        norm = RMSNorm(width)
        inProjection = Linear(width, 2 * inner, bias: false, rng: &rng)
        convWeight = Parameter(Initializer.uniform(-0.5, 0.5).make([inner, 4], using: &rng))
        convBias = Parameter(Initializer.uniform(-0.5, 0.5).make([inner], using: &rng))
        xProjection = Linear(inner, rank + 2 * stateSize, bias: false, rng: &rng)
        stepProjection = Linear(rank, inner, rng: &rng)
        // b_Δ = softplus⁻¹(Δ₀) = Δ₀ + log(1 − exp(−Δ₀)), Δ₀ log-uniform in [1e-3, 1e-1].
        let stepBias = (0..<inner).map { _ -> Float in
            let delta = expf(logf(1e-3) + rng.uniform() * (logf(1e-1) - logf(1e-3)))
            return delta + logf(-expm1f(-delta))
        }
        stepProjection.bias!.update { b in for i in 0..<inner { b[i] = stepBias[i] } }
        aLog = Parameter(Tensor((0..<(inner * stateSize)).map { logf(Float($0 % stateSize + 1)) }, shape: [inner, stateSize]))
        skipWeight = Parameter(.ones([inner]))
        outProjection = Linear(inner, width, bias: false, rng: &rng)
    }

    /// E, the inner width.
    public var inner: Int { skipWeight.shape[0] }
    /// N, states per channel.
    public var stateSize: Int { aLog.shape[1] }
    var rank: Int { stepProjection.inFeatures }

    /// L steps of B rows, time-major: u (L, B, H), h (B, E·N) and the conv
    /// window (B, 3E) before the first step, reset flags per step (L × B).
    /// - Returns: u + Mamba(RMSNorm(u)) (L, B, H), the final h and window.
    func run(_ u: Tensor, h: Tensor, window: Tensor, resets: [[Bool]]) -> (Tensor, Tensor, Tensor) {
        let (length, batch, e, n) = (u.shape[0], u.shape[1], inner, stateSize)
        let parts = inProjection(norm(u)).split([e, e], axis: -1)  // (L, B, E) each
        let (x, z) = (parts[0], parts[1])
        let (xc, nextWindow) = convolved(x, window: window, resets: Array(resets.joined()))
        let q = xProjection(xc).split([rank, n, n], axis: -1)
        let delta = stepProjection(q[0]).softplus()                                  // (L, B, E)
        let packed = Tensor.selectiveScan(delta: delta, x: xc, b: q[1], c: q[2], a: aLog.value.exp().negated(),
                                          hidden: h, resets: Array(resets.joined()))
        let count = length * batch * e
        let y = packed.slice(0..<count).reshaped([length, batch, e]) + skipWeight.value * xc
        let out = u + outProjection(y * z.silu())
        return (out, packed.slice(count..<packed.count).reshaped([batch, e * n]), nextWindow)
    }

    /// SiLU(causal depthwise conv₄(x)) for x (L, B, E) after the window of the
    /// last three inputs (B, 3E), fused (`Tensor.causalConvolution`).
    /// - Returns: (L, B, E) and the window after the last step.
    private func convolved(_ x: Tensor, window: Tensor, resets: [Bool]) -> (Tensor, Tensor) {
        let (length, batch, e) = (x.shape[0], x.shape[1], x.shape[2]), count = length * batch * e
        let packed = Tensor.causalConvolution(x, window: window, weight: convWeight.value, bias: convBias.value, resets: resets)
        return (packed.slice(0..<count).reshaped([length, batch, e]).silu(), packed.slice(count..<packed.count).reshaped([batch, 3 * e]))
    }

    /// One step: u (B, H), h (B, E·N), the last three conv inputs (B, 3E).
    /// - Returns: u + Mamba(RMSNorm(u)), the next h and window.
    func step(_ u: Tensor, h: Tensor, window: Tensor) -> (Tensor, Tensor, Tensor) {
        let (batch, e, n) = (u.shape[0], inner, stateSize)
        let parts = inProjection(norm(u)).split([e, e], axis: 1)
        let (x, z) = (parts[0], parts[1])
        let (sequence, nextWindow) = convolved(x.reshaped([1, batch, e]), window: window, resets: [])
        let xc = sequence.select(0)
        let q = xProjection(xc).split([rank, n, n], axis: 1)
        let delta = stepProjection(q[0]).softplus()                                 // (B, E)
        let a = aLog.value.exp().negated()                                          // (E, N)
        let decay = (delta.reshaped([batch, e, 1]) * a).exp()                       // (B, E, N)
        let drive = (delta * xc).reshaped([batch, e, 1]) * q[1].reshaped([batch, 1, n])
        let next = decay * h.reshaped([batch, e, n]) + drive                        // (B, E, N)
        let y = (next * q[2].reshaped([batch, 1, n])).sum(axis: 2) + skipWeight.value * xc
        let out = u + outProjection(y * z.silu())
        return (out, next.reshaped([batch, e * n]), nextWindow)
    }
}
