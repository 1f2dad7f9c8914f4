import CZeroMQ

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
    private let socket: Socket
    /// The last `step` reply per client identity, resent for a retried `seq`.
    private var lastStep: [[UInt8]: (sequence: Int, reply: [[UInt8]])] = [:]
    private var closed = false
    private var reader = WireReader()
    private var writer = WireWriter()
    /// The shape and dtypes a `step`'s actions must have, and room to check one env's action.
    private let actionShape: [Int], actionDTypes: [WireArray.DType]
    private var action: [Float]

    /// - Parameters:
    ///   - endpoint: where to bind; loopback (`tcp://127.0.0.1:5555`) unless you mean otherwise.
    ///   - maxMessageBytes: the largest request accepted. A single frame above it makes
    ///     libzmq drop the connection (`ZMQ_MAXMSGSIZE`); a message whose frames together
    ///     exceed it gets an error reply.
    ///   - spinMicroseconds: after each reply, poll this long for the next request
    ///     before sleeping; a client stepping in a tight loop is then answered
    ///     without a thread wake-up. 0 sleeps at once.
    ///   - curveSecretKey: a Z85 secret key to enable CURVE encryption (clients need the public key).
    public init(environment: any VectorEnvironment, name: String, endpoint: String,
                maxMessageBytes: Int = 64 << 20, spinMicroseconds: Int = 100, curveSecretKey: String? = nil) throws {
        (self.environment, self.name, self.endpoint, self.maxMessageBytes, self.spinMicroseconds) =
            (environment, name, endpoint, maxMessageBytes, spinMicroseconds)
        socket = try Socket(.router)
        try socket.setOption(ZMQ_MAXMSGSIZE, Int64(maxMessageBytes))
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
            let reply = respond(to: payload, from: frames[0])
            try socket.send(envelope + reply)
        }
        if closed { environment.close() }
    }

    /// The reply frames for one request's frames; never throws.
    func respond(to frames: [[UInt8]], from identity: [UInt8]) -> [[UInt8]] {
        var sequence: Int?
        do {
            let total = frames.reduce(0) { $0 + $1.count }
            guard total <= maxMessageBytes else { throw ProtocolError("message of \(total) bytes exceeds \(maxMessageBytes)") }
            let request = try reader.read(frames)
            guard let seq = request.header["seq"]?.int, seq >= 0 else { throw ProtocolError("'seq' must be an integer ≥ 0") }
            sequence = seq
            guard let version = request.header["v"]?.int, version == WireMessage.version else {
                throw ProtocolError("unsupported protocol version \(request.header["v"] ?? "missing"); this server speaks \(WireMessage.version)")
            }
            guard let command = request.header["cmd"]?.string else { throw ProtocolError("'cmd' must be a string") }
            if command == "step", let cached = lastStep[identity], cached.sequence == seq { return cached.reply }
            var reply = try handle(command, request)
            reply.header["v"] = .int(WireMessage.version)
            reply.header["seq"] = .int(seq)
            let replyFrames = writer.frames(of: reply)
            if command == "step" { lastStep[identity] = (seq, replyFrames) }
            return replyFrames
        } catch {
            return WireMessage(header: ["v": .int(WireMessage.version), "seq": sequence.map(JSON.int) ?? .null,
                                        "error": .string("\(error)")]).frames()
        }
    }

    private func handle(_ command: String, _ request: WireMessage) throws -> WireMessage {
        let observationSpace = environment.singleObservationSpace, actionSpace = environment.singleActionSpace
        switch command {
        case "spec":
            return WireMessage(header: [
                "num_envs": .int(environment.count), "env_id": .string(name),
                "observation_space": observationSpace.wireObject, "action_space": actionSpace.wireObject,
                "render": .bool((try? environment.render(index: 0)) != nil), "autoreset": "same-step", "metadata": [:],
            ])
        case "reset":
            var seed: UInt64?
            if let value = request.header["seed"], value != .null {
                guard let s = value.int, s >= 0 else { throw ProtocolError("'seed' must be an integer ≥ 0 or null") }
                seed = UInt64(s)
            }
            let observations = try environment.reset(seed: seed)
            return WireMessage(header: [:], arrays: [wire("observations", observations, observationSpace)])
        case "step":
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
                    guard actionSpace.contains(action) else { throw ProtocolError("step: action \(action) of env \(i) is not in \(actionSpace)") }
                }
            }
            let step = try environment.step(values)
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
