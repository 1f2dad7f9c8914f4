/// How a recurrent layer's parameters get their gradient in an online agent.
public enum RecurrentLearningRule: String, Sendable, CaseIterable {
    /// Exact real-time recurrent learning: sensitivities carried forward
    /// forever, never truncated (element-wise cells only).
    case rtrl
    /// Truncated backpropagation through time: gradients flow back through
    /// the M steps of the current update and stop at its start.
    case tbptt
    /// SnAp-1 (Menick et al. 2020): RTRL keeping the sensitivities of one
    /// step's reach, carried by the diagonal of the recurrence (dense cells).
    case snap1
    /// UORO (Tallec & Ollivier 2018): an unbiased rank-one estimate of RTRL's
    /// sensitivities (dense cells).
    case uoro
}

/// Hyperparameters of the online actor-critic (A2C-style, Mnih et al. 2016,
/// with the recurrent learning rules of Irie et al. 2024).
public struct OnlineActorCriticConfig: Sendable, Equatable {
    /// M: environment steps per env between updates. The memory and, for RTRL,
    /// the sensitivities carry over from one update to the next; for TBPTT it
    /// is also the truncation length.
    public var updateInterval = 8
    public var learningRule = RecurrentLearningRule.rtrl
    /// Discount factor γ.
    public var gamma: Float = 0.99
    /// GAE's λ within the M steps (1: n-step returns bootstrapped from V after step M).
    public var gaeLambda: Float = 0.95
    /// Value-loss coefficient c_v.
    public var valueCoefficient: Float = 0.5
    /// Entropy-bonus coefficient c_e.
    public var entropyCoefficient: Float = 0.01
    /// Adam step size α.
    public var learningRate: Float = 1e-3
    public var adamEpsilon: Float = 1e-5
    /// Clip the gradients' global L2 norm to this.
    public var maxGradientNorm: Float = 1

    public init() {}
}
