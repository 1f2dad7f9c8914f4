import CZeroMQ
import Foundation

/// Serves a vector of environments over ZeroMQ (envs/PROTOCOL.md): a ROUTER
/// socket, one request at a time, every malformed request answered with an
/// error reply while the server keeps serving.
public final class EnvironmentServer {
    public let environment: any VectorEnvironment
    public let name: String
    public let endpoint: String
    public let maxMessageBytes: Int
    /// How long to poll for the next request before sleeping (see `Socket.receive`).
    public let spinMicroseconds: Int
    /// Whether a `close` from another machine is obeyed (it is refused by default).
    public let allowsRemoteClose: Bool
    /// Drawn at start, sent in every reply: a client that sees it change knows the server restarted.
    public let instance: String
    private let socket: Socket
    /// The last `step` reply per client, resent for a retried `seq`; the most recently seen clients only.
    private var lastStep = RecentReplies(capacity: 1024)
    private var closed = false
    /// Whether the envs have been reset since the server started (a `step` before that is an error).
    private var started = false
    private var reader = WireReader()
    private var writer = WireWriter()
    private let authenticator: CurveAuthenticator?
    /// The shape and dtypes a `step`'s actions must have, and room to check one env's action.
    private let actionShape: [Int], actionDTypes: [WireArray.DType]
    private var action: [Float]

    /// Versions of envs/PROTOCOL.md this server answers (2 adds client ids and instance ids to 1).
    public static let versions = 1...2

    /// - Parameters:
    ///   - endpoint: where to bind; loopback (`tcp://127.0.0.1:5555`) unless you mean otherwise.
    ///   - maxMessageBytes: the largest request accepted; a larger one gets an error reply.
    ///     A single frame over 4 × this is refused by libzmq itself (`ZMQ_MAXMSGSIZE`), which
    ///     drops the connection rather than receive it.
    ///   - spinMicroseconds: after each reply, poll this long for the next request
    ///     before sleeping; a client stepping in a tight loop is then answered
    ///     without a thread wake-up. 0 sleeps at once.
    ///   - curveSecretKey: a Z85 secret key to enable CURVE encryption (clients need the public key).
    ///   - allowedClientKeys: with CURVE, serve only clients with these Z85 public keys (nil: any client).
    ///   - allowsRemoteClose: obey `close` from peers that are not on this machine.
    public init(environment: any VectorEnvironment, name: String, endpoint: String,
                maxMessageBytes: Int = 64 << 20, spinMicroseconds: Int = 100, curveSecretKey: String? = nil,
                allowedClientKeys: [String]? = nil, allowsRemoteClose: Bool = false) throws {
        (self.environment, self.name, self.endpoint, self.maxMessageBytes, self.spinMicroseconds, self.allowsRemoteClose) =
            (environment, name, endpoint, maxMessageBytes, spinMicroseconds, allowsRemoteClose)
        instance = WireMessage.randomIdentifier()
        precondition(allowedClientKeys == nil || curveSecretKey != nil, "an allow-list needs CURVE (a secret key)")
        authenticator = try allowedClientKeys.map { try CurveAuthenticator(allowedKeys: $0) }
        socket = try Socket(.router)
        let (ceiling, overflow) = maxMessageBytes.multipliedReportingOverflow(by: 4)
        try socket.setOption(ZMQ_MAXMSGSIZE, Int64(overflow ? Int.max : ceiling))
        // A client that reconnects keeps its routing id; the new connection takes it over.
        try socket.setOption(ZMQ_ROUTER_HANDOVER, Int32(1))
        if let key = curveSecretKey {
            try socket.setOption(ZMQ_CURVE_SERVER, Int32(1))
            try socket.setOption(ZMQ_CURVE_SECRETKEY, bytes: Array(key.utf8))
        }
        try socket.bind(endpoint)
        let actionSpace = environment.singleActionSpace
        actionShape = [environment.count] + actionSpace.shape
        actionDTypes = actionSpace.wireDType == .int64 ? [.int64, .int32] : [.float32, .float64]
        action = [Float](repeating: 0, count: actionSpace.flatCount)
    }

    deinit { authenticator?.stop() }

    /// Whether `endpoint` can be reached only from this machine (loopback, ipc, inproc).
    public static func isLocal(_ endpoint: String) -> Bool {
        if endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("inproc://") { return true }
        guard endpoint.hasPrefix("tcp://") else { return false }
        let host = endpoint.dropFirst(6).split(separator: ":").dropLast().joined(separator: ":")
        return isLoopback(host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")))
    }

    /// 127.0.0.0/8, ::1 and localhost.
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.") || host.hasPrefix("::ffff:127.")
    }

