/// Hyperparameters of PPO (Schulman et al. 2017, "Proximal Policy Optimization
/// Algorithms"), named as in the paper where it names them. Defaults are
/// CleanRL's `ppo.py` / Stable-Baselines3's for classic control.
public struct PPOConfig: Sendable, Equatable {
    /// Environment steps per env per rollout (T in the paper; SB3's `n_steps`).
    public var rolloutSteps = 128
    /// Passes over each rollout (K in the paper; `n_epochs`).
    public var epochs = 4
    /// Samples per gradient step (M in the paper; `batch_size`). For recurrent
    /// policies it is rounded to whole env sequences of `rolloutSteps`.
    public var minibatchSize = 256
    /// Discount factor γ.
    public var gamma: Float = 0.99
    /// GAE parameter λ (Schulman et al. 2016, "High-Dimensional Continuous Control Using GAE").
    public var gaeLambda: Float = 0.95
    /// Clip range ε of the surrogate objective L^CLIP.
    public var clipRange: Float = 0.2
    /// Anneal ε linearly to 0 over training (as rl-zoo's `lin_0.2`).
    public var annealClipRange = false
    /// Clip the value prediction to within this distance of the rollout's
    /// value (CleanRL's `clip_vloss`); nil: unclipped.
    public var valueClipRange: Float? = nil
    /// Value-loss coefficient c₁.
    public var valueCoefficient: Float = 0.5
    /// Entropy-bonus coefficient c₂.
    public var entropyCoefficient: Float = 0.0
    /// Adam step size α.
    public var learningRate: Float = 3e-4
    /// Anneal α linearly to 0 over training.
    public var annealLearningRate = true
    /// Adam's ε (SB3 and CleanRL use 1e-5 for PPO, not PyTorch's 1e-8).
    public var adamEpsilon: Float = 1e-5
    /// Clip the gradients' global L2 norm to this.
    public var maxGradientNorm: Float = 0.5
    /// Normalise advantages to zero mean, unit variance in each minibatch.
    public var normalizeAdvantages = true
    /// Stop an update's epochs early once the approximate KL exceeds this; nil: never.
    public var targetKL: Float? = nil
    /// Learn from each reward's sign, −1, 0 or +1 (Mnih et al. 2015's reward
    /// clipping, CleanRL's `ClipRewardEnv`); episode statistics keep the raw rewards.
    public var clipRewards = false
    /// Recurrent policies: the length L of the sequences trained on — each
    /// env's T steps cut into T/L chunks, each starting from the memory stored
    /// when it was collected (sb3-contrib's way). 0: whole rollouts from the
    /// rollout's first memory (CleanRL's way).
    public var sequenceLength = 0
    /// Recurrent policies with L < T: steps replayed before each chunk (but a
    /// rollout's first) to refresh its stored memory with the current
    /// parameters, without gradient (R2D2's burn-in, Kapturowski et al. 2019). ≤ L.
    public var burnIn = 0

    public init() {}
}
