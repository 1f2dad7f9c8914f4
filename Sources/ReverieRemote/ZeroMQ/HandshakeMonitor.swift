import CZeroMQ
import Foundation

/// Watches a socket's ZeroMQ security handshakes through libzmq's socket
/// monitor (`zmq_socket_monitor`), so that a client refused by a CURVE server
/// says why instead of waiting out its timeouts.
final class HandshakeMonitor {
    /// How a handshake failed, as libzmq reports it.
    enum Failure: Equatable {
        /// The server's allow-list (ZAP) answered with this status code (400: not allowed).
        case refused(status: Int)
        /// The peers could not agree: a wrong server key, or CURVE on one side only.
        case protocolError

        func explanation(usingCurve: Bool) -> String {
            switch self {
            case .refused(let status):
                "the server refused this client's key (ZAP status \(status)): add its public key (NAME.key) to the server's --curve-allow directory, or give the client a certificate the server allows (--curve-client-key, remote.curve_client_key)"
            case .protocolError where usingCurve:
                "is the server key given (--curve-server-key, remote.curve_server_key) the server's public key, and does the server use CURVE?"
            case .protocolError:
                "the server requires CURVE encryption: give its public key (--curve-server-key, remote.curve_server_key)"
            }
        }
    }

    private let socket: Socket

    /// Starts monitoring `target` (before it connects, so no event is missed).
    init(_ target: Socket) throws {
        let address = "inproc://reverie-handshake-monitor-\(UUID().uuidString)"
        let events = ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
        guard zmq_socket_monitor(target.handle, address, events) == 0 else { throw ZeroMQError("socket_monitor") }
        socket = try Socket(.pair)
        try socket.connect(address)
    }

    /// Connections dropped mid-handshake so far.
    private var dropped = 0

    /// The first handshake failure reported since the last call, if any (never blocks).
    ///
    /// A connection dropped mid-handshake (`NO_DETAIL`) is how a client sees a
    /// server give up on a wrong CURVE key (and, at times, on a client without
    /// CURVE); once alone it may also be a server dying at that moment, so only
    /// a second one, on the reconnection libzmq makes by itself, counts.
    func handshakeFailure() -> Failure? {
        var failure: Failure?
        while let frames = try? socket.receive(timeout: 0), let event = frames.first, event.count >= 6 {
            let kind = Int32(UInt16(event[0]) | UInt16(event[1]) << 8)
            let value = Int(UInt32(event[2]) | UInt32(event[3]) << 8 | UInt32(event[4]) << 16 | UInt32(event[5]) << 24)
            switch kind {
            case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: failure = failure ?? .refused(status: value)
            case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: failure = failure ?? .protocolError
            case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
                dropped += 1
                if dropped >= 2 { failure = failure ?? .protocolError }
            default: break
            }
        }
        return failure
    }
}
