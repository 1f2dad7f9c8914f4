import Testing
@testable import ReverieAgents
import ReverieEnvs
import ReverieWorldModels

/// The world-model agent's moving parts on small budgets: continuous
/// actions (DreamerV3's bounded normal actor), the replay's episode
/// bookkeeping, and the train-ratio accounting.
struct DreamerTests {
    static func tiny(_ kind: BackboneConfig.Kind = .gru) -> DreamerConfig {
        var d = DreamerConfig()
        d.worldModel.backbone = BackboneConfig(kind: kind, width: 16, layers: 1, stateSize: 4)
        (d.worldModel.latentGroups, d.worldModel.latentClasses, d.worldModel.units, d.worldModel.layers) = (4, 4, 16, 1)
        (d.actorCriticHidden, d.batchSize, d.sequenceLength, d.context, d.imaginationBatch, d.horizon) = ([16], 4, 8, 4, 8, 5)
        (d.prefill, d.iterationSteps, d.trainRatio, d.replayCapacity) = (64, 32, 4, 4000)
        return d
    }

    static func environment(_ name: String, count: Int = 2) throws -> SyncVectorEnvironment {
        try SyncVectorEnvironment(count: count) { _ in EpisodeStatistics(try Registry.make(name)) }
    }

    /// Pendulum's Box action: the actor's draws are clipped into [−2, 2] for
    /// the env and read by the model in [−1, 1] units; every loss is finite.
    @Test(arguments: BackboneConfig.Kind.allCases)
    func continuousActionsTrainEndToEnd(_ kind: BackboneConfig.Kind) throws {
        let agent = try Dreamer(Self.tiny(kind), environment: try Self.environment("Pendulum-v1"), seed: 1)
        #expect(agent.network.worldModel.actionSize == 1)
        var report = try agent.iterate()
        report = try agent.iterate()
        #expect(agent.updates > 0 && report.metrics.gradientSteps > 0)
        for (tag, value) in report.scalars { #expect(value.isFinite, "\(tag) = \(value)") }
        #expect(report.metrics.policyLoss.isFinite && report.metrics.valueLoss.isFinite)
        let pi = agent.network.policy(.zeros([3, agent.network.worldModel.config.featureSize]))
        var rng = RandomGenerator(seed: 2)
        let raw = pi.sample(using: &rng) + [-7, 7]
        let modelActions = agent.network.modelActions(raw).scalars
        #expect(modelActions.allSatisfy { $0 >= -1 && $0 <= 1 } && modelActions.suffix(2) == [-1, 1])
    }

    /// MinAtar's {0, 1} grids (10×10×C, too small for DreamerV3's stride-2
    /// CNN) get the grid CNN and a Bernoulli decoder on every backbone, and
    /// train with finite losses.
    @Test(arguments: BackboneConfig.Kind.allCases)
    func minAtarGridsTrainEndToEnd(_ kind: BackboneConfig.Kind) throws {
        var config = Self.tiny(kind)
        config.worldModel.cnnDepth = 4
        let agent = try Dreamer(config, environment: try Self.environment("MinAtar/Breakout-v1"), seed: 1)
        #expect(agent.network.worldModel.encoder is GridEncoder)
        #expect((agent.network.worldModel.decoder as? GridDecoder)?.likelihood == .bernoulli)
        var report = try agent.iterate()
        report = try agent.iterate()
        #expect(agent.updates > 0)
        for (tag, value) in report.scalars { #expect(value.isFinite, "\(tag) = \(value)") }
    }

    /// The RSSM's dreams start from the batch's own posterior states: with
    /// `imagination_batch` = B·L every state, in the features' time-major
    /// order (row t·B + s), each with c of its step (a terminal step's is 0),
    /// as constants off the tape.
    @Test func rssmDreamsStartFromTheTrainingBatchStates() throws {
        var config = Self.tiny(.gru)
        (config.batchSize, config.sequenceLength, config.imaginationBatch) = (2, 3, 6)
        let agent = try Dreamer(config, environment: try Self.environment("CartPole-v1"), seed: 4)
        _ = try agent.iterate()
        var rng = RandomGenerator(seed: 5)
        // A batch holding a terminal step, so that the continues' order is tested.
        var batch = try agent.replay.sample(batch: 2, length: 3, using: &rng)
        while !batch.continues.scalars.contains(0) { batch = try agent.replay.sample(batch: 2, length: 3, using: &rng) }
        let seen = agent.network.worldModel.observe(observations: batch.observations, actions: batch.actions,
                                                    isFirst: batch.isFirst, using: &rng)
        let starts = try agent.startingStates(batch, seen)
        let c = batch.continues.scalars  // (B, L): row s·L + t
        #expect(starts.continues == (0..<3).flatMap { t in (0..<2).map { s in c[s * 3 + t] } })
        #expect(starts.state.features.scalars == seen.features.scalars)
        // Taken while the world model's loss records, the starts stay off the tape.
        var offTape = false
        _ = try valueWithGradients(wrt: agent.worldModelOptimizer.parameters) {
            let seen = agent.network.worldModel.observe(observations: batch.observations, actions: batch.actions,
                                                        isFirst: batch.isFirst, using: &rng)
            let starts = try agent.startingStates(batch, seen)
            offTape = seen.features.isRecorded && !starts.state.deterministic.isRecorded && !starts.state.stochastic.isRecorded
                && !starts.state.backbone.parts.contains { $0.isRecorded }
            return seen.features.sum()
        }
        #expect(offTape)
    }

    /// An image no encoder reads is refused before anything is built, naming the space.
    @Test func anUnreadableImageIsAClearError() throws {
        let space = Space.box(low: 0, high: 255, shape: [84, 84, 4], dtype: .uint8)
        var rng = RandomGenerator(seed: 1)
        let error = #expect(throws: AgentError.self) {
            try DreamerNetwork(Self.tiny(), observationSpace: space, actionSpace: .discrete(6), rng: &rng)
        }
        let message = error.map { "\($0)" } ?? ""
        #expect(message.contains("84, 84, 4") && message.contains("divisible by 16"), "\(message)")
    }

    /// Settings that cannot work together are refused, naming them.
    @Test func impossibleSettingsAreClearErrors() throws {
        var config = Self.tiny()
        config.worldModel.backbone.blocks = 3
        #expect(throws: AgentError.invalidConfiguration("world_model.width 16 cannot form world_model.blocks = 3 equal groups")) {
            try Dreamer(config, environment: try Self.environment("CartPole-v1"), seed: 1)
        }
        config = Self.tiny()
        config.replayCapacity = 10
        #expect(throws: AgentError.self) { try Dreamer(config, environment: try Self.environment("CartPole-v1"), seed: 1) }
        config = Self.tiny()
        (config.worldModel.backbone.kind, config.worldModel.backbone.minTimestep, config.worldModel.backbone.maxTimestep) = (.s4, 0.5, 0.1)
        #expect(throws: AgentError.invalidConfiguration("world_model.dt_min 0.5 and dt_max 0.1 must satisfy 0 < dt_min ≤ dt_max")) {
            try Dreamer(config, environment: try Self.environment("CartPole-v1"), seed: 1)
        }
    }

    /// Acting can draw the posterior latent z_t (DreamerV3) or take each
    /// group's most likely class (the default, and evaluation's): draws vary
    /// with the generator where the untrained posterior is unsure, the mode
    /// does not; a run that draws them is as deterministic as one that does not.
    @Test func actingDrawsThePosteriorLatentWhenAsked() throws {
        var config = Self.tiny()
        config.prefill = 0
        let env = try Self.environment("CartPole-v1")
        let network = try Dreamer(config, environment: env, seed: 5).network
        let observations = try env.reset(seed: 1), memory = network.initialMemory(batch: 2)
        func latent(_ generator: RandomGenerator?) -> [Float] {
            var rng = generator
            let (_, _, next) = network.step(observations, memory: memory, sampling: &rng)
            return network.unpack(next).0.stochastic.scalars
        }
        let mode = latent(nil)
        #expect(latent(nil) == mode)
        let draws = (1...4).map { latent(RandomGenerator(seed: UInt64($0))) }
        #expect(Set(draws.map(\.description)).count > 1, "draws of an unsure posterior should differ")
        let k = config.worldModel.latentClasses
        for draw in draws + [mode] {
            #expect(draw.allSatisfy { $0 == 0 || $0 == 1 })
            #expect(stride(from: 0, to: draw.count, by: k).allSatisfy { draw[$0..<($0 + k)].reduce(0, +) == 1 },
                    "each group is one class")
        }

        func run(sampling: Bool) throws -> [Float] {
            config.samplesLatentsWhenActing = sampling
            let agent = try Dreamer(config, environment: try Self.environment("CartPole-v1"), seed: 6)
            for _ in 0..<2 { _ = try agent.iterate() }
            return agent.worldModelOptimizer.parameters.flatMap(\.storedValue.scalars) + [Float(agent.updates)]
        }
        let sampled = try run(sampling: true)
        #expect(try run(sampling: true) == sampled, "the same seed gives the same run")
        #expect(try run(sampling: false) != sampled, "the setting changes what the agent does")
    }

    /// Acting from a window of W observations (Drama's way) gives the state
    /// that carrying it gives had the episode begun W − 1 steps ago: the same
    /// as carried acting while the episode is shorter than the window, a
    /// fresh start W − 1 steps back once it is longer. An episode start
    /// (the memory reset the training loop applies) empties the window.
    /// Every backbone: the RSSM's window runs step by step, S4's and
    /// Mamba's through their parallel scan.
    @Test(arguments: BackboneConfig.Kind.allCases)
    func actingFromAWindowRestartsTheStateWStepsBack(_ kind: BackboneConfig.Kind) throws {
        let env = try Registry.make("CartPole-v1")
        func network(window: Int) throws -> DreamerNetwork {
            var config = Self.tiny(kind)
            config.actingWindow = window
            var rng = RandomGenerator(seed: 3)
            return try DreamerNetwork(config, observationSpace: env.observationSpace, actionSpace: env.actionSpace, rng: &rng)
        }
        let (w, steps, b, restart) = (4, 10, 2, 6)
        let (carried, windowed) = (try network(window: 0), try network(window: w))
        var rng = RandomGenerator(seed: 4)
        let xs = (0..<steps).map { _ in Tensor((0..<(b * 4)).map { _ in 2 * rng.normal() }, shape: [b, 4]) }
        let actions = (0..<steps).map { _ in (0..<b).map { _ in Float(rng.int(below: 2)) } }
        var memory = windowed.initialMemory(batch: b)
        #expect(memory.parts.count == carried.initialMemory(batch: b).parts.count + 3)
        for t in 0..<steps {
            // Row 0's episode starts again at step `restart`.
            let (_, _, next) = windowed.step(xs[t], memory: memory.reset(where: [t == restart, false]))
            let got = windowed.unpack(next).0.features
            for row in 0..<b {
                let from = max(row == 0 && t >= restart ? restart : 0, t - w + 1)
                var m = carried.initialMemory(batch: 1), expected = Tensor([Float]())
                for s in from...t {
                    let (_, _, n) = carried.step(xs[s].slice(row..<(row + 1)), memory: m)
                    expected = carried.unpack(n).0.features
                    m = carried.remember(actions: [actions[s][row]], in: n)
                }
                #expect(got.slice(row..<(row + 1)).isClose(to: expected, relative: 1e-4, absolute: 1e-4),
                        "step \(t), row \(row): the window's state is not a fresh start at step \(from)")
            }
            memory = windowed.remember(actions: actions[t], in: next)
        }
        // A window of one step reads the newest observation alone.
        let one = try network(window: 1)
        let (_, _, next) = one.step(xs[3], memory: one.remember(actions: [1, 0], in: one.initialMemory(batch: b)))
        let (_, _, fresh) = carried.step(xs[3], memory: carried.initialMemory(batch: b))
        #expect(one.unpack(next).0.features.isClose(to: carried.unpack(fresh).0.features, relative: 1e-4, absolute: 1e-4))
    }

    /// `reverie eval --model-error`: the agent plays its own deterministic
    /// episodes (the same ones `evaluate` plays: CartPole pays 1 a step, so
    /// the steps counted are the returns summed) and each span's figures are
    /// the means of |x̂ − x| and |x| over its steps.
    @Test func reconstructionErrorsFollowTheAgentsOwnEpisodes() throws {
        let env = try Registry.make("CartPole-v1")
        var rng = RandomGenerator(seed: 3)
        let network = try DreamerNetwork(Self.tiny(.s4), observationSpace: env.observationSpace, actionSpace: env.actionSpace, rng: &rng)
        let errors = try reconstructionErrors(network, in: env, episodes: 3, seed: 40, span: 4)
        let returns = try evaluate(network, in: env, episodes: 3, seed: 40)
        #expect(errors.counts.reduce(0, +) == Int(returns.reduce(0, +)) && errors.counts.count == (Int(returns.max()!) + 3) / 4)
        #expect(errors.error.count == errors.counts.count && errors.error.allSatisfy { $0.count == 4 })
        // Span 0 by hand: the first four steps of each episode, x̂ from the agent's own memory.
        var sums = [Float](repeating: 0, count: 4), magnitudes = [Float](repeating: 0, count: 4), n = 0
        for k in 0..<3 {
            var observation = env.reset(seed: 40 + UInt64(k)), memory = network.initialMemory(batch: 1)
            for _ in 0..<4 {
                let (pi, _, next) = network.step(Tensor(observation, shape: [1, 4]), memory: memory)
                let decoded = network.worldModel.reconstruction(network.unpack(next).0.features).scalars
                for i in 0..<4 { (sums[i], magnitudes[i]) = (sums[i] + abs(decoded[i] - observation[i]), magnitudes[i] + abs(observation[i])) }
                n += 1
                memory = network.remember(actions: pi.mode, in: next)
                observation = try env.step(network.head.envActions(pi.mode)).observation
            }
        }
        #expect(zip(errors.error[0], sums).allSatisfy { abs($0 - $1 / Float(n)) < 1e-5 } && errors.counts[0] == n)
        #expect(zip(errors.magnitude[0], magnitudes).allSatisfy { abs($0 - $1 / Float(n)) < 1e-6 })
    }

    /// Updates follow `train_ratio`: replayed steps (B·L per update) ≈ ratio × env steps after prefill.
    @Test func updatesFollowTheTrainRatio() throws {
        var config = Self.tiny()
        (config.trainRatio, config.iterationSteps) = (8, 64)
        let agent = try Dreamer(config, environment: try Self.environment("CartPole-v1"), seed: 3)
        for _ in 0..<3 { _ = try agent.iterate() }
        let trained = Float(agent.environmentSteps - config.prefill) * config.trainRatio / Float(config.batchSize * config.sequenceLength)
        #expect(agent.environmentSteps == 3 * 64 * 2)
        #expect(abs(Float(agent.updates) - trained) <= 1, "\(agent.updates) updates for \(trained) owed")
    }

    /// Every observation goes into the replay once, each ended episode's last
    /// observation as a row of its own: rows = env steps + ended episodes.
    @Test func theReplayHoldsEveryObservationAndEachEpisodesLast() throws {
        var config = Self.tiny()
        config.prefill = 10_000   // acting only
        let agent = try Dreamer(config, environment: try Self.environment("CartPole-v1"), seed: 4)
        var ended = 0
        for _ in 0..<4 { ended += try agent.iterate().episodes.count }
        let rows = (0..<2).map { agent.replay.count(stream: $0) }.reduce(0, +)
        #expect(ended > 0 && rows == agent.environmentSteps + ended)
        var rng = RandomGenerator(seed: 5)
        let batch = try agent.replay.sample(batch: 16, length: 8, using: &rng)
        // A terminal row (c = 0) is always followed by an episode's first.
        let continues = batch.continues.scalars
        for i in continues.indices where continues[i] == 0 && i % 8 < 7 { #expect(batch.isFirst[i + 1]) }
    }
}
