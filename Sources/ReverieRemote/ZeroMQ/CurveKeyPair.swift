import CZeroMQ

/// A CURVE key pair in Z85 text (40 characters each), as libzmq makes them.
/// The server keeps `secretKey` (`reverie serve --curve-secret-key FILE`);
/// clients are given `publicKey` (`RemoteVectorEnvironment(…, curveServerKey:)`).
public struct CurveKeyPair: Sendable {
    public let publicKey: String
    public let secretKey: String

    /// A fresh key pair from libzmq's `zmq_curve_keypair`.
    public static func generate() throws -> CurveKeyPair {
        var publicKey = [CChar](repeating: 0, count: 41), secretKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicKey, &secretKey) == 0 else { throw ZeroMQError("curve_keypair (is libzmq built with CURVE?)") }
        return CurveKeyPair(publicKey: text(publicKey), secretKey: text(secretKey))
    }

    /// Z85 text of a NUL-terminated key buffer.
    private static func text(_ key: [CChar]) -> String {
        String(decoding: key.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
