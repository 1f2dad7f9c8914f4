/// A bounded replay of env transitions from which a world model trains on
/// fixed-length sequences (DreamerV3's and Drama's replay).
///
/// Rows follow DreamerV3: step t of a stream holds x_t, the reward r_t
/// received on arriving at it, whether x_t is terminal, whether it opens an
/// episode, and a_t, the action then taken (an episode's last observation,
/// terminal or cut short by a time limit, is a row of its own with no action).
///
/// Each of the `streams` envs writes its own ring of capacity/streams steps;
/// when a ring is full the oldest step goes. A sampled sequence is L
/// consecutive steps of one stream, never reaching past its newest step; it
/// may cross episode boundaries, and `isFirst` marks where the backbone must
/// reset (as DreamerV3 samples).
///
/// Start positions are drawn uniformly, or by Drama's dynamic frequency-based
/// sampling (Wang et al. 2024): start i with probability ∝ exp(−n_i/τ), where
/// n_i counts the sequences sampled so far that started at i, so steps the
/// model has rarely trained on — above all the newest — come first.
///
/// Observations are kept as Float32, or as bytes (`.bytes`) for 8-bit images:
/// a 64×64×3 frame then takes 12 KB instead of 48 KB, in memory and in a
/// checkpoint (U8), and sampled sequences read back the same values.
public final class SequenceReplay {
    /// How start positions are drawn.
    public enum Sampling: Sendable, Equatable {
        case uniform
        /// Drama's DFS with temperature τ (10 in the paper).
        case frequency(temperature: Float)
    }

    /// One batch of B sequences of L steps, batch-major.
    public struct Batch {
        /// (B, L, O).
        public var observations: Tensor
        /// (B, L, A): a_t, the action taken at x_t (zeros at an episode's last observation).
        public var actions: Tensor
        /// (B, L): r_t, the reward received on arriving at x_t (0 at an episode's first).
        public var rewards: Tensor
        /// (B, L): c_t, 0 where x_t is terminal, else 1.
        public var continues: Tensor
        /// B·L, row b·L + t: the step opens an episode (the backbone resets before it).
        public var isFirst: [Bool]
        /// Per sequence: (stream, position of its first step in the stream's ring).
        public var starts: [(stream: Int, position: Int)]
    }

    /// How observations are kept.
    public enum Storage: String, Sendable, Equatable {
        case float32
        /// One byte per value: values are rounded and clamped to 0…255 (an
        /// 8-bit image's values are kept exactly).
        case bytes
    }

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case tooFewSteps(needed: Int, longest: Int)
        case badStep(String)

