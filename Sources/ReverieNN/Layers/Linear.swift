/// y = x·Wᵀ + b, with PyTorch's weight layout so checkpoints move freely.
public final class Linear: Module {
    /// (outFeatures, inFeatures)
    public let weight: Parameter
    /// (outFeatures), absent when built with `bias: false`.
    public let bias: Parameter?

    public init(
        _ inFeatures: Int, _ outFeatures: Int, bias: Bool = true,
        weightInit: Initializer = .lecunUniform, biasInit: Initializer = .zeros,
        rng: inout RandomGenerator
    ) {
        weight = Parameter(weightInit.make([outFeatures, inFeatures], using: &rng))
        self.bias = bias ? Parameter(biasInit.make([outFeatures], using: &rng)) : nil
    }

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    /// - Parameter x: (…, inFeatures).
    /// - Returns: (…, outFeatures).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.shape.last == inFeatures, "Linear(\(inFeatures)→\(outFeatures)) got input of shape \(x.shape)")
        return x.linear(weight.value, bias: bias?.value)
    }
}
