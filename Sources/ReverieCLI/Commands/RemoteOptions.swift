import ArgumentParser
import ReverieRemote

/// How a command reaches served envs (`zmq://…`): the CURVE keys and the
/// patience of its retries. `reverie train` reads the same from `remote.*` keys.
struct RemoteOptions: ParsableArguments {
    @Option(help: ArgumentHelp("zmq:// envs: the servers' CURVE public key (Z85 text, or a server.key file).", valueName: "key-or-file"))
    var curveServerKey: String?

    @Option(help: ArgumentHelp("zmq:// envs: this client's CURVE certificate (NAME.key_secret, from `reverie keys`), for a server with an allow-list.",
                               valueName: "file"))
    var curveClientKey: String?

    @Option(help: "zmq:// envs: milliseconds to wait for a reply before resending.")
    var timeoutMs = 5000

    func validate() throws {
        if curveClientKey != nil && curveServerKey == nil {
            throw ValidationError("--curve-client-key needs --curve-server-key (the server's public key).")
        }
        guard timeoutMs >= 1 else { throw ValidationError("--timeout-ms must be at least 1.") }
    }

    /// The servers `spec` names (`zmq://a:5555,zmq://b:5555`).
    func connect(_ spec: String) throws -> RemoteVectorEnvironment {
        let curve: CurveClientKeys?
        do {
            curve = try curveServerKey.map { try CurveClientKeys(serverKey: $0, clientSecretFile: curveClientKey) }
        } catch let error as CurveKeyError {
            throw ValidationError(error.description)
        }
        return try RemoteVectorEnvironment(spec, timeoutMilliseconds: timeoutMs, curve: curve)
    }
}