    /// Serves until a `close` request, or until `shouldStop` returns true
    /// (checked every `pollMilliseconds`).
    public func serve(pollMilliseconds: Int = 100, shouldStop: () -> Bool = { false }) throws {
        while !closed && !shouldStop() {
            guard let frames = try socket.receive(timeout: pollMilliseconds, spinMicroseconds: spinMicroseconds) else { continue }
            // ROUTER prefixes the sender's identity; a REQ peer adds an empty delimiter.
            guard frames.count >= 2 else { continue }
            let delimited = frames[1].isEmpty
            let envelope = Array(frames.prefix(delimited ? 2 : 1))
            let payload = Array(frames.dropFirst(delimited ? 2 : 1))
            let reply = respond(to: payload, from: frames[0], peerAddress: socket.lastPeerAddress)
            try socket.send(envelope + reply)
        }
        if closed {
            environment.close()
            authenticator?.stop()
            // The reply to `close` is still queued: give it time to leave (see `ZeroMQRuntime.finish`).
            try? socket.setOption(ZMQ_LINGER, Int32(1000))
            socket.close()
        }
    }

    /// The reply frames for one request's frames; never throws.
    /// - Parameters:
    ///   - identity: the ZeroMQ routing id, which keys retries of a client that sends no `client` id.
    ///   - peerAddress: the sender's IP (nil over ipc and inproc).
    func respond(to frames: [[UInt8]], from identity: [UInt8], peerAddress: String? = nil) -> [[UInt8]] {
        var sequence: Int?, version = WireMessage.version
        do {
            let total = frames.reduce(0) { $0 + $1.count }
            guard total <= maxMessageBytes else {
                throw ProtocolError("message of \(total) bytes exceeds this server's limit of \(maxMessageBytes) (--max-message-bytes)")
            }
            let request = try reader.read(frames)
            guard let seq = request.header["seq"]?.int, seq >= 0 else { throw ProtocolError("'seq' must be an integer ≥ 0") }
            sequence = seq
            guard let v = request.header["v"]?.int, Self.versions.contains(v) else {
                throw ProtocolError("unsupported protocol version \(request.header["v"] ?? "missing"); this server speaks \(Self.versions.map(String.init).joined(separator: " and "))")
            }
            version = v
            guard let command = request.header["cmd"]?.string else { throw ProtocolError("'cmd' must be a string") }
            let client = try Self.client(of: request, identity: identity)
            if command == "step", let cached = lastStep[client], cached.sequence == seq { return cached.reply }
            if command == "close" && !allowsRemoteClose, let peerAddress, !Self.isLoopback(peerAddress) {
                throw ProtocolError("close: refused from \(peerAddress); only a client on the server's machine may close it (reverie serve --allow-remote-close)")
            }
            var reply = try handle(command, request)
            reply.header["v"] = .int(version)
            reply.header["seq"] = .int(seq)
            reply.header["server"] = .string(instance)
            let replyFrames = writer.frames(of: reply)
            if command == "step" { lastStep[client] = (seq, replyFrames) }
            return replyFrames
        } catch {
            return WireMessage(header: ["v": .int(version), "seq": (sequence ?? WireMessage.readableSequence(of: frames)).map(JSON.int) ?? .null,
                                        "server": .string(instance), "error": .string("\(error)")]).frames()
        }
    }

