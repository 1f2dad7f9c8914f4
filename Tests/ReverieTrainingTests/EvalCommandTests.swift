import Foundation
import Testing
import ReverieTraining
import ReverieTestSupport

/// `reverie eval --random ENV`: the random baseline a trained agent is
/// measured against, run as a user runs it.
@Suite struct EvalCommandTests {
    /// Runs the `reverie` built next to this test bundle; returns its exit status, stdout and stderr.
    /// `executable` replaces the built tool (a copy elsewhere); `directory` is its working directory.
    /// Past `timeout` seconds it is killed and the status is -1, with a line saying so on stderr.
    static func reverie(_ arguments: [String], executable: URL? = nil, directory: URL? = nil,
                        timeout: Double = 900) throws -> (status: Int32, out: String, err: String) {
        let result = try ChildProcess.run(executable ?? builtExecutable, arguments, directory: directory, timeout: timeout)
        return (result.exitCode, result.out, result.err + (result.timedOut ? "\n[test: killed after \(Int(timeout)) s]" : ""))
    }

    /// The `reverie` built next to this test bundle.
    static var builtExecutable: URL {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("reverie").path), dir.path != "/" {
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent("reverie")
    }

    @Test func aRandomPolicysReturnIsReportedAndRepeatsForItsSeed() throws {
        let a = try Self.reverie(["eval", "--random", "CartPole-v1", "--episodes", "30", "--json"])
        #expect(a.status == 0, "\(a.err)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(a.out.utf8)) as? [String: Any])
        let returns = try #require(object["returns"] as? [Double])
        #expect(returns.count == 30 && object["policy"] as? String == "random")
        // CartPole-v1 under random actions lasts about 22 steps (Gymnasium's figure): far from 500, never below 8.
        let mean = try #require(object["return_mean"] as? Double)
        #expect(mean > 12 && mean < 40 && returns.allSatisfy { $0 >= 8 }, "\(returns)")
        #expect(try Self.reverie(["eval", "--random", "CartPole-v1", "--episodes", "30", "--json"]).out == a.out)
        #expect(try Self.reverie(["eval", "--random", "CartPole-v1", "--episodes", "30", "--json", "--seed", "7"]).out != a.out)
    }

    @Test func evalNeedsARunOrARandomEnvAndNamesUnknownEnvs() throws {
        let neither = try Self.reverie(["eval"])
        #expect(neither.status != 0 && neither.err.contains("--random ENV"), "\(neither.err)")
        let unknown = try Self.reverie(["eval", "--random", "CartPol-v1"])
        #expect(unknown.status != 0 && unknown.err.contains("unknown environment 'CartPol-v1'"), "\(unknown.err)")
    }

    /// `--acting-window` and `--model-error` ask things of a world model: on a
    /// PPO run each is a clear error, given before any episode is played.
    @Test func worldModelOptionsOnAPPORunAreClearErrors() throws {
        let dir = try PythonTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try Trainer(config: TrainerTests.config(totalSteps: 512, checkpointEvery: 512), runDirectory: dir).run()
        let window = try Self.reverie(["eval", dir.path, "--acting-window", "4"])
        #expect(window.status != 0 && window.err.contains("an acting window applies to world-model agents"), "\(window.err)")
        let error = try Self.reverie(["eval", dir.path, "--model-error"])
        #expect(error.status != 0 && error.err.contains("--model-error measures a world model") && error.out.isEmpty, "\(error.err)")
        #expect(try Self.reverie(["eval", dir.path, "--episodes", "1"]).status == 0)
    }

    /// A preset name used away from the repository (a copied binary, another
    /// working directory) says where presets were looked for and what to do.
    @Test func aPresetNameAwayFromTheRepositorySaysWhereItLooked() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reverie-presets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let copy = dir.appendingPathComponent("reverie")
        try FileManager.default.copyItem(at: Self.builtExecutable, to: copy)
        let away = try Self.reverie(["train", "ppo-cartpole"], executable: copy, directory: dir)
        #expect(away.status != 0 && away.err.contains("REVERIE_ROOT") && away.err.contains(dir.path), "\(away.err)")
        let typo = try Self.reverie(["train", "ppo-cartpol"])
        #expect(typo.status != 0 && typo.err.contains("presets: ") && typo.err.contains("ppo-cartpole"), "\(typo.err)")
    }
}
