import Foundation
import ReverieRemote
import ReverieTestSupport
import Testing

/// Every `reverie …` line in the README's code blocks runs, in the README's
/// order, as written but for three things: training takes a short budget,
/// the placeholders it names are real (a run folder made by the README's
/// own first command, two `reverie serve` processes for hostA and hostB),
/// and a window opens under xvfb-run only. A line that cannot run so is
/// listed in `longRuns` with the reason; a README line in neither fails.
@Suite(.serialized, .timeLimit(.minutes(20))) struct ReadmeCommandsTests {
    /// README lines not run here (their words after `reverie`), and why.
    static let longRuns: [String: String] = [
        "train ppo-atari-pong": "10M Atari frames through ale-py (≈ 8.5 h); its pieces are AtariPreprocessingTests'",
        "eval runs/gymnasium_PongNoFrameskip-v4_…": "needs the Pong run above",
        "train dreamer-gru-atari100k-pong": "100k Atari steps through ale-py (≈ 5 h); its pieces are the world-model tests'",
        "train ppo-cartpole --set env='gymnasium:my_package.envs:Maze-v0?size=9'": "names a package of the reader's own",
        "bench tmaze --lengths 10,20,40,80 --seeds 1,2,3,4,5": "40 runs of 1M steps (about 9 minutes on one core)",
        "bench wm-memory": "three world models on 20k steps of the Memory Maze (about an hour)",
        "view runs/<run>": "opens a window; the xvfb-run line runs the viewer",
        "view --random PixelCatch": "opens a window; the xvfb-run line runs the viewer",
        "view runs/<run> --env zmq://host:5555": "opens a window; the xvfb-run line runs the viewer",
    ]

    static var readmeCommands: [DocsTests.Command] {
        let readme = PythonTool.repository.appendingPathComponent("README.md")
        let text = (try? String(contentsOf: readme, encoding: .utf8)) ?? ""
        // Code blocks only: spans in the prose name commands, they are not lines to type.
        let fenced = text.components(separatedBy: "```").enumerated().filter { $0.offset % 2 == 1 }.map { "```\n" + $0.element + "```" }
        return fenced.flatMap { DocsTests.code(in: $0) }.flatMap { DocsTests.commands(in: $0, file: "README.md") }
    }

    @Test func everyReadmeCommandRunsOrIsAListedLongRun() throws {
        let commands = Self.readmeCommands
        let keys = commands.map { $0.words.joined(separator: " ") }
        #expect(keys.count >= 25, "\(keys)")
        for listed in Self.longRuns.keys { #expect(keys.contains(listed), "longRuns names \"\(listed)\", which the README no longer has") }

        let work = try PythonTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let servers = try ["hostA", "hostB"].map { _ in try Self.serve() }
        defer { servers.forEach { $0.signal(SIGKILL) } }
        var ran = 0
        for (command, key) in zip(commands, keys) where Self.longRuns[key] == nil {
            let arguments = try Self.runnable(command.words, in: work, servers: servers.map(\.endpoint))
            // A default run folder is named to the second: two runs of one preset and seed must not share it.
            if arguments.first == "train" { Thread.sleep(forTimeInterval: 1.1) }
            let viaXvfb = command.words.first == "view"
            let executable = viaXvfb ? URL(fileURLWithPath: "/usr/bin/xvfb-run") : EvalCommandTests.builtExecutable
            let result = try ChildProcess.run(executable, (viaXvfb ? ["-a", EvalCommandTests.builtExecutable.path] : []) + arguments,
                                              directory: work, timeout: 300)
            #expect(result.exitCode == 0, "reverie \(key)\n  ran as: \(arguments.joined(separator: " "))\n  \(result.how): \(result.err.suffix(600))")
            ran += 1
        }
        #expect(ran >= 20)
    }

    /// A `reverie serve CartPole-v1` on a free loopback port, once it serves.
    struct Server {
        let child: ChildProcess
        let endpoint: String
        func signal(_ number: Int32) { child.signal(number) }
    }

    static func serve() throws -> Server {
        let port = freeLoopbackPort()
        let child = try ChildProcess(EvalCommandTests.builtExecutable,
                                     ["serve", "CartPole-v1", "--num-envs", "2", "--bind", "tcp://127.0.0.1:\(port)"])
        #expect(child.wait(upTo: 60) { child.errSoFar.contains("serving ") }, "reverie serve did not start: \(child.errSoFar)")
        return Server(child: child, endpoint: "127.0.0.1:\(port)")
    }

    /// A README line's words made runnable: a short budget for training, the
    /// placeholders replaced by the run folder and the servers.
    static func runnable(_ words: [String], in work: URL, servers: [String]) throws -> [String] {
        let runs = work.appendingPathComponent("runs")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: runs.path)) ?? []).sorted()
        let cartpole = names.first { $0.hasPrefix("CartPole-v1__ppo-cartpole__") }.map { "runs/" + $0 }
        var out: [String] = []
        for word in words {
            var w = word.replacingOccurrences(of: "hostA:5555", with: servers[0]).replacingOccurrences(of: "hostB:5555", with: servers[1])
                .replacingOccurrences(of: "127.0.0.1:5555", with: servers[0]).replacingOccurrences(of: "host:5555", with: servers[0])
            if w.hasPrefix("runs/CartPole-v1__") || w == "runs/<run>" { w = try #require(cartpole, "no CartPole run yet in \(names)") }
            if w.hasSuffix("*") {  // a shell glob: the runs it matches
                let prefix = String(w.dropFirst("runs/".count).dropLast())
                out += names.filter { $0.hasPrefix(prefix) }.map { "runs/" + $0 }
                continue
            }
            out.append(w)
        }
        guard out.first == "train", !out.contains("--resume") else { return out }
        // A short budget: one PPO or online iteration, or a world model's few updates after a short prefill.
        let preset = out.count > 1 ? out[1] : ""
        var budget = ["--set", "total_steps=2048", "--set", "run.eval_episodes=1", "--set", "run.checkpoint_every=0"]
        if preset.hasPrefix("dreamer-") { budget += ["--set", "dreamer.prefill=256", "--set", "total_steps=384"] }
        return out + budget
    }
}
