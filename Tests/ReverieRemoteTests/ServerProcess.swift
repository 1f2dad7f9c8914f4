import Foundation

/// A server process on a free loopback port, killed when released: either
/// `reverie serve` or the Python Gymnasium bridge (envs/gymnasium_server.py).
final class ServerProcess {
    enum Kind: String, CustomStringConvertible, CaseIterable {
        case swift, python
        var description: String { self == .swift ? "reverie serve" : "gymnasium_server.py" }
    }

    let process = Process()
    private let stderr = Pipe()
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

    /// A port nothing listens on yet (bind port 0, read it back, release it).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Starts the server and returns once it is bound (it prints "serving …").
    /// - Parameter bind: where to bind instead of loopback on `port` (the port is read from it).
    init(_ kind: Kind = .swift, env: String = "CartPole-v1", numEnvs: Int = 1, port: Int? = nil, bind: String? = nil,
         extra: [String] = []) throws {
        self.port = bind.flatMap { Int($0.split(separator: ":").last ?? "") } ?? port ?? Self.freePort()
        endpoint = "tcp://127.0.0.1:\(self.port)"
        let arguments = [env, "--num-envs", String(numEnvs), "--bind", bind ?? endpoint] + extra
        switch kind {
        case .swift:
            process.executableURL = Self.executable
            process.arguments = ["serve"] + arguments
        case .python:
            process.executableURL = URL(fileURLWithPath: Self.python)
            process.arguments = [Self.repository.appendingPathComponent("envs/gymnasium_server.py").path] + arguments
            // The test envs (envs/tests/toy_envs.py, fault_envs.py) are importable as module:Env-v0.
            var environment = ProcessInfo.processInfo.environment
            environment["PYTHONPATH"] = [Self.repository.appendingPathComponent("envs/tests").path, environment["PYTHONPATH"]]
                .compactMap { $0 }.joined(separator: ":")
            process.environment = environment
        }
        process.standardError = stderr
        try process.run()
        // Packages may print first (ale-py's banner); a server that exits first ends the pipe with an empty line.
        var said: [String] = []
        while true {
            let line = Self.readLine(stderr.fileHandleForReading)
            if line.hasPrefix("serving") { break }
            said.append(line)
            if line.isEmpty && !process.isRunning || said.count > 200 {
                kill()
                throw ServerStartError(message: "\(kind) did not start: \(said.joined(separator: "\n"))\(String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))")
            }
        }
    }

    private static func readLine(_ handle: FileHandle) -> String {
        var bytes: [UInt8] = []
        while let byte = try? handle.read(upToCount: 1), let b = byte.first, b != 10 { bytes.append(b) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Sends `signal` (SIGINT, SIGTERM) and waits for the process to end.
    /// - Returns: its exit status and what it wrote to stderr after starting.
    func stop(_ signal: Int32) -> (status: Int32, stderr: String) {
        Glibc.kill(process.processIdentifier, signal)
        process.waitUntilExit()
        let rest = stderr.fileHandleForReading.readDataToEndOfFile()
        return (process.terminationStatus, String(decoding: rest, as: UTF8.self))
    }

    /// SIGKILL: the server dies as a crashed one would, with no goodbye.
    func kill() {
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { kill() }
}

struct ServerStartError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
