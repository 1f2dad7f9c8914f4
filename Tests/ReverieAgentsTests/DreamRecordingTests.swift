import Testing
import ReverieAgents
import ReverieEnvs
import ReverieWorldModels

/// A world-model agent's dream recording, on a pixel game and on CartPole:
/// one frame per step, three panels side by side, the first exactly what
/// the env shows.
struct DreamRecordingTests {
    /// Panel k (0, 1, 2) of a recording's frame (panels `width` wide, 2 pixels apart) as HWC bytes.
    static func panel(_ frame: Frame, _ k: Int, width: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        for y in 0..<frame.height {
            let start = (y * frame.width + k * (width + 2)) * 3
            bytes += frame.pixels[start..<(start + width * 3)]
        }
        return bytes
    }

    @Test func framesShowTheObservationItsReconstructionAndTheDream() throws {
        var config = DreamerConfig()
        config.worldModel.backbone = BackboneConfig(kind: .gru, width: 16, layers: 1)
        (config.worldModel.latentGroups, config.worldModel.latentClasses, config.worldModel.units) = (4, 4, 16)
        (config.worldModel.cnnDepth, config.actorCriticHidden) = (4, [16])
        let env = try Registry.make("PixelCatch?balls=1")
        var rng = RandomGenerator(seed: 1)
        let network = try DreamerNetwork(config, observationSpace: env.observationSpace, actionSpace: env.actionSpace, rng: &rng)
        let (steps, total) = try recordDream(network, in: env, seed: 3, context: 5)
        let frames = steps.map(\.panels)
        // The dream starts imagining at step `context` and counts its open-loop steps.
        #expect(Array(steps.map(\.dreamedSteps).prefix(7)) == [0, 0, 0, 0, 0, 1, 2])

        // The same episode played by `evaluate` has as many steps and the same return.
        let twin = try Registry.make("PixelCatch?balls=1")
        var length = 0
        let returns = try evaluate(network, in: twin, episodes: 1, seed: 3, onFrame: { _ in length += 1 })
        #expect(returns == [total] && frames.count == length && frames.count > 5)
        #expect(frames.allSatisfy { $0.width == 3 * 64 + 4 && $0.height == 64 })

        let panel = { (frame: Frame, k: Int) in Self.panel(frame, k, width: 64) }
        let first: [UInt8] = env.reset(seed: 3).map { UInt8($0) }
        #expect(panel(frames[0], 0) == first)
        // Before the context ends the dream panel is the reconstruction; the gaps are grey.
        #expect(panel(frames[2], 1) == panel(frames[2], 2) && frames[0].pixels[64 * 3] == 128)
    }

    /// An agent acting from a window (`--acting-window`) is recorded acting
    /// from it: the recording's episode is the one `evaluate` plays, which
    /// the window changes (carried acting plays another here).
    @Test func aWindowedAgentIsRecordedActingFromItsWindow() throws {
        func network(window: Int) throws -> DreamerNetwork {
            var config = DreamerTests.tiny(.gru)
            config.actingWindow = window
            let env = try Registry.make("CartPole-v1")
            var rng = RandomGenerator(seed: 1)
            return try DreamerNetwork(config, observationSpace: env.observationSpace, actionSpace: env.actionSpace, rng: &rng)
        }
        let (windowed, carried) = (try network(window: 2), try network(window: 0))
        func play(_ network: DreamerNetwork, seed: UInt64) throws -> Float {
            try evaluate(network, in: try Registry.make("CartPole-v1"), episodes: 1, seed: seed, deterministic: false)[0]
        }
        // An episode (of sampled actions) whose return the window changes.
        let seed = try (UInt64(1)...20).first { try play(windowed, seed: $0) != play(carried, seed: $0) }
        let found = try #require(seed, "the window changes none of 20 episodes; the test cannot tell the two apart")
        let (steps, total) = try recordDream(windowed, in: try Registry.make("CartPole-v1"), seed: found, deterministic: false)
        #expect(total == (try play(windowed, seed: found)) && steps.count == Int(total))
    }

    /// On CartPole (vector observations) the env draws each panel: the first
    /// is its own picture of the step, the others are cart-poles where the
    /// world model puts them.
    @Test func onVectorObservationsTheEnvironmentDrawsThePanels() throws {
        var config = DreamerConfig()
        config.worldModel.backbone = BackboneConfig(kind: .gru, width: 16, layers: 1)
        (config.worldModel.latentGroups, config.worldModel.latentClasses, config.worldModel.units) = (4, 4, 16)
        config.actorCriticHidden = [16]
        let env = try Registry.make("CartPole-v1")
        var rng = RandomGenerator(seed: 1)
        let network = try DreamerNetwork(config, observationSpace: env.observationSpace, actionSpace: env.actionSpace, rng: &rng)
        let frames = try recordDream(network, in: env, seed: 3, context: 5).steps.map(\.panels)
        #expect(frames.count > 5 && frames.allSatisfy { $0.width == 3 * 600 + 4 && $0.height == 400 })
        let twin = try Registry.make("CartPole-v1")
        _ = twin.reset(seed: 3)
        let first = try #require(twin.render())
        let panel = { (frame: Frame, k: Int) in Self.panel(frame, k, width: 600) }
        #expect(panel(frames[0], 0) == first.pixels)
        // The reconstruction panel is a drawn cart-pole too (track, cart, pole), wherever the untrained model puts it.
        let reconstruction = panel(frames[0], 1)
        #expect(reconstruction.count { $0 != 255 } > 3 * 300)
        #expect(!canRecordDream(in: try Registry.make("RepeatFirst")))
    }

    /// On MinAtar's {0, 1} grids the game draws each panel in its colours:
    /// the first is its own picture, the reconstruction a most likely grid
    /// (cells from probability ½), never a raw 10×10×C array.
    @Test func onMinAtarGridsTheGameDrawsThePanels() throws {
        var config = DreamerConfig()
        config.worldModel.backbone = BackboneConfig(kind: .gru, width: 16, layers: 1)
        (config.worldModel.latentGroups, config.worldModel.latentClasses, config.worldModel.units) = (4, 4, 16)
        (config.worldModel.cnnDepth, config.actorCriticHidden) = (4, [16])
        let env = try Registry.make("MinAtar/Breakout-v1")
        var rng = RandomGenerator(seed: 1)
        let network = try DreamerNetwork(config, observationSpace: env.observationSpace, actionSpace: env.actionSpace, rng: &rng)
        let frames = try recordDream(network, in: env, seed: 3, context: 5).steps.map(\.panels)
        #expect(frames.count > 5 && frames.allSatisfy { $0.width == 3 * 160 + 4 && $0.height == 160 })
        let twin = try Registry.make("MinAtar/Breakout-v1")
        let observation = twin.reset(seed: 3)
        let first = try #require(twin.render())
        let panel = { (frame: Frame, k: Int) in Self.panel(frame, k, width: 160) }
        #expect(panel(frames[0], 0) == first.pixels)
        // The game's drawing of an observation is its render; a probability of ½ or more sets a cell.
        let drawing = try #require(twin.observationDrawing)
        #expect(drawing.draw(observation: observation) == first)
        #expect(drawing.draw(observation: observation.map { $0 * 0.6 }) == first)
        #expect(drawing.draw(observation: observation.map { $0 * 0.4 }).pixels.allSatisfy { $0 == 0 })
    }
}
