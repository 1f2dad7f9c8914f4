import Foundation
import ReverieAgents
import ReverieEnvs
import ReverieTestSupport
import Testing
@testable import ReverieTraining

/// `reverie export RUN OUT`: the policy alone, run in numpy by
/// reverie_envs.load_policy, acts as Reverie does.
@Suite(.serialized, .timeLimit(.minutes(10))) struct ExportTests {
    /// A short PPO run on `env` with the keys `edit` sets.
    static func run(env: String, _ edit: (inout TrainConfig) -> Void = { _ in }) throws -> URL {
        var config = TrainerTests.config(totalSteps: 2048, checkpointEvery: 0)
        config.env = env
        edit(&config)
        let dir = try PythonTool.temporaryDirectory().appendingPathComponent("run")
        _ = try Trainer(config: config, runDirectory: dir).run()
        return dir
    }

    /// Categorical with normalised observations (CartPole), one-hot Discrete
    /// observations (RepeatPrevious), a clipped Gaussian (Pendulum) and a
    /// tanh-squashed one: numpy's actions equal Reverie's mode and its values
    /// the critic's, on observations the env really gives.
    @Test(arguments: ["cartpole-normalized", "repeat-previous", "pendulum", "pendulum-squashed"])
    func numpyActsAsReverieDoes(_ name: String) throws {
        let dir: URL
        switch name {
        case "cartpole-normalized": dir = try Self.run(env: "CartPole-v1") { $0.normalizeObservations = true }
        case "repeat-previous": dir = try Self.run(env: "RepeatPrevious?difficulty=easy")
        case "pendulum": dir = try Self.run(env: "Pendulum-v1")
        default: dir = try Self.run(env: "Pendulum-v1") { $0.squashActions = true }
        }
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let file = dir.deletingLastPathComponent().appendingPathComponent("policy.safetensors")
        let export = try EvalCommandTests.reverie(["export", dir.path, file.path])
        #expect(export.status == 0 && export.err.contains("wrote \(file.path)"), "\(export.err)")

        let saved = try SavedPolicy(contentsOf: dir)
        let env = try Registry.make(saved.config.env)
        var rng = RandomGenerator(seed: 3)
        var raw: [[Float]] = [env.reset(seed: 11)]
        for _ in 0..<31 {
            let step = try env.step(env.actionSpace.sample(using: &rng))
            raw.append(step.isDone ? env.reset() : step.observation)
        }
        let features = raw.map { saved.normalization.observations?.normalize($0, clip: 10) ?? $0 }
        let d = features[0].count
        let (pi, values, _) = saved.policy.step(Tensor(features.flatMap { $0 }, shape: [raw.count, d]),
                                                memory: saved.policy.initialMemory(batch: raw.count))
        let ours = saved.policy.head.envActions(pi.mode)

        let input = try JSONSerialization.data(withJSONObject: raw.map { $0.map(Double.init) })
        let result = try ChildProcess.run(URL(fileURLWithPath: PythonTool.python),
                                          [PythonTool.repository.appendingPathComponent("Tests/Python/exported_policy.py").path, file.path],
                                          input: input, timeout: 120)
        #expect(result.exitCode == 0, "\(result.err)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
        let theirs = ((object["actions"] as? [Any]) ?? []).flatMap { ($0 as? [Double]) ?? [($0 as? Double) ?? .nan] }
        #expect(theirs.count == ours.count, "\(theirs) vs \(ours)")
        for (a, b) in zip(theirs, ours) { #expect(abs(Float(a) - b) <= 1e-4 * max(1, abs(b)), "\(theirs) vs \(ours)") }
        let theirValues = (object["values"] as? [Double]) ?? []
        #expect(zip(theirValues, values.scalars).allSatisfy { abs(Float($0) - $1) <= 1e-4 * max(1, abs($1)) }, "\(theirValues) vs \(values.scalars)")
    }

    /// A policy with memory is not an MLP: a clear error, and no file.
    @Test func aRecurrentPolicyIsAClearError() throws {
        let dir = try Self.run(env: "CartPole-v1") { ($0.memory, $0.memorySize) = ("gru", 8) }
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let file = dir.deletingLastPathComponent().appendingPathComponent("policy.safetensors")
        let export = try EvalCommandTests.reverie(["export", dir.path, file.path])
        #expect(export.status == 64 && export.err.contains("reverie export writes feedforward MLP policies"), "\(export.err)")
        #expect(!FileManager.default.fileExists(atPath: file.path))
    }
}
