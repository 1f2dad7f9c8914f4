import CZeroMQ
import Foundation

/// A CURVE key pair in Z85 text (40 characters each), as libzmq makes them.
/// The server keeps `secretKey` (`reverie serve --curve-secret-key FILE`);
/// clients are given `publicKey` (`RemoteVectorEnvironment(…, curve:)`).
///
/// On disk, keys are ZeroMQ certificates (the format of czmq's `zcert` and
/// pyzmq's `zmq.auth.create_certificates`): `NAME.key` holds the public key,
/// `NAME.key_secret` both, each as a `public-key = "…"` / `secret-key = "…"`
/// line. A file holding nothing but a 40-character key is read too.
public struct CurveKeyPair: Sendable, Equatable {
    public let publicKey: String
    public let secretKey: String

    public init(publicKey: String, secretKey: String) {
        (self.publicKey, self.secretKey) = (publicKey, secretKey)
    }

    /// A fresh key pair from libzmq's `zmq_curve_keypair`.
    public static func generate() throws -> CurveKeyPair {
        var publicKey = [CChar](repeating: 0, count: 41), secretKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicKey, &secretKey) == 0 else { throw ZeroMQError("curve_keypair (is libzmq built with CURVE?)") }
        return CurveKeyPair(publicKey: text(publicKey), secretKey: text(secretKey))
    }

    /// The pair in a `.key_secret` certificate; the public key is derived from
    /// the secret one when the file holds only that.
    public init(contentsOf path: String) throws {
        let keys = try Self.keys(in: path)
        guard let secret = keys.secret else { throw CurveKeyError("\(path) holds no CURVE secret key (a NAME.key_secret file or a bare 40-character key)") }
        var derived = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&derived, secret) == 0 else { throw CurveKeyError("\(path): '\(secret)' is not a Z85 CURVE secret key") }
        let publicKey = Self.text(derived)
        if let stated = keys.public, stated != publicKey {
            throw CurveKeyError("\(path): its public key is not the one its secret key gives")
        }
        self.init(publicKey: publicKey, secretKey: secret)
    }

    /// A public key given as Z85 text, or as the path of a file holding one.
    public static func publicKey(_ textOrPath: String) throws -> String {
        if isZ85Key(textOrPath) && !FileManager.default.fileExists(atPath: textOrPath) { return textOrPath }
        guard FileManager.default.fileExists(atPath: textOrPath) else {
            throw CurveKeyError("'\(textOrPath)' is neither a 40-character Z85 public key nor a key file")
        }
        let keys = try Self.keys(in: textOrPath)
        guard let key = keys.public ?? keys.bare else { throw CurveKeyError("\(textOrPath) holds no CURVE public key") }
        return key
    }

    /// The public keys in a directory's `*.key` files (an allow-list, as pyzmq's `load_certificates` reads it).
    public static func publicKeys(inDirectory path: String) throws -> [String] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
            throw CurveKeyError("cannot read the allow-list directory \(path): \(error.localizedDescription)")
        }
        let keys = try names.filter { $0.hasSuffix(".key") }.sorted().map {
            try publicKey(URL(fileURLWithPath: path).appendingPathComponent($0).path)
        }
        guard !keys.isEmpty else { throw CurveKeyError("the allow-list directory \(path) holds no NAME.key file: no client could connect") }
        return keys
    }

    /// Writes `NAME.key` (public) and `NAME.key_secret` (both, readable by its owner only) into `directory`.
    public func write(to directory: URL, name: String) throws -> (publicFile: URL, secretFile: URL) {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let header = "#   ZeroMQ CURVE certificate written by reverie keys\n#   Share NAME.key; keep NAME.key_secret private.\n\nmetadata\ncurve\n"
        let publicFile = directory.appendingPathComponent("\(name).key"), secretFile = directory.appendingPathComponent("\(name).key_secret")
        try Data((header + "    public-key = \"\(publicKey)\"\n").utf8).write(to: publicFile, options: .atomic)
        try Data((header + "    public-key = \"\(publicKey)\"\n    secret-key = \"\(secretKey)\"\n").utf8).write(to: secretFile, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secretFile.path)
        return (publicFile, secretFile)
    }

    /// The 32 raw bytes of a Z85 key (how ZAP carries a client's key).
    static func bytes(ofZ85 key: String) -> [UInt8]? {
        guard isZ85Key(key) else { return nil }
        var out = [UInt8](repeating: 0, count: 32)
        return zmq_z85_decode(&out, key) == nil ? nil : out
    }

    static func isZ85Key(_ text: String) -> Bool { text.utf8.count == 40 && !text.contains(where: \.isWhitespace) }

    /// The keys a certificate file states (`public-key = "…"`, `secret-key = "…"`), or a bare key.
    private static func keys(in path: String) throws -> (public: String?, secret: String?, bare: String?) {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw CurveKeyError("cannot read the key file \(path): \(error.localizedDescription)")
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        // A bare key: the server's secret key (its original format) or a client's public key.
        if isZ85Key(trimmed) { return (nil, trimmed, trimmed) }
        var found: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, ["public-key", "secret-key"].contains(parts[0]) else { continue }
            let value = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            guard isZ85Key(value) else { throw CurveKeyError("\(path): \(parts[0]) is not a 40-character Z85 key") }
            found[parts[0]] = value
        }
        guard !found.isEmpty else { throw CurveKeyError("\(path) is not a ZeroMQ certificate (no public-key or secret-key line) nor a bare 40-character key") }
        return (found["public-key"], found["secret-key"], nil)
    }

    /// Z85 text of a NUL-terminated key buffer.
    private static func text(_ key: [CChar]) -> String {
        String(decoding: key.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A key file that cannot be used, with a sentence saying why.
public struct CurveKeyError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// What a client needs to talk CURVE to a server: the server's public key
/// and, for a server with an allow-list, the client's own certificate.
public struct CurveClientKeys: Sendable, Equatable {
    public let serverKey: String
    /// Nil: a fresh key pair per connection (enough for a server without an allow-list).
    public let client: CurveKeyPair?

    public init(serverKey: String, client: CurveKeyPair? = nil) {
        (self.serverKey, self.client) = (serverKey, client)
    }

    /// - Parameters:
    ///   - serverKey: the server's Z85 public key, or a file holding it (`server.key`).
    ///   - clientSecretFile: the client's `NAME.key_secret` certificate.
    public init(serverKey: String, clientSecretFile: String?) throws {
        self.init(serverKey: try CurveKeyPair.publicKey(serverKey), client: try clientSecretFile.map { try CurveKeyPair(contentsOf: $0) })
    }
}
