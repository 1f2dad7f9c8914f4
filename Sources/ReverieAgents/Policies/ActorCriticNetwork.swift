@_exported import ReverieRecurrent

/// A network that acts in B envs step by step: a policy π(a|s) and a value
/// V(s) over flat observations, with a memory carried from step to step.
/// Evaluation, `reverie eval` and the viewer drive any agent's policy through
/// this alone.
///
///     var memory = policy.initialMemory(batch: n)
///     let (pi, value, next) = policy.step(observations, memory: memory.reset(where: starts))
///     let actions = pi.sample(using: &rng)
///     memory = policy.remember(actions: actions, in: next)
public protocol ActingPolicy: Module {
    var head: ActionHead { get }
    /// D, the length of a flat observation.
    var observationSize: Int { get }

    /// The memory of B envs at the start of an episode (zeros; `.none` without memory).
    func initialMemory(batch: Int) -> RecurrentState

    /// One step of B envs: observations (B, D) and the memory after the
    /// previous step (already reset where an episode starts).
    /// - Returns: π(·|s) over the B states, V(s) (B), and the memory after this step.
    func step(_ observations: Tensor, memory: RecurrentState) -> (PolicyDistribution, Tensor, RecurrentState)

    /// The memory once the B envs' actions are chosen: a world model feeds
    /// a_t into its next step (h_{t+1} = f(h_t, z_t, a_t)); a policy whose
    /// memory reads observations only returns `memory` unchanged (the default).
    /// - Parameter actions: (B·actionWidth) raw action rows, as `PolicyDistribution.sample` gives them.
    func remember(actions: [Float], in memory: RecurrentState) -> RecurrentState
}

extension ActingPolicy {
    public func remember(actions: [Float], in memory: RecurrentState) -> RecurrentState { memory }

    /// Whether the network carries memory between steps.
    public var isRecurrent: Bool { !initialMemory(batch: 1).parts.isEmpty }
}

/// What PPO trains: an `ActingPolicy` whose memory, if any, reads
/// observations only (`RecurrentActorCritic`; `ActorCritic`'s memory is
/// `.none`), so stored sequences can be replayed through it.
///
/// Acting calls `step` once per env step with the memory of the previous
/// one; training calls `unroll` over env sequences from the memory stored
/// when they were collected, so truncated BPTT sees the steps in their order.
public protocol ActorCriticNetwork: ActingPolicy {

    /// T steps of B envs, time-major: observations (T, B, D), the memory
    /// before the first step, and `starts` (T·B) marking observations that
    /// begin an episode (the memory is reset there).
    /// - Returns: π over the T·B rows (row t·B + b) and V (T·B).
    func unroll(_ observations: Tensor, from memory: RecurrentState, starts: [Bool]) -> (PolicyDistribution, Tensor)

    /// The memory after T steps, as `unroll` takes them, without the heads
    /// (burn-in: refreshing a stored memory with the current parameters).
    func advance(_ observations: Tensor, from memory: RecurrentState, starts: [Bool]) -> RecurrentState
}

/// An actor-critic without memory: acting and training both read a batch of
/// observations at once, in any order.
public protocol FeedforwardActorCritic: ActorCriticNetwork {
    /// - Parameter observations: (B, observationSize).
    /// - Returns: the action distribution over the B states and their values V(s), (B).
    func callAsFunction(_ observations: Tensor) -> (PolicyDistribution, Tensor)
}

extension FeedforwardActorCritic {
    public func initialMemory(batch: Int) -> RecurrentState { .none }

    public func step(_ observations: Tensor, memory: RecurrentState) -> (PolicyDistribution, Tensor, RecurrentState) {
        let (pi, values) = self(observations)
        return (pi, values, .none)
    }

    public func advance(_ observations: Tensor, from memory: RecurrentState, starts: [Bool]) -> RecurrentState { .none }

    /// The T·B observations as one batch: without memory, order does not matter.
    public func unroll(_ observations: Tensor, from memory: RecurrentState, starts: [Bool]) -> (PolicyDistribution, Tensor) {
        self(observations.reshaped([-1, observationSize]))
    }
}
