/// A world model whose memory is any `SequenceBackbone` (DreamerV3's RSSM,
/// S4WM, Drama), for vector or pixel observations (an MLP on symlog x, or a
/// CNN; `ObservationCoding.swift`). With x_t the observation, a_t the action
/// taken at it, and z_t a latent of G categoricals of K classes:
///
///     e_t = enc(x_t)                                        encoder
///     h_t = backbone(u_t),  u_t = in([z_{t−1}, a_{t−1}])    deterministic state (reset: u = in(0), state 0)
///     z_t ~ q(z_t | h_t, e_t)   RSSM (backbone .gru)        posterior, 1% unimix, straight-through
///     z_t ~ q(z_t | e_t)        S4WM, Drama (.s4, .mamba)   (`WorldModelConfig.posteriorInput` swaps them)
///     ẑ_t ~ p(ẑ_t | h_t)                                    prior (the dynamics)
///     f_t = [h_t, z_t]          x̂_t = dec(f_t),  r̂_t, ĉ_t from heads of f_t
///
/// Replay rows follow DreamerV3: r_t is the reward received on arriving at
/// x_t, c_t = 0 where x_t is terminal. The loss of a sequence (eq. 5 of the
/// DreamerV3 paper, with its weights) is
///
///     L = −log p(x_t | f_t) − log p(r_t | f_t) − log p(c_t | f_t)
///       + β_dyn·max(1, KL(sg q ‖ p)) + β_rep·max(1, KL(q ‖ sg p))
///
/// averaged over the batch; −log p(x | f) is the squared error of symlog x
/// (vectors) or of x/255 (pixels), or the Bernoulli log-loss of {0, 1}
/// observations (MinAtar's grids), summed over the observation. Because S4WM's and Drama's posterior reads the
/// observation only, all their latents are sampled at once and the whole
/// sequence runs through the backbone's parallel `scan`; the RSSM's posterior
/// needs h_t first, so its sequence runs step by step (as does any backbone
/// given that posterior).
///
/// Sequences sampled from replay start mid-episode: their first step starts
/// from the initial state, and its KL terms are left out (the prior there has
/// seen nothing) unless it truly opens an episode.
public final class WorldModel: Module {
    public let config: WorldModelConfig
    /// O and A: widths of a flat observation and of an action as the model reads it (one-hot for discrete).
    public let observationSize: Int, actionSize: Int
    public let encoder: any ObservationEncoder
    /// in(·): [z_{t−1}, a_{t−1}] → the backbone's input.
    public let dynamicsInput: NormMLP
    public let backbone: any SequenceBackbone
    /// h_t → logits of p(ẑ_t | h_t).
    public let prior: NormMLP
    /// e_t (and h_t for the RSSM) → logits of q(z_t | ·).
    public let posterior: NormMLP
    public let decoder: any ObservationDecoder
    /// f_t → logits over the reward's symlog bins (zero-initialised output, as DreamerV3).
    public let reward: NormMLP
    /// f_t → the logit of c_t (the episode continues).
    public let continuation: NormMLP
    public let twoHot: SymlogTwoHot

