import Foundation
import Testing
import ReverieAgents
import ReverieNN
import ReverieWorldModels
@testable import ReverieTraining

@Suite struct TrainerTests {
    /// A short CartPole run: 8 envs × 32 steps per iteration.
    static func config(totalSteps: Int = 2048, checkpointEvery: Int = 1024) -> TrainConfig {
        var c = TrainConfig()
        c.totalSteps = totalSteps
        c.ppo.rolloutSteps = 32
        c.ppo.epochs = 2
        c.ppo.minibatchSize = 128
        c.checkpointEvery = checkpointEvery
        c.evalEpisodes = 2
        return c
    }

    /// A world-model agent small enough to take a few updates a second:
    /// 4 envs × 64 steps an iteration, training from the second on.
    static var tinyDreamer: TrainConfig {
        var c = config()
        (c.algorithm, c.numEnvs) = ("dreamer", 4)
        var d = DreamerConfig()
        d.worldModel.backbone = BackboneConfig(kind: .gru, width: 16, layers: 1, stateSize: 4)
        (d.worldModel.latentGroups, d.worldModel.latentClasses, d.worldModel.units, d.worldModel.layers) = (4, 4, 16, 1)
        (d.actorCriticHidden, d.batchSize, d.sequenceLength, d.context, d.imaginationBatch, d.horizon) = ([16], 4, 8, 4, 8, 5)
        (d.prefill, d.iterationSteps, d.trainRatio, d.replayCapacity) = (256, 64, 1, 4000)
        c.dreamer = d
        return c
    }

