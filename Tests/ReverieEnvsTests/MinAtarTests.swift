import Foundation
import Testing
@testable import ReverieEnvs

/// The MinAtar ports against the `minatar` package (1.0.15): numpy's
/// RandomState draw for draw, then 10,000 steps of each game under sticky
/// actions and random action sequences, every observation, reward and
/// termination hashed in blocks of 100 steps exactly as
/// Tests/Python/make_minatar_fixtures.py hashed the package's.
@Suite struct MinAtarTests {
    struct Trajectory: Decodable {
        let seed: UInt64
        let shape: [Int]
        let actions: String
        let block_hashes: [String]
        let episode_returns: [Int]
    }

    struct NumpyDraws: Decodable {
        let seed: UInt32
        let rand: [Double]
        let randint_2: [Int]
        let randint_1_6_size_8: [Int]
        let randint_7: [Int]
        let randint_0_1000: [Int]
        let choice_3: [Int]
        let rand_after: Double
    }

    nonisolated(unsafe) static let fixture: [String: Any] = {
        let url = Bundle.module.url(forResource: "minatar", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }()

    static func decode<T: Decodable>(_ key: String) throws -> T {
        try JSONDecoder().decode(T.self, from: JSONSerialization.data(withJSONObject: try #require(fixture[key])))
    }

    @Test func numpysRandomStateIsReproducedDrawForDraw() throws {
        let reference: NumpyDraws = try Self.decode("numpy")
        var random = NumpyRandomState(seed: reference.seed)
        #expect((0..<5).map { _ in random.uniform() } == reference.rand)
        #expect((0..<8).map { _ in random.integer(below: 2) } == reference.randint_2)
        #expect((0..<8).map { _ in random.integer(in: 1..<6) } == reference.randint_1_6_size_8)
        #expect((0..<8).map { _ in random.integer(below: 7) } == reference.randint_7)
        #expect((0..<4).map { _ in random.integer(in: 0..<1000) } == reference.randint_0_1000)
        // choice([10, 20, 30]) is randint(3) into the list.
        #expect((0..<6).map { _ in [10, 20, 30][random.integer(below: 3)] } == reference.choice_3)
        #expect(random.uniform() == reference.rand_after)
    }

    /// 64-bit FNV-1a, as the fixture script hashes.
    static func fnv1a(_ hash: inout UInt64, _ bytes: [UInt8]) {
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
    }

    /// numpy's packbits of a flat 0/1 observation: eight cells a byte, the first in the high bit.
    static func packed(_ observation: [Float]) -> [UInt8] {
        stride(from: 0, to: observation.count, by: 8).map { start in
            (0..<8).reduce(UInt8(0)) { byte, k in
                let i = start + k
                return byte | (i < observation.count && observation[i] != 0 ? UInt8(0x80) >> UInt8(k) : 0)
            }
        }
    }

    @Test(arguments: ["Asterix", "Breakout", "Freeway", "Seaquest", "SpaceInvaders"])
    func everyStepMatchesTheMinAtarPackage(game: String) throws {
        let reference: Trajectory = try Self.decode(game)
        let env = try Registry.make("MinAtar/\(game)-v0")
        #expect(env.observationSpace.shape == reference.shape)
        let offset: UInt64 = 0xCBF2_9CE4_8422_2325
        var hash = offset
        Self.fnv1a(&hash, Self.packed(env.reset(seed: reference.seed)))
        var blocks: [String] = [], returns: [Int] = [], episodeReturn = 0
        for (t, digit) in reference.actions.enumerated() {
            let step = try env.step([Float(digit.wholeNumberValue!)])
            Self.fnv1a(&hash, Self.packed(step.observation) + [UInt8(step.reward), step.terminated ? 1 : 0])
            episodeReturn += Int(step.reward)
            #expect(!step.truncated)
            if step.terminated {
                returns.append(episodeReturn)
                episodeReturn = 0
                Self.fnv1a(&hash, Self.packed(env.reset()))
            }
            if (t + 1) % 100 == 0 {
                blocks.append(String(hash, radix: 16).leftPadded(to: 16))
                hash = offset
            }
        }
        #expect(blocks.count == reference.block_hashes.count)
        let firstDifference = blocks.indices.first { blocks[$0] != reference.block_hashes[$0] }
        #expect(firstDifference == nil, "\(game) first differs in steps \((firstDifference ?? 0) * 100)..<\((firstDifference ?? 0) * 100 + 100)")
        #expect(returns == reference.episode_returns)
    }

    /// Surfacing with six divers leaves the package's diver count at −1, a state
    /// random play never reaches (a 10M-step training run did, at 2M steps):
    /// numpy draws the gauge as the empty slice 10:9; so must we, not trap.
    @Test func seaquestDrawsAnEmptyDiverGaugeAfterSixDiversSurfaced() throws {
        var game = Seaquest(ramping: true)
        var random = NumpyRandomState(seed: 1)
        game.reset(using: &random)
        var state = game.state
        state[1] = -1   // the diver count
        var restored = game.restore(state)
        #expect(restored)
        var cells = [Float](repeating: 0, count: 100 * Seaquest.channels)
        cells.withUnsafeMutableBufferPointer { game.draw(into: MinAtarGrid(channels: Seaquest.channels, cells: $0.baseAddress!)) }
        #expect((0..<10).allSatisfy { cells[(9 * 10 + $0) * Seaquest.channels + 8] == 0 }, "no diver-gauge cell is on")
        state[1] = 2
        restored = game.restore(state)
        #expect(restored)
        cells = [Float](repeating: 0, count: 100 * Seaquest.channels)
        cells.withUnsafeMutableBufferPointer { game.draw(into: MinAtarGrid(channels: Seaquest.channels, cells: $0.baseAddress!)) }
        #expect((0..<10).filter { cells[(9 * 10 + $0) * Seaquest.channels + 8] != 0 } == [7, 8], "two divers: cells 7 and 8")
    }

    @Test func minimalActionSetsAndOptions() throws {
        #expect(try Registry.make("MinAtar/Breakout-v1").actionSpace == .discrete(3))
        #expect(try Registry.make("MinAtar/SpaceInvaders-v1").actionSpace == .discrete(4))
        #expect(try Registry.make("MinAtar/Asterix-v0").actionSpace == .discrete(6))
        #expect(try Registry.make("MinAtar/Freeway-v1?sticky=0&ramping=0").actionSpace == .discrete(3))
        #expect(throws: EnvironmentError.self) { try Registry.make("MinAtar/Breakout-v0?sticky=2") }
        #expect {
            try Registry.make("MinAtar/Breakout")
        } throws: { error in
            "\(error)".contains("MinAtar/Breakout-v0")
        }
    }

    @Test(arguments: ["Asterix", "Breakout", "Freeway", "Seaquest", "SpaceInvaders"])
    func aSnapshotResumesTheGameExactly(game: String) throws {
        let env = try Registry.make("MinAtar/\(game)-v0")
        var random = NumpyRandomState(seed: 3)
        _ = env.reset(seed: 5)
        func play(_ steps: Int) throws -> [Step] {
            var out: [Step] = []
            for _ in 0..<steps {
                let step = try env.step([Float(random.integer(below: 6))])
                out.append(step)
                if step.terminated { _ = env.reset() }
            }
            return out
        }
        _ = try play(150)
        let snapshotting = try #require(env as? Snapshotting)
        let saved = try #require(snapshotting.snapshot), savedRandom = random
        let first = try play(300)
        try snapshotting.restore(saved)
        random = savedRandom
        #expect(try play(300) == first)
    }
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
