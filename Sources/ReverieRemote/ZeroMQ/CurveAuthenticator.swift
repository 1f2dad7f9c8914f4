import CZeroMQ
import Foundation

/// The allow-list of a CURVE server: a ZeroMQ Authentication Protocol handler
/// (ZAP, RFC 27) that serves only clients whose public key is listed — the
/// "Ironhouse" pattern of the ZeroMQ guide.
///
/// libzmq asks the handler bound at `inproc://zeromq.zap.01` about every
/// CURVE handshake of every socket in the process's context; it runs on its
/// own thread, so a handshake is answered while the server is stepping envs.
/// One per process (one address).
final class CurveAuthenticator: @unchecked Sendable {
    /// The allowed clients' keys, 32 raw bytes each.
    let allowed: Set<[UInt8]>
    private let socket: Socket
    private let thread: Thread
    private let stopped = Atomic()

    /// Starts answering handshakes.
    /// - Parameter allowedKeys: Z85 public keys of the clients to serve.
    init(allowedKeys: [String]) throws {
        allowed = Set(try allowedKeys.map { key in
            guard let bytes = CurveKeyPair.bytes(ofZ85: key) else { throw CurveKeyError("'\(key)' is not a Z85 public key") }
            return bytes
        })
        socket = try Socket(.reply)
        do { try socket.bind("inproc://zeromq.zap.01") } catch {
            throw CurveKeyError("cannot start the CURVE allow-list: another handler already runs in this process (\(error))")
        }
        // The thread owns the socket from here on (libzmq sockets have one owner at a time).
        nonisolated(unsafe) let socket = socket
        let (allowed, stopped) = (allowed, stopped)
        thread = Thread {
            while !stopped.isSet {
                guard let request = try? socket.receive(timeout: 100) else { continue }
                try? socket.send(Self.reply(to: request, allowed: allowed))
            }
            socket.close()
        }
        thread.start()
    }

    /// Stops the handler thread (it closes its socket within 100 ms).
    func stop() { stopped.set() }

    deinit { stop() }

    /// RFC 27: request = version, request id, domain, address, identity,
    /// mechanism, credentials…; reply = version, request id, status code,
    /// status text, user id, metadata.
    private static func reply(to request: [[UInt8]], allowed: Set<[UInt8]>) -> [[UInt8]] {
        let requestID = request.count > 1 ? request[1] : []
        let ok = request.count >= 7 && request[0] == Array("1.0".utf8) && request[5] == Array("CURVE".utf8)
            && allowed.contains(request[6])
        return [Array("1.0".utf8), requestID, Array((ok ? "200" : "400").utf8),
                Array((ok ? "OK" : "client key not in the allow-list").utf8), [], []]
    }
}

/// A flag set once from one thread and read from another.
private final class Atomic: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
