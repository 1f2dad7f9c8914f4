import ArgumentParser
import Foundation
import ReverieAgents
import ReverieEnvs
import ReverieWorldModels

/// S4WM's long-term imagination measure (Deng et al. 2023) on the pixel
/// Memory Maze: every backbone's world model trains on the same replay (a
/// random policy's episodes, sampled in the same order), then, on held-out
/// episodes, reads `context` real steps and imagines on through its prior
/// with the actions really taken; the error of the imagined frames against
/// the true ones is reported `horizons` steps after the context (mean
/// squared error per pixel value in [0, 1]; lower is better). Remembering
/// the rooms seen in the context is what keeps the error low far ahead.
struct WorldModelMemoryBench {
    var backbones: [BackboneConfig.Kind] = BackboneConfig.Kind.allCases
    /// Env steps of random play the world models train on.
    var replaySteps = 20_000
    var updates = 500
    var batch = 16, length = 64
    var context = 100
    var horizons = [10, 50, 100]
    var evaluationEpisodes = 8
    var environment = "MemoryMaze?rooms=2&roomSize=3"

    func run() throws -> BenchResult {
        let env = try Registry.make(environment)
        guard case .discrete(let actionCount) = env.actionSpace, env.observationSpace.shape.count == 3 else {
            throw ValidationError("wm-memory needs an image env with discrete actions, got \(environment)")
        }
        guard !horizons.isEmpty, horizons.allSatisfy({ $0 > 0 }), context > 0 else {
            throw ValidationError("wm-memory needs a positive context and positive horizons, got context \(context), horizons \(horizons)")
        }
        guard replaySteps / 4 >= 2 * length else {
            throw ValidationError("wm-memory needs at least \(8 * length) replay steps (--steps) for sequences of \(length) from 4 envs")
        }
        let shape = env.observationSpace.shape, o = shape.reduce(1, *)
        let replay = try collect(steps: replaySteps, seed: 1, actionCount: actionCount, observationSize: o)
        let span = context + (horizons.max() ?? 0)
        let held = try heldOut(episodes: evaluationEpisodes, length: span, seed: 1_000, actionCount: actionCount)

        var rows: [[String: Any]] = [], errors: [String: [Double]] = [:]
        var lines = ["open-loop imagination on \(environment): \(replaySteps) random steps, \(updates) updates of \(batch)×\(length), "
                     + "context \(context), \(evaluationEpisodes) held-out episodes: MSE per pixel at steps \(horizons) after it"]
        for kind in backbones {
            var config = WorldModelConfig()
            config.backbone = BackboneConfig(kind: kind, width: 256, layers: kind == .gru ? 1 : 2, stateSize: kind == .s4 ? 64 : 16)
            (config.latentGroups, config.latentClasses, config.units, config.cnnDepth) = (16, 16, 256, 16)
            var rng = RandomGenerator(seed: 7)
            let model = WorldModel(config, observationShape: shape, actionSize: actionCount, rng: &rng)
            let optimizer = Adam(model, learningRate: 3e-4)
            var sampling = RandomGenerator(seed: 11)   // the same batches for every backbone
            let start = Date()
            var lastLoss: Float = 0
            for update in 0..<updates {
                let b = try replay.sample(batch: batch, length: length, using: &sampling)
                var (loss, gradients) = valueWithGradients(wrt: optimizer.parameters) {
                    model.loss(observations: b.observations, actions: b.actions, rewards: b.rewards, continues: b.continues,
                               isFirst: b.isFirst, using: &rng).loss
                }
                _ = clipGlobalNorm(&gradients, maxNorm: 1000)
                optimizer.update(gradients)
                lastLoss = loss
                if (update + 1) % 50 == 0 {
                    FileHandle.standardError.write(Data("  \(kind.rawValue): update \(update + 1)/\(updates), loss \(loss)\n".utf8))
                }
            }
            let seconds = Date().timeIntervalSince(start)
            let mse = imaginationErrors(model, held, actionCount: actionCount)
            errors[kind.rawValue] = mse
            rows.append(["backbone": kind.rawValue, "mse": mse.map { rounded($0, digits: 1e5) }, "train_seconds": rounded(seconds),
                         "final_loss": Double(lastLoss)])
            lines.append(kind.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)
                         + mse.map { String(format: "%.4f", $0) }.joined(separator: "  ") + String(format: "   (%.0f s of training)", seconds))
        }
        let best = errors.min { $0.value.last! < $1.value.last! }?.key ?? ""
        return BenchResult(workload: "wm-memory", ours: errors[best]?.last ?? .nan, peer: nil,
                           unit: "lowest MSE per pixel \(horizons.last ?? 0) steps after the context (\(best))",
                           details: ["runs": rows, "horizons": horizons, "context": context, "updates": updates,
                                     "replay_steps": replaySteps, "env": environment, "batch": batch, "length": length],
                           table: lines.joined(separator: "\n"), lowerIsBetter: true)
    }

    /// A random policy's play, as the agent's replay stores it.
    func collect(steps: Int, seed: UInt64, actionCount: Int, observationSize: Int) throws -> SequenceReplay {
        let n = 4
        let envs = try SyncVectorEnvironment(count: n) { _ in try Registry.make(environment) }
        let replay = SequenceReplay(capacity: steps + n * 64, streams: n, observationSize: observationSize, actionSize: actionCount,
                                    storage: .bytes)  // 8-bit frames
        var rng = RandomGenerator(seed: seed)
        var recorder = ReplayRecorder(replay: replay)
        var observations = try envs.reset(seed: seed), starts = [Bool](repeating: true, count: n)
        for _ in 0..<(steps / n) {
            let actions = (0..<n).map { _ in rng.int(below: actionCount) }
            try recorder.recordActing(observations: observations.scalars,
                                      actions: Tensor.oneHot(actions, depth: actionCount).scalars, isFirst: starts)
            let step = try envs.step(actions.map { [Float($0)] })
            try recorder.recordOutcome(step)
            (observations, starts) = (step.observations, step.episodeStarts)
        }
        return replay
    }

    /// Held-out episodes' first `length` observations and random actions.
    func heldOut(episodes: Int, length: Int, seed: UInt64, actionCount: Int) throws -> [(observations: [[Float]], actions: [Int])] {
        var rng = RandomGenerator(seed: seed)
        return try (0..<episodes).map { k in
            let env = try Registry.make(environment)
            var observations = [env.reset(seed: seed &+ UInt64(k))], actions: [Int] = []
            while observations.count < length {
                let a = rng.int(below: actionCount)
                let step = try env.step([Float(a)])
                guard !step.isDone else { break }
                actions.append(a)
                observations.append(step.observation)
            }
            return (observations, actions)
        }
    }

    /// Mean squared error per pixel value (in [0, 1]) of the imagined frames
    /// `horizons` steps after the context, over the held-out episodes (NaN
    /// where no held-out episode lasted that long).
    func imaginationErrors(_ model: WorldModel, _ episodes: [(observations: [[Float]], actions: [Int])], actionCount: Int) -> [Double] {
        var sums = [Double](repeating: 0, count: horizons.count), counts = [Int](repeating: 0, count: horizons.count)
        var none: RandomGenerator? = nil
        for episode in episodes where episode.observations.count > context {
            var state = model.initialState(batch: 1)
            var previous = Tensor.zeros([1, actionCount])
            for t in 0..<context {
                state = model.observeStep(state, action: previous, observation: Tensor(episode.observations[t], shape: [1, episode.observations[t].count]),
                                          resets: [t == 0], using: &none)
                previous = Tensor.oneHot([episode.actions[t]], depth: actionCount)
            }
            for t in context..<episode.observations.count {
                state = model.imagineStep(state, action: previous, using: &none)
                if let k = horizons.firstIndex(of: t - context + 1) {
                    let imagined = model.reconstruction(state.features).scalars, truth = episode.observations[t]
                    sums[k] += zip(imagined, truth).reduce(0) { $0 + Double(($1.0 - $1.1) / 255) * Double(($1.0 - $1.1) / 255) }
                        / Double(truth.count)
                    counts[k] += 1
                }
                if t < episode.actions.count { previous = Tensor.oneHot([episode.actions[t]], depth: actionCount) }
            }
        }
        return zip(sums, counts).map { $1 == 0 ? .nan : $0 / Double($1) }
    }
}