    /// Who sent a request, for retries: its `client` id, or its routing id when it has none.
    private static func client(of request: WireMessage, identity: [UInt8]) throws -> [UInt8] {
        guard let value = request.header["client"], value != .null else { return [0] + identity }
        guard let id = value.string, (1...64).contains(id.utf8.count),
              id.utf8.allSatisfy({ $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || (0x30...0x39).contains($0)
                                   || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) })
        else { throw ProtocolError("'client' must be 1 to 64 characters from A-Z a-z 0-9 _ -") }
        return [1] + Array(id.utf8)
    }

    private func handle(_ command: String, _ request: WireMessage) throws -> WireMessage {
        let observationSpace = environment.singleObservationSpace, actionSpace = environment.singleActionSpace
        switch command {
        case "spec":
            return WireMessage(header: [
                "num_envs": .int(environment.count), "env_id": .string(name),
                "observation_space": observationSpace.wireObject, "action_space": actionSpace.wireObject,
                "render": .bool((try? environment.render(index: 0)) != nil), "autoreset": "same-step", "metadata": [:],
                "max_message_bytes": .int(maxMessageBytes),
                "active": .bool((environment as? any SubsetStepping)?.stepsSubsets ?? false),
            ])
        case "reset":
            var seed: UInt64?
            if let value = request.header["seed"], value != .null {
                guard let s = value.int, s >= 0 else { throw ProtocolError("'seed' must be an integer ≥ 0 or null") }
                seed = UInt64(s)
            }
            let observations = try environment.reset(seed: seed)
            started = true
            return WireMessage(header: [:], arrays: [wire("observations", observations, observationSpace)])
        case "step":
            guard started else { throw ProtocolError("step before reset: this server (instance \(instance)) has not reset its envs; send reset first") }
            let actions = try request.array("actions")
            guard actions.shape == actionShape else { throw ProtocolError("step: actions has shape \(actions.shape), expected \(actionShape)") }
            guard actionDTypes.contains(actions.dtype) else {
                throw ProtocolError("step: actions of \(actionSpace) must be \(actionDTypes.map(\.rawValue).joined(separator: " or ")), got \(actions.dtype.rawValue)")
            }
            let values = actions.tensor
            // Every action is checked before any env moves, so a bad batch changes nothing.
            try values.withUnsafeBufferPointer { flat in
                for i in 0..<environment.count {
                    action.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: flat.baseAddress! + i * $0.count, count: $0.count) }
                    guard action.allSatisfy(\.isFinite), actionSpace.contains(action) else { throw ProtocolError("step: action \(action) of env \(i) is not in \(actionSpace)") }
                }
            }
            var active: [Bool]?
            if let flags = request.arrays.first(where: { $0.name == "active" }) {
                guard flags.dtype == .bool, flags.shape == [environment.count] else {
                    throw ProtocolError("step: active must be bool of shape [\(environment.count)], got \(flags.dtype.rawValue) \(flags.shape)")
                }
                active = flags.bools
            }
            let step: VectorStep
            if let active {
                guard let subsets = environment as? any SubsetStepping else {
                    throw ProtocolError("step: \(name) is served as one batch that cannot leave envs out; send step without 'active'")
                }
                step = try subsets.step(values, active: active)
            } else {
                step = try environment.step(values)
            }
            let indices = step.finalObservations.indices.filter { step.finalObservations[$0] != nil }
            let finals = indices.flatMap { step.finalObservations[$0]! }
            return WireMessage(header: ["final_indices": JSON(indices)], arrays: [
                wire("observations", step.observations, observationSpace),
                WireArray(name: "rewards", dtype: .float32, shape: [environment.count], values: step.rewards),
                WireArray(name: "terminated", bools: step.terminated),
                WireArray(name: "truncated", bools: step.truncated),
                WireArray(name: "final_observations", dtype: observationSpace.wireDType,
                          shape: [indices.count] + observationSpace.shape, values: finals),
            ])
        case "render":
            guard started else { throw ProtocolError("render before reset: send reset first") }
            guard let index = request.header["index"]?.int, index >= 0, index < environment.count else {
                throw ProtocolError("render: 'index' must be an integer in 0..<\(environment.count)")
            }
            guard let frame = try environment.render(index: index) else { throw ProtocolError("render: \(name) cannot render") }
            return WireMessage(header: [:], arrays: [
                WireArray(name: "frame", dtype: .uint8, shape: [frame.height, frame.width, 3], bytes: frame.pixels),
            ])
        case "close":
            closed = true
            return WireMessage(header: [:])
        default:
            throw ProtocolError("unknown command '\(command)' (spec, reset, step, render, close)")
        }
    }

    private func wire(_ name: String, _ tensor: Tensor, _ space: Space) -> WireArray {
        tensor.withUnsafeBufferPointer { WireArray(name: name, dtype: space.wireDType, shape: tensor.shape, values: $0) }
    }
}

/// The last `step` reply of each of the most recently seen clients: a flood
/// of new clients (or a fuzzer's fresh sockets) cannot grow it without bound.
struct RecentReplies {
    let capacity: Int
    private var entries: [[UInt8]: (sequence: Int, reply: [[UInt8]], used: Int)] = [:]
    private var clock = 0

    init(capacity: Int) { self.capacity = capacity }

    subscript(client: [UInt8]) -> (sequence: Int, reply: [[UInt8]])? {
        get { entries[client].map { ($0.sequence, $0.reply) } }
        set {
            clock += 1
            guard let newValue else { entries[client] = nil; return }
            if entries[client] == nil && entries.count >= capacity,
               let oldest = entries.min(by: { $0.value.used < $1.value.used })?.key {
                entries[oldest] = nil
            }
            entries[client] = (newValue.sequence, newValue.reply, clock)
        }
    }
}
