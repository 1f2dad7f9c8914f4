import Testing
import ReverieWorldModels

/// The world model over each backbone: a replayed sequence seen at once
/// (`observe`, the RSSM step by step, S4WM and Drama through `scan`) equals
/// the same sequence filtered one step at a time as the agent acts
/// (`observeStep`); an episode start isolates what follows from what came
/// before; and the loss trains.
struct WorldModelTests {
    static func model(_ kind: BackboneConfig.Kind, posterior: WorldModelConfig.PosteriorInput? = nil,
                      seed: UInt64 = 1) -> WorldModel {
        var config = WorldModelConfig()
        config.backbone = BackboneConfig(kind: kind, width: 8, layers: 1, stateSize: 4)
        config.posteriorInput = posterior
        (config.latentGroups, config.latentClasses, config.units, config.layers) = (3, 4, 8, 1)
        var rng = RandomGenerator(seed: seed)
        return WorldModel(config, observationShape: [3], actionSize: 2, rng: &rng)
    }

    /// (B, L, O) observations, one-hot actions and episode starts at (b, t) with (b·L + t) % 5 == 3.
    static func sequences(batch: Int, length: Int, seed: UInt64) -> (Tensor, Tensor, [Bool]) {
        var rng = RandomGenerator(seed: seed)
        let observations = Tensor.uniform([batch, length, 3], low: -3, high: 3, using: &rng)
        let actions = Tensor.oneHot((0..<(batch * length)).map { _ in rng.int(below: 2) }, depth: 2).reshaped([batch, length, 2])
        return (observations, actions, (0..<(batch * length)).map { $0 % 5 == 3 })
    }

    /// Row t of every sequence of (B, L, D): (B, D).
    static func column(_ x: Tensor, _ t: Int) -> Tensor {
        let (b, l) = (x.shape[0], x.shape[1])
        return Tensor.concatenate((0..<b).map { x.select($0).slice(t..<(t + 1)) }, axis: 0).reshaped([b, x.count / (b * l)])
    }

    /// Adam (3e-3) on the loss of one fixed batch (no rewards, no endings) for
    /// `steps` steps: the reconstruction term after each.
    static func reconstructionLosses(_ model: WorldModel, _ observations: Tensor, _ actions: Tensor, _ isFirst: [Bool],
                                     steps: Int, rng: inout RandomGenerator) -> [Float] {
        let (b, l) = (observations.shape[0], observations.shape[1])
        let (rewards, continues) = (Tensor.zeros([b, l]), Tensor.ones([b, l]))
        let optimizer = Adam(model, learningRate: 3e-3)
        return (0..<steps).map { _ in
            var reconstruction: Float = 0
            let (_, gradients) = valueWithGradients(wrt: optimizer.parameters) {
                let (loss, terms, _) = model.loss(observations: observations, actions: actions, rewards: rewards,
                                                  continues: continues, isFirst: isFirst, using: &rng)
                reconstruction = terms.reconstruction
                return loss
            }
            optimizer.update(gradients)
            return reconstruction
        }
    }

    @Test(arguments: BackboneConfig.Kind.allCases)
    func observingASequenceEqualsFilteringItStepByStep(_ kind: BackboneConfig.Kind) {
        Self.expectObservingEqualsFiltering(Self.model(kind), kind)
    }

    /// Each backbone with the other posterior (`world_model.posterior`): the
    /// RSSM's reading h_t and x_t runs S4 and Mamba step by step, S4WM's
    /// reading x_t alone runs the GRU through its scan; both still equal
    /// acting's one step at a time, and an episode start still isolates.
    @Test(arguments: BackboneConfig.Kind.allCases)
    func theOtherPosteriorObservesAsItActs(_ kind: BackboneConfig.Kind) {
        let other: WorldModelConfig.PosteriorInput = kind == .gru ? .observation : .state
        let model = Self.model(kind, posterior: other)
        #expect(model.config.posteriorReadsBackbone == (other == .state))
        Self.expectObservingEqualsFiltering(model, kind)
        Self.expectEpisodeStartIsolates(model, kind)
    }

    static func expectObservingEqualsFiltering(_ model: WorldModel, _ kind: BackboneConfig.Kind) {
        let (b, l) = (3, 7)
        let (observations, actions, isFirst) = Self.sequences(batch: b, length: l, seed: 2)
        var rng = RandomGenerator(seed: 9)
        let seen = model.observe(observations: observations, actions: actions, isFirst: isFirst, using: &rng)
        #expect(seen.features.shape == [l * b, 8 + 12])

        // The same draws, in the same order (row t·B + b), one step at a time.
        var generator: RandomGenerator? = RandomGenerator(seed: 9)
        var state = model.initialState(batch: b)
        for t in 0..<l {
            let previous = t == 0 ? Tensor.zeros([b, 2]) : Self.column(actions, t - 1)
            state = model.observeStep(state, action: previous, observation: Self.column(observations, t),
                                      resets: (0..<b).map { t == 0 || isFirst[$0 * l + t] }, using: &generator)
            let expected = seen.features.slice((t * b)..<((t + 1) * b))
            #expect(state.features.isClose(to: expected, absolute: 2e-5), "\(kind) step \(t)")
        }
        #expect(state.features.isClose(to: seen.last.features, absolute: 2e-5))
    }

