import Testing
import ReverieEnvs

/// A 2×2 grayscale "screen" showing a clock: every pixel is (start + t) mod 200
/// after t frames, so a frame's value says which frame it is. The game ends
/// after `length` frames; a life is lost at each frame in `lifeLosses`.
final class PixelClock: Environment {
    let name = "PixelClock"
    let observationSpace = Space.box(low: 0, high: 255, shape: [2, 2], dtype: .uint8)
    let actionSpace = Space.discrete(3)
    let length: Int, lifeLosses: Set<Int>
    private(set) var t = 0, lives: Float = 3
    private var start = 0

    init(length: Int, lifeLosses: Set<Int> = []) { (self.length, self.lifeLosses) = (length, lifeLosses) }

    private var frame: [Float] { Array(repeating: Float((start + t) % 200), count: 4) }

    func reset(seed: UInt64?) -> [Float] {
        start = seed.map { Int($0) * 10 } ?? start + 50
        (t, lives) = (0, 3)
        return frame
    }

    func step(_ action: [Float]) throws -> Step {
        try validate(action)
        t += 1
        if lifeLosses.contains(t) { lives -= 1 }
        return Step(observation: frame, reward: action[0], terminated: t >= length, info: ["lives": lives])
    }

    func render() -> Frame? { nil }
}

/// `AtariPreprocessing` over in-process envs (a `SyncVectorEnvironment`),
/// where every frame can be told by its value. The served ALE is compared
/// with Gymnasium itself in ReverieRemoteTests/AtariPreprocessingTests.
struct AtariPreprocessingInProcessTests {
    static func preprocessed(_ envs: [PixelClock], _ settings: AtariPreprocessing.Settings) throws -> AtariPreprocessing {
        try AtariPreprocessing(try SyncVectorEnvironment(envs), settings: settings)
    }

    static let noNoops = AtariPreprocessing.Settings(noopMax: 0, frameSkip: 4, screen: .init(height: 2, width: 2))

    @Test func aLeftOutEnvIsNotSteppedAndRepeatsItself() throws {
        let clocks = [PixelClock(length: 100), PixelClock(length: 100)]
        let vector = try SyncVectorEnvironment(clocks)
        _ = try vector.reset(seed: 1)
        let step = try vector.step(Tensor([2, 2]), active: [false, true])
        #expect(clocks[0].t == 0 && clocks[1].t == 1)
        #expect(step.observations.scalars == [10, 10, 10, 10, 21, 21, 21, 21] && step.rewards == [0, 2])
        #expect(vector.latestInfos[0].isEmpty && vector.latestInfos[1]["lives"] == 3)
    }

    @Test func eachActionPlaysFourFramesAndShowsTheMaxOfTheLastTwo() throws {
        let env = try Self.preprocessed([PixelClock(length: 100), PixelClock(length: 100)], Self.noNoops)
        #expect(try env.reset(seed: 1).scalars == [10, 10, 10, 10, 20, 20, 20, 20])
        let step = try env.step(Tensor([1, 2]))
        #expect(step.observations.scalars == [14, 14, 14, 14, 24, 24, 24, 24])  // frame 4 (≥ frame 3)
        #expect(step.rewards == [4, 8] && step.terminated == [false, false])
    }

    @Test func anEpisodeEndingMidSkipStopsThereAndKeepsGymnasiumsStaleFinalFrame() throws {
        // Env 0 ends at frame 6, the second frame of the second action; env 1 plays on.
        let clocks = [PixelClock(length: 6), PixelClock(length: 100)]
        let env = try Self.preprocessed(clocks, Self.noNoops)
        _ = try env.reset(seed: 1)
        _ = try env.step(Tensor([1, 1]))
        let step = try env.step(Tensor([1, 1]))
        #expect(clocks[1].t == 8)
        #expect(step.terminated == [true, false] && step.rewards == [2, 4])
        // Gymnasium leaves its pooling buffers as the last whole action left them: max(frame 4, frame 3).
        #expect(step.finalObservations[0] == [14, 14, 14, 14] && step.finalObservations[1] == nil)
        // The new game's first frame (start 10 + 50), then the other env's frame 8.
        #expect(step.observations.scalars == [60, 60, 60, 60, 28, 28, 28, 28])
        #expect(step.infos[0]["episode_return"] == 6 && step.infos[0]["episode_length"] == 2)
    }

