import Foundation
import ReverieRemote
import ReverieTestSupport

/// A server process on a free loopback port, killed when released: either
/// `reverie serve` or the Python Gymnasium bridge (envs/gymnasium_server.py).
final class ServerProcess {
    enum Kind: String, CustomStringConvertible, CaseIterable {
        case swift, python
        var description: String { self == .swift ? "reverie serve" : "gymnasium_server.py" }
    }

    let child: ChildProcess
    var process: Process { child.process }
    /// Bytes of stderr up to and with the "serving …" line.
    private var startupLength = 0
    let endpoint: String
    let port: Int

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../..").standardized

    /// The `reverie` executable built next to this test bundle.
    static var executable: URL {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("reverie").path), dir.path != "/" {
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent("reverie")
    }

    /// $REVERIE_PYTHON, else the repository's .venv (scripts/setup --python makes it), else python3.
    static var python: String {
        if let python = ProcessInfo.processInfo.environment["REVERIE_PYTHON"] { return python }
        let venv = repository.appendingPathComponent(".venv/bin/python").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : "/usr/bin/python3"
    }

    /// Starts the server and returns once it is bound (it prints "serving …").
    /// - Parameter bind: where to bind instead of loopback on `port` (the port is read from it).
    init(_ kind: Kind = .swift, env: String = "CartPole-v1", numEnvs: Int = 1, port: Int? = nil, bind: String? = nil,
         extra: [String] = []) throws {
        self.port = bind.flatMap { Int($0.split(separator: ":").last ?? "") } ?? port ?? freeLoopbackPort()
        endpoint = "tcp://127.0.0.1:\(self.port)"
        let arguments = [env, "--num-envs", String(numEnvs), "--bind", bind ?? endpoint] + extra
        let executable: URL, fullArguments: [String]
        var environment: [String: String]? = nil
        switch kind {
        case .swift:
            (executable, fullArguments) = (Self.executable, ["serve"] + arguments)
        case .python:
            executable = URL(fileURLWithPath: Self.python)
            fullArguments = [Self.repository.appendingPathComponent("envs/gymnasium_server.py").path] + arguments
            // The test envs (envs/tests/toy_envs.py, fault_envs.py) are importable as module:Env-v0.
            var inherited = ProcessInfo.processInfo.environment
            inherited["PYTHONPATH"] = [Self.repository.appendingPathComponent("envs/tests").path, inherited["PYTHONPATH"]]
                .compactMap { $0 }.joined(separator: ":")
            environment = inherited
        }
        child = try ChildProcess(executable, fullArguments, environment: environment)
        // Packages may print first (ale-py's banner). Its stderr is read all along, so a chatty server never stalls.
        let serving = child.wait(upTo: 120) { child.errSoFar.contains("serving ") || !child.isRunning }
        guard serving && child.errSoFar.contains("serving ") else {
            let said = child.finish(upTo: 5).err
            throw ServerStartError(message: "\(kind) did not start (\(serving ? "it exited" : "not serving after 120 s")): \(said)")
        }
        // What follows the "serving …" line is what the server said after starting.
        let text = child.errSoFar
        let lineEnd = text.range(of: "serving ").flatMap { text[$0.upperBound...].firstIndex(of: "\n") }
        startupLength = lineEnd.map { text.utf8.distance(from: text.startIndex, to: $0) + 1 } ?? text.utf8.count
    }

    /// Sends `signal` (SIGINT, SIGTERM) and waits up to 60 s for the process to end (SIGKILL after).
    /// - Returns: its exit status (-1 if it had to be killed, 128 + n for signal n) and what it wrote
    ///   to stderr after starting.
    func stop(_ signal: Int32) -> (status: Int32, stderr: String) {
        child.signal(signal)
        let result = child.finish(upTo: 60)
        return (result.exitCode, String(decoding: Array(result.err.utf8).dropFirst(startupLength), as: UTF8.self))
    }

    /// Waits up to `seconds` for the server to end by itself (after a `close`); false if it had to be killed.
    func waitForExit(upTo seconds: Double = 60) -> Bool { child.waitForExit(upTo: seconds) }

    /// SIGKILL: the server dies as a crashed one would, with no goodbye.
    func kill() {
        if child.isRunning {
            child.signal(SIGKILL)
            child.waitForExit(upTo: 30)
        }
    }

    deinit { kill() }
}

struct ServerStartError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
