import Testing
import ReverieWorldModels

/// The replay's sequences are whole runs of one stream that never pass its
/// newest step, wrap correctly around the ring, carry the episode flags, and
/// DFS favours what has been sampled least.
struct SequenceReplayTests {
    /// Observation of stream s at step i: [s, i]; reward i; episodes of 5 steps.
    static func filled(capacity: Int, streams: Int, steps: Int) throws -> SequenceReplay {
        let replay = SequenceReplay(capacity: capacity, streams: streams, observationSize: 2, actionSize: 1)
        for i in 0..<steps {
            for s in 0..<streams {
                try replay.append(stream: s, observation: [Float(s), Float(i)], action: [Float(i % 3)], reward: Float(i),
                                  terminated: i % 5 == 4, isFirst: i % 5 == 0)
            }
        }
        return replay
    }

    @Test func sequencesAreConsecutiveStepsOfOneStreamAndStopAtTheNewest() throws {
        // 2 streams × 12 slots after 30 steps each: the ring has wrapped; steps 18…29 remain.
        let replay = try Self.filled(capacity: 24, streams: 2, steps: 30)
        var rng = RandomGenerator(seed: 1)
        for sampling in [SequenceReplay.Sampling.uniform, .frequency(temperature: 10)] {
            let batch = try replay.sample(batch: 64, length: 6, sampling: sampling, using: &rng)
            #expect(batch.observations.shape == [64, 6, 2] && batch.rewards.shape == [64, 6] && batch.isFirst.count == 64 * 6)
            let obs = batch.observations.scalars, rewards = batch.rewards.scalars, continues = batch.continues.scalars
            for b in 0..<64 {
                let stream = obs[b * 12], first = obs[b * 12 + 1]
                #expect(first >= 18 && first + 5 <= 29, "sequence \(b) starts at step \(first)")
                for t in 0..<6 {
                    let step = first + Float(t)
                    #expect(obs[(b * 6 + t) * 2] == stream && obs[(b * 6 + t) * 2 + 1] == step)
                    #expect(rewards[b * 6 + t] == step)
                    #expect(batch.isFirst[b * 6 + t] == (Int(step) % 5 == 0))
                    #expect(continues[b * 6 + t] == (Int(step) % 5 == 4 ? 0 : 1))
                }
            }
        }
    }

    @Test func uniformSamplingReachesEveryStart() throws {
        let replay = try Self.filled(capacity: 20, streams: 1, steps: 20)
        var rng = RandomGenerator(seed: 2)
        let batch = try replay.sample(batch: 4000, length: 5, using: &rng)
        var histogram = [Int](repeating: 0, count: 16)  // starts 0…15
        for start in batch.starts { histogram[start.position] += 1 }
        // 250 expected each; a fair die stays well within ±30%.
        #expect(histogram.allSatisfy { (175...325).contains($0) }, "\(histogram)")
    }

    @Test func frequencySamplingFavoursWhatWasSampledLeast() throws {
        // Counts even out: 400 draws over 17 starts (≈ 23.5 each) spread less under DFS than uniformly.
        func spread(_ sampling: SequenceReplay.Sampling) throws -> (SequenceReplay, Int) {
            let replay = try Self.filled(capacity: 40, streams: 1, steps: 20)
            var rng = RandomGenerator(seed: 3)
            _ = try replay.sample(batch: 400, length: 4, sampling: sampling, using: &rng)
            let counts = (0..<17).map { replay.startCounts[$0] }
            return (replay, counts.max()! - counts.min()!)
        }
        let (replay, frequencySpread) = try spread(.frequency(temperature: 10)), (_, uniformSpread) = try spread(.uniform)
        print("start-count spread after 400 draws over 17 starts: DFS \(frequencySpread), uniform \(uniformSpread)")
        #expect(frequencySpread < uniformSpread && frequencySpread <= 10)
        // New steps arrive; their starts have never been sampled.
        for i in 20..<30 {
            try replay.append(stream: 0, observation: [0, Float(i)], action: [0], reward: 0, terminated: false, isFirst: false)
        }
        var rng = RandomGenerator(seed: 4)
        let batch = try replay.sample(batch: 200, length: 4, sampling: .frequency(temperature: 10), using: &rng)
        let fresh = batch.starts.filter { $0.position >= 17 }.count  // starts 17…26 include a new step
        // 10 of 27 starts (37%) are fresh; DFS gives them far more than their share.
        #expect(Double(fresh) / 200 > 0.6, "fresh starts \(fresh) of 200")
    }

    @Test func badInputIsAClearError() throws {
        let replay = try Self.filled(capacity: 10, streams: 2, steps: 3)
        var rng = RandomGenerator(seed: 4)
        #expect(throws: SequenceReplay.Failure.tooFewSteps(needed: 4, longest: 3)) {
            try replay.sample(batch: 1, length: 4, using: &rng)
        }
        #expect(throws: SequenceReplay.Failure.self) {
            try replay.append(stream: 0, observation: [1], action: [0], reward: 0, terminated: false, isFirst: false)
        }
        #expect(throws: SequenceReplay.Failure.self) {
            try replay.append(stream: 2, observation: [1, 2], action: [0], reward: 0, terminated: false, isFirst: false)
        }
    }
}

