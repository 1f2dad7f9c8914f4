import Foundation
import ReverieAgents
import ReverieEnvs
import ReverieNN
import ReverieRemote

/// Runs a `TrainConfig` to completion in a run folder:
///
///     runs/CartPole-v1__ppo-cartpole__1__1763856000/
///       config.toml                  the resolved config (resume reads it)
///       metrics.csv                  one row per iteration, CleanRL's names
///       events.out.tfevents.*        the same for TensorBoard
///       checkpoints/step-<n>.safetensors
///       summary.json                 at the end: steps, time, SPS, eval return
///
/// Checkpoints hold parameters, optimizer state, the sampling generator and
/// the counters; they are written every `run.checkpoint_every` steps, at the
/// end and when stopped (Ctrl-C), each atomically; `run.keep_checkpoints`
/// keeps the newest N. A non-finite loss or parameter stops the run with an
/// error and writes nothing over the last good checkpoint. Any other failure
/// that leaves the agent whole (a server gone past its retries, a non-finite
/// observation, a full disk) writes a checkpoint first, then stops with an
/// error saying how to resume. A resumed run's `metrics.csv` and TensorBoard
/// log continue from its checkpoint's step, without the rows after it.
public final class Trainer {
    public let config: TrainConfig
    public let runDirectory: URL
    /// PPO or the online actor-critic, as `algorithm` says.
    public let agent: any Agent
    /// Observation and reward statistics shared by the envs, if the config normalises.
    public let normalization: EnvironmentNormalization
    private let log: (String) -> Void
    private var wallSecondsBefore = 0.0
    /// The checkpoint's step a resumed run continues from (logs after it are dropped).
    private var resumedFromStep: Int?
    /// Warnings about the learning itself (entropy collapse, exploding KL).
    private var divergence = DivergenceWatch()
    /// Evaluation every `run.eval_every` env steps, if asked for.
    private var evaluation: PeriodicEvaluation?

    /// Starts a new run in `runDirectory` (created; it must not hold a run already).
    /// A start that fails (an env that cannot be made or reached, a bad shape)
    /// removes what it wrote, so no half-made run folder is left.
    public init(config: TrainConfig, runDirectory: URL, log: @escaping (String) -> Void = { _ in }) throws {
        self.config = config
        self.runDirectory = runDirectory
        self.log = log
        let fm = FileManager.default
        if fm.fileExists(atPath: runDirectory.appendingPathComponent("config.toml").path) {
            throw ConfigError("\(runDirectory.path) already holds a run; resume it with --resume or choose another --run-dir")
        }
        let checkpoints = runDirectory.appendingPathComponent("checkpoints")
        let (folderExisted, checkpointsExisted) = (fm.fileExists(atPath: runDirectory.path), fm.fileExists(atPath: checkpoints.path))
        do {
            try fm.createDirectory(at: checkpoints, withIntermediateDirectories: true)
            try Data(config.toml.utf8).write(to: runDirectory.appendingPathComponent("config.toml"), options: .atomic)
            (agent, normalization) = try Self.makeAgent(config)
            evaluation = try makeEvaluation()
        } catch {
            // A run that never started leaves nothing behind (a folder the user made stays, emptied of ours).
            if folderExisted {
                try? fm.removeItem(at: runDirectory.appendingPathComponent("config.toml"))
                if !checkpointsExisted { try? fm.removeItem(at: checkpoints) }
            } else {
                try? fm.removeItem(at: runDirectory)
            }
            throw error
        }
        if config.isServed && agent.environment.count != config.numEnvs {
            log("\(config.env) serves \(agent.environment.count) envs: the run steps those (num_envs, \(config.numEnvs), applies to built-in envs)")
        }
        attachLogs()
    }

