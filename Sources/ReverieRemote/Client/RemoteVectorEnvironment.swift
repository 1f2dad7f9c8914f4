import Foundation

/// Environments served over ZeroMQ, seen as one `VectorEnvironment`: agents
/// cannot tell it from an in-process one. With several endpoints
/// (`zmq://hostA:5555,zmq://hostB:5555`) the servers' envs are concatenated
/// in endpoint order and stepped concurrently: send to every server, then
/// gather every reply.
///
/// A server that restarts (killed and started again, within the retries'
/// patience) is picked up: its envs are reset and the episodes it interrupted
/// end as truncated, with the last observation seen as their final one, so
/// bootstrapping treats them as cut short, not as terminal states.
public final class RemoteVectorEnvironment: SubsetStepping {
    public let endpoints: [String]
    public let singleObservationSpace: Space
    public let singleActionSpace: Space
    /// The served environment's name, from the first server's `spec`.
    public let name: String
    /// Episodes cut short because their server restarted, since this client connected.
    public private(set) var interruptedEpisodes = 0
    /// Server restarts picked up.
    public private(set) var restarts = 0
    /// Every server honours the protocol's `active` (its `spec` says so).
    public let stepsSubsets: Bool
    /// Servers this client started itself (`GymnasiumBridge`): closed with it.
    public var ownedServers: [Process] = []
    /// Their sockets and logs, removed on `close`.
    public var ownedDirectory: URL?
    /// Told of each restart picked up (for the run's log).
    public var onRestart: ((String) -> Void)?
    private let connections: [RemoteConnection]
    /// Number of envs on each server.
    private let counts: [Int]
    /// Index of the first env of each server.
    private let offsets: [Int]
    /// Each env's latest observation: an interrupted episode's final one.
    private var latest: [Float] = []
    /// (N) the numbers of each env's latest info the servers send (`info.<key>`
    /// arrays: ALE's `"lives"`), as of its latest observation.
    public private(set) var latestInfos: [[String: Float]] = []

    /// Whether a wait for a reply that a signal interrupted should stop (throwing
    /// `RemoteEnvironmentError.interrupted`) rather than go on waiting. The
    /// command line sets it to "Ctrl-C was pressed".
    nonisolated(unsafe) public static var interruptRequested: () -> Bool = { false }

    /// Connects and reads each server's `spec`.
    /// - Parameters:
    ///   - endpoints: ZeroMQ endpoints (`tcp://host:port`); a `zmq://` prefix means `tcp://`.
    ///   - timeoutMilliseconds: how long to wait for one reply before resending.
    ///   - retries: resends before giving up with `RemoteEnvironmentError.unreachable`.
    ///   - spinMicroseconds: poll this long for a reply before sleeping (yielding the
    ///     core between polls); replies that come back sooner skip a thread wake-up.
    ///     On a 2-core VM over loopback, 1 ms gave ≈ 15% more steps/s than 100 µs
    ///     (a round trip there takes 100–150 µs). 0 sleeps at once.
    ///   - curve: the servers' public key (and this client's certificate), to talk CURVE.
    public init(endpoints: [String], timeoutMilliseconds: Int = 5000, retries: Int = 2, spinMicroseconds: Int = 1000,
                curve: CurveClientKeys? = nil) throws {
        precondition(!endpoints.isEmpty, "RemoteVectorEnvironment needs at least one endpoint")
        self.endpoints = endpoints.map { $0.hasPrefix("zmq://") ? "tcp://" + $0.dropFirst(6) : $0 }
        connections = try self.endpoints.map {
            try RemoteConnection(endpoint: $0, timeoutMilliseconds: timeoutMilliseconds, retries: retries,
                                 spinMicroseconds: spinMicroseconds, curve: curve)
        }
        for c in connections { try c.send("spec") }
        let specs = try connections.map { try $0.receive() }
        var counts: [Int] = [], observation: Space?, action: Space?
        for (spec, endpoint) in zip(specs, self.endpoints) {
            let (n, o, a) = try Self.read(spec, from: endpoint)
            if let observation, let action, observation != o || action != a {
                throw RemoteEnvironmentError.mismatchedSpaces(
                    "\(endpoint) serves \(o)/\(a) but \(self.endpoints[0]) serves \(observation)/\(action)")
            }
            (observation, action) = (o, a)
            counts.append(n)
        }
        for (c, spec) in zip(connections, specs) { c.maxMessageBytes = spec.header["max_message_bytes"]?.int }
        stepsSubsets = specs.allSatisfy { $0.header["active"] == .bool(true) }
        self.counts = counts
        offsets = counts.indices.map { counts[..<$0].reduce(0, +) }
        singleObservationSpace = observation!
        singleActionSpace = action!
        name = specs[0].header["env_id"]?.string ?? "remote"
    }

