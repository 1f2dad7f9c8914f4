import CZeroMQ
import Glibc

/// A failed ZeroMQ call, with libzmq's own message.
public struct ZeroMQError: Error, CustomStringConvertible {
    public let operation: String
    public let message: String

    init(_ operation: String) {
        self.operation = operation
        message = String(cString: zmq_strerror(zmq_errno()))
    }

    public var description: String { "ZeroMQ \(operation): \(message)" }
}

/// One libzmq context per process, as the ZeroMQ guide recommends.
final class ZeroMQContext: @unchecked Sendable {
    static let shared = ZeroMQContext()
    let handle: UnsafeMutableRawPointer
    private init() { handle = zmq_ctx_new() }
}

/// The process's ZeroMQ context, as a whole.
public enum ZeroMQRuntime {
    /// Waits for the messages still queued on closed sockets to leave (each
    /// socket's linger, e.g. a server's reply to `close`), then ends ZeroMQ.
    /// Call it last, when every socket is closed: a process that exits
    /// without it drops what is still queued.
    public static func finish() { zmq_ctx_term(ZeroMQContext.shared.handle) }
}

/// A ZeroMQ socket sending and receiving multipart messages of byte frames.
/// Not thread-safe (neither are libzmq sockets): one owner at a time.
/// `package`: the bench measures the bare libzmq round trip with it.
package final class Socket {
    package enum Kind {
        case request, dealer, router, reply, pair

        var type: Int32 {
            switch self {
            case .request: ZMQ_REQ
            case .dealer: ZMQ_DEALER
            case .router: ZMQ_ROUTER
            case .reply: ZMQ_REP
            case .pair: ZMQ_PAIR
            }
        }
    }

    private(set) var handle: UnsafeMutableRawPointer?
    /// Whether the last `receive` that returned nil was cut short by a signal
    /// rather than by its timeout: a caller must not take it for a lost reply.
    package private(set) var wasInterrupted = false
    /// ZeroMQ's `Peer-Address` of the last message received (the sender's IP
    /// over TCP; nil over ipc and inproc).
    package private(set) var lastPeerAddress: String?

    package init(_ kind: Kind) throws {
        guard let handle = zmq_socket(ZeroMQContext.shared.handle, kind.type) else {
            throw ZeroMQError("socket")
        }
        self.handle = handle
        // Pending messages are dropped at close: a dead peer must not block shutdown.
        try setOption(ZMQ_LINGER, Int32(0))
    }

    deinit { close() }

    package func close() {
        if let handle { zmq_close(handle) }
        handle = nil
    }

    func setOption(_ option: Int32, _ value: Int32) throws {
        var v = value
        guard zmq_setsockopt(handle, option, &v, MemoryLayout<Int32>.size) == 0 else { throw ZeroMQError("setsockopt \(option)") }
    }

    func setOption(_ option: Int32, _ value: Int64) throws {
        var v = value
        guard zmq_setsockopt(handle, option, &v, MemoryLayout<Int64>.size) == 0 else { throw ZeroMQError("setsockopt \(option)") }
    }

    func setOption(_ option: Int32, bytes: [UInt8]) throws {
        guard bytes.withUnsafeBytes({ zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }) == 0 else {
            throw ZeroMQError("setsockopt \(option)")
        }
    }

    package func bind(_ endpoint: String) throws {
        guard zmq_bind(handle, endpoint) == 0 else { throw ZeroMQError("bind \(endpoint)") }
    }

    package func connect(_ endpoint: String) throws {
        guard zmq_connect(handle, endpoint) == 0 else { throw ZeroMQError("connect \(endpoint)") }
    }

    /// Sends `frames` as one multipart message.
    package func send(_ frames: [[UInt8]]) throws {
        for (i, frame) in frames.enumerated() {
            let flags = i < frames.count - 1 ? ZMQ_SNDMORE : 0
            var sent: Int32
            // A signal arriving mid-send interrupts it before anything is queued: send again.
            repeat { sent = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) } }
            while sent < 0 && zmq_errno() == EINTR
            guard sent >= 0 else { throw ZeroMQError("send") }
        }
    }

    /// Waits up to `timeout` milliseconds (nil: forever) for a message.
    ///
    /// For the first `spinMicroseconds` it polls without sleeping (yielding the
    /// core between polls): a reply that comes back within that window is taken
    /// without the thread going to sleep and being woken again, which on a
    /// virtual machine costs more than the round trip itself.
    /// - Returns: its frames, or nil if none arrived in time.
    package func receive(timeout milliseconds: Int?, spinMicroseconds: Int = 0) throws -> [[UInt8]]? {
        wasInterrupted = false
        if spinMicroseconds > 0 {
            let deadline = ContinuousClock.now + .microseconds(spinMicroseconds)
            repeat {
                if let frames = try receiveNow() { return frames }
                sched_yield()
            } while ContinuousClock.now < deadline
        }
        var item = zmq_pollitem_t(socket: handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        let ready = zmq_poll(&item, 1, milliseconds ?? -1)
        // A signal (SIGINT, SIGTERM) interrupts the wait: report "nothing yet" so the caller can check whether to stop.
        if ready < 0 && zmq_errno() == EINTR { wasInterrupted = true; return nil }
        guard ready >= 0 else { throw ZeroMQError("poll") }
        guard ready > 0 else { return nil }
        return try receiveNow()
    }

    /// A message if one is waiting, else nil, without blocking.
    private func receiveNow() throws -> [[UInt8]]? {
        var frames: [[UInt8]] = []
        var message = zmq_msg_t()
        zmq_msg_init(&message)
        defer { zmq_msg_close(&message) }
        // The parts of a multipart message arrive together: only the first can be missing.
        var flags = ZMQ_DONTWAIT
        repeat {
            guard zmq_msg_recv(&message, handle, flags) >= 0 else {
                let errno = zmq_errno()
                // Nothing waiting, or a signal came first: "nothing yet", so the caller can check whether to stop.
                if flags == ZMQ_DONTWAIT && (errno == EAGAIN || errno == EINTR) { wasInterrupted = errno == EINTR; return nil }
                // A later part is already here (parts arrive together): a signal only delays it.
                if errno == EINTR { continue }
                throw ZeroMQError("receive")
            }
            // The metadata rides on the frames that came over the wire, not on a ROUTER's routing id frame.
            if flags == ZMQ_DONTWAIT { lastPeerAddress = nil }
            if lastPeerAddress == nil, let address = zmq_msg_gets(&message, "Peer-Address") { lastPeerAddress = String(cString: address) }
            flags = 0
            let size = zmq_msg_size(&message)
            let data = zmq_msg_data(&message)!.assumingMemoryBound(to: UInt8.self)
            frames.append(Array(UnsafeBufferPointer(start: data, count: size)))
        } while zmq_msg_more(&message) != 0
        return frames
    }
}