    /// Continues the run in `runDirectory` from its newest checkpoint, with the config it was started with.
    /// - Parameters:
    ///   - latestGood: when the newest checkpoint is damaged (unreadable, or holding
    ///     NaN or infinity), set it aside as `*.damaged` and resume from the newest good one.
    ///     Without it, a damaged checkpoint is an error naming the good one to fall back to.
    ///   - totalSteps: train on to this many env steps in all instead of the config's
    ///     `total_steps` (a finished run goes on; PPO's annealed schedules stretch to the
    ///     new end). It must not be below the checkpoint's steps; `config.toml` records it.
    public init(resuming runDirectory: URL, latestGood: Bool = false, totalSteps: Int? = nil,
                log: @escaping (String) -> Void = { _ in }) throws {
        self.runDirectory = runDirectory
        self.log = log
        let configURL = runDirectory.appendingPathComponent("config.toml")
        guard FileManager.default.fileExists(atPath: configURL.path) else {
            throw ConfigError("\(runDirectory.path) is not a run folder (no config.toml)")
        }
        var config = try TrainConfig.load(preset: configURL, resolved: true)
        let plannedSteps = config.totalSteps
        // Through the schema, so the key's own range and message apply.
        if let totalSteps { try config.apply([(key: "total_steps", value: .int(totalSteps))], source: "--total-steps") }
        self.config = config
        Self.removeInterruptedWrites(in: runDirectory, log: log)
        let (latest, checkpoint) = try Self.newestGoodCheckpoint(in: runDirectory, latestGood: latestGood, log: log)
        if let totalSteps, let at = checkpoint.metadata["env_steps"].flatMap(Int.init), totalSteps < at {
            throw ConfigError("--total-steps \(grouped(totalSteps)) is below the \(grouped(at)) steps "
                              + "\(latest.url.lastPathComponent) has already trained")
        }
        (agent, normalization) = try Self.makeAgent(config)
        try checkpoint.load(into: agent.actingPolicy, from: "model")
        try agent.loadOptimizerState(checkpoint.state("optimizer"))
        let meta = checkpoint.metadata
        try normalization.restore(from: meta, source: latest.url.path)
        guard let steps = meta["env_steps"].flatMap(Int.init), let updates = meta["updates"].flatMap(Int.init),
              let words = meta["rng"]?.split(separator: ",").compactMap({ UInt64($0) }), words.count == 5 else {
            throw ConfigError("\(latest.url.path) lacks the counters a resume needs (env_steps, updates, rng)")
        }
        // What the agent carries beyond parameters (RTRL's sensitivities, a world model's replay).
        var carried = Dictionary(uniqueKeysWithValues: checkpoint.tensors.filter { $0.key.hasPrefix("agent.carried.") }
            .map { (String($0.key.dropFirst(14)), $0.value) })
        var carriedBytes = Dictionary(uniqueKeysWithValues: checkpoint.bytes.filter { $0.key.hasPrefix("agent.carried.") }
            .map { (String($0.key.dropFirst(14)), $0.value) })
        if let replayName = meta["replay"] {
            let url = latest.url.deletingLastPathComponent().appendingPathComponent(replayName)
            if FileManager.default.fileExists(atPath: url.path) {
                let replay = try Checkpoint(contentsOf: url)
                carried.merge(replay.tensors) { $1 }
                carriedBytes.merge(replay.bytes) { $1 }
            } else {
                log("\(replayName), the replay of \(latest.url.lastPathComponent), is gone: the replay starts empty")
            }
        }
        // Where the environments stood, if they could save it; otherwise they start new episodes.
        if let vector = Self.snapshotting(agent.environment), let saved = meta["environment"],
           let observations = checkpoint.tensors["agent.observations"], let starts = checkpoint.tensors["agent.episode_starts"] {
            try vector.restore(saved.split(separator: ",").map { UInt64($0)! })
            let parts = agent.memory.parts.indices.compactMap { checkpoint.tensors["agent.memory.\($0)"] }
            let memoryRestored = parts.count == agent.memory.parts.count
            if !memoryRestored { log("the checkpoint holds no recurrent memory: every env's memory starts empty") }
            // Without its memory, a recurrent policy treats every env as starting an episode.
            try agent.resume(environmentSteps: steps, updates: updates, rng: RandomGenerator(state: words),
                             observations: observations,
                             episodeStarts: memoryRestored ? starts.scalars.map { $0 != 0 }
                                                           : Array(repeating: true, count: agent.environment.count),
                             memory: memoryRestored ? RecurrentState(parts) : nil, carried: carried, carriedBytes: carriedBytes)
        } else {
            try agent.resume(environmentSteps: steps, updates: updates, rng: RandomGenerator(state: words),
                             observations: nil, episodeStarts: nil, memory: nil, carried: carried, carriedBytes: carriedBytes)
            log("the environments could not save their state: they start new episodes")
        }
        wallSecondsBefore = meta["wall_seconds"].flatMap(Double.init) ?? 0
        resumedFromStep = steps
        evaluation = try makeEvaluation()
        if config.totalSteps != plannedSteps {
            try Data(config.toml.utf8).write(to: configURL, options: .atomic)
            log("total_steps \(grouped(plannedSteps)) → \(grouped(config.totalSteps)) (config.toml updated)")
        }
        log("resuming \(runDirectory.lastPathComponent) from \(latest.url.lastPathComponent) (\(grouped(steps)) steps)")
        attachLogs()
    }