    /// `"zmq://a:5555,zmq://b:5555"` → endpoints.
    public convenience init(_ spec: String, timeoutMilliseconds: Int = 5000, retries: Int = 2, spinMicroseconds: Int = 1000,
                            curve: CurveClientKeys? = nil) throws {
        try self.init(endpoints: spec.split(separator: ",").map(String.init), timeoutMilliseconds: timeoutMilliseconds,
                      retries: retries, spinMicroseconds: spinMicroseconds, curve: curve)
    }

    /// A `spec` reply's env count and spaces.
    private static func read(_ spec: WireMessage, from endpoint: String) throws -> (count: Int, observation: Space, action: Space) {
        guard let n = spec.header["num_envs"]?.int, n > 0 else {
            throw RemoteEnvironmentError.server(endpoint: endpoint, message: "spec has no positive 'num_envs'")
        }
        return (n, try Space(wireObject: spec.header["observation_space"] ?? .null), try Space(wireObject: spec.header["action_space"] ?? .null))
    }

    public var count: Int { counts.reduce(0, +) }

    /// Each env's return and length so far: the client keeps episode
    /// statistics itself (infos do not cross the wire), so agents log
    /// `episode_return` and `episode_length` as with in-process envs.
    private var episodeReturns: [Double] = []
    private var episodeLengths: [Int] = []

    public func reset(seed: UInt64?) throws -> Tensor {
        if let seed, seed > UInt64(Int.max - count) { throw RemoteEnvironmentError.seedOutOfRange(seed: seed, largest: Int.max) }
        for (c, offset) in zip(connections, offsets) {
            try c.send("reset", fields: seed.map { ["seed": .int(Int($0) + offset)] } ?? [:])
        }
        let replies = try connections.indices.map { k in
            do { return try connections[k].receive() } catch RemoteEnvironmentError.restarted {
                // Restarted between two resets: the new instance's reset is as good.
                return try connections[k].request("reset", fields: seed.map { ["seed": .int(Int($0) + offsets[k])] } ?? [:])
            }
        }
        (episodeReturns, episodeLengths) = (Array(repeating: 0, count: count), Array(repeating: 0, count: count))
        let observations = try gather(replies.map { try $0.array("observations") })
        latest = observations.scalars
        latestInfos = Array(repeating: [:], count: count)
        try readInfos(replies)
        return observations
    }

    /// Copies each reply's `info.<key>` arrays into `latestInfos` (a restarted server's none).
    private func readInfos(_ replies: [WireMessage], skipping restarted: Set<Int> = []) throws {
        if latestInfos.count != count { latestInfos = Array(repeating: [:], count: count) }
        for (k, reply) in replies.enumerated() {
            if restarted.contains(k) {
                for i in offsets[k]..<(offsets[k] + counts[k]) { latestInfos[i] = [:] }
                continue
            }
            for i in offsets[k]..<(offsets[k] + counts[k]) { latestInfos[i] = [:] }  // a key no longer sent is gone
            for array in reply.arrays where array.name.hasPrefix("info.") {
                guard array.shape == [counts[k]] else {
                    throw RemoteEnvironmentError.server(endpoint: endpoints[k], message: "\(array.name) has shape \(array.shape), expected [\(counts[k])]")
                }
                let key = String(array.name.dropFirst(5))
                for (j, value) in array.floats.enumerated() { latestInfos[offsets[k] + j][key] = value }
            }
        }
    }