    /// - Parameters:
    ///   - observationShape: [O] for vectors, [H, W, C] for images (`ObservationCoding.choose` must accept it).
    ///   - binary: the observations' values are 0 or 1 (MinAtar's grids): images are read as x − 0.5
    ///     rather than x/255 − 0.5 and decoded by a Bernoulli likelihood.
    public init(_ config: WorldModelConfig, observationShape: [Int], binary: Bool = false, actionSize: Int,
                rng: inout RandomGenerator) {
        self.config = config
        (observationSize, self.actionSize) = (observationShape.reduce(1, *), actionSize)
        let u = config.units
        let (h, latent, feature) = (config.backbone.width, config.latentSize, config.featureSize)
        let coding: ObservationCoding
        do { coding = try ObservationCoding.choose(for: observationShape) } catch { preconditionFailure("\(error)") }
        let (scale, likelihood): (Float, ObservationLikelihood) = binary ? (1, .bernoulli) : (1 / 255, .squaredError)
        switch coding {
        case .vector:
            encoder = VectorEncoder(observationSize: observationSize, units: u, layers: config.layers, rng: &rng)
        case .pixels:
            encoder = PixelEncoder(height: observationShape[0], width: observationShape[1], channels: observationShape[2],
                                   depth: config.cnnDepth, scale: scale, rng: &rng)
        case .grid:
            encoder = GridEncoder(height: observationShape[0], width: observationShape[1], channels: observationShape[2],
                                  depth: config.cnnDepth, scale: scale, rng: &rng)
        }
        dynamicsInput = NormMLP(latent + actionSize, hidden: [u], nil, rng: &rng)
        backbone = config.backbone.make(inputSize: u, rng: &rng)
        prior = NormMLP(h, hidden: [u], latent, rng: &rng)
        posterior = NormMLP(encoder.outputSize + (config.posteriorReadsBackbone ? h : 0), hidden: [u], latent, rng: &rng)
        switch coding {
        case .vector:
            decoder = VectorDecoder(featureSize: feature, observationSize: observationSize, units: u, layers: config.layers, rng: &rng)
        case .pixels:
            decoder = PixelDecoder(featureSize: feature, height: observationShape[0], width: observationShape[1],
                                   channels: observationShape[2], depth: config.cnnDepth, likelihood: likelihood, scale: scale,
                                   rng: &rng)
        case .grid:
            decoder = GridDecoder(featureSize: feature, height: observationShape[0], width: observationShape[1],
                                  channels: observationShape[2], depth: config.cnnDepth, likelihood: likelihood, scale: scale,
                                  rng: &rng)
        }
        reward = NormMLP(feature, hidden: [u], config.rewardBins, outputInit: .zeros, rng: &rng)
        continuation = NormMLP(feature, hidden: [u], 1, rng: &rng)
        twoHot = SymlogTwoHot(binCount: config.rewardBins)
    }

    // MARK: - State

    /// Where B rows of the model stand after step t: the backbone's state,
    /// h_t (B, H) and z_t (B, G·K).
    public struct State {
        public var backbone: RecurrentState
        public var deterministic: Tensor
        public var stochastic: Tensor

        public init(backbone: RecurrentState, deterministic: Tensor, stochastic: Tensor) {
            (self.backbone, self.deterministic, self.stochastic) = (backbone, deterministic, stochastic)
        }

        /// f_t = [h_t, z_t], (B, H + G·K).
        public var features: Tensor { Tensor.concatenate([deterministic, stochastic], axis: -1) }

        /// The state as one list: [backbone parts…, h_t, z_t].
        public var parts: [Tensor] { backbone.parts + [deterministic, stochastic] }

        /// The state `parts` lists.
        public init(parts: [Tensor]) {
            precondition(parts.count >= 2, "a world-model state has at least h and z, got \(parts.count) parts")
            let k = parts.count - 2
            self.init(backbone: RecurrentState(Array(parts[..<k])), deterministic: parts[k], stochastic: parts[k + 1])
        }

        /// Rows `indices` of every part, as constants (no gradient).
        public func rows(_ indices: [Int]) -> State { State(parts: RecurrentState(parts).rows(indices).parts) }
    }

    /// B rows before anything was seen: all zeros.
    public func initialState(batch: Int) -> State {
        State(backbone: backbone.initialState(batch: batch), deterministic: .zeros([batch, config.backbone.width]),
              stochastic: .zeros([batch, config.latentSize]))
    }

    func latent(_ logits: Tensor) -> OneHotCategorical {
        OneHotCategorical(logits: logits.reshaped([logits.count / config.latentSize, config.latentGroups, config.latentClasses]),
                          unimix: config.unimix)
    }

    /// A flat latent from a distribution: a straight-through sample, or the mode without a generator.
    func draw(_ distribution: OneHotCategorical, _ rng: inout RandomGenerator?) -> Tensor {
        let z = rng == nil ? distribution.mode : distribution.sample(using: &rng!)
        return z.reshaped([z.shape[0], config.latentSize])
    }

    // MARK: - Acting and imagining, one step at a time

    /// The posterior state at x_t from the state after t − 1 and a_{t−1}.
    /// - Parameters:
    ///   - observation: (B, O) x_t.
    ///   - action: (B, A) a_{t−1} as the model reads it.
    ///   - resets: (B) rows where x_t opens an episode (state, z and a start from zero).
    ///   - rng: sample z_t; nil takes the mode.
    public func observeStep(_ state: State, action: Tensor, observation: Tensor, resets: [Bool],
                            using rng: inout RandomGenerator?) -> State {
        // Where x_t opens an episode, z_{t−1} and a_{t−1} read as zeros; the backbone resets its own state.
        var (previousLatent, previousAction) = (state.stochastic, action)
        if resets.contains(true) {
            let keep = Tensor(resets.map { $0 ? 0 : 1 }, shape: [resets.count, 1])
            (previousLatent, previousAction) = (previousLatent * keep, previousAction * keep)
        }
        let (h, next, logits) = posteriorStep(previousLatent, previousAction, state.backbone, resets: resets,
                                              embedding: encoder(observation))
        return State(backbone: next, deterministic: h, stochastic: draw(latent(logits), &rng))
    }

