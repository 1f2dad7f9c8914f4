/// Adam (Kingma & Ba 2015, Algorithm 1) with PyTorch's ε placement, and
/// AdamW's decoupled weight decay (Loshchilov & Hutter 2019) when
/// `weightDecay` > 0:
///
///     θ ← θ − α·λ·θ                         (AdamW only, before the Adam step)
///     m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²
///     θ ← θ − α·(m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
public final class Adam: Optimizer {
    public var learningRate: Float
    /// β₁, β₂: decay rates of the first and second moment estimates.
    public let beta1: Float, beta2: Float
    /// ε, added to √v̂ for numerical stability.
    public let epsilon: Float
    /// λ, decoupled weight decay (AdamW); 0 for plain Adam.
    public let weightDecay: Float
    private let moments: MomentBuffers

    public init(
        _ named: [(name: String, parameter: Parameter)], learningRate: Float = 1e-3,
        beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0
    ) {
        (self.learningRate, self.beta1, self.beta2, self.epsilon, self.weightDecay) =
            (learningRate, beta1, beta2, epsilon, weightDecay)
        moments = MomentBuffers(named)
    }

    /// Optimises every parameter of `module`.
    public convenience init(
        _ module: any Module, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
        epsilon: Float = 1e-8, weightDecay: Float = 0
    ) {
        self.init(module.namedParameters, learningRate: learningRate, beta1: beta1, beta2: beta2,
                  epsilon: epsilon, weightDecay: weightDecay)
    }

    public var parameters: [Parameter] { moments.parameters }
    public var step: Int { moments.step }
    public var state: [String: Tensor] { moments.state }
    public func load(state: [String: Tensor]) throws { try moments.load(state) }

    public func update(_ gradients: [Tensor]) {
        moments.checkGradients(gradients)
        moments.step += 1
        let t = Float(moments.step)
        let correction1 = 1 - powf(beta1, t), correction2 = 1 - powf(beta2, t)
        let stepSize = learningRate / correction1
        let inverseRootCorrection2 = 1 / correction2.squareRoot()
        let decay = 1 - learningRate * weightDecay
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        for i in moments.parameters.indices {
            gradients[i].withUnsafeBufferPointer { g in
                moments.first[i].withUnsafeMutableBufferPointer { m in
                    moments.second[i].withUnsafeMutableBufferPointer { v in
                        moments.parameters[i].update { p in
                            for j in 0..<p.count {
                                m[j] = b1 * m[j] + (1 - b1) * g[j]
                                v[j] = b2 * v[j] + (1 - b2) * g[j] * g[j]
                                p[j] = p[j] * decay - stepSize * m[j] / (v[j].squareRoot() * inverseRootCorrection2 + eps)
                            }
                        }
                    }
                }
            }
        }
    }
}