    /// The periodic evaluation `run.eval_every` asks for, from where the agent stands.
    private func makeEvaluation() throws -> PeriodicEvaluation? {
        guard config.evalEvery > 0 else { return nil }
        guard config.evalEpisodes > 0 else { throw ConfigError("run.eval_every needs run.eval_episodes of 1 or more") }
        return try PeriodicEvaluation(config, normalization: normalization, steps: agent.environmentSteps,
                                      bestCheckpoint: bestCheckpointURL)
    }

    /// `checkpoints/best.safetensors`: the policy of the best periodic evaluation so far.
    public var bestCheckpointURL: URL {
        runDirectory.appendingPathComponent("checkpoints").appendingPathComponent(PeriodicEvaluation.bestFile)
    }

    /// The envs' own messages (a server restart picked up, a non-finite value replaced) go to the run's log.
    private func attachLogs() {
        let log = self.log
        Self.environment(RemoteVectorEnvironment.self, in: agent.environment)?.onRestart = log
        Self.environment(FiniteCheckedEnvironment.self, in: agent.environment)?.warn = log
    }

    /// The environment of type `T` in `environment` or behind its wrappers
    /// (`FiniteCheckedEnvironment`, `AtariPreprocessing`, `VectorFrameStack`).
    static func environment<T>(_: T.Type, in environment: any VectorEnvironment) -> T? {
        var current = environment
        while true {
            if let found = current as? T { return found }
            guard let wrapper = current as? any VectorEnvironmentWrapper else { return nil }
            current = wrapper.wrapped
        }
    }

    /// The vector whose snapshot is the envs' whole state: the one behind the
    /// `FiniteCheckedEnvironment` (which keeps none), if it can be saved. An
    /// env behind stateful wrappers (frame stacks, Atari's pooling buffers) cannot.
    static func snapshotting(_ environment: any VectorEnvironment) -> (any VectorSnapshotting)? {
        environment as? any VectorSnapshotting ?? (environment as? FiniteCheckedEnvironment)?.wrapped as? any VectorSnapshotting
    }

    /// The vector of `count` envs (the config's `num_envs` by default) a
    /// config trains on — served, bridged or built in, behind Atari's
    /// preprocessing where asked — with the statistics they normalise with.
    /// A `gymnasium:` env starts its bridges here: `close()` the vector to end them.
    /// - Parameter normalizing: false gives served envs without the training
    ///   normalisation (an evaluation wraps them in its frozen statistics).
    public static func makeEnvironment(_ config: TrainConfig, count: Int? = nil, normalizing: Bool = true) throws
        -> (environment: any VectorEnvironment, normalization: EnvironmentNormalization) {
        let count = count ?? config.numEnvs
        let environment: any VectorEnvironment
        let normalization: EnvironmentNormalization
        if config.isServed {
            guard !config.atariPreprocess || (!config.normalizeObservations && !config.normalizeRewards) else {
                throw ConfigError("atari.preprocess and normalize.* do not go together: pixels are scaled by the network")
            }
            let remote = config.env.hasPrefix(GymnasiumBridge.prefix)
                ? try GymnasiumBridge.launch(config.env, count: count, processes: min(config.bridgeProcesses, count),
                                             timeoutMilliseconds: config.remoteTimeoutMilliseconds, retries: config.remoteRetries)
                : try RemoteVectorEnvironment(config.env, timeoutMilliseconds: config.remoteTimeoutMilliseconds,
                                              retries: config.remoteRetries, curve: try config.curveClientKeys())
            let served = config.atariPreprocess ? try preprocessed(remote, config) : remote
            // VecNormalize on this side: a server's envs are normalised as built-in ones are.
            normalization = EnvironmentNormalization(observations: config.normalizeObservations, rewards: config.normalizeRewards,
                                                     observationSize: served.singleObservationSpace.flatCount,
                                                     gamma: Double(config.gamma))
            environment = normalizing ? normalization.training(vector: served) : served
        } else if config.atariPreprocess {
            guard !config.normalizeObservations && !config.normalizeRewards else {
                throw ConfigError("atari.preprocess and normalize.* do not go together: pixels are scaled by the network")
            }
            environment = try preprocessed(try SyncVectorEnvironment(count: count) { _ in try Registry.make(config.env) }, config)
            normalization = EnvironmentNormalization(observations: false, rewards: false, observationSize: 0, gamma: 1)
        } else {
            normalization = EnvironmentNormalization(
                observations: config.normalizeObservations, rewards: config.normalizeRewards,
                observationSize: try Registry.make(config.env).observationSpace.flatCount, gamma: Double(config.gamma))
            if config.normalizeObservations || config.normalizeRewards {
                environment = try SyncVectorEnvironment(count: count) { _ in
                    normalization.training(try Registry.make(config.env))
                }
            } else {
                // The env's batched version where it has one (MinAtar's games): the same steps, faster.
                environment = try Registry.makeVector(config.env, count: count)
            }
        }
        return (environment, normalization)
    }

