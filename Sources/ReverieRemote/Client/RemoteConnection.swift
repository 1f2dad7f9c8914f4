import CZeroMQ

/// One server endpoint, reached through a REQ socket with the ZeroMQ guide's
/// Lazy Pirate pattern: wait for a reply at most `timeout`, then close the
/// socket, reconnect and resend the same request (same `seq`, so the server
/// does not step twice), at most `retries` times, then fail naming the endpoint.
final class RemoteConnection {
    let endpoint: String
    let timeoutMilliseconds: Int
    let spinMicroseconds: Int
    let retries: Int
    let curveServerKey: String?
    private var socket: Socket
    /// Kept across reconnects so the server recognises a resent `step`.
    private let identity: [UInt8]
    private var sequence = 0
    private var pending: [[UInt8]]?
    private var reader = WireReader()
    private var writer = WireWriter()

    init(endpoint: String, timeoutMilliseconds: Int, retries: Int, spinMicroseconds: Int = 0, curveServerKey: String? = nil) throws {
        (self.endpoint, self.timeoutMilliseconds, self.retries, self.spinMicroseconds, self.curveServerKey) =
            (endpoint, timeoutMilliseconds, retries, spinMicroseconds, curveServerKey)
        var generator = SystemRandomNumberGenerator()
        // A routing id must not start with a zero byte (libzmq reserves those).
        identity = [UInt8(1 + generator.next() % 255)] + (0..<15).map { _ in UInt8.random(in: 0...255, using: &generator) }
        socket = try Self.connect(endpoint, identity: identity, curveServerKey: curveServerKey)
    }

    private static func connect(_ endpoint: String, identity: [UInt8], curveServerKey: String?) throws -> Socket {
        let socket = try Socket(.request)
        try socket.setOption(ZMQ_ROUTING_ID, bytes: identity)
        if let serverKey = curveServerKey {
            // A client with a fresh ephemeral key pair; the server authenticates by its own policy.
            let client = try CurveKeyPair.generate()
            try socket.setOption(ZMQ_CURVE_SERVERKEY, bytes: Array(serverKey.utf8))
            try socket.setOption(ZMQ_CURVE_PUBLICKEY, bytes: Array(client.publicKey.utf8))
            try socket.setOption(ZMQ_CURVE_SECRETKEY, bytes: Array(client.secretKey.utf8))
        }
        try socket.connect(endpoint)
        return socket
    }

    /// Sends a request (assigning the next `seq`); pair with `receive`.
    func send(_ command: String, fields: JSONObject = [:], arrays: [WireArray] = []) throws {
        precondition(pending == nil, "one request at a time per connection")
        sequence += 1
        precondition(fields.keys.allSatisfy { !["v", "cmd", "seq"].contains($0) }, "v, cmd and seq are the connection's to set")
        var header: JSONObject = ["v": .int(WireMessage.version), "cmd": .string(command), "seq": .int(sequence)]
        for (key, value) in fields { header[key] = value }
        let frames = writer.frames(of: WireMessage(header: header, arrays: arrays))
        try socket.send(frames)
        pending = frames
    }

    /// Waits for the reply to the pending request, retrying as Lazy Pirate.
    func receive() throws -> WireMessage {
        guard let request = pending else { preconditionFailure("receive without a pending request") }
        defer { pending = nil }
        for attempt in 0...retries {
            if attempt > 0 {
                socket.close()
                socket = try Self.connect(endpoint, identity: identity, curveServerKey: curveServerKey)
                try socket.send(request)
            }
            guard let frames = try socket.receive(timeout: timeoutMilliseconds, spinMicroseconds: spinMicroseconds) else { continue }
            let reply = try reader.read(frames)
            if let error = reply.header["error"]?.string { throw RemoteEnvironmentError.server(endpoint: endpoint, message: error) }
            guard reply.sequence == sequence else {
                throw RemoteEnvironmentError.server(endpoint: endpoint, message: "reply for seq \(reply.sequence.map(String.init) ?? "nil"), expected \(sequence)")
            }
            return reply
        }
        // Leave a fresh socket behind, so a restarted server is picked up by the next request.
        socket.close()
        socket = try Self.connect(endpoint, identity: identity, curveServerKey: curveServerKey)
        throw RemoteEnvironmentError.unreachable(endpoint: endpoint, attempts: retries + 1, timeoutMilliseconds: timeoutMilliseconds)
    }

    func request(_ command: String, fields: JSONObject = [:], arrays: [WireArray] = []) throws -> WireMessage {
        try send(command, fields: fields, arrays: arrays)
        return try receive()
    }
}

/// Why a remote environment failed.
public enum RemoteEnvironmentError: Error, CustomStringConvertible {
    case unreachable(endpoint: String, attempts: Int, timeoutMilliseconds: Int)
    case server(endpoint: String, message: String)
    case mismatchedSpaces(String)
    /// A seed the protocol's integers cannot carry once env i adds i.
    case seedOutOfRange(seed: UInt64, largest: Int)

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
        }
    }
}
