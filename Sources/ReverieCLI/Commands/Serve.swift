import ArgumentParser
import Foundation
import ReverieEnvs
import ReverieRemote

/// `reverie serve ENV`: serve N copies of a built-in environment over ZeroMQ
/// (envs/PROTOCOL.md), so any client — Reverie on another machine, or Python
/// via the reverie_envs package (envs/) — can step it.
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

    @Option(help: ArgumentHelp("The server's CURVE secret key: a NAME.key_secret certificate (reverie keys NAME) or a file holding the bare 40-character key. Enables encryption.",
                               valueName: "file"))
    var curveSecretKey: String?

    @Option(help: ArgumentHelp("With CURVE: serve only clients whose public key is in one of this folder's *.key files (ZeroMQ's Ironhouse pattern).",
                               valueName: "dir"))
    var curveAllow: String?

    @Flag(help: "Obey `close` from clients on other machines (refused by default: only a local client may stop the server).")
    var allowRemoteClose = false

    func validate() throws {
        guard numEnvs >= 1 else { throw ValidationError("--num-envs must be at least 1.") }
        guard maxMessageBytes >= 1024 else { throw ValidationError("--max-message-bytes must be at least 1024.") }
        guard (0...1_000_000).contains(spinMicroseconds) else { throw ValidationError("--spin-microseconds must be in 0...1000000.") }
        if curveAllow != nil && curveSecretKey == nil {
            throw ValidationError("--curve-allow checks clients' CURVE keys: give the server's own with --curve-secret-key.")
        }
    }

    func run() throws {
        let vector = try Registry.makeVector(env, count: numEnvs)
        let secret: String?, allowed: [String]?
        do {
            secret = try curveSecretKey.map { try CurveKeyPair(contentsOf: $0).secretKey }
            allowed = try curveAllow.map(CurveKeyPair.publicKeys(inDirectory:))
        } catch let error as CurveKeyError {
            throw ValidationError(error.description)
        }
        let server = try EnvironmentServer(environment: vector, name: env, endpoint: bind, maxMessageBytes: maxMessageBytes,
                                           spinMicroseconds: spinMicroseconds, curveSecretKey: secret, allowedClientKeys: allowed,
                                           allowsRemoteClose: allowRemoteClose)
        // Before "serving": whoever waits for that line may signal at once.
        StopSignal.install(message: "\nstopping the server; Ctrl-C again quits at once\n")
        FileHandle.standardError.write(Data("serving \(env) ×\(numEnvs) on \(bind)\n".utf8))
        if let warning = Self.exposureWarning(bind: bind, encrypted: secret != nil, allowList: allowed != nil) {
            FileHandle.standardError.write(Data(warning.utf8))
        }
        try server.serve(shouldStop: { StopSignal.received })
        if !StopSignal.received { ZeroMQRuntime.finish() }
        if StopSignal.received { FileHandle.standardError.write(Data("stopped by signal\n".utf8)) }
    }

    /// What to tell the operator of a server other machines can reach, if anything.
    static func exposureWarning(bind: String, encrypted: Bool, allowList: Bool) -> String? {
        guard !EnvironmentServer.isLocal(bind) else { return nil }
        if !encrypted {
            return """
                WARNING: \(bind) can be reached from other machines, and this server has no CURVE security:
                WARNING:   anyone who can reach it can step and reset its envs and read what they see,
                WARNING:   unencrypted. Bind to tcp://127.0.0.1:PORT, or enable CURVE:
                WARNING:   reverie keys server; reverie serve … --curve-secret-key server.key_secret --curve-allow CLIENT_KEYS_DIR

                """
        }
        if !allowList {
            return """
                WARNING: \(bind) is encrypted but serves any client that knows its public key;
                WARNING:   --curve-allow DIR serves only the clients whose keys DIR holds.

                """
        }
        return nil
    }
}