    /// The environments and the agent a config describes, with the statistics
    /// the envs normalise with (shared by all N).
    public static func makeAgent(_ config: TrainConfig) throws -> (agent: any Agent, normalization: EnvironmentNormalization) {
        let (environment, normalization) = try makeEnvironment(config)
        let seed = UInt64(config.seed)
        // Non-finite observations and rewards are caught where they enter, whichever env sends them.
        let checked = FiniteCheckedEnvironment(environment, policy: FiniteCheckedEnvironment.Policy(rawValue: config.nonFinite) ?? .stop)
        let agent: any Agent = switch config.algorithm {
        case "online-ac": try OnlineActorCritic(config.online, policy: config.policySpec, environment: checked, seed: seed)
        case "dreamer": try Dreamer(config.dreamer, environment: checked, seed: seed)
        default: try PPO(config.ppo, policy: config.policySpec, environment: checked, totalSteps: config.totalSteps, seed: seed)
        }
        return (agent, normalization)
    }

    /// `environment` behind Gymnasium's `AtariPreprocessing` and a frame stack, as `config.atari` says.
    static func preprocessed(_ environment: any SubsetStepping, _ config: TrainConfig) throws -> any VectorEnvironment {
        do {
            let frames = try AtariPreprocessing(environment, settings: config.atari)
            return config.atariFrameStack > 1 ? try VectorFrameStack(frames, frames: config.atariFrameStack) : frames
        } catch let error as EnvironmentError {
            throw ConfigError("atari.preprocess: \(error)")
        }
    }

    // MARK: - The loop

    /// How a run ended.
    public enum Outcome: String, Sendable { case completed, stopped }