    @Test func aLostLifeEndsTheLearnersEpisodeAndTheGamePlaysOnAfterANoopStep() throws {
        var settings = Self.noNoops
        settings.terminalOnLifeLoss = true
        let clocks = [PixelClock(length: 30, lifeLosses: [3, 17])]
        let env = try Self.preprocessed(clocks, settings)
        _ = try env.reset(seed: 0)
        let first = try env.step(Tensor([2]))  // a life lost at frame 3: stops there
        #expect(first.terminated == [true] && first.rewards == [6] && first.infos[0]["life_loss"] == 1)
        #expect(first.finalObservations[0] == [0, 0, 0, 0])  // nothing pooled yet: the reset frame
        // The game went on: one no-op action of four frames (7 in all), not a reset.
        #expect(clocks[0].t == 7 && first.observations.scalars == [7, 7, 7, 7])
        var total = first.rewards[0], games = 0, lifeLosses = 1, returned: Float?
        for _ in 0..<10 {
            let step = try env.step(Tensor([1]))
            total += step.rewards[0]
            if step.infos[0]["life_loss"] != nil { lifeLosses += 1 }
            if let r = step.infos[0]["episode_return"] { games += 1; returned = r }
            if games > 0 { break }
        }
        // Frames 8–30 with action 1; the learner's rewards leave out the no-op step's (0 anyway here).
        #expect(lifeLosses == 2 && games == 1)
        #expect(returned == total)
    }

    /// CleanRL's rule: a life is lost when 0 < lives < the lives before; the
    /// last one going (lives 0) before the game reports its end is not a loss.
    @Test func theLastLifeGoingBeforeTheGameEndsIsNotALifeLoss() throws {
        var settings = Self.noNoops
        settings.terminalOnLifeLoss = true
        let env = try Self.preprocessed([PixelClock(length: 18, lifeLosses: [2, 8, 15])], settings)
        _ = try env.reset(seed: 0)
        var losses: [Int] = [], ended = false
        for t in 0..<6 where !ended {
            let step = try env.step(Tensor([0]))
            if step.infos[0]["life_loss"] != nil { losses.append(t) }
            ended = step.infos[0]["episode_return"] != nil
        }
        // Frame 2 (3 → 2) and frame 8 (2 → 1) cost a life; frame 15 (1 → 0) does not; frame 18 ends the game.
        #expect(losses.count == 2 && ended)
    }

    @Test func noopsAreDrawnFromOneToNoopMaxAndRepeatWithTheSeed() throws {
        let clocks = (0..<6).map { _ in PixelClock(length: 1000) }
        var settings = Self.noNoops
        settings.noopMax = 30
        let env = try Self.preprocessed(clocks, settings)
        let first = try env.reset(seed: 4)
        let counts = env.noopCounts
        #expect(counts.allSatisfy { (1...30).contains($0) } && Set(counts).count > 1)
        #expect(clocks.map(\.t) == counts)
        var expected: [Float] = []
        for i in 0..<6 { expected += Array(repeating: Float((40 + 10 * i + counts[i]) % 200), count: 4) }
        #expect(first.scalars == expected)
        _ = try env.reset(seed: 4)
        #expect(env.noopCounts == counts)
    }

    @Test func refusesWhatItCannotPreprocess() throws {
        #expect(throws: EnvironmentError.self) {
            try AtariPreprocessing(try SyncVectorEnvironment([CountingEnvironment(length: 3)]))
        }
        #expect(throws: EnvironmentError.self) {
            try Self.preprocessed([PixelClock(length: 3)], .init(screen: .init(height: 84, width: 84)))  // larger than 2×2
        }
        #expect(throws: EnvironmentError.self) {
            try Self.preprocessed([PixelClock(length: 3)], .init(frameSkip: 0, screen: .init(height: 2, width: 2)))
        }
    }
}
