/// The shape and loss weights of a `WorldModel`: DreamerV3's defaults unless
/// noted (Hafner et al. 2023; ../shared/PAPERS.md), with the backbone one
/// swappable part.
public struct WorldModelConfig: Sendable, Equatable {
    /// The sequence model carrying h_t: `.gru` is DreamerV3's RSSM, `.s4` S4WM's, `.mamba` Drama's.
    public var backbone = BackboneConfig(kind: .gru, width: 256, layers: 1, stateSize: 16, blocks: 1)
    /// G, categorical variables of the stochastic latent z.
    public var latentGroups = 32
    /// K, classes of each.
    public var latentClasses = 32
    /// Width of every hidden layer of the encoder, decoder and heads.
    public var units = 256
    /// Hidden layers of the encoder and the decoder.
    public var layers = 2
    /// d, the channels of the image encoder's first convolution (2d, 4d, 8d follow).
    public var cnnDepth = 16
    /// Weight of the uniform mixture in the latents' distributions (1%).
    public var unimix: Float = 0.01
    /// Free bits: each KL term is clamped below at this many nats.
    public var freeBits: Float = 1
    /// β_dyn, weight of the dynamics loss KL(sg(post) ‖ prior).
    public var dynamicsScale: Float = 0.5
    /// β_rep, weight of the representation loss KL(post ‖ sg(prior)).
    public var representationScale: Float = 0.1
    /// Bins of the reward head's two-hot symlog distribution.
    public var rewardBins = 255

    public init() {}

    /// What the posterior q(z_t | ·) reads.
    public enum PosteriorInput: String, Sendable, CaseIterable {
        /// h_t and the observation (the RSSM's): the sequence runs step by step.
        case state
        /// The observation alone (S4WM's, Drama's): the sequence runs through the backbone's parallel `scan`.
        case observation
    }

    /// What the posterior reads; nil: the backbone's own design (`.state` for
    /// the RSSM, `.observation` for S4WM and Drama).
    public var posteriorInput: PosteriorInput?

    /// The posterior reads h_t as well as the observation, so the sequence runs step by step.
    public var posteriorReadsBackbone: Bool {
        (posteriorInput ?? (backbone.kind == .gru ? .state : .observation)) == .state
    }

    /// G·K, the width of a flat latent z.
    public var latentSize: Int { latentGroups * latentClasses }

    /// H + G·K, the width of a feature [h, z] that heads and the actor read.
    public var featureSize: Int { backbone.width + latentSize }
}