    /// Trains until `total_steps` or until `shouldStop` (checked between iterations).
    /// - Returns: the summary also written to `summary.json`.
    @discardableResult
    public func run(progress: Progress? = nil, shouldStop: () -> Bool = { false }) throws -> Summary {
        // Bridges this run started (`gymnasium:` envs) end with it; servers of the user's own stay up.
        defer { agent.environment.close() }
        defer { evaluation?.close() }
        let csvURL = runDirectory.appendingPathComponent("metrics.csv")
        let extraColumns = (config.algorithm == "dreamer" ? MetricsCSV.worldModelColumns : [])
            + (evaluation == nil ? [] : PeriodicEvaluation.columns)
        let csv = try writing(csvURL) { try MetricsCSV(url: csvURL, extraColumns: extraColumns, resumingAt: resumedFromStep) }
        defer { try? csv.close() }
        let events = try writing(runDirectory) { try TensorBoardWriter(directory: runDirectory, resumingAt: resumedFromStep) }
        defer { try? events.close() }
        if resumedFromStep == nil && agent.environmentSteps == 0 {
            // The hyperparameters in TensorBoard's Text tab, as config.toml holds them (indented: Markdown's code block).
            let text = config.toml.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
            try writing(events.url) { try events.addText(tag: "config", text, step: 0) }
        }
        let start = Date()
        let startSteps = agent.environmentSteps
        var recent: [Float] = []
        var nextCheckpoint = config.checkpointEvery > 0
            ? (agent.environmentSteps / config.checkpointEvery + 1) * config.checkpointEvery : Int.max
        var outcome = Outcome.completed
        var sps = 0.0
        // A world model's first steps are random play into its replay, far faster than what follows:
        // the line says so, and the ETA counts from where updates began.
        let prefill = config.algorithm == "dreamer" ? config.dreamer.prefill : 0
        var learningFrom: (steps: Int, date: Date)? = agent.environmentSteps >= prefill ? (agent.environmentSteps, start) : nil
        func showProgress(force: Bool = false) {
            let steps = agent.environmentSteps
            if learningFrom == nil && steps >= prefill { learningFrom = (steps, Date()) }
            let etaSPS = learningFrom.flatMap { from in
                steps > from.steps ? Double(steps - from.steps) / max(Date().timeIntervalSince(from.date), 1e-9) : nil
            }
            progress?.update(steps: steps, total: config.totalSteps, sps: sps,
                             recentReturn: recent.isEmpty ? nil : Double(recent.reduce(0, +)) / Double(recent.count), force: force,
                             etaSPS: etaSPS,
                             phase: steps < prefill ? "filling the replay with random play to \(grouped(prefill)) steps" : nil)
        }

        while agent.environmentSteps < config.totalSteps {
            if shouldStop() { outcome = .stopped; break }
            let report: IterationReport
            do {
                report = try agent.iterate()
            } catch RemoteEnvironmentError.interrupted {
                // Ctrl-C while a served env was stepping: stop as between iterations.
                outcome = .stopped
                break
            } catch let error as AgentError {
                // A non-finite loss or parameter: the last good checkpoint must stay the newest.
                throw error
            } catch {
                throw stopped(by: error, wallSeconds: wallSecondsBefore + Date().timeIntervalSince(start))
            }
            let seconds = Date().timeIntervalSince(start)
            sps = Double(agent.environmentSteps - startSteps) / max(seconds, 1e-9)
            for episode in report.episodes { recent.append(episode.return) }
            recent = Array(recent.suffix(20))
            let evaluated: PeriodicEvaluation.Result?
            do {
                evaluated = try evaluateIfDue(progress: progress, shouldStop: shouldStop)
            } catch {
                throw stopped(by: error, wallSeconds: wallSecondsBefore + Date().timeIntervalSince(start))
            }
            do {
                try record(report, evaluated: evaluated, sps: sps, wallSeconds: wallSecondsBefore + seconds, csv: csv, events: events)
            } catch {
                throw stopped(by: error, wallSeconds: wallSecondsBefore + seconds)
            }
            for warning in divergence.check(report.metrics, actionSpace: agent.environment.singleActionSpace,
                                            step: report.environmentSteps, isPPO: config.algorithm == "ppo") {
                progress?.message(warning)
                log(warning)
            }
            showProgress()
            if agent.environmentSteps >= nextCheckpoint && agent.environmentSteps < config.totalSteps {
                try saveCheckpoint(wallSeconds: wallSecondsBefore + Date().timeIntervalSince(start))
                nextCheckpoint += config.checkpointEvery
            }
        }
        if agent.environmentSteps > startSteps { showProgress(force: true) }
        progress?.finish()
        let wallSeconds = wallSecondsBefore + Date().timeIntervalSince(start)
        try saveCheckpoint(wallSeconds: wallSeconds)
        try events.flush()

        var summary = Summary(outcome: outcome, envSteps: agent.environmentSteps, wallSeconds: wallSeconds,
                              sps: Double(agent.environmentSteps - startSteps) / max(Date().timeIntervalSince(start), 1e-9))
        summary.interruptedEpisodes = Self.environment(RemoteVectorEnvironment.self, in: agent.environment)?.interruptedEpisodes ?? 0
        summary.serverRestarts = Self.environment(RemoteVectorEnvironment.self, in: agent.environment)?.restarts ?? 0
        summary.nonFiniteReplaced = Self.environment(FiniteCheckedEnvironment.self, in: agent.environment)?.replacedValues ?? 0
        summary.warnings = divergence.warnings
        summary.bestEvaluation = evaluation?.best
        if outcome == .completed && config.evalEpisodes > 0 {
            // The checkpoint is saved; say what the wait is for (an episode may take minutes).
            log("evaluating \(config.evalEpisodes) episode\(config.evalEpisodes == 1 ? "" : "s") with the policy's mode")
            let seed = UInt64(config.seed) &+ 1_000_000
            // Remote envs are evaluated where they run, all N stepped together (normalised, if so, with frozen statistics).
            let served = Self.environment(VectorNormalize.self, in: agent.environment).map { normalization.evaluation(vector: $0.inner) }
                ?? agent.environment
            let returns = config.isServed || config.atariPreprocess
                ? try evaluate(agent.actingPolicy, in: served, episodes: config.evalEpisodes, seed: seed, shouldStop: shouldStop)
                : try evaluate(agent.actingPolicy, in: normalization.evaluation(try Registry.make(config.env)),
                               episodes: config.evalEpisodes, seed: seed, shouldStop: shouldStop)
            if returns.count < config.evalEpisodes {
                log("evaluation stopped after \(returns.count) of \(config.evalEpisodes) episodes (the run's checkpoint is saved)")
            }
            summary.setEvaluation(returns)
        }
        try summary.write(to: runDirectory.appendingPathComponent("summary.json"))
        return summary
    }

