import Foundation

/// Any Gymnasium env as a Reverie vector env, with nothing to start by hand:
/// `gymnasium:PongNoFrameskip-v4?obs_type=grayscale` runs the Python bridge
/// (envs/gymnasium_server.py) in child processes and connects to them.
///
/// The part after `?` holds `gym.make` keyword arguments, `key=value` joined
/// by `&`; a value that reads as JSON (`1`, `0.25`, `true`, `"rgb"`) is
/// passed as that, any other as a string. The N envs are split over
/// `processes` bridges, stepped concurrently. Each bridge exits when this
/// process does (it watches its parent), and on `close`.
///
/// The Python is `$REVERIE_PYTHON`, else the repository's `.venv/bin/python`
/// (scripts/setup --python makes it), else `/usr/bin/python3`; the repository is
/// `$REVERIE_ROOT`, else the working directory or the one the executable
/// was built in.
public enum GymnasiumBridge {
    public static let prefix = "gymnasium:"

    /// A bridge that would not start: its own words, which say how to fix it (a missing package, an unknown id).
    public struct LaunchError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// The env id and `gym.make` keyword arguments (as a JSON object) of a `gymnasium:` spec.
    public static func parse(_ spec: String) throws -> (id: String, kwargs: String) {
        guard spec.hasPrefix(prefix) else { throw LaunchError(message: "\(spec) is not a \(prefix)… env") }
        let rest = spec.dropFirst(prefix.count)
        let parts = rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let id = String(parts[0])
        guard !id.isEmpty else { throw LaunchError(message: "\(spec): name a Gymnasium env id after '\(prefix)', e.g. \(prefix)CartPole-v1") }
        var pairs: [String] = []
        if parts.count == 2 {
            for item in parts[1].split(separator: "&") {
                let kv = item.split(separator: "=", maxSplits: 1)
                guard kv.count == 2, !kv[0].isEmpty else {
                    throw LaunchError(message: "\(spec): '\(item)' is not key=value (keyword arguments go as ?key=value&key=value)")
                }
                let key = String(kv[0]), value = String(kv[1])
                let json = (try? JSONSerialization.jsonObject(with: Data(value.utf8), options: .fragmentsAllowed)) != nil
                    ? value : "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
                pairs.append("\"\(key)\": \(json)")
            }
        }
        return (id, "{" + pairs.joined(separator: ", ") + "}")
    }

    /// Starts `processes` bridges serving `count` envs of `spec` in all and connects to them.
    /// - Throws: `LaunchError` with a bridge's own message if one exits before serving.
    public static func launch(_ spec: String, count: Int, processes: Int = 1, timeoutMilliseconds: Int = 30_000,
                              retries: Int = 2) throws -> RemoteVectorEnvironment {
        let (id, kwargs) = try parse(spec)
        let (python, script) = try locate()
        let k = max(1, min(processes, count))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reverie-bridge-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var children: [(process: Process, log: URL, endpoint: String)] = []
        do {
            for j in 0..<k {
                let envs = count / k + (j < count % k ? 1 : 0)
                let endpoint = "ipc://" + directory.appendingPathComponent("env-\(j).sock").path
                let log = directory.appendingPathComponent("env-\(j).log")
                FileManager.default.createFile(atPath: log.path, contents: nil)
                let process = Process()
                process.executableURL = URL(fileURLWithPath: python)
                process.arguments = [script, id, "--num-envs", String(envs), "--bind", endpoint, "--kwargs", kwargs,
                                     "--parent-pid", String(getpid())]
                process.standardOutput = FileHandle.nullDevice
                process.standardError = try FileHandle(forWritingTo: log)
                try process.run()
                children.append((process, log, endpoint))
            }
            // Serving, or dead with its reason in the log.
            let deadline = Date().addingTimeInterval(120)
            for child in children {
                while true {
                    let text = (try? String(contentsOf: child.log, encoding: .utf8)) ?? ""
                    if text.contains("serving ") { break }
                    if !child.process.isRunning || Date() > deadline {
                        let why = text.trimmingCharacters(in: .whitespacesAndNewlines)
                        throw LaunchError(message: "the Gymnasium bridge for \(id) (\(python) \(script)) "
                                          + (child.process.isRunning ? "did not start serving within 120 s" : "exited")
                                          + (why.isEmpty ? "" : ":\n" + why))
                    }
                    usleep(20_000)
                }
            }
            let environment = try RemoteVectorEnvironment(endpoints: children.map(\.endpoint), timeoutMilliseconds: timeoutMilliseconds,
                                                          retries: retries)
            (environment.ownedServers, environment.ownedDirectory) = (children.map(\.process), directory)
            return environment
        } catch {
            // Nothing started for a failed launch outlives it.
            for child in children { child.process.end() }
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    /// The Python and envs/gymnasium_server.py to run.
    static func locate() throws -> (python: String, script: String) {
        let environment = ProcessInfo.processInfo.environment, files = FileManager.default
        var roots = [environment["REVERIE_ROOT"], files.currentDirectoryPath].compactMap { $0 }.map { URL(fileURLWithPath: $0) }
        // The executable's repository: …/repo/.build/<config>/reverie.
        var up = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 { roots.append(up); up = up.deletingLastPathComponent() }
        guard let root = roots.first(where: { files.fileExists(atPath: $0.appendingPathComponent("envs/gymnasium_server.py").path) }) else {
            throw LaunchError(message: "cannot find envs/gymnasium_server.py (the Gymnasium bridge): run from the Reverie repository or set REVERIE_ROOT")
        }
        let venv = root.appendingPathComponent(".venv/bin/python").path
        let python = environment["REVERIE_PYTHON"] ?? (files.isExecutableFile(atPath: venv) ? venv : "/usr/bin/python3")
        return (python, root.appendingPathComponent("envs/gymnasium_server.py").path)
    }
}