    public func step(_ actions: Tensor) throws -> VectorStep { try step(actions, active: nil) }

    /// Steps the envs where `active[i]` (all when nil): the protocol's `active` array.
    public func step(_ actions: Tensor, active: [Bool]?) throws -> VectorStep {
        let n = singleActionSpace.flatCount
        precondition(actions.count == count * n, "\(count) environments need actions of shape \([count] + singleActionSpace.shape), got \(actions.shape)")
        precondition(active == nil || active!.count == count, "\(count) environments need \(count) active flags")
        if active != nil && !stepsSubsets {
            throw RemoteEnvironmentError.server(endpoint: endpoints.joined(separator: ","),
                                                message: "cannot leave envs out of a step: a server's spec does not say \"active\": true (update it)")
        }
        let flat = actions.scalars
        for (k, c) in connections.enumerated() {
            let rows = Array(flat[(offsets[k] * n)..<((offsets[k] + counts[k]) * n)])
            var arrays = [WireArray(name: "actions", dtype: singleActionSpace.wireDType,
                                    shape: [counts[k]] + singleActionSpace.shape, values: rows)]
            if let active { arrays.append(WireArray(name: "active", bools: Array(active[offsets[k]..<(offsets[k] + counts[k])]))) }
            try c.send("step", arrays: arrays)
        }
        let size = singleObservationSpace.flatCount
        var replies: [WireMessage] = [], restarted: [Int: WireArray] = [:]
        for (k, c) in connections.enumerated() {
            do { replies.append(try c.receive()) } catch RemoteEnvironmentError.restarted(_, let message) {
                restarted[k] = try recover(server: k, reason: message)
                replies.append(WireMessage(header: [:]))
            }
        }
        var rewards: [Float] = [], terminated: [Bool] = [], truncated: [Bool] = [], finals: [[Float]?] = []
        for (k, reply) in replies.enumerated() {
            if restarted[k] != nil {
                // The interrupted episodes: cut short (truncated), ending where they were last seen.
                rewards += Array(repeating: 0, count: counts[k])
                terminated += Array(repeating: false, count: counts[k])
                truncated += Array(repeating: true, count: counts[k])
                finals += (offsets[k]..<(offsets[k] + counts[k])).map { Array(latest[($0 * size)..<(($0 + 1) * size)]) }
                continue
            }
            rewards += try reply.array("rewards").floats
            terminated += try reply.array("terminated").bools
            truncated += try reply.array("truncated").bools
            var serverFinals = [[Float]?](repeating: nil, count: counts[k])
            let indices = reply.header["final_indices"]?.ints ?? []
            let values = try reply.array("final_observations").floats
            guard values.count == indices.count * size, indices.allSatisfy({ $0 >= 0 && $0 < counts[k] }) else {
                throw RemoteEnvironmentError.server(endpoint: endpoints[k], message: "final_observations do not match final_indices")
            }
            for (j, i) in indices.enumerated() { serverFinals[i] = Array(values[(j * size)..<((j + 1) * size)]) }
            finals += serverFinals
        }
        guard rewards.count == count, terminated.count == count, truncated.count == count else {
            throw RemoteEnvironmentError.server(endpoint: endpoints.joined(separator: ","), message: "step reply has the wrong number of envs")
        }
        if episodeReturns.count != count { (episodeReturns, episodeLengths) = (Array(repeating: 0, count: count), Array(repeating: 0, count: count)) }
        var infos = [[String: Float]](repeating: [:], count: count)
        let interrupted = Set(restarted.keys.flatMap { offsets[$0]..<(offsets[$0] + counts[$0]) })
        for i in 0..<count {
            episodeReturns[i] += Double(rewards[i])
            // An interrupted episode ends where it was: this step never happened; nor did it for an env left out.
            if !interrupted.contains(i) && active?[i] != false { episodeLengths[i] += 1 }
            if terminated[i] || truncated[i] {
                infos[i] = ["episode_return": Float(episodeReturns[i]), "episode_length": Float(episodeLengths[i])]
                (episodeReturns[i], episodeLengths[i]) = (0, 0)
            }
        }
        let observations = try gather(replies.indices.map { try restarted[$0] ?? replies[$0].array("observations") })
        latest = observations.scalars
        try readInfos(replies, skipping: Set(restarted.keys))
        return VectorStep(observations: observations, rewards: rewards,
                          terminated: terminated, truncated: truncated, finalObservations: finals, infos: infos)
    }