    /// What a sequence saw before an episode start does not reach past it.
    @Test(arguments: BackboneConfig.Kind.allCases)
    func anEpisodeStartIsolatesWhatFollows(_ kind: BackboneConfig.Kind) {
        Self.expectEpisodeStartIsolates(Self.model(kind), kind)
    }

    static func expectEpisodeStartIsolates(_ model: WorldModel, _ kind: BackboneConfig.Kind) {
        let (b, l, cut) = (2, 8, 4)
        let (observations, actions, _) = Self.sequences(batch: b, length: l, seed: 3)
        let isFirst = (0..<(b * l)).map { $0 % l == cut }
        // Other observations and actions before the cut.
        var rng = RandomGenerator(seed: 4)
        let mask = Tensor((0..<(b * l)).map { $0 % l < cut ? 1 : 0 }, shape: [b, l, 1])
        let otherObservations = observations + mask * Tensor.uniform(observations.shape, low: -1, high: 1, using: &rng)
        let otherActions = actions * (1 - mask) + mask * (1 - actions)
        // Both runs draw the same uniforms row by row, so equal probabilities give equal latents.
        var r1 = RandomGenerator(seed: 5), r2 = RandomGenerator(seed: 5)
        let a = model.observe(observations: observations, actions: actions, isFirst: isFirst, using: &r1)
        let c = model.observe(observations: otherObservations, actions: otherActions, isFirst: isFirst, using: &r2)
        let after = (cut * b)..<(l * b), before = 0..<(cut * b)
        #expect(a.features.slice(after).isClose(to: c.features.slice(after), absolute: 1e-5), "\(kind)")
        #expect(a.posterior.probabilities.slice(after).isClose(to: c.posterior.probabilities.slice(after), absolute: 1e-5))
        #expect(!a.features.slice(before).isClose(to: c.features.slice(before), absolute: 1e-3))
    }

    /// The image encoder and decoder: 16×16 RGB observations (HWC rows,
    /// 0…255) of four prototype pictures; the loss trains and reconstructions
    /// come back as HWC rows in pixel units.
    @Test func imagesAreEncodedDecodedAndLearned() {
        var config = WorldModelConfig()
        config.backbone = BackboneConfig(kind: .s4, width: 8, layers: 1, stateSize: 4)
        (config.latentGroups, config.latentClasses, config.units, config.cnnDepth) = (3, 4, 16, 4)
        var rng = RandomGenerator(seed: 1)
        let model = WorldModel(config, observationShape: [16, 16, 3], actionSize: 2, rng: &rng)
        #expect(model.encoder is PixelEncoder && model.encoder.outputSize == 32 * 1 * 1)
        let (b, l) = (2, 6)
        // Picture k: a bright square in quadrant k, each in its own colour, on black.
        let pictures = (0..<4).map { k in
            (0..<256).flatMap { p -> [Float] in
                let (y, x) = (p / 16, p % 16)
                return (y / 8) * 2 + x / 8 == k ? [Float(k % 2) * 255, 200, Float(k / 2) * 255] : [0, 0, 0]
            }
        }
        let observations = Tensor((0..<(b * l)).flatMap { pictures[$0 % 4] }, shape: [b, l, 768])
        let (_, actions, isFirst) = Self.sequences(batch: b, length: l, seed: 3)
        let losses = Self.reconstructionLosses(model, observations, actions, isFirst, steps: 100, rng: &rng)
        #expect(losses.last! < 0.2 * losses.first!, "image reconstruction loss \(losses.first!) → \(losses.last!)")
        var generator: RandomGenerator? = nil
        let state = model.observeStep(model.initialState(batch: 1), action: .zeros([1, 2]),
                                      observation: Tensor(pictures[0], shape: [1, 768]), resets: [true], using: &generator)
        let picture = model.reconstruction(state.features)
        #expect(picture.shape == [1, 768] && picture.scalars.allSatisfy { $0 >= 0 && $0 <= 255 })
    }

