import ArgumentParser
import Foundation
import ReverieRemote

/// `reverie keys NAME`: a CURVE key pair as ZeroMQ certificates, for
/// `reverie serve --curve-secret-key`/`--curve-allow` and the clients' `remote.*` keys.
struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a CURVE key pair for encrypted, authenticated served envs.",
        discussion: """
            Writes NAME.key (the public key: give it to the other side) and NAME.key_secret \
            (both keys: keep it private), in ZeroMQ's certificate format (pyzmq's \
            zmq.auth.create_certificates writes the same). A server: reverie keys server, then \
            reverie serve ENV --curve-secret-key server.key_secret --curve-allow clients/. A client: \
            reverie keys alice --dir clients, then --set remote.curve_server_key=server.key \
            --set remote.curve_client_key=clients/alice.key_secret.
            """)

    @Argument(help: "Name of the pair (the files are NAME.key and NAME.key_secret).")
    var name: String

    @Option(help: "Folder to write them in.")
    var dir = "."

    func validate() throws {
        guard !name.isEmpty, !name.contains("/") else { throw ValidationError("NAME must be a file name, without '/'.") }
    }

    func run() throws {
        let directory = URL(fileURLWithPath: dir)
        for file in ["\(name).key", "\(name).key_secret"] where FileManager.default.fileExists(atPath: directory.appendingPathComponent(file).path) {
            throw ValidationError("\(directory.appendingPathComponent(file).path) exists: choose another NAME or --dir (keys are never overwritten).")
        }
        let files = try CurveKeyPair.generate().write(to: directory, name: name)
        print("public key: \(files.publicFile.path)\nsecret key: \(files.secretFile.path) (keep it private)")
    }
}