    /// Picks up server `k` after it restarted: checks that it serves the same
    /// envs, resets them and returns their first observations.
    private func recover(server k: Int, reason: String?) throws -> WireArray {
        let c = connections[k]
        let (n, o, a) = try Self.read(try c.request("spec"), from: endpoints[k])
        guard n == counts[k], o == singleObservationSpace, a == singleActionSpace else {
            throw RemoteEnvironmentError.mismatchedSpaces(
                "\(endpoints[k]) restarted serving \(n) × \(o)/\(a), not the \(counts[k]) × \(singleObservationSpace)/\(singleActionSpace) it served")
        }
        let observations = try c.request("reset").array("observations")
        restarts += 1
        interruptedEpisodes += n
        onRestart?("\(endpoints[k]) restarted: its \(n) env\(n == 1 ? "" : "s") were reset, the interrupted episodes end as truncated")
        return observations
    }

    public func render(index: Int) throws -> Frame? {
        precondition(index >= 0 && index < count, "render index \(index) out of 0..<\(count)")
        let k = offsets.lastIndex { $0 <= index }!
        let frame = try connections[k].request("render", fields: ["index": .int(index - offsets[k])]).array("frame")
        guard frame.shape.count == 3, frame.shape[2] == 3, frame.dtype == .uint8 else {
            throw RemoteEnvironmentError.server(endpoint: endpoints[k], message: "frame must be uint8 (H, W, 3), got \(frame.dtype.rawValue) \(frame.shape)")
        }
        return Frame(width: frame.shape[1], height: frame.shape[0], pixels: frame.bytes)
    }

    /// Ends what this client started: servers it launched (a Gymnasium
    /// bridge's processes) are asked to close and waited for, and their
    /// folder removed. A user's own servers are left serving and the client
    /// stays connected to them (it can still step them);
    /// `shutDownServers()` asks every server to exit. Errors are ignored:
    /// closing is best effort. Idempotent.
    public func close() {
        if !ownedServers.isEmpty { shutDownServers() }
    }

    /// Asks every server to close (each then exits), this client's own and a
    /// user's alike, and waits for the processes it started.
    public func shutDownServers() {
        for c in connections { _ = try? c.request("close") }
        for server in ownedServers {
            let deadline = Date().addingTimeInterval(2)
            while server.isRunning && Date() < deadline { usleep(10_000) }
            server.end()
        }
        ownedServers = []
        if let ownedDirectory { try? FileManager.default.removeItem(at: ownedDirectory) }
        ownedDirectory = nil
    }

    deinit {
        for server in ownedServers where server.isRunning { server.terminate() }
        if let ownedDirectory { try? FileManager.default.removeItem(at: ownedDirectory) }
    }

    /// (N, obs…) from each server's observations, checking shapes.
    private func gather(_ arrays: [WireArray]) throws -> Tensor {
        for (k, a) in arrays.enumerated() where a.shape != [counts[k]] + singleObservationSpace.shape {
            throw RemoteEnvironmentError.server(endpoint: endpoints[k], message: "observations of shape \(a.shape), expected \([counts[k]] + singleObservationSpace.shape)")
        }
        return Tensor(shape: [count] + singleObservationSpace.shape) { out in
            var offset = 0
            for a in arrays {
                a.decode(into: out.baseAddress! + offset)
                offset += a.count
            }
        }
    }
}
