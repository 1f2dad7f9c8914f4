/// DreamerV3's MLP: each hidden layer is Linear (no bias) → LayerNorm → SiLU,
/// and an optional output Linear follows (Hafner et al. 2023, the reference
/// code's `MLP` with `norm: layer, act: silu`). Normalising every hidden layer
/// keeps world-model and actor-critic training stable across domains with one
/// set of hyperparameters.
///
///     let encoder = NormMLP(4, hidden: [256, 256], nil, rng: &rng)     // (…, 4) → (…, 256)
///     let reward = NormMLP(512, hidden: [256], 255, outputInit: .zeros, rng: &rng)
public final class NormMLP: Module {
    public let hidden: [Linear]
    public let norms: [LayerNorm]
    /// The last layer, linear with bias; nil when the last hidden layer is the output.
    public let output: Linear?

    /// - Parameters:
    ///   - outFeatures: width of the output Linear, or nil for none.
    ///   - outputInit: the output layer's weights (DreamerV3 zeros those of the reward and critic heads).
    public init(_ inFeatures: Int, hidden widths: [Int], _ outFeatures: Int?, outputInit: Initializer = .lecunUniform,
                rng: inout RandomGenerator) {
        precondition(!widths.isEmpty || outFeatures != nil, "a NormMLP needs a hidden layer or an output")
        var layers: [Linear] = [], norms: [LayerNorm] = [], width = inFeatures
        for w in widths {
            layers.append(Linear(width, w, bias: false, rng: &rng))
            norms.append(LayerNorm(w, epsilon: 1e-3))
            width = w
        }
        (hidden, self.norms) = (layers, norms)
        output = outFeatures.map { Linear(width, $0, weightInit: outputInit, rng: &rng) }
    }

    public var inFeatures: Int { hidden.first?.inFeatures ?? output!.inFeatures }
    public var outFeatures: Int { output?.outFeatures ?? hidden.last!.outFeatures }

    /// - Parameter x: (…, inFeatures).
    /// - Returns: (…, outFeatures).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var h = x
        for (layer, norm) in zip(hidden, norms) { h = norm(layer(h)).silu() }
        return output.map { $0(h) } ?? h
    }
}
