// A world model reads observations with an `ObservationEncoder` (ReverieNN's:
// (N, O) observations → (N, E) embeddings e_t) and rebuilds them from its
// features f_t = [h_t, z_t] with a decoder and its loss. Observations travel
// flat: a row of (N, O) is one observation, a pixel image in Gymnasium's HWC
// layout with values 0…255.

/// How a world model rebuilds observations from its features.
public protocol ObservationDecoder: Module {
    /// The reconstruction loss −log p(x | f) up to a constant: (N, F) features
    /// and (N, O) observations → (N), summed over each observation's values.
    func loss(_ features: Tensor, targets: Tensor) -> Tensor
    /// (N, F) features → (N, O) decoded observations, in the observations' units.
    func reconstruction(_ features: Tensor) -> Tensor
}

/// DreamerV3's vector encoder: an MLP of normalised layers on symlog(x).
public final class VectorEncoder: ObservationEncoder {
    public let mlp: NormMLP

    public init(observationSize: Int, units: Int, layers: Int, rng: inout RandomGenerator) {
        mlp = NormMLP(observationSize, hidden: Array(repeating: units, count: layers), nil, rng: &rng)
    }

    public var inputSize: Int { mlp.inFeatures }
    public var outputSize: Int { mlp.outFeatures }

    public func callAsFunction(_ observations: Tensor) -> Tensor { mlp(observations.symlog()) }
}

/// DreamerV3's vector decoder: an MLP predicting symlog(x), trained by the
/// squared error in symlog space (symlog MSE), read back through symexp.
public final class VectorDecoder: ObservationDecoder {
    public let mlp: NormMLP

    public init(featureSize: Int, observationSize: Int, units: Int, layers: Int, rng: inout RandomGenerator) {
        mlp = NormMLP(featureSize, hidden: Array(repeating: units, count: layers), observationSize, rng: &rng)
    }

    public func loss(_ features: Tensor, targets: Tensor) -> Tensor {
        (mlp(features) - targets.symlog()).squared().sum(axis: -1)
    }

    public func reconstruction(_ features: Tensor) -> Tensor { mlp(features).symexp() }
}
