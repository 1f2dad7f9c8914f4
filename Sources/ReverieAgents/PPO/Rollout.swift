import ReverieRecurrent

/// T steps of N environments as on-policy algorithms collect them, flat and
/// time-major: row t·N + i is env i at step t.
///
/// Same-step autoreset (see `VectorEnvironment`): when env i's episode ends at
/// step t, `observations` row (t+1)·N + i is already the next episode's first,
/// `dones` marks row t·N + i, and `episodeStarts` marks row (t+1)·N + i.
/// A truncated episode's bootstrap γ·V(final observation) is already added
/// to its last reward, so `dones` can cut every episode the same way.
public struct Rollout {
    /// T, steps per env.
    public let steps: Int
    /// N, environments.
    public let envs: Int
    public let observationSize: Int
    /// Floats per action row (see `ActionHead.actionWidth`).
    public let actionWidth: Int

    /// (T·N, observationSize) the observation each action was chosen at (as bytes for pixels).
    public var observations: ObservationRows
    /// (T·N, actionWidth) raw actions (see `ActionHead`).
    public var actions: [Float]
    /// (T·N) log π_old(a|s) at collection time.
    public var logProbs: [Float]
    /// (T·N) V_old(s) at collection time.
    public var values: [Float]
    /// (T·N) rewards, plus γ·V(final observation) where an episode was truncated.
    public var rewards: [Float]
    /// (T·N) the episode ended with this step (terminated or truncated).
    public var dones: [Bool]
    /// (T·N) this row's observation is the first of an episode (recurrent resets).
    public var episodeStarts: [Bool]
    /// (N) V of the observation after the last step.
    public var lastValues: [Float]
    /// A recurrent policy's memory (N rows) before each step t, not yet reset
    /// for that step's episode starts (memories[0] is where the rollout
    /// started); empty without memory.
    public var memories: [RecurrentState] = []

    /// - Parameter pixels: observations are uint8 images: rows are kept as bytes.
    public init(steps: Int, envs: Int, observationSize: Int, actionWidth: Int, pixels: Bool = false) {
        (self.steps, self.envs, self.observationSize, self.actionWidth) = (steps, envs, observationSize, actionWidth)
        let rows = steps * envs
        observations = ObservationRows(width: observationSize, preferBytes: pixels, reservingRows: rows)
        actions = []
        actions.reserveCapacity(rows * actionWidth)
        logProbs = []
        logProbs.reserveCapacity(rows)
        values = logProbs
        rewards = logProbs
        dones = []
        dones.reserveCapacity(rows)
        episodeStarts = dones
        lastValues = []
    }

    /// T·N, the number of samples.
    public var count: Int { steps * envs }

    /// The observations of `rows` (flat row indices t·N + i), in that order, as a tensor of `shape`.
    func observations(rows: [Int], shape: [Int]) -> Tensor { observations.gather(rows, shape: shape) }
}
