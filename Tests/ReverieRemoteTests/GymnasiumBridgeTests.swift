import Foundation
import Testing
@testable import ReverieTraining
@testable import ReverieRemote

/// `gymnasium:` envs: the bridge started by the client itself, in child processes.
@Suite(.serialized, .timeLimit(.minutes(30)))
struct GymnasiumBridgeTests {
    // The bridge script is found from the working directory (swift test runs in the repository) or the
    // test bundle's; the environment is left alone, other suites' commands read it.

    @Test func keywordArgumentsAfterTheQuestionMarkBecomeJSON() throws {
        let (id, kwargs) = try GymnasiumBridge.parse("gymnasium:ALE/Pong-v5?frameskip=1&repeat_action_probability=0.25&obs_type=grayscale&full_action_space=true")
        #expect(id == "ALE/Pong-v5")
        let object = try JSONSerialization.jsonObject(with: Data(kwargs.utf8)) as! [String: Any]
        #expect(object["frameskip"] as? Int == 1 && object["repeat_action_probability"] as? Double == 0.25)
        #expect(object["obs_type"] as? String == "grayscale" && object["full_action_space"] as? Bool == true)
        #expect(try GymnasiumBridge.parse("gymnasium:CartPole-v1").kwargs == "{}")
        #expect(throws: GymnasiumBridge.LaunchError.self) { try GymnasiumBridge.parse("gymnasium:CartPole-v1?sutton") }
        #expect(throws: GymnasiumBridge.LaunchError.self) { try GymnasiumBridge.parse("gymnasium:") }
    }

    @Test func bridgesStartedForTheClientServeItsEnvsAndEndWithIt() throws {
        let env = try GymnasiumBridge.launch("gymnasium:CartPole-v1", count: 5, processes: 2)
        let servers = env.ownedServers
        #expect(env.count == 5 && env.name == "CartPole-v1" && servers.count == 2)
        _ = try env.reset(seed: 1)
        for _ in 0..<50 { _ = try env.step(Tensor(repeating: 1, shape: [5])) }
        #expect(servers.allSatisfy { $0.isRunning })
        env.close()
        #expect(servers.allSatisfy { !$0.isRunning })
    }

    @Test func aBridgeThatCannotStartSaysWhyInItsOwnWords() throws {
        do {
            _ = try GymnasiumBridge.launch("gymnasium:NoSuchEnv-v0", count: 1)
            Issue.record("an unknown env id started")
        } catch let error as GymnasiumBridge.LaunchError {
            #expect(error.description.contains("NoSuchEnv") && error.description.contains("exited"), "\(error)")
        }
    }
}

/// `reverie train` on a `gymnasium:` env behind `atari.preprocess`: config to
/// bridges to preprocessing to PPO to evaluation, and no bridge left after;
/// then the saved policy evaluated again on its envs made anew.
@Suite(.serialized, .timeLimit(.minutes(30)))
struct GymnasiumTrainingTests {
    /// Whether process `pid` runs (a zombie counts as ended).
    static func running(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        return stat.split(separator: ")").last?.split(separator: " ").first != "Z"
    }

    @Test func aRunOnAGymnasiumPixelEnvStartsItsBridgesPreprocessesAndEndsThem() throws {
        // The test envs (envs/tests/toy_envs.py) are importable as module:Env-v0.
        let tests = ServerProcess.repository.appendingPathComponent("envs/tests").path
        if !(ProcessInfo.processInfo.environment["PYTHONPATH"] ?? "").contains(tests) { setenv("PYTHONPATH", tests, 1) }
        var config = TrainConfig()
        // PixelDrift: 8×8 RGB frames, a continuous action, episodes truncated after 5 steps.
        (config.env, config.numEnvs, config.bridgeProcesses, config.totalSteps) = ("gymnasium:toy_envs:PixelDrift-v0", 4, 2, 256)
        (config.ppo.rolloutSteps, config.ppo.minibatchSize, config.ppo.epochs) = (32, 64, 1)
        (config.checkpointEvery, config.evalEpisodes, config.evalEvery) = (0, 4, 128)
        config.atariPreprocess = true
        config.atari = .init(noopMax: 0, frameSkip: 2, screen: .init(height: 4, width: 4))
        config.atariFrameStack = 3
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reverie-gym-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let trainer = try Trainer(config: config, runDirectory: dir)
        #expect(trainer.agent.environment.singleObservationSpace == .box(low: 0, high: 255, shape: [4, 4, 3], dtype: .uint8))
        // Other suites start bridges of their own meanwhile: this run's are the ones its env owns.
        let bridges = Trainer.environment(RemoteVectorEnvironment.self, in: trainer.agent.environment)?.ownedServers.map(\.processIdentifier) ?? []
        #expect(bridges.count == 2 && bridges.allSatisfy { Self.running($0) })
        let summary = try trainer.run()
        #expect(summary.outcome == .completed && summary.envSteps >= 256)
        // Episodes of 5 raw steps are 3 agent steps of 2 frames (the last cut short): many ended, and 4 were evaluated.
        let csv = try String(contentsOf: dir.appendingPathComponent("metrics.csv"), encoding: .utf8)
        let lengths = csv.split(separator: "\n").dropFirst().compactMap { Double($0.split(separator: ",", omittingEmptySubsequences: false)[3]) }
        #expect(!lengths.isEmpty && lengths.allSatisfy { $0 == 3 }, "episode lengths \(lengths)")
        #expect(summary.evalReturns.count == 4)
        #expect(!bridges.contains { Self.running($0) }, "the run's bridges outlived it")
        // Evaluated during training too, on bridges of its own (the training envs' episodes went on).
        #expect(summary.bestEvaluation != nil && FileManager.default.fileExists(atPath: trainer.bestCheckpointURL.path))

        // `reverie eval` and `view` read it back: its envs made again (bridges, preprocessing, stack), played, ended.
        let saved = try SavedPolicy(contentsOf: dir)
        let again = try #require(saved.environment)
        #expect(again.count == 4 && again.singleObservationSpace == trainer.agent.environment.singleObservationSpace)
        let evalBridges = Trainer.environment(RemoteVectorEnvironment.self, in: again)?.ownedServers.map(\.processIdentifier) ?? []
        #expect(evalBridges.count == 2 && evalBridges.allSatisfy { Self.running($0) })
        let returns = try saved.evaluate(episodes: 6, seed: 7)
        #expect(returns.count == 6 && returns.allSatisfy(\.isFinite))
        saved.close()
        #expect(!evalBridges.contains { Self.running($0) }, "the evaluation's bridges outlived close()")
    }
}
