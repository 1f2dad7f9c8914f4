import ReverieNN
import ReverieRecurrent

/// Separate actor and critic MLPs over the observation (PPO's default in
/// CleanRL and Stable-Baselines3), initialised orthogonally: gain √2 for
/// hidden layers, 0.01 for the actor's output (a near-uniform first policy),
/// 1 for the critic's (Andrychowicz et al. 2021, "What Matters in On-Policy RL").
///
///     let policy = ActorCritic(observationSize: 4, head: .categorical(2), hidden: [64, 64], rng: &rng)
///     let (pi, value) = policy(observations)          // (B, 4) → distribution over B, (B)
public final class ActorCritic: FeedforwardActorCritic {
    /// What both MLPs read the observation through (one-hot features of a
    /// discrete observation), or nil: they read it as it is.
    public let encoder: (any ObservationEncoder)?
    public let actor: MLP
    public let critic: MLP
    /// (D) state-independent log σ of a continuous head; nil for a categorical one.
    public let logStd: Parameter?
    public let head: ActionHead

    /// - Parameters:
    ///   - observationSize: length of a flat observation (read only without an encoder).
    ///   - encoder: what turns observations into the MLPs' input, if anything.
    ///   - hidden: widths of both MLPs' hidden layers.
    ///   - initialLogStd: log σ at the start, for continuous heads.
    public init(observationSize: Int, encoder: (any ObservationEncoder)? = nil, head: ActionHead, hidden: [Int] = [64, 64],
                activation: Activation = .tanh, initialLogStd: Float = 0, rng: inout RandomGenerator) {
        self.head = head
        self.encoder = encoder
        (actor, critic, logStd) = makeActorAndCritic(inputSize: encoder?.outputSize ?? observationSize, head: head,
                                                     hidden: hidden, activation: activation, initialLogStd: initialLogStd, rng: &rng)
    }

    public var observationSize: Int { encoder?.inputSize ?? actor.layers[0].inFeatures }

    /// - Parameter observations: (B, observationSize).
    /// - Returns: the action distribution over the B states and their values V(s), (B).
    public func callAsFunction(_ observations: Tensor) -> (PolicyDistribution, Tensor) {
        actorCriticOutputs(actor: actor, critic: critic, head: head, logStd: logStd, encoder.map { $0(observations) } ?? observations)
    }
}

/// PPO's actor and critic MLPs on an input of `inputSize`, initialised
/// orthogonally (gain √2 hidden, 0.01 for the actor's output, 1 for the
/// critic's), and the log σ parameter a continuous head needs.
func makeActorAndCritic(inputSize: Int, head: ActionHead, hidden: [Int], activation: Activation,
                        initialLogStd: Float, rng: inout RandomGenerator) -> (actor: MLP, critic: MLP, logStd: Parameter?) {
    let actor = MLP(inputSize, hidden: hidden, head.outputCount, activation: activation,
                    weightInit: .orthogonal(gain: Float(2).squareRoot()), outputWeightInit: .orthogonal(gain: 0.01), rng: &rng)
    let critic = MLP(inputSize, hidden: hidden, 1, activation: activation,
                     weightInit: .orthogonal(gain: Float(2).squareRoot()), outputWeightInit: .orthogonal(gain: 1), rng: &rng)
    if case .categorical = head { return (actor, critic, nil) }
    return (actor, critic, Parameter(Tensor(repeating: initialLogStd, shape: [head.outputCount])))
}

/// π(·|x) and V(x), (R), from the actor and critic on R input rows (R, inputSize).
func actorCriticOutputs(actor: MLP, critic: MLP, head: ActionHead, logStd: Parameter?, _ x: Tensor) -> (PolicyDistribution, Tensor) {
    (PolicyDistribution(head, outputs: actor(x), logStd: logStd?.value), critic(x).reshaped([x.shape[0]]))
}
