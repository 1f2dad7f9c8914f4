import Foundation
import ReverieTestSupport

/// Runs a script of Tests/Python with the project's Python ($REVERIE_PYTHON,
/// else .venv, which scripts/setup --python makes).
enum PythonTool {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized

    static var python: String {
        if let python = ProcessInfo.processInfo.environment["REVERIE_PYTHON"] { return python }
        let venv = repository.appendingPathComponent(".venv/bin/python").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : "/usr/bin/python3"
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Stdout of `Tests/Python/<script> arguments…`; throws with stderr if it
    /// fails or outlives `timeout` seconds.
    static func run(_ script: String, _ arguments: [String], timeout: Double = 600) throws -> String {
        let result = try ChildProcess.run(URL(fileURLWithPath: python),
                                          [repository.appendingPathComponent("Tests/Python/\(script)").path] + arguments,
                                          timeout: timeout)
        guard result.status == 0 && !result.signaled && !result.timedOut else {
            throw Failure(description: "\(script) failed (\(result.how)): \(result.err)")
        }
        return result.out
    }

    /// A fresh empty directory under the temporary folder.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("reverie-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
