/// Layer normalisation over the last axis with a learned gain and bias
/// (Ba et al. 2016): y = γ ⊙ (x − μ)/√(σ² + ε) + β.
public final class LayerNorm: Module {
    /// γ, (features), initialised to 1.
    public let weight: Parameter
    /// β, (features), initialised to 0.
    public let bias: Parameter
    public let epsilon: Float

    public init(_ features: Int, epsilon: Float = 1e-5) {
        weight = Parameter(.ones([features]))
        bias = Parameter(.zeros([features]))
        self.epsilon = epsilon
    }

    /// - Parameter x: (…, features).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.layerNormalized(epsilon: epsilon) * weight.value + bias.value
    }
}

/// Root-mean-square normalisation over the last axis with a learned gain
/// (Zhang & Sennrich 2019): y = γ ⊙ x/√(mean(x²) + ε).
public final class RMSNorm: Module {
    /// γ, (features), initialised to 1.
    public let weight: Parameter
    public let epsilon: Float

    public init(_ features: Int, epsilon: Float = 1e-6) {
        weight = Parameter(.ones([features]))
        self.epsilon = epsilon
    }

    /// - Parameter x: (…, features).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.rmsNormalized(epsilon: epsilon) * weight.value
    }
}