    /// One step of the sequence model and the posterior (DreamerV3 §2's
    /// RSSM): h_t = f(h_{t−1}, z_{t−1}, a_{t−1}), then the logits of
    /// q(z_t | h_t, e_t) (of e_t alone for a parallel backbone).
    /// - Parameters:
    ///   - latent: (B, G·K) z_{t−1}, and `action` (B, A) a_{t−1}: both
    ///     already zero in rows that open an episode.
    ///   - embedding: (B, E) e_t, the encoder's reading of x_t.
    /// - Returns: (B, H) h_t, the backbone's state after the step, and (B, G·K) logits.
    private func posteriorStep(_ latent: Tensor, _ action: Tensor, _ state: RecurrentState, resets: [Bool],
                               embedding e: Tensor) -> (h: Tensor, next: RecurrentState, logits: Tensor) {
        let u = dynamicsInput(Tensor.concatenate([latent, action], axis: -1))
        let (h, next) = backbone.step(u, state, resets: resets)
        return (h, next, posterior(config.posteriorReadsBackbone ? Tensor.concatenate([h, e], axis: -1) : e))
    }

    /// One imagined step: h_{t+1} from (z_t, a_t), and ẑ_{t+1} drawn from the prior.
    /// - Parameter action: (B, A) a_t as the model reads it.
    public func imagineStep(_ state: State, action: Tensor, using rng: inout RandomGenerator?) -> State {
        let u = dynamicsInput(Tensor.concatenate([state.stochastic, action], axis: -1))
        let (h, next) = backbone.step(u, state.backbone, resets: Array(repeating: false, count: u.shape[0]))
        return State(backbone: next, deterministic: h, stochastic: draw(latent(prior(h)), &rng))
    }

    /// (B) r̂ = symexp of the reward head's expected bin.
    public func predictedReward(_ features: Tensor) -> Tensor { twoHot.expectation(logits: reward(features)) }

    /// (B) P(c = 1): the episode goes on after this state.
    public func continueProbability(_ features: Tensor) -> Tensor {
        continuation(features).reshaped([features.shape[0]]).sigmoid()
    }

    /// (B, O) the decoded observation, in the observation's units.
    public func reconstruction(_ features: Tensor) -> Tensor { decoder.reconstruction(features) }

    // MARK: - Sequences

    /// A batch of sequences seen through the model, time-major: row t·B + b.
    public struct Observation {
        /// (L·B, H + G·K) f_t = [h_t, z_t].
        public var features: Tensor
        public var posterior: OneHotCategorical
        public var prior: OneHotCategorical
        /// The state after each sequence's last step.
        public var last: State
        /// The state after every step, rows as `features` (t·B + b), as
        /// constants (no gradient): the RSSM's only (`posteriorReadsBackbone`),
        /// whose steps run one at a time; a parallel scan keeps no per-step state.
        public var states: State?
    }

    /// Runs B sequences of L steps through the model (differentiable): the
    /// RSSM one step at a time, a parallel backbone in one scan.
    /// - Parameters:
    ///   - observations: (B, L, O).
    ///   - actions: (B, L, A), a_t taken at x_t.
    ///   - isFirst: B·L flags, row b·L + t: x_t opens an episode.
    public func observe(observations: Tensor, actions: Tensor, isFirst: [Bool], using rng: inout RandomGenerator) -> Observation {
        var generator: RandomGenerator? = rng
        defer { rng = generator! }
        return observe(observations: observations, actions: actions, isFirst: isFirst, sampling: &generator)
    }

