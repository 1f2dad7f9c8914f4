@_exported import ReverieRecurrent

/// What PPO trains: a policy π(a|s) and a value V(s) over flat observations,
/// which may carry a memory from step to step (`RecurrentActorCritic`) or not
/// (`ActorCritic`, whose memory is `.none`).
///
/// Acting calls `step` once per env step with the memory of the previous
/// one; training calls `unroll` over env sequences from the memory stored
/// when they were collected, so truncated BPTT sees the steps in their order.
public protocol ActorCriticNetwork: Module {
    var head: ActionHead { get }
    /// D, the length of a flat observation.
    var observationSize: Int { get }

    /// The memory of B envs at the start of an episode (zeros; `.none` without memory).
    func initialMemory(batch: Int) -> RecurrentState

    /// One step of B envs: observations (B, D) and the memory after the
    /// previous step (already reset where an episode starts).
    /// - Returns: π(·|s) over the B states, V(s) (B), and the memory after this step.
    func step(_ observations: Tensor, memory: RecurrentState) -> (PolicyDistribution, Tensor, RecurrentState)

    /// T steps of B envs, time-major: observations (T, B, D), the memory
    /// before the first step, and `starts` (T·B) marking observations that
    /// begin an episode (the memory is reset there).
    /// - Returns: π over the T·B rows (row t·B + b) and V (T·B).
    func unroll(_ observations: Tensor, from memory: RecurrentState, starts: [Bool]) -> (PolicyDistribution, Tensor)

    /// The memory after T steps, as `unroll` takes them, without the heads
    /// (burn-in: refreshing a stored memory with the current parameters).
    func advance(_ observations: Tensor, from memory: RecurrentState, starts: [Bool]) -> RecurrentState
}

extension ActorCriticNetwork {
    /// Whether the network carries memory between steps.
    public var isRecurrent: Bool { !initialMemory(batch: 1).parts.isEmpty }
}
