import Foundation
import ReverieAgents
import ReverieEnvs
import ReverieNN

/// A trained policy read back from a run folder (its newest checkpoint) or
/// from one checkpoint file, with the config it was trained under.
public struct SavedPolicy {
    public let config: TrainConfig
    public let policy: any ActingPolicy
    public let checkpoint: URL
    public let environmentSteps: Int
    /// The observations the policy reads (the training env's).
    public let observationSpace: Space
    /// The frozen observation statistics the policy was trained with, if any.
    public let normalization: EnvironmentNormalization
    /// For a policy trained on served envs or behind Atari's preprocessing:
    /// the vector of envs its config describes, made again (a `gymnasium:`
    /// env's bridges started anew, the preprocessing and frame stack in
    /// front), which `evaluate` plays. `close()` ends what it started.
    public let environment: (any VectorEnvironment)?

    /// Envs in `environment`: enough to play evaluation episodes side by side,
    /// few enough that evaluating does not start a training run's worth of bridges.
    public static let evaluationEnvs = 8

    /// - Parameters:
    ///   - url: a run folder or a `.safetensors` checkpoint.
    ///   - spaces: the spaces of the env the policy will meet, for a policy
    ///     trained on remote envs (a built-in env's are read from the registry).
    ///   - actingWindow: a world-model agent acts from a window of this many
    ///     observations instead of its run's setting (`dreamer.acting_window`).
    ///   - env: play in this env instead of the one the run trained on (a
    ///     built-in env, `zmq://` servers, a `gymnasium:` id), made with the
    ///     run's wrappers (Atari preprocessing, frame stack); its spaces must
    ///     be the ones the policy was trained on.
    public init(contentsOf url: URL, spaces: (observation: Space, action: Space)? = nil, actingWindow: Int? = nil,
                env: String? = nil) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ConfigError("\(url.path) does not exist")
        }
        if isDirectory.boolValue {
            guard let latest = try Trainer.checkpoints(in: url).last else {
                throw ConfigError("\(url.path) holds no checkpoint (checkpoints/step-*.safetensors)")
            }
            checkpoint = latest.url
        } else {
            checkpoint = url
        }
        let saved = try Checkpoint(contentsOf: checkpoint)
        guard let toml = saved.metadata["config"] else {
            throw ConfigError("\(checkpoint.path) was not written by reverie train (no config in its metadata)")
        }
        var config = TrainConfig()
        try config.apply(try parseTOML(toml, source: checkpoint.lastPathComponent), source: checkpoint.lastPathComponent)
        if let actingWindow {
            guard config.algorithm == "dreamer" else {
                throw ConfigError("an acting window applies to world-model agents; \(checkpoint.lastPathComponent) holds a "
                                  + "\(config.algorithm) policy")
            }
            guard actingWindow >= 0 else { throw ConfigError("an acting window is 0 (off) or more steps, got \(actingWindow)") }
            config.dreamer.actingWindow = actingWindow
        }
        let trainedOn = config.env
        if let env {
            guard !env.isEmpty else { throw ConfigError("the env to play in is empty") }
            config.env = env
        }
        self.config = config
        let actionSpace: Space, envSpace: Space
        var made: (any VectorEnvironment)?
        if let spaces {
            (envSpace, actionSpace) = spaces
        } else if config.isServed || config.atariPreprocess {
            // The env it trained on, made again as training made it (normalised below, with frozen statistics).
            made = try Trainer.makeEnvironment(config, count: min(config.numEnvs, Self.evaluationEnvs), normalizing: false).environment
            (envSpace, actionSpace) = (made!.singleObservationSpace, made!.singleActionSpace)
        } else {
            let env = try Registry.make(config.env)
            (envSpace, actionSpace) = (env.observationSpace, env.actionSpace)
        }
        // Normalised observations are unbounded floats, whatever the env gives (a discrete one is not one-hot then).
        observationSpace = config.normalizeObservations ? .box(low: -.infinity, high: .infinity, shape: envSpace.shape) : envSpace
        var rng = RandomGenerator(seed: 0)
        policy = config.algorithm == "dreamer"
            ? try DreamerNetwork(config.dreamer, observationSpace: observationSpace, actionSpace: actionSpace, rng: &rng)
            : try config.policySpec.make(observationSpace: observationSpace, actionSpace: actionSpace, rng: &rng)
        do {
            try saved.load(into: policy, from: "model")
        } catch let error as CheckpointError where env != nil {
            throw ConfigError("the policy trained on \(trainedOn) does not fit \(config.env) (observations \(observationSpace), "
                              + "actions \(actionSpace)): \(error)")
        }
        normalization = EnvironmentNormalization(observations: config.normalizeObservations, rewards: false,
                                                 observationSize: observationSpace.flatCount, gamma: 1)
        try normalization.restore(from: saved.metadata, source: checkpoint.path)
        environmentSteps = saved.metadata["env_steps"].flatMap(Int.init) ?? 0
        let normalization = self.normalization
        environment = made.map { normalization.evaluation(vector: $0) }
    }

    /// Returns of `episodes` episodes on a fresh env of the training config
    /// (on `environment`, its envs side by side, where there is one).
    /// - Parameter record: frames of the first episode go here (for a GIF);
    ///   envs played through `environment` send no frames.
    public func evaluate(episodes: Int, seed: UInt64, deterministic: Bool = true,
                         record: ((Frame) -> Void)? = nil) throws -> [Float] {
        if let environment {
            return try ReverieAgents.evaluate(policy, in: environment, episodes: episodes, seed: seed, deterministic: deterministic)
        }
        return try ReverieAgents.evaluate(policy, in: normalization.evaluation(try Registry.make(config.env)), episodes: episodes,
                                          seed: seed, deterministic: deterministic, onFrame: record)
    }

    /// Ends the envs this policy started for itself: a `gymnasium:` env's
    /// bridges. A server of the user's own (`zmq://`) is not asked to close:
    /// it serves on after an evaluation.
    public func close() {
        environment?.close()
    }
}
