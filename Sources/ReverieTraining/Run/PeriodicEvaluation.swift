import Foundation
import ReverieAgents
import ReverieEnvs
import ReverieNN
import ReverieRemote

/// Evaluation during training, as Stable-Baselines3's `EvalCallback`: every
/// `run.eval_every` env steps, `run.eval_episodes` episodes with the policy's
/// mode on an env of its own (never the training envs, whose episodes go on),
/// reset with the same seeds each time so that evaluations compare. The best
/// mean so far is kept as `checkpoints/best.safetensors` by the trainer.
final class PeriodicEvaluation {
    /// One evaluation's outcome.
    struct Result {
        var returns: [Float]
        var mean: Float { returns.reduce(0, +) / Float(returns.count) }
        var std: Float {
            let m = mean
            return (returns.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Float(returns.count)).squareRoot()
        }
    }

    /// metrics.csv's columns for it.
    static let columns = ["eval/episodic_return", "eval/episodic_return_std"]
    static let bestFile = "best.safetensors"

    private let config: TrainConfig
    private let normalization: EnvironmentNormalization
    private let seed: UInt64
    private var next: Int
    /// For served or preprocessed envs: a vector of their own, made at the first evaluation.
    private var vector: (any VectorEnvironment)?
    /// The best mean return so far and the step it was reached at (carried over a resume by best.safetensors).
    private(set) var best: BestEvaluation?

    /// - Throws: `ConfigError` where the run has no env to spare for evaluating:
    ///   `zmq://` servers are the training's own (a `gymnasium:` env starts bridges of its own).
    init(_ config: TrainConfig, normalization: EnvironmentNormalization, steps: Int, bestCheckpoint: URL) throws {
        if config.isServed && !config.env.hasPrefix(GymnasiumBridge.prefix) {
            throw ConfigError("run.eval_every evaluates on an env of its own; the servers at \(config.env) are the training's "
                              + "(evaluate the checkpoints with reverie eval RUN, or serve another copy and pass it to "
                              + "reverie eval --env)")
        }
        (self.config, self.normalization) = (config, normalization)
        seed = UInt64(config.seed) &+ 1_000_000
        next = (steps / config.evalEvery + 1) * config.evalEvery
        if let saved = try? Checkpoint(contentsOf: bestCheckpoint), let mean = saved.metadata["eval_return_mean"].flatMap(Float.init),
           let step = saved.metadata["env_steps"].flatMap(Int.init) {
            best = BestEvaluation(mean: mean, step: step)
        }
    }

    /// Evaluates `policy` if `steps` reached the next evaluation's step.
    /// - Returns: nil when none was due, or when `shouldStop` cut it short.
    func evaluateIfDue(_ policy: any ActingPolicy, steps: Int, shouldStop: () -> Bool) throws -> Result? {
        guard steps >= next else { return nil }
        next = (steps / config.evalEvery + 1) * config.evalEvery
        let episodes = config.evalEpisodes
        let returns: [Float]
        if config.isServed || config.atariPreprocess {
            if vector == nil {
                let raw = try Trainer.makeEnvironment(config, count: min(config.numEnvs, SavedPolicy.evaluationEnvs, episodes),
                                                      normalizing: false).environment
                vector = normalization.evaluation(vector: raw)
            }
            returns = try evaluate(policy, in: vector!, episodes: episodes, seed: seed, shouldStop: shouldStop)
        } else {
            returns = try evaluate(policy, in: normalization.evaluation(try Registry.make(config.env)), episodes: episodes,
                                   seed: seed, shouldStop: shouldStop)
        }
        guard returns.count == episodes else { return nil }
        let result = Result(returns: returns)
        if best.map({ result.mean > $0.mean }) ?? true { best = BestEvaluation(mean: result.mean, step: steps) }
        return result
    }

    /// Ends the bridges an evaluation started.
    func close() {
        vector?.close()
        vector = nil
    }
}