        public var description: String {
            switch self {
            case .tooFewSteps(let needed, let longest):
                "replay cannot sample sequences of \(needed) steps yet: the longest stream holds \(longest)"
            case .badStep(let message): "replay: \(message)"
            }
        }
    }

    public let streams: Int, observationSize: Int, actionSize: Int
    /// Steps each stream's ring holds.
    public let streamCapacity: Int
    public let storage: Storage
    /// The observations as `storage` keeps them (the other array is empty).
    private var observations: [Float], observationBytes: [UInt8]
    private var actions: [Float], rewards: [Float], terminals: [Bool], firsts: [Bool]
    /// Steps written per stream so far (the ring position is this mod capacity).
    private var written: [Int]
    /// Sequences sampled so far that started at each ring position (DFS's n_i).
    public private(set) var startCounts: [Int]

    public init(capacity: Int, streams: Int, observationSize: Int, actionSize: Int, storage: Storage = .float32) {
        precondition(streams >= 1 && capacity >= streams, "a replay of \(streams) streams needs a capacity of at least \(streams), got \(capacity)")
        (self.streams, self.observationSize, self.actionSize, self.storage) = (streams, observationSize, actionSize, storage)
        streamCapacity = capacity / streams
        let slots = streams * streamCapacity
        observations = storage == .float32 ? Array(repeating: 0, count: slots * observationSize) : []
        observationBytes = storage == .bytes ? Array(repeating: 0, count: slots * observationSize) : []
        actions = Array(repeating: 0, count: slots * actionSize)
        rewards = Array(repeating: 0, count: slots)
        terminals = Array(repeating: false, count: slots)
        firsts = Array(repeating: false, count: slots)
        written = Array(repeating: 0, count: streams)
        startCounts = Array(repeating: 0, count: slots)
    }

    /// Steps stream s holds now.
    public func count(stream s: Int) -> Int { min(written[s], streamCapacity) }

    /// Appends step t of stream s: x_t, a_t, r_t, whether x_t is terminal,
    /// whether it opens an episode.
    public func append(stream s: Int, observation: [Float], action: [Float], reward: Float,
                       terminated: Bool, isFirst: Bool) throws {
        guard (0..<streams).contains(s) else { throw Failure.badStep("stream \(s) is not in 0..<\(streams)") }
        guard observation.count == observationSize, action.count == actionSize else {
            throw Failure.badStep("stream \(s) got an observation of \(observation.count) and an action of \(action.count) "
                                  + "values; the replay holds \(observationSize) and \(actionSize)")
        }
        let slot = s * streamCapacity + written[s] % streamCapacity
        switch storage {
        case .float32: observations.replaceSubrange(slot * observationSize ..< (slot + 1) * observationSize, with: observation)
        case .bytes:
            observationBytes.withUnsafeMutableBufferPointer { out in
                for (k, v) in observation.enumerated() { out[slot * observationSize + k] = Self.byte(v) }
            }
        }
        actions.replaceSubrange(slot * actionSize ..< (slot + 1) * actionSize, with: action)
        (rewards[slot], terminals[slot], firsts[slot], startCounts[slot]) = (reward, terminated, isFirst, 0)
        written[s] += 1
    }

    /// B sequences of L steps.
    public func sample(batch: Int, length: Int, sampling: Sampling = .uniform,
                       using rng: inout RandomGenerator) throws -> Batch {
        precondition(batch >= 1 && length >= 1, "sample needs a batch and a length of at least 1")
        // Valid starts: per stream, the oldest kept step up to L steps before the newest.
        var candidates: [(stream: Int, position: Int)] = []
        for s in 0..<streams where count(stream: s) >= length {
            let oldest = written[s] - count(stream: s)
            for step in oldest...(written[s] - length) { candidates.append((s, step % streamCapacity)) }
        }
        guard !candidates.isEmpty else {
            throw Failure.tooFewSteps(needed: length, longest: (0..<streams).map { count(stream: $0) }.max() ?? 0)
        }
        var weights: [Float] = [], temperature: Float?
        if case .frequency(let tau) = sampling {
            precondition(tau > 0, "frequency sampling needs a positive temperature, got \(tau)")
            // exp(−(n_i − min n)/τ): shifted so the largest weight is 1.
            let counts = candidates.map { startCounts[$0.stream * streamCapacity + $0.position] }
            let least = counts.min() ?? 0
            (weights, temperature) = (counts.map { expf(-Float($0 - least) / tau) }, tau)
        }
        let (o, a) = (observationSize, actionSize)
        var obs = [Float](), act = [Float](), rew = [Float](), cont = [Float](), first = [Bool](), starts: [(Int, Int)] = []
        obs.reserveCapacity(batch * length * o)
        for _ in 0..<batch {
            let pick = weights.isEmpty ? rng.int(below: candidates.count) : rng.categorical(weights)
            let (s, position) = candidates[pick]
            starts.append((s, position))
            startCounts[s * streamCapacity + position] += 1
            if let temperature { weights[pick] *= expf(-1 / temperature) }  // n_i grew by one
            for t in 0..<length {
                let slot = s * streamCapacity + (position + t) % streamCapacity
                switch storage {
                case .float32: obs += observations[slot * o ..< (slot + 1) * o]
                case .bytes: obs += observationBytes[slot * o ..< (slot + 1) * o].lazy.map(Float.init)
                }
                act += actions[slot * a ..< (slot + 1) * a]
                rew.append(rewards[slot])
                cont.append(terminals[slot] ? 0 : 1)
                first.append(firsts[slot])
            }
        }
        return Batch(observations: Tensor(obs, shape: [batch, length, o]), actions: Tensor(act, shape: [batch, length, a]),
                     rewards: Tensor(rew, shape: [batch, length]), continues: Tensor(cont, shape: [batch, length]),
                     isFirst: first, starts: starts)
    }

    /// v rounded and clamped to a byte.
    private static func byte(_ v: Float) -> UInt8 { v.isNaN ? 0 : UInt8(Swift.min(Swift.max(v.rounded(), 0), 255)) }

    // MARK: - Saving

    /// Everything the replay holds as tensors a checkpoint can store — with
    /// `.bytes` storage all but the observations, which are `byteSnapshot`
    /// (counts are kept modulo the ring, so they stay exact in Float32).
    public var snapshot: [String: Tensor] {
        let slots = streams * streamCapacity
        var tensors = [
            "actions": Tensor(actions, shape: [slots, actionSize]),
            "rewards": Tensor(rewards),
            "terminals": Tensor(terminals.map { $0 ? 1 : 0 }),
            "firsts": Tensor(firsts.map { $0 ? 1 : 0 }),
            "start_counts": Tensor(startCounts.map(Float.init)),
            // What sampling reads of `written`: the count held and the ring position.
            "written": Tensor(written.map { Float($0 < streamCapacity ? $0 : streamCapacity + $0 % streamCapacity) }),
        ]
        if storage == .float32 { tensors["observations"] = Tensor(observations, shape: [slots, observationSize]) }
        return tensors
    }

    /// The observations kept as bytes (`.bytes` storage; empty otherwise).
    public var byteSnapshot: [String: ByteTensor] {
        storage == .bytes ? ["observations": ByteTensor(observationBytes, shape: [streams * streamCapacity, observationSize])] : [:]
    }

    /// Restores a `snapshot` (and `byteSnapshot`) of a replay of the same
    /// shape. Its observations may be kept either way: Float32 ones restore
    /// into `.bytes` storage rounded, bytes into `.float32` exactly.
    /// - Throws: `Failure.badStep` naming the first missing or mis-shaped tensor; nothing changes then.
    public func restore(_ snapshot: [String: Tensor], bytes: [String: ByteTensor] = [:]) throws {
        let slots = streams * streamCapacity
        let expected: [String: [Int]] = [
            "actions": [slots, actionSize], "rewards": [slots],
            "terminals": [slots], "firsts": [slots], "start_counts": [slots], "written": [streams],
        ]
        for (name, shape) in expected.sorted(by: { $0.key < $1.key }) {
            guard let t = snapshot[name] else { throw Failure.badStep("the saved replay lacks \(name)") }
            guard t.shape == shape else { throw Failure.badStep("the saved replay's \(name) has shape \(t.shape), expected \(shape)") }
        }
        let shape = [slots, observationSize]
        let savedShape = snapshot["observations"]?.shape ?? bytes["observations"]?.shape
        guard let savedShape else { throw Failure.badStep("the saved replay lacks observations") }
        guard savedShape == shape else { throw Failure.badStep("the saved replay's observations has shape \(savedShape), expected \(shape)") }
        switch (storage, snapshot["observations"], bytes["observations"]) {
        case (.float32, let t?, _): observations = t.scalars
        case (.float32, nil, let b?): observations = b.bytes.map(Float.init)
        case (.bytes, _, let b?): observationBytes = b.bytes
        case (.bytes, let t?, nil): observationBytes = t.scalars.map(Self.byte)
        default: break
        }
        actions = snapshot["actions"]!.scalars
        rewards = snapshot["rewards"]!.scalars
        terminals = snapshot["terminals"]!.scalars.map { $0 != 0 }
        firsts = snapshot["firsts"]!.scalars.map { $0 != 0 }
        startCounts = snapshot["start_counts"]!.scalars.map { Int($0) }
        written = snapshot["written"]!.scalars.map { Int($0) }
    }
}