    /// The error a run stops with after a failure that left the agent whole:
    /// a checkpoint is written first where it can be.
    private func stopped(by error: any Error, wallSeconds: Double) -> RunStopped {
        do {
            return RunStopped(reason: error, checkpoint: try saveCheckpoint(wallSeconds: wallSeconds), checkpointError: nil, runDirectory: runDirectory)
        } catch let checkpointError {
            return RunStopped(reason: error, checkpoint: nil, checkpointError: checkpointError, runDirectory: runDirectory)
        }
    }

    /// Runs `body`, turning a failure to write `url` into an error naming the file and the free space.
    private func writing<T>(_ url: URL, _ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw RunFileError(url: url, underlying: error) }
    }

    /// The periodic evaluation, if one is due; a new best policy goes to
    /// `checkpoints/best.safetensors`.
    private func evaluateIfDue(progress: Progress?, shouldStop: () -> Bool) throws -> PeriodicEvaluation.Result? {
        let bestBefore = evaluation?.best
        guard let evaluation, let result = try evaluation.evaluateIfDue(agent.actingPolicy, steps: agent.environmentSteps,
                                                                         shouldStop: shouldStop) else { return nil }
        let isBest = evaluation.best != bestBefore
        if isBest { try saveBest(result) }
        let message = String(format: "eval at %@ steps: %.2f ± %.2f over %d episodes%@", grouped(agent.environmentSteps),
                             result.mean, result.std, result.returns.count, isBest ? " (best so far: checkpoints/best.safetensors)" : "")
        progress?.message(message)
        if progress == nil { log(message) }
        return result
    }

    /// `checkpoints/best.safetensors`: the acting policy alone, with what
    /// `reverie eval` needs (config, normalisation, steps) and its evaluation.
    private func saveBest(_ result: PeriodicEvaluation.Result) throws {
        var checkpoint = Checkpoint()
        checkpoint.store(agent.actingPolicy, as: "model")
        checkpoint.metadata = [
            "format": "reverie-agent-1", "algorithm": config.algorithm, "env_steps": String(agent.environmentSteps),
            "config": config.toml, "eval_return_mean": String(result.mean), "eval_return_std": String(result.std),
            "eval_episodes": String(result.returns.count),
        ]
        checkpoint.metadata.merge(normalization.metadata) { $1 }
        try writing(bestCheckpointURL) { try checkpoint.write(to: bestCheckpointURL) }
    }

    /// One iteration's row in metrics.csv and its events (episodes at the step they ended, as CleanRL logs them).
    private func record(_ report: IterationReport, evaluated: PeriodicEvaluation.Result? = nil, sps: Double, wallSeconds: Double,
                        csv: MetricsCSV, events: TensorBoardWriter) throws {
        let m = report.metrics, step = report.environmentSteps, isPPO = config.algorithm == "ppo"
        // An iteration without updates (a world-model agent's prefill) has no losses to log.
        let updated = m.gradientSteps > 0
        let meanReturn = report.episodes.isEmpty ? nil : Double(report.episodes.map(\.return).reduce(0, +)) / Double(report.episodes.count)
        let meanLength = report.episodes.isEmpty ? nil : Double(report.episodes.map(\.length).reduce(0, +)) / Double(report.episodes.count)
        let scalars: [(String, Double?)] = [
            ("charts/episodic_return", meanReturn), ("charts/episodic_length", meanLength), ("charts/SPS", sps),
            ("charts/learning_rate", Double(m.learningRate)), ("losses/value_loss", updated ? Double(m.valueLoss) : nil),
            ("losses/policy_loss", updated ? Double(m.policyLoss) : nil), ("losses/entropy", updated ? Double(m.entropy) : nil),
            // PPO's own: an online actor-critic takes one plain gradient step.
            ("losses/approx_kl", isPPO ? Double(m.approxKL) : nil), ("losses/old_approx_kl", isPPO ? Double(m.oldApproxKL) : nil),
            ("losses/clipfrac", isPPO ? Double(m.clipFraction) : nil),
            ("losses/explained_variance", config.algorithm == "dreamer" || !updated ? nil : Double(m.explainedVariance)),
        ] + report.scalars.sorted { $0.key < $1.key }.map { ($0.key, Double($0.value)) }
            + (evaluated.map { [("eval/episodic_return", Double($0.mean)), ("eval/episodic_return_std", Double($0.std))] } ?? [])
        var row = Dictionary(uniqueKeysWithValues: scalars)
        row["global_step"] = Double(step)
        row["wall_seconds"] = wallSeconds
        try writing(runDirectory.appendingPathComponent("metrics.csv")) { try csv.append(row) }
        try writing(events.url) {
            for episode in report.episodes {
                try events.add([("charts/episodic_return", episode.return), ("charts/episodic_length", Float(episode.length))], step: step)
            }
            try events.add(scalars.dropFirst(2).compactMap { tag, value in value.map { (tag, Float($0)) } }, step: step)
        }
    }

    /// Writes `checkpoints/step-<n>.safetensors` atomically; with
    /// `run.keep_checkpoints = N`, removes all but the newest N.
    @discardableResult
    private func saveCheckpoint(wallSeconds: Double) throws -> URL {
        var checkpoint = Checkpoint()
        checkpoint.store(agent.actingPolicy, as: "model")
        checkpoint.store(agent.optimizerState, as: "optimizer")
        checkpoint.metadata = [
            "format": "reverie-agent-1", "algorithm": config.algorithm, "env_steps": String(agent.environmentSteps),
            "updates": String(agent.updates),
            "rng": agent.rng.state.map(String.init).joined(separator: ","), "wall_seconds": String(wallSeconds),
            "config": config.toml,
        ]
        checkpoint.metadata.merge(normalization.metadata) { $1 }
        checkpoint.tensors.merge(normalization.tensors) { $1 }
        if let vector = Self.snapshotting(agent.environment), let snapshot = vector.snapshot {
            checkpoint.metadata["environment"] = snapshot.map(String.init).joined(separator: ",")
            checkpoint.tensors["agent.observations"] = agent.observations
            checkpoint.tensors["agent.episode_starts"] = Tensor(agent.episodeStarts.map { $0 ? 1 : 0 })
            for (k, part) in agent.memory.parts.enumerated() { checkpoint.tensors["agent.memory.\(k)"] = part }
        }
        // Kept even where the envs cannot be: an agent uses what still fits (a world model its replay).
        // A replay (`replay.…`, gigabytes for pixels) is kept once, in the newest checkpoint's
        // replay-<n>.safetensors, not in every checkpoint.
        var replay = Checkpoint()
        for (name, tensor) in agent.carriedTensors {
            if name.hasPrefix("replay.") { replay.tensors[name] = tensor } else { checkpoint.tensors["agent.carried.\(name)"] = tensor }
        }
        for (name, bytes) in agent.carriedBytes {
            if name.hasPrefix("replay.") { replay.bytes[name] = bytes } else { checkpoint.bytes["agent.carried.\(name)"] = bytes }
        }
        let step = String(format: "%09d", agent.environmentSteps)
        let directory = runDirectory.appendingPathComponent("checkpoints")
        let url = directory.appendingPathComponent("step-\(step).safetensors")
        let replayName = "replay-\(step).safetensors"
        if !replay.tensors.isEmpty || !replay.bytes.isEmpty {
            // Replay first, then the checkpoint naming it: a failure in either leaves the last pair whole.
            try writing(directory.appendingPathComponent(replayName)) { try replay.write(to: directory.appendingPathComponent(replayName)) }
            checkpoint.metadata["replay"] = replayName
        }
        try writing(url) { try checkpoint.write(to: url) }
        log("checkpoint \(url.lastPathComponent)")
        if config.keepCheckpoints > 0 {
            for old in try Self.checkpoints(in: runDirectory).dropLast(config.keepCheckpoints) {
                try? FileManager.default.removeItem(at: old.url)
            }
        }
        // Older replays belong to checkpoints that are no longer the one a resume reads.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        where name.hasPrefix("replay-") && name.hasSuffix(".safetensors") && name != checkpoint.metadata["replay"] {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
        return url
    }
}
