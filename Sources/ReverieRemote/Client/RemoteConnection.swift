import CZeroMQ

/// One server endpoint, reached through a DEALER socket (framed as a REQ
/// socket's messages, with the empty delimiter) with the ZeroMQ guide's
/// Lazy Pirate pattern: wait for a reply at most `timeout`, then close the
/// socket, reconnect and resend the same request (same `client` id and `seq`,
/// so the server does not step twice), at most `retries` times, then fail
/// naming the endpoint.
///
/// A DEALER rather than a REQ socket, because a REQ socket takes the first
/// message after a request as its reply and refuses to read a second: a late
/// reply to a resent request would stand in for the next one's. Here a reply
/// to an earlier request (it came late, after a resend) is dropped; a
/// wait cut short by a signal is not a timeout; a failed CURVE handshake is
/// reported as soon as libzmq reports it; a reply from a new server instance
/// (the server restarted) is `RemoteEnvironmentError.restarted`.
final class RemoteConnection {
    let endpoint: String
    let timeoutMilliseconds: Int
    let spinMicroseconds: Int
    let retries: Int
    let curve: CurveClientKeys?
    /// The server's instance id, from its first reply.
    private(set) var serverInstance: String?
    /// The largest request the server accepts, from its `spec`.
    var maxMessageBytes: Int?
    private var socket: Socket
    private var monitor: HandshakeMonitor
    /// Kept across reconnects so the server recognises a resent `step`: the
    /// `client` id for servers of protocol 2, the routing id for those of 1.
    private let client: String
    private let identity: [UInt8]
    private var sequence = 0
    private var pending: [[UInt8]]?
    private var reader = WireReader()
    private var writer = WireWriter()

    /// How long one wait lasts before the handshake monitor is read.
    private static let sliceMilliseconds = 100

    init(endpoint: String, timeoutMilliseconds: Int, retries: Int, spinMicroseconds: Int = 0, curve: CurveClientKeys? = nil) throws {
        (self.endpoint, self.timeoutMilliseconds, self.retries, self.spinMicroseconds, self.curve) =
            (endpoint, timeoutMilliseconds, retries, spinMicroseconds, curve)
        var generator = SystemRandomNumberGenerator()
        client = WireMessage.randomIdentifier()
        // A routing id must not start with a zero byte (libzmq reserves those).
        identity = [UInt8(1 + generator.next() % 255)] + (0..<15).map { _ in UInt8.random(in: 0...255, using: &generator) }
        (socket, monitor) = try Self.connect(endpoint, identity: identity, curve: curve)
    }

    private static func connect(_ endpoint: String, identity: [UInt8], curve: CurveClientKeys?) throws -> (Socket, HandshakeMonitor) {
        let socket = try Socket(.dealer)
        try socket.setOption(ZMQ_ROUTING_ID, bytes: identity)
        if let curve {
            // The client's own certificate where the server keeps an allow-list; a fresh pair otherwise.
            let pair = try curve.client ?? CurveKeyPair.generate()
            try socket.setOption(ZMQ_CURVE_SERVERKEY, bytes: Array(curve.serverKey.utf8))
            try socket.setOption(ZMQ_CURVE_PUBLICKEY, bytes: Array(pair.publicKey.utf8))
            try socket.setOption(ZMQ_CURVE_SECRETKEY, bytes: Array(pair.secretKey.utf8))
        }
        let monitor = try HandshakeMonitor(socket)
        try socket.connect(endpoint)
        return (socket, monitor)
    }

    private func reconnect() throws {
        socket.close()
        (socket, monitor) = try Self.connect(endpoint, identity: identity, curve: curve)
    }

    /// Sends a request (assigning the next `seq`); pair with `receive`.
    func send(_ command: String, fields: JSONObject = [:], arrays: [WireArray] = []) throws {
        precondition(pending == nil, "one request at a time per connection")
        precondition(fields.keys.allSatisfy { !["v", "cmd", "seq", "client"].contains($0) }, "v, cmd, seq and client are the connection's to set")
        sequence += 1
        var header: JSONObject = ["v": .int(WireMessage.version), "cmd": .string(command), "seq": .int(sequence), "client": .string(client)]
        for (key, value) in fields { header[key] = value }
        // The empty delimiter a REQ socket would add: the server sees the same frames from both.
        let frames = [[]] + writer.frames(of: WireMessage(header: header, arrays: arrays))
        if let limit = maxMessageBytes {
            let size = frames.reduce(0) { $0 + $1.count }
            guard size <= limit else {
                throw RemoteEnvironmentError.server(endpoint: endpoint, message: "\(command): a request of \(size) bytes is over the server's limit of \(limit) (its --max-message-bytes)")
            }
        }
        try socket.send(frames)
        pending = frames
    }