    @Test func aRunFolderHoldsConfigMetricsEventsCheckpointsAndSummary() throws {
        let dir = try PythonTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let summary = try Trainer(config: Self.config(), runDirectory: dir).run()
        #expect(summary.outcome == .completed && summary.envSteps == 2048)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        for name in ["config.toml", "metrics.csv", "summary.json", "checkpoints"] { #expect(files.contains(name), "\(files)") }
        #expect(files.contains { $0.hasPrefix("events.out.tfevents.") })
        #expect(try Trainer.checkpoints(in: dir).map(\.step) == [1024, 2048])

        let csv = try String(contentsOf: dir.appendingPathComponent("metrics.csv"), encoding: .utf8).split(separator: "\n")
        #expect(csv.first.map(String.init) == MetricsCSV.columns.joined(separator: ","))
        #expect(csv.count == 1 + 2048 / 256)

        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("summary.json"))) as! [String: Any]
        for key in ["env_steps", "wall_seconds", "sps", "eval_return_mean", "eval_return_std", "eval_episodes"] {
            #expect(json[key] != nil, "summary.json lacks \(key)")
        }
        #expect(json["eval_episodes"] as? Int == 2)
        // TensorBoard's Text tab shows the run's config, read back by TensorBoard's own loader.
        let texts = try PythonTool.run("read_tensorboard.py", ["--run", dir.path]).split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }.filter { $0["tag"] as? String == "config" }
        #expect(texts.count == 1 && (texts.first?["text"] as? String)?.contains("    total_steps = 2048 ") == true, "\(texts)")
        // An acting window is a world-model agent's setting: asked of a PPO policy, a clear error.
        #expect { _ = try SavedPolicy(contentsOf: dir, actingWindow: 8) } throws: { error in
            "\(error)".contains("an acting window applies to world-model agents")
        }
    }

    /// `run.eval_every`: evaluations on an env of their own at every 1,024
    /// steps, logged as `eval/episodic_return` in metrics.csv and TensorBoard;
    /// the best policy kept as `checkpoints/best.safetensors`, which plays back
    /// to the very returns logged for it; a resume keeps the best so far, and
    /// training itself is the same run as without evaluations.
    @Test func periodicEvaluationsAreLoggedAndTheBestPolicyIsKept() throws {
        let dir = try PythonTool.temporaryDirectory(), plain = try PythonTool.temporaryDirectory()
        defer { for d in [dir, plain] { try? FileManager.default.removeItem(at: d) } }
        var config = Self.config(totalSteps: 4096, checkpointEvery: 0)
        (config.evalEvery, config.evalEpisodes) = (1024, 3)
        var messages: [String] = []
        let summary = try Trainer(config: config, runDirectory: dir, log: { messages.append($0) }).run()
        let csv = try String(contentsOf: dir.appendingPathComponent("metrics.csv"), encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let column = try #require(csv[0].firstIndex(of: "eval/episodic_return"))
        let evaluated = csv.dropFirst().filter { !$0[column].isEmpty }
        #expect(evaluated.map { Int($0[0]) } == [1024, 2048, 3072, 4096], "\(evaluated.map { $0[0] })")
        let means = evaluated.map { Float($0[column])! }
        let best = try #require(summary.bestEvaluation)
        // metrics.csv keeps 6 significant digits.
        #expect(abs(best.mean - means.max()!) <= 1e-5 * max(1, abs(best.mean)), "\(means) vs \(best)")
        #expect(best.step == Int(evaluated[means.firstIndex(of: means.max()!)!][0]))
        #expect(messages.filter { $0.hasPrefix("eval at ") }.count == 4, "\(messages)")
        #expect(try RunFaultTests.tensorBoardSteps(dir, tag: "eval/episodic_return") == [1024, 2048, 3072, 4096])

        // The best policy, read back as `reverie eval` reads it, plays the returns logged for it.
        let saved = try SavedPolicy(contentsOf: dir.appendingPathComponent("checkpoints/best.safetensors"))
        #expect(saved.environmentSteps == best.step)
        let replayed = try saved.evaluate(episodes: 3, seed: UInt64(config.seed) + 1_000_000)
        #expect(abs(replayed.reduce(0, +) / 3 - best.mean) < 1e-3 * max(1, abs(best.mean)), "\(replayed) vs \(best.mean)")
        #expect(try Trainer.checkpoints(in: dir).map(\.step) == [4096], "best.safetensors is not a step checkpoint")

        // A resumed run knows the best so far.
        let extended = try Trainer(resuming: dir, totalSteps: 5120).run()
        #expect((extended.bestEvaluation?.mean ?? -.infinity) >= best.mean)

        // Evaluating draws on nothing the training uses: the same seed trains the same parameters.
        var without = config
        without.evalEvery = 0
        _ = try Trainer(config: without, runDirectory: plain).run()
        let a = try Checkpoint(contentsOf: try #require(try Trainer.checkpoints(in: plain).last).url)
        let b = try Checkpoint(contentsOf: dir.appendingPathComponent("checkpoints/step-000004096.safetensors"))
        let names = a.tensors.keys.filter { $0.hasPrefix("model.") }.sorted()
        #expect(!names.isEmpty && names == b.tensors.keys.filter { $0.hasPrefix("model.") }.sorted())
        #expect(names.allSatisfy { a.tensors[$0]!.scalars == b.tensors[$0]!.scalars })
    }

    /// Ctrl-C during the last evaluation (after the last checkpoint) ends it
    /// with the episodes played so far, and the run still completes.
    @Test func aStopDuringTheLastEvaluationEndsItAndTheRunCompletes() throws {
        let dir = try PythonTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var config = Self.config(totalSteps: 1024)
        config.evalEpisodes = 50
        var evaluating = false, messages: [String] = []
        let trainer = try Trainer(config: config, runDirectory: dir, log: { message in
            messages.append(message)
            if message.hasPrefix("evaluating 50 episodes") { evaluating = true }
        })
        let summary = try trainer.run(shouldStop: { evaluating })
        #expect(summary.outcome == .completed && summary.envSteps == 1024)
        #expect(summary.evalReturns.isEmpty)
        #expect(messages.contains("evaluation stopped after 0 of 50 episodes (the run's checkpoint is saved)"), "\(messages)")
        #expect(try Trainer.checkpoints(in: dir).last?.step == 1024)
    }

    /// A world-model run logs its losses beside PPO's columns (none during
    /// prefill) and how its wall time splits, and its checkpoint plays as a saved policy (`reverie eval`).
    @Test func aWorldModelRunLogsItsLossesAndPlaysBackAsASavedPolicy() throws {
        let dir = try PythonTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var config = Self.tinyDreamer
        config.totalSteps = 1024
        let summary = try Trainer(config: config, runDirectory: dir).run()
        #expect(summary.evalReturns.count == 2)
        let rows = try String(contentsOf: dir.appendingPathComponent("metrics.csv"), encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = MetricsCSV.columns + MetricsCSV.worldModelColumns
        #expect(rows[0] == header && rows.count == 1 + 4)
        let column = { (name: String) in rows.dropFirst().map { $0[header.firstIndex(of: name)!] } }
        #expect(column("losses/world_model").first == "" && column("losses/value_loss").first == "")
        #expect(column("losses/world_model").dropFirst().allSatisfy { Float($0)?.isFinite == true })
        #expect(column("losses/kl").dropFirst().allSatisfy { Float($0)?.isFinite == true })
        // Each network's gradient norm before clipping: positive once it trains.
        for name in ["charts/world_model_grad_norm", "charts/actor_grad_norm", "charts/critic_grad_norm"] {
            #expect(column(name).first == "" && column(name).dropFirst().allSatisfy { (Float($0) ?? 0) > 0 }, "\(name)")
        }
        // Every row times its acting; rows with updates time them too.
        #expect(column("charts/acting_sps").allSatisfy { (Float($0) ?? 0) > 0 })
        #expect(column("charts/updates_per_second").first == "")
        #expect(column("charts/updates_per_second").dropFirst().allSatisfy { (Float($0) ?? 0) > 0 })

        let saved = try SavedPolicy(contentsOf: dir)
        #expect(saved.policy is DreamerNetwork && saved.environmentSteps == 1024)
        // The trainer evaluated with seed + 1,000,000: the saved policy plays those episodes alike.
        #expect(try saved.evaluate(episodes: 2, seed: 1_000_001) == summary.evalReturns)
        // `reverie eval --acting-window`: the same checkpoint acting from a window.
        let windowed = try SavedPolicy(contentsOf: dir, actingWindow: 8)
        #expect((windowed.policy as? DreamerNetwork)?.actingWindow == 8 && (saved.policy as? DreamerNetwork)?.actingWindow == 0)
        #expect(try windowed.evaluate(episodes: 2, seed: 1_000_001).allSatisfy { $0 >= 1 })
    }

    /// Stopped after 3 iterations (as Ctrl-C does) and resumed: the final
    /// parameters equal those of a run that was never interrupted — for a
    /// feedforward policy, and for a GRU policy whose memory and shared
    /// normalisation statistics must come back from the checkpoint too, and
    /// for an online actor-critic whose eLSTM learns by RTRL: its
    /// sensitivities are part of what a resume needs; and for world-model
    /// agents, whose replay comes back too (on pixels and MinAtar's grids,
    /// as bytes; on both with each backbone; and acting on drawn latents).
    @Test(arguments: ["feedforward", "gru", "rtrl", "dreamer", "dreamer-sampling-latents", "dreamer-pixels-gru", "dreamer-pixels-s4", "dreamer-pixels-mamba",
                      "dreamer-minatar-gru", "dreamer-minatar-s4", "dreamer-minatar-mamba", "dreamer-window-s4"])
    func aStoppedAndResumedRunEndsWithTheSameParameters(_ policy: String) throws {
        let straight = try PythonTool.temporaryDirectory(), interrupted = try PythonTool.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: straight)
            try? FileManager.default.removeItem(at: interrupted)
        }
        var config = Self.config(totalSteps: 8 * 256, checkpointEvery: 0)
        if policy == "gru" {
            config.env = "CartPoleNoVel-v1"
            (config.memory, config.memorySize, config.hidden) = ("gru", 16, [16])
            (config.normalizeObservations, config.normalizeRewards) = (true, true)
        }
        if policy.hasPrefix("dreamer") {
            config = Self.tinyDreamer
            (config.totalSteps, config.checkpointEvery) = (8 * 256, 0)
            config.dreamer.samplesLatentsWhenActing = policy == "dreamer-sampling-latents"
        }
        if policy == "dreamer-window-s4" {
            // Acting from a window: the window (observations, actions, fill) is carried in the checkpoint too.
            config.dreamer.worldModel.backbone.kind = .s4
            config.dreamer.actingWindow = 5
        }
        if policy.hasPrefix("dreamer-pixels-") {
            // 64×64×3 frames: the strided CNN, bytes in the replay; every backbone.
            config.env = "PixelCatch?balls=1"
            config.dreamer.worldModel.cnnDepth = 2
            config.dreamer.worldModel.backbone.kind = BackboneConfig.Kind(rawValue: String(policy.dropFirst("dreamer-pixels-".count)))!
            config.dreamer.replayCapacity = 2400
            config.evalEpisodes = 1
        }
        if policy.hasPrefix("dreamer-minatar-") {
            // MinAtar's {0, 1} grids: the grid CNN, a Bernoulli decoder, bytes in the replay; every backbone.
            config.env = "MinAtar/Breakout-v1"
            config.dreamer.worldModel.cnnDepth = 2
            config.dreamer.worldModel.backbone.kind = BackboneConfig.Kind(rawValue: String(policy.dropFirst("dreamer-minatar-".count)))!
            config.evalEpisodes = 1
        }
        if policy == "rtrl" {
            config.algorithm = "online-ac"
            config.env = "TMaze?length=6&penalty=0.1"
            (config.memory, config.memorySize, config.encoderSize, config.hidden) = ("elstm", 8, 8, [])
            config.online.updateInterval = 32  // 8 envs × 32 steps per iteration, as PPO's
        }
        try Trainer(config: config, runDirectory: straight).run()

        var iterations = 0
        let first = try Trainer(config: config, runDirectory: interrupted).run(shouldStop: {
            iterations += 1
            return iterations > 3
        })
        #expect(first.outcome == .stopped && first.envSteps == 3 * 256)
        let resumed = try Trainer(resuming: interrupted).run()
        #expect(resumed.outcome == .completed && resumed.envSteps == 8 * 256)

        let a = try Checkpoint(contentsOf: Trainer.checkpoints(in: straight).last!.url)
        let b = try Checkpoint(contentsOf: Trainer.checkpoints(in: interrupted).last!.url)
        let names = a.tensors.keys.filter { $0.hasPrefix("model.") }.sorted()
        #expect(names.count == ["feedforward": 12, "gru": 12, "rtrl": 11, "dreamer": 50, "dreamer-sampling-latents": 50][policy] ?? names.count)
        if policy.hasPrefix("dreamer") {
            // The replay is kept once, beside the newest checkpoint, which names it.
            let replayFiles = try FileManager.default.contentsOfDirectory(atPath: interrupted.appendingPathComponent("checkpoints").path)
                .filter { $0.hasPrefix("replay-") }
            #expect(replayFiles == ["replay-000002048.safetensors"] && b.metadata["replay"] == replayFiles.first)
            #expect(try Checkpoint(contentsOf: Trainer.checkpoints(in: interrupted).first!.url).metadata["replay"] == "replay-000000768.safetensors")
            let replayA = try Checkpoint(contentsOf: straight.appendingPathComponent("checkpoints/\(try #require(a.metadata["replay"]))"))
            let replayB = try Checkpoint(contentsOf: interrupted.appendingPathComponent("checkpoints/replay-000002048.safetensors"))
            #expect(!a.tensors.keys.contains { $0.hasPrefix("agent.carried.replay.") })
            if policy == "dreamer-window-s4" {
                let memoryParts = a.tensors.keys.filter { $0.hasPrefix("agent.memory.") }.count
                #expect(a.tensors["agent.memory.\(memoryParts - 3)"]?.shape == [4, 5 * 4], "the window of observations")
                #expect(a.tensors["agent.memory.\(memoryParts - 1)"]?.scalars.allSatisfy { $0 >= 1 && $0 <= 5 } == true)
            }
            if policy == "dreamer" || policy == "dreamer-sampling-latents" || policy == "dreamer-window-s4" {
                #expect(replayA.tensors["replay.observations"]?.shape == [4000, 4])
            } else {
                // 8-bit frames and grids are kept as U8 (a quarter of Float32's size).
                #expect(replayA.tensors["replay.observations"] == nil)
                #expect(replayA.bytes["replay.observations"]?.shape == (policy.hasPrefix("dreamer-pixels") ? [2400, 64 * 64 * 3] : [4000, 400]))
                let sameFrames = replayA.bytes == replayB.bytes
                #expect(sameFrames)
            }
            // The replay and the slow critic come back too: the runs agree on every tensor.
            for (name, t) in replayA.tensors {
                let same = t.scalars == replayB.tensors[name]?.scalars
                #expect(same, "\(name) differs")
            }
            for (name, t) in a.tensors where name.hasPrefix("agent.") || name.hasPrefix("optimizer.") {
                let same = t.scalars == b.tensors[name]?.scalars
                #expect(same, "\(name) differs")
            }
        }
        if policy == "rtrl" {
            #expect(a.tensors["agent.carried.sensitivities.0"]?.shape == [8, 16, 8])
            #expect(a.tensors["agent.carried.sensitivities.0"]?.scalars == b.tensors["agent.carried.sensitivities.0"]?.scalars)
        }
        if policy == "gru" {
            #expect(names.contains("model.cell.hiddenWeight") && a.tensors["agent.memory.0"]?.shape == [8, 16])
            #expect(a.metadata["normalizer.observations"] != nil && a.metadata["normalizer.rewards"] != nil)
            #expect(a.metadata["normalizer.rewards"] == b.metadata["normalizer.rewards"])
        }
        for name in names {
            let same = a.tensors[name]!.scalars == b.tensors[name]?.scalars
            #expect(same, "\(name) differs")
        }
    }

    /// `--total-steps` on a resume trains a finished run on to the new end and
    /// records it in config.toml; an end below what the run has trained is a
    /// clear error that leaves the folder as it was.
    @Test func aFinishedRunTrainsOnToANewTotal() throws {
        let dir = try PythonTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let configURL = dir.appendingPathComponent("config.toml")
        #expect(try Trainer(config: Self.config(totalSteps: 1024), runDirectory: dir).run().envSteps == 1024)
        let extended = try Trainer(resuming: dir, totalSteps: 2048).run()
        #expect(extended.outcome == .completed && extended.envSteps == 2048)
        #expect(try Trainer.checkpoints(in: dir).map(\.step).last == 2048)
        #expect(try TrainConfig.load(preset: configURL, resolved: true).totalSteps == 2048)
        let before = try Data(contentsOf: configURL)
        #expect { _ = try Trainer(resuming: dir, totalSteps: 1536) } throws: { error in
            "\(error)".contains("below the 2,048 steps")
        }
        #expect(try Data(contentsOf: configURL) == before)
    }

    /// A world-model run whose replay file went missing still resumes: its
    /// parameters, optimizer and counters come back, the replay starts empty.
    @Test func aWorldModelRunResumesWithoutItsReplayFile() throws {
        let dir = try PythonTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var config = Self.tinyDreamer
        (config.totalSteps, config.checkpointEvery) = (4 * 256, 0)
        var iterations = 0
        _ = try Trainer(config: config, runDirectory: dir).run(shouldStop: {
            iterations += 1
            return iterations > 2
        })
        let saved = try Checkpoint(contentsOf: try #require(Trainer.checkpoints(in: dir).last).url)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("checkpoints/\(try #require(saved.metadata["replay"]))"))
        let resumed = try Trainer(resuming: dir).run()
        #expect(resumed.outcome == .completed && resumed.envSteps == 4 * 256)
    }

    /// A metrics file an older version wrote with fewer columns is resumed
    /// under today's: every old value stays under its column, rows after the
    /// checkpoint and a torn last line go, and new rows fill every column.
    @Test func metricsWrittenWithOlderColumnsAreKeptOnResume() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reverie-csv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("metrics.csv")
        let older = MetricsCSV.columns + ["losses/world_model", "charts/return_scale"]
        let oldRow = { (step: Int) in ([String(step)] + (1..<older.count).map { "\(step).\($0)" }).joined(separator: ",") }
        try Data(([older.joined(separator: ","), oldRow(100), oldRow(200), oldRow(300), "400,1.5"].joined(separator: "\n") + "\n").utf8)
            .write(to: url)
        let csv = try MetricsCSV(url: url, extraColumns: MetricsCSV.worldModelColumns, resumingAt: 200)
        try csv.append(["global_step": 300, "charts/prior_entropy": 2.5])
        try csv.close()
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = MetricsCSV.columns + MetricsCSV.worldModelColumns
        #expect(lines.count == 4 && lines.allSatisfy { $0.count == header.count })
        #expect(lines[0] == header)
        let column = { (name: String) in header.firstIndex(of: name)! }
        #expect(lines[1][0] == "100" && lines[2][0] == "200" && lines[3][0] == "300")
        #expect(lines[2][column("charts/return_scale")] == "200.\(older.count - 1)")
        #expect(lines[2][column("losses/world_model")] == "200.\(older.count - 2)")
        #expect(lines[2][column("charts/prior_entropy")] == "" && lines[3][column("charts/prior_entropy")] == "2.5")
        // A last row torn inside its last field (no newline) goes, though its fields are all there.
        let full = header.map { _ in "1" }.joined(separator: ",")
        try Data((header.joined(separator: ",") + "\n" + full.replacingOccurrences(of: "1,", with: "100,", options: .anchored)
                  + "\n150" + full.dropFirst(1)).utf8).write(to: url)
        let again = try MetricsCSV(url: url, extraColumns: MetricsCSV.worldModelColumns, resumingAt: 200)
        try again.append(["global_step": 200])
        try again.close()
        let rows = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { $0.prefix { $0 != "," } }
        #expect(rows == ["global_step", "100", "200"])
    }

    /// The same seed and config give the same run.
    @Test func theSameSeedGivesTheSameRun() throws {
        let dirs = try (0..<2).map { _ in try PythonTool.temporaryDirectory() }
        defer { for d in dirs { try? FileManager.default.removeItem(at: d) } }
        for d in dirs { try Trainer(config: Self.config(totalSteps: 1024, checkpointEvery: 0), runDirectory: d).run() }
        let checkpoints = try dirs.map { try Checkpoint(contentsOf: Trainer.checkpoints(in: $0).last!.url) }
        #expect(checkpoints[0].tensors.keys.sorted() == checkpoints[1].tensors.keys.sorted())
        for (name, t) in checkpoints[0].tensors {
            let same = t.scalars == checkpoints[1].tensors[name]?.scalars
            #expect(same, "\(name) differs")
        }
        // Losses logged per iteration match too (wall time and SPS aside).
        let rows = try dirs.map { try String(contentsOf: $0.appendingPathComponent("metrics.csv"), encoding: .utf8)
            .split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).enumerated()
                .filter { ![1, 4].contains($0.offset) }.map(\.element) } }
        #expect(rows[0] == rows[1])
    }

    /// A NaN stops the run with an error naming the parameter, and the last
    /// good checkpoint stays as it was.
    @Test func aNaNStopsTheRunNamingTheTensorAndKeepsTheLastCheckpoint() throws {
        let dir = try PythonTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var iterations = 0
        try Trainer(config: Self.config(), runDirectory: dir).run(shouldStop: { iterations += 1; return iterations > 2 })
        let saved = try Trainer.checkpoints(in: dir)
        let bytes = try Data(contentsOf: saved.last!.url)

        let trainer = try Trainer(resuming: dir)
        let weight = (trainer.agent.actingPolicy as! ActorCritic).critic.layers[1].weight
        weight.update { $0[3] = .nan }
        #expect {
            try trainer.run()
        } throws: { error in
            "\(error)".contains("parameter critic.layers.1.weight") && "\(error)".contains("update 2")
        }
        #expect(try Trainer.checkpoints(in: dir).map(\.url) == saved.map(\.url))
        #expect(try Data(contentsOf: saved.last!.url) == bytes)
    }

    @Test func aFolderThatHoldsARunIsNotOverwritten() throws {
        let dir = try PythonTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Trainer(config: Self.config(totalSteps: 256, checkpointEvery: 0), runDirectory: dir).run()
        #expect(throws: ConfigError.self) { _ = try Trainer(config: Self.config(), runDirectory: dir) }
    }
}
