import Foundation
import Testing
import ReverieAgents
import ReverieEnvs
import ReverieWorldModels
@testable import ReverieTraining

/// The presets in agents/ learn what their comments claim, with their own
/// seed and budget (release build; each trains in seconds to a minute).
@Suite(.serialized) struct PresetLearningTests {
    static func preset(_ name: String) throws -> TrainConfig {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try TrainConfig.load(preset: root.appendingPathComponent("agents/\(name).toml"))
    }

    /// Trains a preset to its budget; returns the mean deterministic return
    /// of 10 evaluation episodes before and after.
    /// - Parameter stepCap: a time limit on the evaluation episodes, for games without one of their own.
    static func train(_ config: TrainConfig, stepCap: Int? = nil) throws -> (before: Float, after: Float) {
        let (ppo, normalization) = try Trainer.makeAgent(config)
        func evaluation() throws -> Float {
            let env = try Registry.make(config.env, maxEpisodeSteps: stepCap)
            let returns = try evaluate(ppo.actingPolicy, in: normalization.evaluation(env), episodes: 10, seed: 10_000)
            return returns.reduce(0, +) / Float(returns.count)
        }
        let before = try evaluation()
        while ppo.environmentSteps < config.totalSteps { _ = try ppo.iterate() }
        return (before, try evaluation())
    }

    /// The RTRL preset remembers a cue 40 steps back with updates every 8
    /// steps (greedy return 1 is every episode turned the cued way; chance is 0);
    /// its TBPTT baseline, an LSTM truncated to those 8 steps, does not.
    @Test func rtrlTMazePresetLearnsWhereItsTBPTTBaselineCannot() throws {
        let rtrl = try Self.preset("rtrl-elstm-tmaze"), tbptt = try Self.preset("tbptt-lstm-tmaze")
        #expect(rtrl.online.learningRule == .rtrl && rtrl.memory == "elstm" && rtrl.online.updateInterval == 8)
        #expect(tbptt.online.learningRule == .tbptt && tbptt.memory == "lstm" && tbptt.online.updateInterval == 8)
        let (_, learned) = try Self.train(rtrl)
        let (_, truncated) = try Self.train(tbptt)
        print("TMaze length 40: RTRL eLSTM \(learned), TBPTT(8) LSTM \(truncated)")
        #expect(learned >= 0.9)
        #expect(truncated <= 0.3)
    }

    /// PPO from pixels: the Nature CNN reads PixelCatch's 64×64×3 frames (its
    /// balls falling twice as fast and straight, so a short run sees many):
    /// within 20k steps it catches more balls than it misses, where random
    /// actions score −2.8 of ±5.
    @Test func ppoLearnsToCatchFromPixelsWithTheNatureCNN() throws {
        var config = try Self.preset("ppo-pixel-catch")
        (config.env, config.totalSteps) = ("PixelCatch?fallSpeed=4&drift=0", 20_000)
        #expect(config.policySpec.encoder == .nature)
        let (before, after) = try Self.train(config)
        print("PixelCatch (fall speed 4, no drift), Nature CNN: \(before) → \(after)")
        #expect(before < -1)
        #expect(after >= 0)
    }

    /// MinAtar Breakout (the package's game, sticky actions) with MinAtar's
    /// network and PureJaxRL's hyperparameters, on a short budget: uniformly
    /// random play scores 0.54 an episode (the golden fixture's 866
    /// episodes); the claim is a policy that clearly keeps the ball in play.
    @Test func ppoLearnsMinAtarBreakout() throws {
        var config = try Self.preset("ppo-minatar-breakout")
        #expect(config.env == "MinAtar/Breakout-v1" && config.policySpec.encoder == .minatar)
        config.totalSteps = 300_000
        let (before, after) = try Self.train(config, stepCap: 10_000)
        print("MinAtar/Breakout-v1, MinAtar network, 300k steps: \(before) → \(after)")
        #expect(before < 2)
        #expect(after >= 4)
    }

    /// The bar: position-only CartPole, GRU policy, ≥ 450 within 200k steps.
    @Test func gruPolicyBalancesCartPoleWithoutSeeingVelocities() throws {
        let config = try Self.preset("ppo-gru-cartpole-novel")
        #expect(config.env == "CartPoleNoVel-v1" && config.memory == "gru" && config.totalSteps <= 200_000)
        let (before, after) = try Self.train(config)
        print("CartPoleNoVel-v1, GRU: \(before) → \(after)")
        #expect(before < 100)
        #expect(after >= 450)
    }

