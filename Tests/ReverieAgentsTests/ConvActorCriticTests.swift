import Testing
@testable import ReverieAgents
import ReverieEnvs

/// Which network `PolicySpec` builds for image observations, and the errors
/// for the ones it cannot build.
@Suite struct ConvActorCriticTests {
    static let pixels = Space.box(low: 0, high: 255, shape: [64, 64, 3], dtype: .uint8)
    static let grid = Space.box(low: 0, high: 1, shape: [10, 10, 4])

    @Test func imagesGetAConvolutionalTrunkByDefaultAndVectorsMLPs() throws {
        var rng = RandomGenerator(seed: 1)
        let spec = PolicySpec()
        let nature = try #require(try spec.make(observationSpace: Self.pixels, actionSpace: .discrete(3), rng: &rng) as? ConvActorCritic)
        #expect(nature.encoder.kind == .nature && nature.encoder.scale == 1 / 255)
        let minatar = try #require(try spec.make(observationSpace: Self.grid, actionSpace: .discrete(6), rng: &rng) as? ConvActorCritic)
        #expect(minatar.encoder.kind == .minatar && minatar.encoder.scale == 1)
        // MinAtar's 0/1 grids as bytes are not scaled as pixels are.
        let bytes = Space.box(low: 0, high: 1, shape: [10, 10, 4], dtype: .uint8)
        let grid = try #require(try spec.make(observationSpace: bytes, actionSpace: .discrete(6), rng: &rng) as? ConvActorCritic)
        #expect(grid.encoder.scale == 1)
        #expect(try spec.make(observationSpace: .box(low: -1, high: 1, shape: [4]), actionSpace: .discrete(2), rng: &rng) is ActorCritic)
        // An MLP over raw pixels is there when asked for.
        var mlp = spec
        mlp.encoder = .mlp
        #expect(try mlp.make(observationSpace: Self.pixels, actionSpace: .discrete(3), rng: &rng) is ActorCritic)
    }

    /// Discrete and MultiDiscrete observations reach the MLPs (or the cell) as
    /// one-hot features by default, as integers when `mlp` is asked for; the
    /// policy still reads the raw integers it is given.
    @Test func discreteObservationsAreOneHotByDefault() throws {
        var rng = RandomGenerator(seed: 5)
        let spec = PolicySpec(hidden: [8])
        let flat = try #require(try spec.make(observationSpace: .multiDiscrete([2, 4]), actionSpace: .discrete(4), rng: &rng) as? ActorCritic)
        #expect(flat.observationSize == 2 && flat.actor.layers[0].inFeatures == 6)
        // Equal to the same MLPs over the one-hot rows written out by hand.
        let raw = Tensor([1, 3, 0, 0], shape: [2, 2]), onehot = Tensor([0, 1, 0, 0, 0, 1, 1, 0, 1, 0, 0, 0], shape: [2, 6])
        #expect(flat(raw).1.isClose(to: flat.critic(onehot).reshaped([2])))
        let recurrent = PolicySpec(hidden: [], memory: .gru, memorySize: 8, encoderSize: 5)
        let cell = try #require(try recurrent.make(observationSpace: .discrete(4), actionSpace: .discrete(4), rng: &rng) as? RecurrentActorCritic)
        #expect(cell.observationSize == 1 && cell.encoder?.outputSize == 5)
        #expect(((cell.encoder as? ChainedEncoder)?.first as? OneHotEncoder)?.sizes == [4])
        var integers = spec
        integers.encoder = .mlp
        let raw1 = try #require(try integers.make(observationSpace: .discrete(4), actionSpace: .discrete(4), rng: &rng) as? ActorCritic)
        #expect(raw1.encoder == nil && raw1.actor.layers[0].inFeatures == 1)
        // A value its space does not allow gives a block of zeros, not a crash.
        #expect(OneHotEncoder(sizes: [3])(Tensor([5, -1, 1.5, 2], shape: [4, 1])).scalars == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
    }

    @Test func aConvolutionalPolicyActsAndUnrollsOverBatches() throws {
        var rng = RandomGenerator(seed: 2)
        let policy = try ConvActorCritic(.nature, observationSpace: Self.pixels, head: .categorical(3), rng: &rng)
        let observations = Tensor.uniform([5, 64 * 64 * 3], low: 0, high: 255, using: &rng)
        let (pi, values, _) = policy.step(observations, memory: policy.initialMemory(batch: 5))
        #expect(values.shape == [5] && pi.sample(using: &rng).count == 5)
        let (_, unrolled) = policy.unroll(observations.reshaped([5, 1, -1]), from: .none, starts: Array(repeating: false, count: 5))
        #expect(unrolled.isClose(to: values))
    }

    @Test func encodersThatCannotReadTheObservationsAreClearErrors() {
        var rng = RandomGenerator(seed: 3)
        var nature = PolicySpec()
        nature.encoder = .nature
        #expect {
            _ = try nature.make(observationSpace: .box(low: -1, high: 1, shape: [4]), actionSpace: .discrete(2), rng: &rng)
        } throws: { error in
            "\(error)".contains("policy.encoder = \"nature\" reads images") && "\(error)".contains("Box")
        }
        #expect(throws: AgentError.self) { _ = try nature.make(observationSpace: Self.grid, actionSpace: .discrete(2), rng: &rng) }
    }

    /// CNN → LSTM (CleanRL's ppo_atari_lstm shape): stepping equals unrolling,
    /// and an episode that starts mid-sequence sees nothing of the one before.
    @Test(arguments: [RecurrentActorCritic.CellKind.lstm, .gru])
    func aRecurrentPolicyFromPixelsStepsAsItUnrollsAndResets(cell: RecurrentActorCritic.CellKind) throws {
        var rng = RandomGenerator(seed: 4)
        let spec = PolicySpec(hidden: [], memory: cell, memorySize: 16, encoder: .auto)
        let policy = try #require(try spec.make(observationSpace: Self.grid, actionSpace: .discrete(3), rng: &rng) as? RecurrentActorCritic)
        #expect((policy.encoder as? ImageEncoder)?.kind == .minatar && policy.observationSize == 400)
        // T = 4 steps of B = 2 envs; env 1 starts a new episode at step 2.
        let (steps, batch) = (4, 2)
        let observations = Tensor.uniform([steps, batch, 400], low: 0, high: 1, using: &rng)
        let starts = [false, false, false, false, false, true, false, false]
        let (_, unrolled) = policy.unroll(observations, from: policy.initialMemory(batch: batch), starts: starts)
        var memory = policy.initialMemory(batch: batch)
        var stepped: [Float] = []
        for t in 0..<steps {
            let (_, values, next) = policy.step(observations.select(t), memory: memory.reset(where: Array(starts[t * batch ..< (t + 1) * batch])))
            stepped += values.scalars
            memory = next
        }
        #expect(Tensor(stepped).isClose(to: unrolled, relative: 1e-5, absolute: 1e-6))
        // Env 1 from step 2 alone, from a fresh memory.
        var fresh = policy.initialMemory(batch: 1)
        for t in 2..<steps {
            let (_, values, next) = policy.step(observations.select(t).slice(1..<2), memory: fresh)
            #expect(abs(values.scalars[0] - unrolled.scalars[t * batch + 1]) <= 1e-5 * (1 + abs(values.scalars[0])))
            fresh = next
        }
    }
}