    /// `observe` with each latent drawn by `rng`, or its mode where `rng` is
    /// nil (acting from a window of recent steps: `DreamerNetwork`).
    public func observe(observations: Tensor, actions: Tensor, isFirst: [Bool],
                        sampling rng: inout RandomGenerator?) -> Observation {
        precondition(observations.rank == 3 && observations.shape[2] == observationSize
                     && actions.shape == [observations.shape[0], observations.shape[1], actionSize],
                     "observe needs observations (B, L, \(observationSize)) and actions (B, L, \(actionSize)), "
                     + "got \(observations.shape) and \(actions.shape)")
        let (b, l) = (observations.shape[0], observations.shape[1])
        // Every sequence starts from the initial state; episode starts inside it reset too.
        let resets = (0..<l).flatMap { t in (0..<b).map { t == 0 || isFirst[$0 * l + t] } }  // time-major
        let keep = Tensor(resets.map { $0 ? 0 : 1 }, shape: [l, b, 1])
        // a_{t−1} at row (t, b): the actions shifted one step later, zero where a sequence or episode starts.
        let a = actions.swappingLeadingAxes()
        let previousActions = Tensor.concatenate([.zeros([1, b, actionSize]), a.slice(0..<(l - 1))], axis: 0) * keep
        let embeddings = encoder(observations.swappingLeadingAxes().reshaped([l * b, observationSize]))
        let sequences = Sequences(batch: b, length: l, resets: resets, keep: keep, previousActions: previousActions,
                                  embeddings: embeddings)
        return config.posteriorReadsBackbone ? observeStepwise(sequences, using: &rng) : observeParallel(sequences, using: &rng)
    }

    /// What `observe` prepares for either path, time-major (row t·B + b).
    private struct Sequences {
        var batch: Int, length: Int
        /// L·B flags: x_t opens a sequence or an episode.
        var resets: [Bool]
        /// (L, B, 1) 0 where `resets`, else 1.
        var keep: Tensor
        /// (L, B, A) a_{t−1}, zero where `resets`.
        var previousActions: Tensor
        /// (L·B, E) e_t.
        var embeddings: Tensor
    }

    /// The RSSM: z_t is drawn from a posterior that reads h_t, so the steps
    /// run one after another. Keeps every step's state (for dreams).
    private func observeStepwise(_ s: Sequences, using rng: inout RandomGenerator?) -> Observation {
        let (b, l) = (s.batch, s.length)
        var state = backbone.initialState(batch: b), previous = Tensor.zeros([b, config.latentSize])
        var hs: [Tensor] = [], zs: [Tensor] = [], logits: [Tensor] = [], backboneStates: [RecurrentState] = []
        for t in 0..<l {
            let rows = (t * b)..<((t + 1) * b)
            let (ht, next, qt) = posteriorStep(previous * s.keep.select(t), s.previousActions.select(t), state,
                                               resets: Array(s.resets[rows]), embedding: s.embeddings.slice(rows))
            previous = draw(latent(qt), &rng)
            (state, hs, zs, logits) = (next, hs + [ht], zs + [previous], logits + [qt])
            backboneStates.append(next)
        }
        let (h, z) = (Tensor.concatenate(hs), Tensor.concatenate(zs))
        let everyState = State(backbone: RecurrentState(concatenating: backboneStates), deterministic: h.detached, stochastic: z.detached)
        return observation(h: h, z: z, posteriorLogits: Tensor.concatenate(logits), last: state, batch: b, states: everyState)
    }

    /// A parallel backbone (S4, Mamba): the posterior reads e_t alone, so
    /// every z_t is drawn at once and the backbone scans all L steps.
    private func observeParallel(_ s: Sequences, using rng: inout RandomGenerator?) -> Observation {
        let (b, l) = (s.batch, s.length)
        let posteriorLogits = posterior(s.embeddings)
        let z = draw(latent(posteriorLogits), &rng).reshaped([l, b, config.latentSize])
        let previous = Tensor.concatenate([.zeros([1, b, config.latentSize]), z.slice(0..<(l - 1))], axis: 0) * s.keep
        let u = dynamicsInput(Tensor.concatenate([previous, s.previousActions], axis: -1))
        // The scan reads batch-major rows (b, t).
        let (outputs, last) = backbone.scan(u.swappingLeadingAxes(), backbone.initialState(batch: b),
                                            resets: (0..<b).flatMap { row in (0..<l).map { s.resets[$0 * b + row] } })
        let h = outputs.swappingLeadingAxes().reshaped([l * b, config.backbone.width])
        return observation(h: h, z: z.reshaped([l * b, config.latentSize]), posteriorLogits: posteriorLogits, last: last,
                           batch: b, states: nil)
    }

