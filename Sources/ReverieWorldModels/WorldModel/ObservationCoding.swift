// A world model reads observations with an `ObservationEncoder` (ReverieNN's:
// (N, O) observations → (N, E) embeddings e_t) and rebuilds them from its
// features f_t = [h_t, z_t] with a decoder and its loss. Observations travel
// flat: a row of (N, O) is one observation, an image in Gymnasium's HWC
// layout with values 0…255 (pixels) or 0 and 1 (MinAtar's grids).

/// Which encoder and decoder a world model builds for an observation's shape.
public enum ObservationCoding: String, Sendable, Equatable {
    /// DreamerV3's MLPs on symlog x (`VectorEncoder`, `VectorDecoder`): [O].
    case vector
    /// DreamerV3's stride-2 CNNs (`PixelEncoder`, `PixelDecoder`): [H, W, C], sides divisible by 16.
    case pixels
    /// Stride-1 CNNs (`GridEncoder`, `GridDecoder`): small grids such as MinAtar's 10×10×C.
    case grid

    /// The largest grid, in cells (H·W), that `.grid` reads: its flattened
    /// maps (d·H·W) feed dense layers.
    public static let largestGrid = 32 * 32

    /// The coding for observations of `shape`: vectors for rank 1, DreamerV3's
    /// CNN where both sides divide by 16, the grid CNN for other images of at
    /// most `largestGrid` cells. Throws a message naming the shape otherwise.
    public static func choose(for shape: [Int]) throws(ObservationCodingError) -> ObservationCoding {
        switch shape.count {
        case 1: return .vector
        case 3 where shape[0] % 16 == 0 && shape[1] % 16 == 0: return .pixels
        case 3 where shape[0] * shape[1] <= largestGrid: return .grid
        case 3: throw ObservationCodingError(shape: shape, reason: "images need sides divisible by 16 (resize to 64×64, "
                                              + "e.g. atari.screen_size = 64) or at most \(largestGrid) cells")
        default: throw ObservationCodingError(shape: shape, reason: "the world model reads vectors or H×W×C images")
        }
    }
}

/// A shape no `ObservationCoding` reads.
public struct ObservationCodingError: Error, CustomStringConvertible {
    public let shape: [Int]
    public let reason: String
    public var description: String { "observations of shape \(shape): \(reason)" }
}

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