extension SequenceReplayTests {
    /// A restored snapshot samples exactly as the original, wrapped ring and DFS counts included.
    @Test func aSnapshotRestoresTheSameSampling() throws {
        let replay = SequenceReplay(capacity: 20, streams: 2, observationSize: 1, actionSize: 1)
        for i in 0..<27 {
            for s in 0..<2 where i % (s + 1) == 0 {
                try replay.append(stream: s, observation: [Float(i)], action: [Float(s)], reward: Float(i % 3),
                                  terminated: i % 9 == 8, isFirst: i % 9 == 0)
            }
        }
        var rng = RandomGenerator(seed: 1)
        _ = try replay.sample(batch: 5, length: 4, sampling: .frequency(temperature: 2), using: &rng)
        let copy = SequenceReplay(capacity: 20, streams: 2, observationSize: 1, actionSize: 1)
        try copy.restore(replay.snapshot)
        var r1 = RandomGenerator(seed: 2), r2 = RandomGenerator(seed: 2)
        let a = try replay.sample(batch: 6, length: 4, sampling: .frequency(temperature: 2), using: &r1)
        let b = try copy.sample(batch: 6, length: 4, sampling: .frequency(temperature: 2), using: &r2)
        #expect(a.observations.scalars == b.observations.scalars && a.rewards.scalars == b.rewards.scalars)
        #expect(a.continues.scalars == b.continues.scalars && a.isFirst == b.isFirst)
        #expect(replay.startCounts == copy.startCounts)
        // A snapshot of another shape is refused, naming the tensor, and changes nothing.
        let other = SequenceReplay(capacity: 20, streams: 2, observationSize: 3, actionSize: 1)
        #expect(throws: SequenceReplay.Failure.badStep("the saved replay's observations has shape [20, 1], expected [20, 3]")) {
            try other.restore(replay.snapshot)
        }
    }

    /// A replay keeping observations as bytes samples what a Float32 one
    /// samples for 8-bit values (others rounded and clamped), and its
    /// snapshots restore into either kind.
    @Test func byteStorageSamplesAndRestoresAsFloat32() throws {
        let floats = SequenceReplay(capacity: 12, streams: 2, observationSize: 3, actionSize: 1)
        let bytes = SequenceReplay(capacity: 12, streams: 2, observationSize: 3, actionSize: 1, storage: .bytes)
        for i in 0..<9 {
            for (s, replay) in [floats, bytes].enumerated().flatMap({ _, r in (0..<2).map { ($0, r) } }) {
                let v = Float((i * 37 + s * 11) % 256)
                try replay.append(stream: s, observation: [v, 255 - v, Float(i)], action: [Float(s)], reward: 1,
                                  terminated: false, isFirst: i == 0)
            }
        }
        func sample(_ replay: SequenceReplay) throws -> [Float] {
            var rng = RandomGenerator(seed: 3)
            return try replay.sample(batch: 4, length: 3, using: &rng).observations.scalars
        }
        #expect(try sample(bytes) == sample(floats))
        #expect(bytes.snapshot["observations"] == nil && bytes.byteSnapshot["observations"]?.shape == [12, 3])
        #expect(floats.byteSnapshot.isEmpty)
        // Bytes into bytes, bytes into Float32, Float32 into bytes.
        let a = SequenceReplay(capacity: 12, streams: 2, observationSize: 3, actionSize: 1, storage: .bytes)
        try a.restore(bytes.snapshot, bytes: bytes.byteSnapshot)
        let b = SequenceReplay(capacity: 12, streams: 2, observationSize: 3, actionSize: 1)
        try b.restore(bytes.snapshot, bytes: bytes.byteSnapshot)
        let c = SequenceReplay(capacity: 12, streams: 2, observationSize: 3, actionSize: 1, storage: .bytes)
        try c.restore(floats.snapshot)
        #expect(try sample(a) == sample(floats) && sample(b) == sample(floats) && sample(c) == sample(floats))
        // Without observations in either form, a restore is refused.
        #expect(throws: SequenceReplay.Failure.badStep("the saved replay lacks observations")) { try a.restore(bytes.snapshot) }
        // Values outside a byte are clamped, fractions rounded.
        let clamped = SequenceReplay(capacity: 2, streams: 1, observationSize: 3, actionSize: 1, storage: .bytes)
        for _ in 0..<2 { try clamped.append(stream: 0, observation: [-3, 7.6, 300], action: [0], reward: 0, terminated: false, isFirst: false) }
        var rng = RandomGenerator(seed: 1)
        #expect(try clamped.sample(batch: 1, length: 1, using: &rng).observations.scalars == [0, 8, 255])
    }
}
