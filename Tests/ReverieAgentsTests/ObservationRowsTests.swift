import Testing
@testable import ReverieAgents
import ReverieEnvs

/// Rollouts keep pixels as bytes, lose nothing when a value is not one, and
/// give the network the same floats either way.
@Suite struct ObservationRowsTests {
    @Test func pixelsAreKeptAsBytesAndComeBackAsTheSameFloats() {
        var rows = ObservationRows(width: 3, preferBytes: true)
        rows.append(Tensor([0, 255, 7, 1, 2, 3], shape: [2, 3]))
        rows.append(Tensor([9, 8, 200], shape: [1, 3]))
        #expect(rows.holdsBytes && rows.count == 3)
        #expect(rows.gather([2, 0], shape: [2, 1, 3]).scalars == [9, 8, 200, 0, 255, 7])
    }

    @Test func aValueThatIsNotAByteTurnsEveryRowToFloatUnchanged() {
        for odd: Float in [0.5, -1, 256, .nan] {
            var rows = ObservationRows(width: 2, preferBytes: true)
            rows.append(Tensor([4, 5], shape: [1, 2]))
            rows.append(Tensor([odd, 6], shape: [1, 2]))
            #expect(!rows.holdsBytes && rows.count == 2)
            let back = rows.gather([1, 0], shape: [4]).scalars
            #expect(back[1...] == [6, 4, 5] && (back[0] == odd || (odd.isNaN && back[0].isNaN)))
        }
    }

    @Test func ppoKeepsAPixelEnvsRolloutAsBytes() throws {
        let env = try SyncVectorEnvironment(count: 2) { _ in try Registry.make("PixelCatch") }
        #expect(env.singleObservationSpace.isPixels)
        var config = PPOConfig()
        config.rolloutSteps = 4
        let ppo = try PPO(config, policy: PolicySpec(encoder: .minatar), environment: env, totalSteps: 8, seed: 5)
        let (rollout, _) = try ppo.collect()
        #expect(rollout.observations.holdsBytes && rollout.observations.count == 8)
    }
}
