import Foundation

/// Runs a peer benchmark script from `bench/peers/` in `bench/.venv`
/// (created by `bench/peers/setup` on first use) and decodes the one JSON
/// object it prints.
struct PythonPeer {
    enum Failure: Error, CustomStringConvertible {
        case noBenchFolder(String)
        case failed(String, status: Int32, stderr: String)
        case badOutput(String, output: String)

        var description: String {
            switch self {
            case .noBenchFolder(let path):
                "no bench/peers folder at \(path): run from the repository root or set REVERIE_ROOT"
            case .failed(let what, let status, let stderr):
                "\(what) exited with status \(status):\n\(stderr)"
            case .badOutput(let script, let output):
                "\(script) did not print one JSON object; it printed:\n\(output)"
            }
        }
    }

    let root: URL

    init() throws {
        let path = ProcessInfo.processInfo.environment["REVERIE_ROOT"] ?? FileManager.default.currentDirectoryPath
        root = URL(fileURLWithPath: path)
        guard FileManager.default.fileExists(atPath: root.appendingPathComponent("bench/peers/setup").path) else {
            throw Failure.noBenchFolder(root.path)
        }
    }

    /// Runs `bench/peers/<script> arguments…` and returns its JSON object.
    func run(_ script: String, _ arguments: [String]) throws -> [String: Any] {
        _ = try execute(root.appendingPathComponent("bench/peers/setup").path, [], what: "bench/peers/setup")
        let output = try execute(root.appendingPathComponent("bench/.venv/bin/python").path,
                                 [root.appendingPathComponent("bench/peers/\(script)").path] + arguments, what: script)
        guard let line = output.split(separator: "\n").last,
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else { throw Failure.badOutput(script, output: output) }
        return object
    }

    private func execute(_ executable: String, _ arguments: [String], what: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure.failed(what, status: process.terminationStatus, stderr: String(decoding: stderr, as: UTF8.self))
        }
        return String(decoding: stdout, as: UTF8.self)
    }
}