    /// The `Observation` of (L·B, ·) time-major h, z and posterior logits.
    private func observation(h: Tensor, z: Tensor, posteriorLogits: Tensor, last: RecurrentState, batch b: Int,
                             states: State?) -> Observation {
        let lastRows = (h.shape[0] - b)..<h.shape[0]
        return Observation(features: Tensor.concatenate([h, z], axis: -1), posterior: latent(posteriorLogits),
                           prior: latent(prior(h)),
                           last: State(backbone: last, deterministic: h.slice(lastRows), stochastic: z.slice(lastRows)),
                           states: states)
    }

    /// The world model's terms, each averaged over the batch (what DreamerV3
    /// logs, so a stalled run shows which part stalls).
    public struct Losses: Sendable {
        /// −log p(x | f), −log p(r | f), −log p(c | f).
        public var reconstruction: Float, reward: Float, continuation: Float
        /// KL(q ‖ p) before free bits, in nats per step.
        public var kl: Float
        /// The dynamics and representation losses after free bits (before β_dyn and β_rep).
        public var dynamics: Float, representation: Float
        /// H[p(ẑ_t | h_t)] and H[q(z_t | ·)], in nats per step (summed over the G groups).
        public var priorEntropy: Float, posteriorEntropy: Float
        public var total: Float

        public init(reconstruction: Float = 0, reward: Float = 0, continuation: Float = 0, kl: Float = 0,
                    dynamics: Float = 0, representation: Float = 0, priorEntropy: Float = 0, posteriorEntropy: Float = 0,
                    total: Float = 0) {
            (self.reconstruction, self.reward, self.continuation, self.kl) = (reconstruction, reward, continuation, kl)
            (self.dynamics, self.representation, self.priorEntropy, self.posteriorEntropy) = (dynamics, representation,
                                                                                                priorEntropy, posteriorEntropy)
            self.total = total
        }
    }

    /// L of a replayed batch (see the type's doc), with its terms, and the
    /// sequences as the model saw them.
    /// - Parameters:
    ///   - rewards: (B, L) r_t, received on arriving at x_t.
    ///   - continues: (B, L) c_t, 0 where x_t is terminal.
    public func loss(observations: Tensor, actions: Tensor, rewards: Tensor, continues: Tensor, isFirst: [Bool],
                     using rng: inout RandomGenerator) -> (loss: Tensor, terms: Losses, observation: Observation) {
        let (b, l) = (observations.shape[0], observations.shape[1])
        let seen = observe(observations: observations, actions: actions, isFirst: isFirst, using: &rng)
        let f = seen.features
        let timeMajor = { (x: Tensor) in x.reshaped([b, l, 1]).swappingLeadingAxes().reshaped([l * b]) }
        let targets = observations.swappingLeadingAxes().reshaped([l * b, observationSize])
        let reconstruction = decoder.loss(f, targets: targets).mean()
        let rewardLoss = twoHot.crossEntropy(logits: reward(f), targets: timeMajor(rewards)).mean()
        let continueLoss = -Bernoulli(logits: continuation(f).reshaped([l * b])).logProb(timeMajor(continues)).mean()
        // KL balancing with free bits over the G groups of each step; not at a sequence's first step mid-episode.
        let mask = Tensor((0..<l).flatMap { t in (0..<b).map { t > 0 || isFirst[$0 * l] ? Float(1) : 0 } })
        let weight = 1 / Swift.max(mask.sum().item, 1)
        // KL(q ‖ p) = Σ q·(log q − log p) of the mixed distributions, per group, summed over the G groups.
        let (q, logQ, logP) = (seen.posterior.probabilities, seen.posterior.logProbabilities, seen.prior.logProbabilities)
        let kl = (q.detached * (logQ.detached - logP)).sum(axis: -1).sum(axis: -1)
        let dynamics = (kl.clamped(config.freeBits, .infinity) * mask).sum() * weight
        let representation = ((q * (logQ - logP.detached)).sum(axis: -1).sum(axis: -1)
            .clamped(config.freeBits, .infinity) * mask).sum() * weight
        let total = reconstruction + rewardLoss + continueLoss
            + config.dynamicsScale * dynamics + config.representationScale * representation
        let entropy = { (d: OneHotCategorical) in -(d.probabilities.detached * d.logProbabilities.detached).sum(axis: -1).sum(axis: -1).mean().item }
        let terms = Losses(reconstruction: reconstruction.item, reward: rewardLoss.item, continuation: continueLoss.item,
                           kl: (kl.detached * mask).sum().item * weight, dynamics: dynamics.item,
                           representation: representation.item, priorEntropy: entropy(seen.prior),
                           posteriorEntropy: entropy(seen.posterior), total: total.item)
        return (total, terms, seen)
    }
}
