import ArgumentParser
import Foundation
import ReverieEnvs
import ReverieRemote

/// `reverie serve ENV`: serve N copies of a built-in environment over ZeroMQ
/// (envs/PROTOCOL.md), so any client — Reverie on another machine, or Python
/// via envs/reverie_client.py — can step it.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a built-in environment over ZeroMQ.",
        discussion: """
            Binds to loopback unless --bind says otherwise. For a server reachable from other \
            machines, enable CURVE encryption with --curve-secret-key (see envs/README.md).
            """)

    @Argument(help: "Environment name, with optional ?key=value options (see `reverie envs`).")
    var env: String

    @Option(help: "Number of environment copies stepped per request.")
    var numEnvs = 1

    @Option(help: "ZeroMQ endpoint to bind.")
    var bind = "tcp://127.0.0.1:5555"

    @Option(help: "Largest request accepted, in bytes.")
    var maxMessageBytes = 64 << 20

    @Option(help: "Microseconds to poll for the next request before sleeping (0: sleep at once).")
    var spinMicroseconds = 100

    @Option(help: "File holding the server's Z85 CURVE secret key (40 characters); enables encryption.")
    var curveSecretKey: String?

    func validate() throws {
        guard numEnvs >= 1 else { throw ValidationError("--num-envs must be at least 1.") }
        guard maxMessageBytes >= 1024 else { throw ValidationError("--max-message-bytes must be at least 1024.") }
        guard (0...1_000_000).contains(spinMicroseconds) else { throw ValidationError("--spin-microseconds must be in 0...1000000.") }
    }

    func run() throws {
        let vector = try SyncVectorEnvironment(count: numEnvs) { _ in try Registry.make(env) }
        var secret: String?
        if let path = curveSecretKey {
            secret = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            guard secret?.count == 40 else { throw ValidationError("\(path) must hold a 40-character Z85 secret key.") }
        }
        let server = try EnvironmentServer(environment: vector, name: env, endpoint: bind,
                                           maxMessageBytes: maxMessageBytes, spinMicroseconds: spinMicroseconds, curveSecretKey: secret)
        FileHandle.standardError.write(Data("serving \(env) ×\(numEnvs) on \(bind)\n".utf8))
        StopSignal.install(message: "\nstopping the server; Ctrl-C again quits at once\n")
        try server.serve(shouldStop: { StopSignal.received })
        if StopSignal.received { FileHandle.standardError.write(Data("stopped by signal\n".utf8)) }
    }
}