    /// The world-model issue's bar: a DreamerV3-style agent (RSSM backbone)
    /// learning in imagination balances CartPole, ≥ 450, within 30k env steps.
    @Test func worldModelAgentBalancesCartPoleWithin30kSteps() throws {
        let config = try Self.preset("dreamer-gru-cartpole")
        #expect(config.algorithm == "dreamer" && config.dreamer.worldModel.backbone.kind == .gru && config.totalSteps <= 30_000)
        let (before, after) = try Self.train(config)
        print("CartPole-v1, world-model agent (GRU): \(before) → \(after)")
        #expect(before < 100)
        #expect(after >= 450)
    }

    /// RepeatPrevious (easy), LSTM policy, ≥ 0.9 (chance is about −0.5).
    @Test func lstmPolicyRepeatsTheSuitFourCardsBack() throws {
        let config = try Self.preset("ppo-lstm-repeat-previous")
        #expect(config.env.hasPrefix("RepeatPrevious") && config.memory == "lstm")
        let (before, after) = try Self.train(config)
        print("RepeatPrevious easy, LSTM: \(before) → \(after)")
        #expect(before < 0)
        #expect(after >= 0.9)
    }

    /// A feedforward policy cannot do it: the task needs the memory.
    @Test func withoutMemoryRepeatPreviousStaysNearChance() throws {
        var config = try Self.preset("ppo-lstm-repeat-previous")
        config.memory = "none"
        config.totalSteps = 50_000
        let (_, after) = try Self.train(config)
        print("RepeatPrevious easy, feedforward: \(after)")
        #expect(after < 0)
    }

    /// Pendulum-v1 (continuous): from random to ≥ −400 within 200k steps.
    @Test func gaussianPolicySwingsUpThePendulum() throws {
        let config = try Self.preset("ppo-pendulum")
        let (before, after) = try Self.train(config)
        print("Pendulum-v1: \(before) → \(after)")
        #expect(before < -900)
        #expect(after >= -400)
    }
}

/// The world-model agent with S4WM's S4 blocks as its memory, trained by its
/// preset (apart from the serialized presets above, so the two long world-model
/// runs can share the machine's cores).
@Suite struct S4WorldModelLearningTests {
    /// Within its preset's 30k env steps the S4 agent learns to balance the
    /// pole: ≥ 150, where random actions last 22 steps and the untrained agent
    /// about 100. The claim is what every seed reached: over seeds 1–10 the
    /// S4 agent ended at 195–500 (mean 419; three seeds let the cart drift
    /// off the track late in training, docs/results.md), and rounding alone
    /// (another kernel, another machine) moves a seed between those
    /// outcomes, so a higher bar would hold only where seed 1 happens to
    /// land well. The GRU agent's test holds the shared machinery to ≥ 450.
    @Test func worldModelAgentWithS4LearnsToBalanceCartPole() throws {
        let config = try PresetLearningTests.preset("dreamer-s4-cartpole")
        #expect(config.algorithm == "dreamer" && config.dreamer.worldModel.backbone.kind == .s4 && config.totalSteps <= 30_000)
        let (before, after) = try PresetLearningTests.train(config)
        print("CartPole-v1, world-model agent (S4): \(before) → \(after)")
        #expect(before < 150)
        #expect(after >= 150)
    }
}

/// The world-model agent learning from pixels: MinAtar Breakout's 10×10×4
/// {0, 1} grids through the grid CNN and the Bernoulli decoder, with the
/// preset's model, batches and train ratio (an update per 4 env steps), on
/// a budget that fits the suite: 8k env steps of which the first 500 are
/// random (the preset: 200k and 5,000), 128 dreams per update (the preset:
/// 256). Random play scores 0.41 an episode (0.54 with all six actions, the
/// golden fixture's 866 episodes); the claim is more than twice that, ≥ 1.
/// Seeds 1–3 of this config evaluate at 1.75, 2.70 and 1.55 (`reverie
/// train`'s 20 episodes, docs/results.md).
@Suite struct WorldModelPixelLearningTests {
    @Test func worldModelAgentLearnsMinAtarBreakoutFromItsGrids() throws {
        var config = try PresetLearningTests.preset("dreamer-gru-minatar-breakout")
        #expect(config.algorithm == "dreamer" && config.env == "MinAtar/Breakout-v1")
        #expect(config.dreamer.batchSize == 8 && config.dreamer.sequenceLength == 32 && config.dreamer.trainRatio == 64)
        config.totalSteps = 8_000
        config.dreamer.prefill = 500
        config.dreamer.imaginationBatch = 128
        let (before, after) = try PresetLearningTests.train(config, stepCap: 10_000)
        print("MinAtar/Breakout-v1, world-model agent (GRU), 8k steps: \(before) → \(after)")
        #expect(before < 1)
        #expect(after >= 1)
    }
}
