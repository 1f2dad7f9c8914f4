/// A multilayer perceptron: Linear → activation → … → Linear.
///
/// `MLP(4, hidden: [64, 64], 2)` has two hidden layers of 64 units and a
/// linear output. PPO-style networks use `weightInit: .orthogonal(gain: √2)`
/// for hidden layers and a small gain for the output layer.
public final class MLP: Module {
    public let layers: [Linear]
    public let activation: Activation
    /// Applied after the last layer too (for encoders whose output feeds another layer).
    public let activateOutput: Bool

    public init(
        _ inFeatures: Int, hidden: [Int], _ outFeatures: Int,
        activation: Activation = .tanh, activateOutput: Bool = false,
        weightInit: Initializer = .lecunUniform, outputWeightInit: Initializer? = nil,
        rng: inout RandomGenerator
    ) {
        let widths = [inFeatures] + hidden + [outFeatures]
        var layers: [Linear] = []
        for i in 0..<(widths.count - 1) {
            let isOutput = i == widths.count - 2
            layers.append(Linear(widths[i], widths[i + 1],
                                 weightInit: isOutput ? (outputWeightInit ?? weightInit) : weightInit, rng: &rng))
        }
        self.layers = layers
        self.activation = activation
        self.activateOutput = activateOutput
    }

    /// - Parameter x: (…, inFeatures).
    /// - Returns: (…, outFeatures).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var h = x
        for (i, layer) in layers.enumerated() {
            h = layer(h)
            if i < layers.count - 1 || activateOutput { h = activation(h) }
        }
        return h
    }
}