    /// MinAtar-sized {0, 1} grids (10×10×4, HWC rows): the grid CNN reads
    /// them, a Bernoulli likelihood decodes them, the loss trains, and after
    /// training each cell of the batch, seen again, rounds to itself.
    @Test func binaryGridsAreEncodedDecodedAndLearned() {
        var config = WorldModelConfig()
        config.backbone = BackboneConfig(kind: .s4, width: 8, layers: 1, stateSize: 4)
        (config.latentGroups, config.latentClasses, config.units, config.cnnDepth) = (3, 4, 16, 4)
        var rng = RandomGenerator(seed: 1)
        let model = WorldModel(config, observationShape: [10, 10, 4], binary: true, actionSize: 2, rng: &rng)
        #expect(model.encoder is GridEncoder && model.encoder.outputSize == 4 * 10 * 10)
        #expect((model.decoder as? GridDecoder)?.likelihood == .bernoulli)
        let (b, l) = (2, 6)
        // Grid k: a 3-cell bar in channel k, at row 2k, and one cell in channel (k + 1) % 4.
        let grids = (0..<4).map { k in
            (0..<400).map { i -> Float in
                let (cell, channel) = (i / 4, i % 4), (y, x) = (cell / 10, cell % 10)
                if channel == k && y == 2 * k && (3..<6).contains(x) { return 1 }
                return channel == (k + 1) % 4 && y == 9 - k && x == 2 * k ? 1 : 0
            }
        }
        let observations = Tensor((0..<(b * l)).flatMap { grids[$0 % 4] }, shape: [b, l, 400])
        let (_, actions, isFirst) = Self.sequences(batch: b, length: l, seed: 3)
        let losses = Self.reconstructionLosses(model, observations, actions, isFirst, steps: 1000, rng: &rng)
        // At the start every cell costs about log 2 nats: 400 cells ≈ 277.
        #expect(losses.first! > 100 && losses.last! < 0.02 * losses.first!, "grid log-loss \(losses.first!) → \(losses.last!)")
        // The batch seen again: each row's probabilities round to its grid, cell for cell.
        let seen = model.observe(observations: observations, actions: actions, isFirst: isFirst, using: &rng)
        let probabilities = model.reconstruction(seen.features)  // time-major rows t·B + b
        #expect(probabilities.shape == [l * b, 400] && probabilities.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        for row in 0..<(l * b) {
            let (t, s) = (row / b, row % b), grid = grids[(s * l + t) % 4]
            let rebuilt = probabilities.select(row).scalars.map { $0 > 0.5 ? Float(1) : 0 }
            let wrong = zip(rebuilt, grid).filter { $0 != $1 }.count
            #expect(wrong == 0, "step \(t) of sequence \(s): \(wrong) of 400 cells rebuilt wrong")
        }
    }

    /// Which coding reads which shape, and a clear refusal for the rest.
    @Test func theCodingIsChosenByTheObservationShape() throws {
        #expect(try ObservationCoding.choose(for: [7]) == .vector)
        #expect(try ObservationCoding.choose(for: [64, 64, 3]) == .pixels)
        #expect(try ObservationCoding.choose(for: [16, 16, 3]) == .pixels)
        #expect(try ObservationCoding.choose(for: [10, 10, 7]) == .grid)
        #expect(try ObservationCoding.choose(for: [32, 20, 1]) == .grid)
        let refusal = #expect(throws: ObservationCodingError.self) { try ObservationCoding.choose(for: [84, 84, 4]) }
        #expect(refusal.map { "\($0)" }?.contains("[84, 84, 4]") == true)
        #expect(refusal.map { "\($0)" }?.contains("divisible by 16") == true)
        #expect(throws: ObservationCodingError.self) { try ObservationCoding.choose(for: [4, 4]) }
    }

    /// Adam on the loss of one fixed batch whose observations are four
    /// prototypes (a latent can name each): every term falls.
    @Test(arguments: BackboneConfig.Kind.allCases)
    func theLossTrains(_ kind: BackboneConfig.Kind) {
        let model = Self.model(kind)
        let (b, l) = (4, 10)
        let (_, actions, isFirst) = Self.sequences(batch: b, length: l, seed: 6)
        let prototypes: [[Float]] = [[2, -1, 0.5], [-2, 1, 0], [0, 2, -2], [1, 1, 1]]
        var draw = RandomGenerator(seed: 8)
        let observations = Tensor((0..<(b * l)).flatMap { _ in prototypes[draw.int(below: 4)] }, shape: [b, l, 3])
        let rewards = observations.slice(0..<1, axis: 2).reshaped([b, l]).tanh()
        let continues = Tensor((0..<(b * l)).map { $0 % 7 == 6 ? 0 : 1 }, shape: [b, l])
        let optimizer = Adam(model, learningRate: 3e-3)
        var rng = RandomGenerator(seed: 7)
        var first: WorldModel.Losses?, last: WorldModel.Losses?
        for _ in 0..<150 {
            var terms: WorldModel.Losses?
            let (_, gradients) = valueWithGradients(wrt: optimizer.parameters) {
                let (loss, t, _) = model.loss(observations: observations, actions: actions, rewards: rewards,
                                              continues: continues, isFirst: isFirst, using: &rng)
                terms = t
                return loss
            }
            optimizer.update(gradients)
            if first == nil { first = terms }
            last = terms
        }
        let (f, z) = (first!, last!)
        #expect(z.reconstruction < 0.3 * f.reconstruction, "\(kind): reconstruction \(f.reconstruction) → \(z.reconstruction)")
        #expect(z.reward < 0.5 * f.reward, "\(kind): reward \(f.reward) → \(z.reward)")
        #expect(z.continuation < 0.5 * f.continuation, "\(kind): continue \(f.continuation) → \(z.continuation)")
        #expect(z.total < 0.5 * f.total)
    }
}
