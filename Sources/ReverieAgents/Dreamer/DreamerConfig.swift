import ReverieWorldModels

/// Hyperparameters of the world-model agent: DreamerV3's (Hafner et al.
/// 2023) unless noted; Drama's DFS replay sampling and imagination context
/// (Wang et al. 2024) where the backbone is parallel.
public struct DreamerConfig: Sendable, Equatable {
    public var worldModel = WorldModelConfig()

    /// Transitions the replay keeps (all envs together).
    public var replayCapacity = 100_000
    /// B, sequences per world-model batch.
    public var batchSize = 16
    /// L, steps per sequence.
    public var sequenceLength = 64
    /// Drama's dynamic frequency-based sampling with this temperature τ; nil samples uniformly.
    public var samplingTemperature: Float? = nil
    /// Replayed steps trained on per env step (B·L per update; DreamerV3's `train_ratio`).
    public var trainRatio: Float = 64
    /// Env steps taken with uniformly random actions before the first update
    /// (all envs together).
    public var prefill = 1000
    /// Env steps per env between two reports (an iteration).
    public var iterationSteps = 64
    /// Acting in training draws the posterior latent z_t, as DreamerV3 does,
    /// instead of taking each group's most likely class (evaluation always
    /// takes it). The actor learns on sampled latents either way.
    public var samplesLatentsWhenActing = false
    /// W > 0: act from the model's state after the last W observations
    /// alone, recomputed from zeros at every step as replayed training
    /// sequences start (Drama's acting); 0 carries the state through the
    /// whole episode (DreamerV3's). Costs W model steps per acting step.
    public var actingWindow = 0

    /// Imagined steps from each start.
    public var horizon = 15
    /// Imagined trajectories per update: the RSSM's start from this many of
    /// the training batch's B·L posterior states (all of them if it asks for as many).
    public var imaginationBatch = 256
    /// S4 and Mamba: replayed steps the world model reads to reach each
    /// imagination start (Drama's context; the RSSM starts from the training batch).
    public var context = 8
    /// γ of imagined returns (1 − 1/333).
    public var gamma: Float = 0.997
    /// λ of the λ-returns.
    public var lambda: Float = 0.95
    /// η, weight of the actor's entropy bonus.
    public var entropyCoefficient: Float = 3e-4
    /// Decay of the EMAs of the returns' 5th and 95th percentiles.
    public var returnNormDecay: Float = 0.99
    /// Fraction the slow critic moves towards the critic after each update.
    public var slowCriticRate: Float = 0.02
    /// Weight of the critic's regulariser towards the slow critic's predictions.
    public var slowCriticRegularizer: Float = 1
    /// Hidden widths of the actor's and the critic's MLPs.
    public var actorCriticHidden = [256, 256]

    /// Adam step sizes of the world model, the actor and the critic.
    public var worldModelLearningRate: Float = 1e-4
    public var actorLearningRate: Float = 3e-5
    public var criticLearningRate: Float = 3e-5
    /// Adam's ε: the world model's 1e-8, the actor's and the critic's 1e-5
    /// (DreamerV3's configs.yaml: `model_opt` and `actor_opt`/`critic_opt`).
    /// A larger ε keeps Adam from blowing tiny, noisy actor gradients up to full-size steps.
    public var worldModelEpsilon: Float = 1e-8
    public var actorCriticEpsilon: Float = 1e-5
    /// Clip the world model's gradients' global norm to this.
    public var worldModelGradientClip: Float = 1000
    /// Clip the actor's and the critic's gradients' global norm to this.
    public var actorCriticGradientClip: Float = 100

    public init() {}

    /// The sizes a preset names (the world model's and the actor-critic's
    /// widths); everything else keeps its value.
    public enum Size: String, Sendable, CaseIterable {
        /// Vector envs on a laptop: h 128, 16×16 latents, 128 units.
        case tiny
        /// Near DreamerV3's 2023 `small` (h 512, 32×32 latents, 512 units),
        /// with the units halved to 256.
        case small
    }

    public mutating func apply(_ size: Size) {
        switch size {
        case .tiny:
            (worldModel.backbone.width, worldModel.units, worldModel.layers) = (128, 128, 2)
            (worldModel.latentGroups, worldModel.latentClasses) = (16, 16)
            actorCriticHidden = [128, 128]
        case .small:
            (worldModel.backbone.width, worldModel.units, worldModel.layers) = (512, 256, 2)
            (worldModel.latentGroups, worldModel.latentClasses) = (32, 32)
            actorCriticHidden = [256, 256]
        }
    }
}
