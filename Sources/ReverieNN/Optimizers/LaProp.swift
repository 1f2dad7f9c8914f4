/// LaProp (Ziyin, Wang & Ueda 2020, Algorithm 1): the gradient is normalised
/// by the RMS of past gradients *before* it enters the momentum, which
/// decouples momentum from adaptivity; DreamerV3 trains with it.
///
///     v ← β₂v + (1 − β₂)g²
///     m ← β₁m + (1 − β₁)·g / (√(v / (1 − β₂ᵗ)) + ε)
///     θ ← θ − α·m / (1 − β₁ᵗ)
public final class LaProp: Optimizer {
    public var learningRate: Float
    /// β₁ (momentum) and β₂ (RMS) decay rates.
    public let beta1: Float, beta2: Float
    /// ε, added to the RMS before dividing.
    public let epsilon: Float
    private let moments: MomentBuffers

    public init(
        _ named: [(name: String, parameter: Parameter)], learningRate: Float = 4e-5,
        beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-20
    ) {
        (self.learningRate, self.beta1, self.beta2, self.epsilon) = (learningRate, beta1, beta2, epsilon)
        moments = MomentBuffers(named)
    }

    /// Optimises every parameter of `module`.
    public convenience init(
        _ module: any Module, learningRate: Float = 4e-5, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-20
    ) {
        self.init(module.namedParameters, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon)
    }

    public var parameters: [Parameter] { moments.parameters }
    public var step: Int { moments.step }
    public var state: [String: Tensor] { moments.state }
    public func load(state: [String: Tensor]) throws { try moments.load(state) }

    public func update(_ gradients: [Tensor]) {
        moments.checkGradients(gradients)
        moments.step += 1
        let t = Float(moments.step)
        let stepSize = learningRate / (1 - powf(beta1, t))
        let inverseRootCorrection2 = 1 / (1 - powf(beta2, t)).squareRoot()
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        for i in moments.parameters.indices {
            gradients[i].withUnsafeBufferPointer { g in
                moments.first[i].withUnsafeMutableBufferPointer { m in
                    moments.second[i].withUnsafeMutableBufferPointer { v in
                        moments.parameters[i].update { p in
                            for j in 0..<p.count {
                                v[j] = b2 * v[j] + (1 - b2) * g[j] * g[j]
                                m[j] = b1 * m[j] + (1 - b1) * g[j] / (v[j].squareRoot() * inverseRootCorrection2 + eps)
                                p[j] -= stepSize * m[j]
                            }
                        }
                    }
                }
            }
        }
    }
}
