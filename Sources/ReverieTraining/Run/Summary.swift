import Foundation

/// The best periodic evaluation of a run: its mean return and the step it was reached at.
public struct BestEvaluation: Sendable, Equatable {
    public var mean: Float
    public var step: Int
}

/// What `summary.json` holds.
public struct Summary: Sendable, Equatable {
    public var outcome: Trainer.Outcome
    public var envSteps: Int
    public var wallSeconds: Double
    /// Steps per second of this process's part of the run.
    public var sps: Double
    public var evalReturns: [Float] = []
    /// Episodes cut short because a served env's server restarted (counted as truncated).
    public var interruptedEpisodes = 0
    public var serverRestarts = 0
    /// Non-finite observations and rewards replaced by 0 (`run.non_finite = "zero"`).
    public var nonFiniteReplaced = 0
    /// Warnings about the learning (entropy collapse, exploding KL).
    public var warnings: [String] = []
    /// The best periodic evaluation (`run.eval_every`).
    public var bestEvaluation: BestEvaluation?

    public var evalReturnMean: Double? {
        evalReturns.isEmpty ? nil : Double(evalReturns.reduce(0, +)) / Double(evalReturns.count)
    }

    public var evalReturnStd: Double? {
        guard let mean = evalReturnMean else { return nil }
        return (evalReturns.reduce(0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(evalReturns.count)).squareRoot()
    }

    mutating func setEvaluation(_ returns: [Float]) { evalReturns = returns }

    public var json: [String: Any] {
        var object: [String: Any] = ["outcome": outcome.rawValue, "env_steps": envSteps, "wall_seconds": wallSeconds,
                                     "sps": sps, "eval_episodes": evalReturns.count,
                                     "interrupted_episodes": interruptedEpisodes, "server_restarts": serverRestarts,
                                     "non_finite_replaced": nonFiniteReplaced, "warnings": warnings]
        object["eval_return_mean"] = evalReturnMean ?? NSNull()
        object["eval_return_std"] = evalReturnStd ?? NSNull()
        if let bestEvaluation {
            object["best_eval_return_mean"] = Double(bestEvaluation.mean)
            object["best_eval_step"] = bestEvaluation.step
        }
        return object
    }

    func write(to url: URL) throws {
        let data = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: url, options: .atomic)
    }
}
