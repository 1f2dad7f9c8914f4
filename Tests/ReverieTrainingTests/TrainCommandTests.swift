import Foundation
import ReverieTestSupport
import Testing

/// `reverie train` as a user runs it: Ctrl-C (SIGINT) during a run, and the
/// progress line on a terminal and in a log. One process at a time: each
/// trains, and timing matters to what they check.
@Suite(.serialized, .timeLimit(.minutes(30))) struct TrainCommandTests {
    /// Starts the `reverie` built next to this test bundle.
    static func start(_ arguments: [String]) throws -> ChildProcess {
        try ChildProcess(EvalCommandTests.builtExecutable, arguments)
    }

    static func lines(_ url: URL) -> Int {
        ((try? String(contentsOf: url, encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    /// `reverie train --help` lists every preset shipped in agents/.
    @Test func helpListsEveryPreset() throws {
        let help = try EvalCommandTests.reverie(["train", "--help"])
        #expect(help.status == 0, "\(help.err)")
        let presets = try FileManager.default.contentsOfDirectory(atPath: PythonTool.repository.appendingPathComponent("agents").path)
            .filter { $0.hasSuffix(".toml") }.map { String($0.dropLast(5)) }
        #expect(presets.count >= 10)
        let listed = help.out.replacingOccurrences(of: "\n", with: " ")
        for preset in presets { #expect(listed.contains(preset), "\(preset) is not in --help") }
    }

    /// `--keys` prints each key's value: the defaults, or a preset's with its --set and --seed.
    @Test func keysPrintTheDefaultsOrThePresetsValues() throws {
        let defaults = try EvalCommandTests.reverie(["train", "--keys"])
        #expect(defaults.status == 0 && defaults.out.contains("\n  total_steps = 100000 — environment steps to train for"),
                "\(defaults.out.prefix(600))")
        let preset = try EvalCommandTests.reverie(["train", "ppo-minatar-breakout", "--keys", "--set", "total_steps=1e6", "--seed", "7"])
        #expect(preset.status == 0, "\(preset.err)")
        for line in ["  env = \"MinAtar/Breakout-v1\" — ", "  total_steps = 1000000 — ", "  seed = 7 — "] {
            #expect(preset.out.contains(line), "\(line) not in \(preset.out.prefix(600))")
        }
    }

    /// `--resume RUN --set total_steps=N` extends a run as --total-steps N does; no other key changes a run's config.
    @Test func aResumedRunTakesANewTotalAsASetAndNoOtherKey() throws {
        let dir = try PythonTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run")
        let first = try EvalCommandTests.reverie(["train", "ppo-cartpole", "--run-dir", run.path, "--set", "total_steps=1024",
                                                  "--set", "run.eval_episodes=1", "--quiet"])
        #expect(first.status == 0, "\(first.err)")
        let other = try EvalCommandTests.reverie(["train", "--resume", run.path, "--set", "ppo.gamma=0.9"])
        #expect(other.status == 64 && other.err.contains("the one key it takes is --set total_steps=N"), "\(other.err)")
        let extended = try EvalCommandTests.reverie(["train", "--resume", run.path, "--set", "total_steps=2e3", "--quiet"])
        #expect(extended.status == 0, "\(extended.err)")
        let summary = try JSONSerialization.jsonObject(with: Data(extended.out.utf8)) as? [String: Any]
        #expect((summary?["env_steps"] as? Int ?? 0) >= 2000, "\(extended.out)")
    }

    /// A start that fails leaves no run folder behind, and its error is the
    /// message alone (no usage text): 64 for a config that cannot be used,
    /// 1 for a failure while starting (a server that does not answer).
    @Test func aFailedStartLeavesNoRunFolderAndSaysOnlyWhatFailed() throws {
        let dir = try PythonTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases: [(sets: [String], status: Int32, says: String)] = [
            (["env=CartPol-v1"], 64, "did you mean 'CartPole-v1'"),
            (["env=zmq://127.0.0.1:9", "remote.timeout_ms=100", "remote.retries=0"], 1, "is the server running?"),
        ]
        for (k, c) in cases.enumerated() {
            let runDir = dir.appendingPathComponent("run\(k)")
            let result = try EvalCommandTests.reverie(["train", "ppo-cartpole", "--run-dir", runDir.path] + c.sets.flatMap { ["--set", $0] })
            #expect(result.status == c.status && result.err.contains(c.says), "\(c.sets): \(result.status) \(result.err)")
            #expect(!result.err.contains("Usage:"), "\(result.err)")
            #expect(!FileManager.default.fileExists(atPath: runDir.path), "\(c.sets) left \(runDir.path)")
        }
        // A folder the user made is kept, with nothing of the failed run in it.
        let own = dir.appendingPathComponent("mine")
        try FileManager.default.createDirectory(at: own, withIntermediateDirectories: true)
        try Data("notes".utf8).write(to: own.appendingPathComponent("notes.txt"))
        _ = try EvalCommandTests.reverie(["train", "ppo-cartpole", "--run-dir", own.path, "--set", "env=CartPol-v1"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: own.path) == ["notes.txt"])
        // A negative seed is a value the config refuses, not a missing one.
        let negative = try EvalCommandTests.reverie(["train", "ppo-cartpole", "--run-dir", dir.appendingPathComponent("s").path,
                                                     "--seed", "-1"])
        #expect(negative.status == 64 && negative.err.contains("seed = -1 is not allowed"), "\(negative.err)")
        // A budget may be written as 1e6 (the command gets past parsing to the missing run).
        let budget = try EvalCommandTests.reverie(["train", "--resume", dir.appendingPathComponent("none").path, "--total-steps", "1e6"])
        #expect(budget.status == 64 && budget.err.contains("is not a run folder"), "\(budget.err)")
    }

    /// Ctrl-C mid-run: the iteration finishes, a checkpoint at that step is
    /// written, the exit is clean (status 0, a "stopped" summary, how to go
    /// on), and `--resume` finishes the run from there.
    @Test func ctrlCSavesACheckpointAndTheRunResumesFromIt() throws {
        let dir = try PythonTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let runDir = dir.appendingPathComponent("run")
        let run = try Self.start(["train", "ppo-cartpole", "--run-dir", runDir.path,
                                  "--set", "total_steps=60000", "--set", "run.eval_episodes=2"])
        // Interrupt once an iteration is logged (metrics.csv: header and a row).
        let metrics = runDir.appendingPathComponent("metrics.csv")
        #expect(run.wait(upTo: 120) { Self.lines(metrics) >= 2 || !run.process.isRunning }, "no iteration logged: \(run.errSoFar)")
        try #require(run.process.isRunning, "the run ended before it could be interrupted: \(run.errSoFar)")
        run.signal(SIGINT)
        let result = run.finish(upTo: 120)
        #expect(result.status == 0 && !result.signaled && !result.timedOut, "\(result.how): \(result.err)")
        #expect(result.err.contains("stopping: finishing this iteration"), "\(result.err)")
        #expect(result.err.contains("continue with: reverie train --resume \(runDir.path)"), "\(result.err)")

        let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any], "stdout: \(result.out)")
        #expect(summary["outcome"] as? String == "stopped")
        let stoppedAt = try #require(summary["env_steps"] as? Int)
        #expect(stoppedAt > 0 && stoppedAt < 60_000)
        let checkpoint = runDir.appendingPathComponent("checkpoints")
            .appendingPathComponent(String(format: "step-%09d.safetensors", stoppedAt))
        #expect(FileManager.default.fileExists(atPath: checkpoint.path), "no \(checkpoint.lastPathComponent)")

        let resumed = try EvalCommandTests.reverie(["train", "--resume", runDir.path])
        #expect(resumed.status == 0, "\(resumed.err)")
        // It goes on from the interrupted step, not from the start.
        #expect(resumed.err.contains("from \(checkpoint.lastPathComponent)"), "\(resumed.err)")
        let steps = (try? String(contentsOf: metrics, encoding: .utf8))?.split(separator: "\n").dropFirst()
            .compactMap { Int($0.split(separator: ",").first ?? "") } ?? []
        #expect(steps.contains(stoppedAt) && steps.contains(stoppedAt + 256) && Set(steps).count == steps.count,
                "metrics.csv global steps: \(steps)")
        let final = try #require(try JSONSerialization.jsonObject(with: Data(resumed.out.utf8)) as? [String: Any])
        #expect(final["outcome"] as? String == "completed")
        // Iterations are 8 envs × 32 steps: the run ends at the first past its budget.
        let finalSteps = try #require(final["env_steps"] as? Int)
        #expect(finalSteps >= 60_000 && finalSteps < 60_000 + 256)
        #expect(final["eval_episodes"] as? Int == 2)
        #expect(resumed.err.contains("evaluating 2 episodes with the policy's mode"), "\(resumed.err)")
    }

    /// A second Ctrl-C does not wait for the iteration: the process ends by
    /// the signal. (An iteration here collects 8 × 40,000 steps: seconds.)
    @Test func aSecondCtrlCQuitsAtOnce() throws {
        let dir = try PythonTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let runDir = dir.appendingPathComponent("run")
        let run = try Self.start(["train", "ppo-cartpole", "--run-dir", runDir.path, "--set", "ppo.rollout_steps=40000",
                                  "--set", "total_steps=320000"])
        // metrics.csv is created just before the first iteration starts; a
        // Ctrl-C before that would stop the run at once, with nothing to cut
        // short. The wait after it puts the signals inside the iteration.
        let metrics = runDir.appendingPathComponent("metrics.csv")
        #expect(run.wait(upTo: 120) { FileManager.default.fileExists(atPath: metrics.path) }, "\(run.errSoFar)")
        Thread.sleep(forTimeInterval: 1)
        run.signal(SIGINT)
        #expect(run.wait(upTo: 30) { run.errSoFar.contains("Ctrl-C again quits at once") }, "\(run.errSoFar)")
        run.signal(SIGINT)
        let started = Date()
        let result = run.finish(upTo: 60)
        #expect(result.signaled && result.status == SIGINT, "\(result.how): \(result.err)")
        #expect(Date().timeIntervalSince(started) < 5, "it waited for the iteration")
        #expect(Self.lines(metrics) <= 1, "an iteration finished before the second Ctrl-C: the test did not test")
    }

    /// The progress line as a user sees it: rewritten in place when stderr
    /// is a terminal (a pseudo-terminal here), plain lines in a log.
    @Test func theProgressLineIsRewrittenOnATerminalAndPlainInALog() throws {
        let dir = try PythonTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let arguments = ["train", "ppo-cartpole", "--set", "total_steps=3000", "--set", "run.eval_episodes=1",
                         "--set", "run.checkpoint_every=1024"]

        let terminal = try Self.runOnTerminal(arguments + ["--run-dir", dir.appendingPathComponent("a").path])
        #expect(terminal.status == 0, "\(terminal.stderr)")
        #expect(terminal.stderr.contains("\r\u{1B}[2Ksteps 256/3,000 (8%) · "), "\(terminal.stderr.debugDescription)")
        // The last rewrite shows the finished run, then the line is ended.
        #expect(terminal.stderr.contains("\r\u{1B}[2Ksteps 3,072/3,000 (102%) · "), "\(terminal.stderr.debugDescription)")
        // Checkpoint messages mid-run take the line's place instead of running on from it.
        let checkpoints = terminal.stderr.components(separatedBy: "checkpoint step-").dropFirst().count
        #expect(checkpoints == 3, "\(terminal.stderr.debugDescription)")  // 1,024, 2,048 and the end
        #expect(terminal.stderr.components(separatedBy: "\u{1B}[2Kcheckpoint step-").count - 1 == checkpoints,
                "\(terminal.stderr.debugDescription)")

        let log = try EvalCommandTests.reverie(arguments + ["--run-dir", dir.appendingPathComponent("b").path])
        #expect(log.status == 0, "\(log.err)")
        #expect(!log.err.contains("\r") && !log.err.contains("\u{1B}"), "\(log.err.debugDescription)")
        let lines = log.err.split(separator: "\n").filter { $0.hasPrefix("steps ") }
        // The first iteration and the end, each a line of its own (plus one
        // per 10 s between, should this machine be that slow).
        #expect(lines.count >= 2 && lines.count < 12, "\(log.err)")
        #expect(lines.first?.hasPrefix("steps 256/3,000 (8%) · ") == true && lines.last?.hasPrefix("steps 3,072/3,000 (102%) · ") == true)
        #expect(lines.allSatisfy { $0.contains(" SPS") && $0.contains(" · ETA ") })
    }

    /// Runs `reverie` with stderr on a new pseudo-terminal (Tests/Python/run_on_terminal.py);
    /// returns its exit status and everything written to the terminal.
    static func runOnTerminal(_ arguments: [String]) throws -> (status: Int, stderr: String) {
        let json = try PythonTool.run("run_on_terminal.py", [EvalCommandTests.builtExecutable.path] + arguments)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        return (try #require(object["status"] as? Int), try #require(object["terminal"] as? String))
    }
}
