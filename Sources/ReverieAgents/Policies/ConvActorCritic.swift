import ReverieEnvs
import ReverieNN
import ReverieRecurrent

/// An actor-critic over images: one convolutional trunk (`ImageEncoder`)
/// shared by a linear actor and a linear critic, as CleanRL's `ppo_atari`
/// builds it (Nature CNN, 512 features; the actor's layer initialised
/// orthogonally with gain 0.01, the critic's with gain 1).
///
///     let policy = try ConvActorCritic(.nature, observationSpace: .box(low: 0, high: 255, shape: [84, 84, 4], dtype: .uint8),
///                                      head: .categorical(6), rng: &rng)
///     let (pi, value) = policy(observations)      // (B, 84·84·4) → π over B, (B)
public final class ConvActorCritic: FeedforwardActorCritic {
    public let encoder: ImageEncoder
    public let actor: Linear
    public let critic: Linear
    /// (D) state-independent log σ of a continuous head; nil for a categorical one.
    public let logStd: Parameter?
    public let head: ActionHead

    /// - Throws: `AgentError.unsupportedSpace` if the observations are not images the encoder can read.
    public init(_ kind: ImageEncoder.Kind, observationSpace: Space, head: ActionHead, initialLogStd: Float = 0,
                rng: inout RandomGenerator) throws {
        encoder = try Self.encoder(kind, for: observationSpace, rng: &rng)
        self.head = head
        actor = Linear(encoder.outputSize, head.outputCount, weightInit: .orthogonal(gain: 0.01), rng: &rng)
        critic = Linear(encoder.outputSize, 1, weightInit: .orthogonal(gain: 1), rng: &rng)
        if case .categorical = head { logStd = nil } else {
            logStd = Parameter(Tensor(repeating: initialLogStd, shape: [head.outputCount]))
        }
    }

    public var observationSize: Int { encoder.imageShape.reduce(1, *) }

    /// - Parameter observations: (B, H·W·C).
    /// - Returns: the action distribution over the B states and their values V(s), (B).
    public func callAsFunction(_ observations: Tensor) -> (PolicyDistribution, Tensor) {
        let features = encoder(observations)
        return (PolicyDistribution(head, outputs: actor(features), logStd: logStd?.value),
                critic(features).reshaped([features.shape[0]]))
    }

    /// The `kind` trunk for images from `observationSpace`; pixels (a box
    /// reaching past 1, such as uint8 0…255) are scaled to [0, 1] on entry,
    /// values already in [0, 1] (MinAtar's 0/1 grids, uint8 or not) are not.
    /// - Throws: `AgentError.unsupportedSpace` if the observations are not images the encoder can read.
    static func encoder(_ kind: ImageEncoder.Kind, for observationSpace: Space, rng: inout RandomGenerator) throws -> ImageEncoder {
        guard case .box(_, let high, let shape, _) = observationSpace, ImageEncoder.accepts(kind, imageShape: shape) else {
            let sides = [ImageEncoder.Kind.nature: "of side 36 or more", .minatar: "of side 3 or more", .impala: ""][kind]!
            throw AgentError.unsupportedSpace(observationSpace, reason: "policy.encoder = \"\(kind.rawValue)\" reads images (H, W, C)"
                                              + (sides.isEmpty ? "" : " " + sides))
        }
        let scale: Float = (high.max() ?? 1) > 1 ? 1 / 255 : 1
        return ImageEncoder(kind, imageShape: shape, scale: scale, rng: &rng)
    }
}
