import Foundation
import ReverieTestSupport
import Testing

/// The examples of Reverie as a library (Examples/), built with the package:
/// an environment of one's own trained through the API, and the whole
/// command line with that environment registered.
@Suite(.serialized, .timeLimit(.minutes(15))) struct ExamplesTests {
    static func built(_ name: String) -> URL {
        EvalCommandTests.builtExecutable.deletingLastPathComponent().appendingPathComponent(name)
    }

    /// Examples/CorridorPPO: PPO on the corridor learns to walk to its end,
    /// every evaluation episode reaching it (return 1; random play rarely does).
    @Test func thePPOExampleLearnsTheCorridor() throws {
        let result = try ChildProcess.run(Self.built("corridor-ppo"), ["1"], timeout: 600)
        #expect(result.exitCode == 0, "\(result.how): \(result.err)")
        #expect(result.out.contains("eval return 1.0 over 10 episodes"), "\(result.out)")
    }

    /// Examples/MyReverie: `reverie` with the corridor registered lists it with
    /// its options, trains a preset on it and evaluates the run by name; the
    /// plain `reverie` says clearly that it does not know the env.
    @Test func theCommandLineWithARegisteredEnvKnowsItByName() throws {
        let dir = try PythonTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let tool = Self.built("my-reverie"), run = dir.appendingPathComponent("run")
        let envs = try ChildProcess.run(tool, ["envs"], timeout: 120)
        #expect(envs.exitCode == 0 && envs.out.contains("Corridor-v0\n") && envs.out.contains("options: length=8 (2…1000)"),
                "\(envs.out.suffix(800))")
        let train = try ChildProcess.run(tool, ["train", "ppo-cartpole", "--env", "Corridor-v0", "--set", "total_steps=20000",
                                                "--run-dir", run.path, "--quiet"], timeout: 600)
        #expect(train.exitCode == 0, "\(train.err)")
        let eval = try ChildProcess.run(tool, ["eval", run.path, "--episodes", "5", "--json"], timeout: 120)
        let object = try JSONSerialization.jsonObject(with: Data(eval.out.utf8)) as? [String: Any]
        #expect(eval.exitCode == 0 && object?["return_mean"] as? Double == 1, "\(eval.out) \(eval.err)")
        let plain = try EvalCommandTests.reverie(["eval", run.path])
        #expect(plain.status == 64 && plain.err.contains("unknown environment 'Corridor-v0'"), "\(plain.err)")
    }
}
