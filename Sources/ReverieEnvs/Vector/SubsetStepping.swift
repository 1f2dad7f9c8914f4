/// A vector environment that can step some of its envs and leave the others
/// as they are (the remote protocol's `active`). A wrapper needs it to give
/// each env of a batch its own course: a frame skip that stops where that
/// env's episode ends, a no-op reset for the envs that just reset
/// (`AtariPreprocessing`).
public protocol SubsetStepping: VectorEnvironment {
    /// Whether `step(_:active:)` leaves envs out: false for servers that do
    /// not say so in their `spec` (older ones may step every env).
    var stepsSubsets: Bool { get }

    /// Steps the envs where `active[i]` (all of them when nil). An env left
    /// out is not touched: its observation repeats, its reward is 0, it does
    /// not end, and its `latestInfos` entry stays.
    func step(_ actions: Tensor, active: [Bool]?) throws -> VectorStep

    /// (N) the numbers each env last reported about where it stands, as of
    /// its latest observation (for an env whose episode ended in the last
    /// step, its new episode's): ALE's `"lives"` and frame counters.
    var latestInfos: [[String: Float]] { get }
}
