/// N environments stepped as one batch, with automatic reset.
///
/// **Autoreset: same-step** (Stable-Baselines3's and Gymnasium's
/// `AutoresetMode.SAME_STEP`). When env i's episode ends in a step, it is
/// reset within that same step: `observations[i]` is the first observation of
/// the new episode, the last observation of the ended one is kept in
/// `finalObservations[i]` (to bootstrap a truncated episode), and
/// `episodeStarts[i]` is true so recurrent state is reset before the next
/// action. No step is ever spent on a reset.
///
/// Seeding follows Gymnasium: `reset(seed: s)` seeds env i with s + i.
public protocol VectorEnvironment: AnyObject {
    /// Number of environments N.
    var count: Int { get }
    var singleObservationSpace: Space { get }
    var singleActionSpace: Space { get }

    /// Resets every environment.
    /// - Returns: (N, observation shape…) first observations.
    func reset(seed: UInt64?) throws -> Tensor

    /// Steps every environment with its action.
    /// - Parameter actions: (N, action shape…), row i laid out as
    ///   `singleActionSpace` (a discrete action is one element holding the index).
    func step(_ actions: Tensor) throws -> VectorStep

    /// Frame of env `index`, if it can draw itself.
    func render(index: Int) throws -> Frame?

    /// Releases resources (remote connections, processes). Idempotent.
    func close()
}

extension VectorEnvironment {
    public func close() {}

    /// Steps with N flat actions given as arrays.
    public func step(_ actions: [[Float]]) throws -> VectorStep {
        let n = singleActionSpace.flatCount
        precondition(actions.count == count && actions.allSatisfy { $0.count == n },
                     "\(count) environments need \(count) actions of \(n) values each")
        return try step(Tensor(Array(actions.joined()), shape: [count] + singleActionSpace.shape))
    }
}

/// A vector environment that changes another one: `wrapped` is the one inside.
public protocol VectorEnvironmentWrapper: VectorEnvironment {
    var wrapped: any VectorEnvironment { get }
}

/// The outcome of one batched step (same-step autoreset, see `VectorEnvironment`).
public struct VectorStep: Sendable {
    /// (N, observation shape…) observations to act on next: for an env whose
    /// episode just ended, the first observation of its new episode.
    public var observations: Tensor
    /// (N) rewards of this step.
    public var rewards: [Float]
    /// (N) the episode reached a terminal state (value 0, no bootstrap).
    public var terminated: [Bool]
    /// (N) the episode was cut short (bootstrap from `finalObservations`).
    public var truncated: [Bool]
    /// (N) for an env whose episode ended this step, its last observation.
    public var finalObservations: [[Float]?]
    /// (N) `info` of each env's step (episode statistics arrive here).
    public var infos: [[String: Float]]

    /// (N) the next observation starts an episode: reset recurrent state.
    public var episodeStarts: [Bool] { zip(terminated, truncated).map { $0 || $1 } }

    public init(observations: Tensor, rewards: [Float], terminated: [Bool], truncated: [Bool],
                finalObservations: [[Float]?], infos: [[String: Float]]) {
        self.observations = observations
        self.rewards = rewards
        self.terminated = terminated
        self.truncated = truncated
        self.finalObservations = finalObservations
        self.infos = infos
    }
}

/// A vector environment whose every env's state can be saved and put back,
/// so that a checkpointed run resumes where each env stood (see
/// `Snapshotting`). `SyncVectorEnvironment` and the batched `MinAtarVector`
/// write the same words for the same envs, so either restores the other's.
public protocol VectorSnapshotting: VectorEnvironment {
    /// Every env's state, each prefixed by its length; nil if one cannot be saved.
    var snapshot: [UInt64]? { get }
    /// Puts back a `snapshot` of a vector built the same way; on a misfit, throws.
    func restore(_ snapshot: [UInt64]) throws
}