    /// Waits for the reply to the pending request, retrying as Lazy Pirate.
    func receive() throws -> WireMessage {
        guard let request = pending else { preconditionFailure("receive without a pending request") }
        defer { pending = nil }
        for attempt in 0...retries {
            if attempt > 0 {
                try reconnect()
                try socket.send(request)
            }
            if let reply = try awaitReply() { return try accept(reply) }
        }
        // Leave a fresh socket behind, so a restarted server is picked up by the next request.
        try reconnect()
        throw RemoteEnvironmentError.unreachable(endpoint: endpoint, attempts: retries + 1, timeoutMilliseconds: timeoutMilliseconds)
    }

    func request(_ command: String, fields: JSONObject = [:], arrays: [WireArray] = []) throws -> WireMessage {
        try send(command, fields: fields, arrays: arrays)
        return try receive()
    }

    /// The reply to the pending request within one timeout, or nil. Stale
    /// replies are dropped and signals do not end the wait.
    private func awaitReply() throws -> WireMessage? {
        let deadline = ContinuousClock.now + .milliseconds(timeoutMilliseconds)
        var spin = spinMicroseconds
        while ContinuousClock.now < deadline {
            let left = Int(((deadline - ContinuousClock.now) / .milliseconds(1)).rounded(.up))
            defer { spin = 0 }
            guard let received = try socket.receive(timeout: max(0, min(left, Self.sliceMilliseconds)), spinMicroseconds: spin) else {
                if socket.wasInterrupted && RemoteVectorEnvironment.interruptRequested() {
                    throw RemoteEnvironmentError.interrupted(endpoint: endpoint)
                }
                if let failure = monitor.handshakeFailure() {
                    throw RemoteEnvironmentError.handshakeFailed(endpoint: endpoint, reason: failure.explanation(usingCurve: curve != nil))
                }
                continue
            }
            // Past the delimiter; anything else is not a reply of this protocol.
            guard received.first?.isEmpty == true else { continue }
            let reply = try reader.read(Array(received.dropFirst()))
            // A late reply to a request that was resent: its answer already came, or will.
            if let seq = reply.sequence, seq < sequence { continue }
            return reply
        }
        return nil
    }

    /// The reply checked: a new server instance or an error reply is thrown.
    private func accept(_ reply: WireMessage) throws -> WireMessage {
        if let instance = reply.header["server"]?.string {
            defer { serverInstance = instance }
            if let known = serverInstance, known != instance {
                throw RemoteEnvironmentError.restarted(endpoint: endpoint, message: reply.header["error"]?.string)
            }
        }
        if let error = reply.header["error"]?.string { throw RemoteEnvironmentError.server(endpoint: endpoint, message: error) }
        guard reply.sequence == sequence else {
            throw RemoteEnvironmentError.server(endpoint: endpoint, message: "reply for seq \(reply.sequence.map(String.init) ?? "nil"), expected \(sequence)")
        }
        return reply
    }
}

/// Why a remote environment failed.
public enum RemoteEnvironmentError: Error, CustomStringConvertible {
    case unreachable(endpoint: String, attempts: Int, timeoutMilliseconds: Int)
    case server(endpoint: String, message: String)
    case mismatchedSpaces(String)
    /// A seed the protocol's integers cannot carry once env i adds i.
    case seedOutOfRange(seed: UInt64, largest: Int)
    /// The server answered as a new instance: it restarted, and its envs are not where they were.
    case restarted(endpoint: String, message: String?)
    /// A stop was asked for (Ctrl-C) while waiting for a reply.
    case interrupted(endpoint: String)
    /// The CURVE handshake failed: a refused key, a wrong server key, CURVE on one side only.
    case handshakeFailed(endpoint: String, reason: String)

    public var description: String {
        switch self {
        case .unreachable(let endpoint, let attempts, let timeout):
            "no reply from \(endpoint) after \(attempts) attempts of \(timeout) ms; is the server running?"
        case .server(let endpoint, let message):
            "\(endpoint): \(message)"
        case .mismatchedSpaces(let message):
            message
        case .seedOutOfRange(let seed, let largest):
            "seed \(seed) is out of range for remote envs: env i gets seed + i, which must stay at most \(largest)"
        case .restarted(let endpoint, let message):
            "\(endpoint) restarted (a new server instance)" + (message.map { ": \($0)" } ?? "")
        case .interrupted(let endpoint):
            "interrupted while waiting for \(endpoint)"
        case .handshakeFailed(let endpoint, let reason):
            "the CURVE handshake with \(endpoint) failed: \(reason)"
        }
    }
}
