import ArgumentParser
import Foundation
import ReverieAgents
import ReverieEnvs
import ReverieTraining
import ReverieViewer

/// `reverie eval RUN`: play a trained policy and report its return.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a trained policy: mean ± std return over episodes.",
        discussion: """
            RUN is a run folder (its newest checkpoint is used) or a checkpoint file. \
            --random ENV plays uniformly random actions instead: the baseline a trained agent should beat. \
            Either may be served: --env zmq://host:port plays a policy against your own servers, \
            --env gymnasium:ID starts the Gymnasium bridge for it.
            """)

    @Argument(help: ArgumentHelp("A run folder or a checkpoint (.safetensors).", valueName: "run"))
    var path: String?

    @Option(help: ArgumentHelp("Play uniformly random actions in this env instead of a trained policy: a built-in env (with ?options), zmq://host:port[,…] servers or gymnasium:ID.", valueName: "env"))
    var random: String?

    @Option(help: ArgumentHelp("Play in this env instead of the one the run trained on: a built-in env (with ?options), zmq://host:port[,…] servers or gymnasium:ID, behind the run's own wrappers (Atari preprocessing, frame stack); its spaces must be the policy's.", valueName: "env"))
    var env: String?

    @Option(help: "Episodes to play.")
    var episodes = 10

    @Option(parsing: .unconditional, help: "Seed of the first episode (episode k uses seed + k).")
    var seed: UInt64 = 1_000_000

    @Flag(help: "Sample actions instead of taking the most likely one.")
    var stochastic = false

    @Flag(help: "Print one JSON object instead of a sentence.")
    var json = false

    @Option(help: "A world-model agent: act from its state after the last N observations, recomputed from zeros each step as its training sequences start (0 carries the state through the episode; default: the run's dreamer.acting_window).")
    var actingWindow: Int?

    @Flag(help: "A world-model agent on vector observations: also measure how far its decoded observation strays from the real one, per 50 steps into the episode (mean |x̂ − x| beside mean |x|, per value).")
    var modelError = false

    @Option(help: "Write the first episode as an animated GIF to this file (a world-model agent: real, reconstructed and dreamed frames side by side under their titles, on images and on envs that draw their observations).")
    var record: String?

    func validate() throws {
        if (path == nil) == (random == nil) { throw ValidationError("Give a run folder or checkpoint, or --random ENV (not both).") }
        if random != nil && env != nil { throw ValidationError("--env is for a trained policy; --random names its env itself.") }
        guard episodes >= 1 else { throw ValidationError("--episodes must be at least 1.") }
        if let record, !record.lowercased().hasSuffix(".gif") { throw ValidationError("--record writes a GIF: give a .gif path.") }
        if let actingWindow, actingWindow < 0 { throw ValidationError("--acting-window is 0 (off) or more steps.") }
    }

    func run() throws {
        if let random { return try evaluateRandom(random) }
        let saved = try SavedPolicy(contentsOf: URL(fileURLWithPath: path!), actingWindow: actingWindow, env: env)
        defer { saved.close() }
        if record != nil, saved.environment != nil {
            throw ValidationError("--record draws built-in envs; \(saved.config.env) is played through its own processes, which send no frames")
        }
        var gif: GIFWriter?
        let add = { (frame: Frame) in
            if gif == nil { gif = GIFWriter(width: frame.width, height: frame.height) }
            gif!.add(frame)
        }
        let dreamer = saved.policy as? DreamerNetwork
        if modelError {
            guard let dreamer else { throw ValidationError("--model-error measures a world model; \(path!) holds a \(saved.config.algorithm) policy.") }
            guard saved.environment == nil, dreamer.observationSize <= Self.modelErrorValues else {
                throw ValidationError("--model-error prints a column per observation value of a built-in env (at most "
                                      + "\(Self.modelErrorValues)); \(saved.config.env) has \(dreamer.observationSize).")
            }
        }
        let dreamEnv = record != nil && dreamer != nil ? try Registry.make(saved.config.env) : nil
        let dreams = dreamEnv.map(canRecordDream(in:)) ?? false
        if dreams, let dreamer, let dreamEnv {
            // The first episode again, seen by the world model too.
            let (steps, _) = try recordDream(dreamer, in: dreamEnv, seed: seed, deterministic: !stochastic)
            steps.forEach { add($0.captionedFrame()) }
        }
        let returns = try saved.evaluate(episodes: episodes, seed: seed, deterministic: !stochastic,
                                         record: record == nil || dreams ? nil : add)
        if let record {
            guard let gif else { throw ValidationError("\(saved.config.env) does not render frames; nothing to record.") }
            try gif.write(to: URL(fileURLWithPath: record))
            FileHandle.standardError.write(Data("wrote \(record) (\(gif.frameCount) frames)\n".utf8))
        }
        var extra: [String: Any] = ["checkpoint": saved.checkpoint.path, "env_steps": saved.environmentSteps,
                                    "deterministic": !stochastic]
        if let dreamer { extra["acting_window"] = dreamer.actingWindow }
        var errors: ReconstructionErrors?
        if modelError, let dreamer {
            let measured = try reconstructionErrors(dreamer, in: Registry.make(saved.config.env), episodes: episodes, seed: seed)
            extra["model_error"] = ["span": measured.span, "steps": measured.counts, "error": measured.error.map { $0.map(Double.init) },
                                    "magnitude": measured.magnitude.map { $0.map(Double.init) }]
            errors = measured
        }
        report(returns, env: saved.config.env, extra: extra,
               how: String(format: "%@, trained %@ steps", stochastic ? "sampled actions" : "deterministic", String(saved.environmentSteps)))
        if let errors, !json { print(Self.table(errors)) }
    }

    /// Observation values `--model-error` prints a column for.
    static let modelErrorValues = 16

    /// One row per span of steps: mean |x̂ − x| / mean |x| for each value.
    static func table(_ errors: ReconstructionErrors) -> String {
        let width = errors.error.first?.count ?? 0
        var lines = ["world model's reading, mean |x̂ − x| / mean |x| per observation value, by steps into the episode:",
                     "steps".padding(toLength: 12, withPad: " ", startingAt: 0)
                        + (0..<width).map { "x[\($0)]".padding(toLength: 14, withPad: " ", startingAt: 0) }.joined()]
        for (k, n) in errors.counts.enumerated() {
            let steps = "\(k * errors.span)–\((k + 1) * errors.span - 1)"
            lines.append(steps.padding(toLength: 12, withPad: " ", startingAt: 0)
                         + (0..<width).map { String(format: "%.3f/%.3f", errors.error[k][$0], errors.magnitude[k][$0])
                             .padding(toLength: 14, withPad: " ", startingAt: 0) }.joined()
                         + "(\(n) steps)")
        }
        return lines.joined(separator: "\n")
    }

    /// Episodes of uniformly random actions (seeded by --seed), episode k reset
    /// with seed + k; served envs play theirs side by side (env i reset with seed + i).
    private func evaluateRandom(_ name: String) throws {
        var config = TrainConfig()
        config.env = name
        if config.isServed {
            guard record == nil else { throw ValidationError("--record draws built-in envs; \(name) sends no frames") }
            let environment = try Trainer.makeEnvironment(config, count: SavedPolicy.evaluationEnvs).environment
            defer { environment.close() }
            let returns = try evaluateRandomActions(in: environment, episodes: episodes, seed: seed)
            return report(returns, env: name, extra: ["policy": "random"], how: "uniformly random actions")
        }
        let env = try Registry.make(name)
        var rng = RandomGenerator(seed: seed)
        var gif: GIFWriter?
        var returns: [Float] = []
        for k in 0..<episodes {
            _ = env.reset(seed: seed &+ UInt64(k))
            var total: Float = 0, done = false
            while !done {
                if k == 0, record != nil, let frame = env.render() {
                    if gif == nil { gif = GIFWriter(width: frame.width, height: frame.height) }
                    gif!.add(frame)
                }
                let step = try env.step(env.actionSpace.sample(using: &rng))
                (total, done) = (total + step.reward, step.isDone)
            }
            returns.append(total)
        }
        if let record {
            guard let gif else { throw ValidationError("\(name) does not render frames; nothing to record.") }
            try gif.write(to: URL(fileURLWithPath: record))
        }
        report(returns, env: name, extra: ["policy": "random"], how: "uniformly random actions")
    }

    private func report(_ returns: [Float], env: String, extra: [String: Any], how: String) {
        let mean = Double(returns.reduce(0, +)) / Double(returns.count)
        let std = (returns.reduce(0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(returns.count)).squareRoot()
        if json {
            let object = extra.merging(["env": env, "episodes": episodes, "return_mean": mean, "return_std": std,
                                        "returns": returns.map(Double.init)]) { $1 }
            let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(String(format: "%@: return %.1f ± %.1f over %d episodes (%@)", env, mean, std, episodes, how))
        }
    }
}
