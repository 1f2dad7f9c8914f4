import Foundation

/// A process a test starts, with nothing waited on forever.
///
/// Its stdout and stderr are read as it runs (a child that fills a pipe never
/// stalls on it), and every wait has a deadline past which the child is
/// killed (SIGKILL) and the wait reports that it timed out. A test that
/// starts a process therefore fails, saying which, instead of hanging the
/// suite until CI's own limit.
public final class ChildProcess: @unchecked Sendable {
    public let process = Process()
    private let lock = NSLock()
    private var output = Data(), errors = Data()
    private let drained = DispatchGroup()
    private let input: Pipe?

    /// What a finished child left.
    public struct Result: Sendable {
        /// The exit status, or the signal's number when `signaled`.
        public let status: Int32
        public let signaled: Bool
        /// Killed at the deadline.
        public let timedOut: Bool
        public let out: String
        public let err: String
    }

    /// Starts `executable arguments…`.
    /// - Parameters:
    ///   - mergingErrors: stderr goes to the same text as stdout.
    ///   - withInput: stdin is a pipe the test writes with `write(_:)`, else the null device.
    public init(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil, directory: URL? = nil,
                mergingErrors: Bool = false, withInput: Bool = false) throws {
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = mergingErrors ? nil : Pipe()
        process.standardOutput = out
        process.standardError = err ?? out
        input = withInput ? Pipe() : nil
        process.standardInput = input ?? FileHandle.nullDevice
        try process.run()
        drain(out.fileHandleForReading) { self.output.append($0) }
        if let err { drain(err.fileHandleForReading) { self.errors.append($0) } }
    }

    /// Reads `handle` to its end on a thread of its own.
    private func drain(_ handle: FileHandle, into append: @escaping @Sendable (Data) -> Void) {
        drained.enter()
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lock.withLock { append(chunk) }
            }
            drained.leave()
        }
    }

    /// Stdout (with stderr, if merged) read so far.
    public var outSoFar: String { lock.withLock { String(decoding: output, as: UTF8.self) } }
    /// Stderr read so far.
    public var errSoFar: String { lock.withLock { String(decoding: errors, as: UTF8.self) } }
    public var isRunning: Bool { process.isRunning }

    public func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Writes to the child's stdin (`withInput` only); `closeInput()` ends it.
    public func write(_ data: Data) throws { try input?.fileHandleForWriting.write(contentsOf: data) }
    public func closeInput() throws { try input?.fileHandleForWriting.close() }

    /// Polls `condition` every 20 ms for up to `seconds`; its last value.
    public func wait(upTo seconds: Double, for condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return condition()
    }

    /// Waits up to `seconds` for the exit; past that, kills the child.
    /// - Returns: false if it had to be killed.
    @discardableResult
    public func waitForExit(upTo seconds: Double) -> Bool {
        if wait(upTo: seconds, for: { !process.isRunning }) { return true }
        kill(process.processIdentifier, SIGKILL)
        _ = wait(upTo: 10) { !process.isRunning }
        return false
    }

    /// Waits for the exit (SIGKILL past `seconds`) and for the pipes to end.
    /// A grandchild that keeps a pipe open is given 10 s, then left behind:
    /// the result holds what was read by then.
    public func finish(upTo seconds: Double) -> Result {
        let exited = waitForExit(upTo: seconds)
        _ = drained.wait(timeout: .now() + 10)
        let running = process.isRunning
        return lock.withLock {
            Result(status: running ? -1 : process.terminationStatus,
                   signaled: !running && process.terminationReason == .uncaughtSignal, timedOut: !exited,
                   out: String(decoding: output, as: UTF8.self), err: String(decoding: errors, as: UTF8.self))
        }
    }

    /// Runs `executable arguments…` to its end, killing it past `seconds`.
    public static func run(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                           directory: URL? = nil, input: Data? = nil, mergingErrors: Bool = false,
                           timeout seconds: Double = 600) throws -> Result {
        let child = try ChildProcess(executable, arguments, environment: environment, directory: directory,
                                     mergingErrors: mergingErrors, withInput: input != nil)
        if let input {
            try child.write(input)
            try child.closeInput()
        }
        return child.finish(upTo: seconds)
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

extension ChildProcess.Result {
    /// One status as a shell reports it: the exit status, 128 + n for signal n, -1 if killed at the deadline.
    public var exitCode: Int32 { timedOut ? -1 : signaled ? 128 + status : status }

    /// "exit 3", "signal 9", or "killed after the deadline": for failure messages.
    public var how: String {
        timedOut ? "killed at its deadline" : signaled ? "signal \(status)" : "exit \(status)"
    }
}
