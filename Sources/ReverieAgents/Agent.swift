import ReverieEnvs
import ReverieNN
import ReverieRecurrent

/// An agent as the trainer drives it: iterate until the budget, checkpoint
/// between iterations, resume from a checkpoint. PPO, the online
/// actor-critic and the world-model agent conform.
public protocol Agent: AnyObject {
    /// The network acting, evaluated and saved (a world-model agent's holds its world model too).
    var actingPolicy: any ActingPolicy { get }
    /// Every optimizer's moments and step count, by name (a checkpoint's `optimizer.*`).
    var optimizerState: [String: Tensor] { get }
    /// Restores `optimizerState`. - Throws: naming the first missing or mis-shaped tensor.
    func loadOptimizerState(_ state: [String: Tensor]) throws
    var environment: any VectorEnvironment { get }
    /// The generator of sampling (and shuffling), saved so a resume continues it.
    var rng: RandomGenerator { get }
    /// (N, observation shape…) where each env stands now.
    var observations: Tensor { get }
    /// (N) the current observation is the first of its episode.
    var episodeStarts: [Bool] { get }
    /// The policy's memory after the last step (`.none` without memory).
    var memory: RecurrentState { get }
    /// Further state a checkpoint must hold to continue the run exactly
    /// (RTRL's sensitivities, a world model's replay), by name.
    var carriedTensors: [String: Tensor] { get }
    /// Further state kept as bytes (a replay's 8-bit frames), by name.
    var carriedBytes: [String: ByteTensor] { get }
    var environmentSteps: Int { get }
    var updates: Int { get }

    /// One collection and one update.
    func iterate() throws -> IterationReport

    /// Continues a run saved at an iteration boundary: counters, the sampling
    /// generator and, when the environments' state was restored too, where
    /// each env stands (parameters and optimizer state load separately).
    /// - Throws: `AgentError.invalidConfiguration` if a tensor does not fit.
    func resume(environmentSteps: Int, updates: Int, rng: RandomGenerator, observations: Tensor?, episodeStarts: [Bool]?,
                memory: RecurrentState?, carried: [String: Tensor], carriedBytes: [String: ByteTensor]) throws
}

extension Agent {
    public var carriedBytes: [String: ByteTensor] { [:] }
}

/// Checks where N envs stood and the memory they carried against the
/// current shapes; call before replacing anything, so a misfit changes nothing.
func validatePosition(observations: Tensor?, episodeStarts: [Bool]?, memory: RecurrentState?,
                      against currentObservations: Tensor, _ currentStarts: [Bool], _ currentMemory: RecurrentState) throws {
    if let observations, let episodeStarts {
        guard observations.shape == currentObservations.shape && episodeStarts.count == currentStarts.count else {
            throw AgentError.invalidConfiguration(
                "resumed observations \(observations.shape) do not fit the environments' \(currentObservations.shape)")
        }
    }
    if let memory {
        guard memory.parts.map(\.shape) == currentMemory.parts.map(\.shape) else {
            throw AgentError.invalidConfiguration(
                "resumed memory \(memory.parts.map(\.shape)) does not fit the policy's \(currentMemory.parts.map(\.shape))")
        }
    }
}
