import ReverieEnvs
import ReverieWorldModels

/// A world-model agent (DreamerV3, Hafner et al. 2023; with Drama's and
/// S4WM's parallel backbones), read top to bottom as an iteration runs:
///
/// 1. `act`: N envs step with actions from the actor reading the world
///    model's posterior features (uniformly random during `prefill`); every
///    observation goes into the replay with the reward received on arriving
///    at it and the action then taken, an ended episode's last observation
///    as a row of its own.
/// 2. After each env step, `train_ratio` replayed steps are owed per env
///    step; each `update` pays B·L of them:
///    - the world model takes one step on B replayed sequences of L steps
///      (`WorldModel.loss`);
///    - `imagine`: from `imagination_batch` posterior states of that batch
///      (the RSSM, as DreamerV3), or from states the world model reaches
///      after `context` steps of a further replayed sample (S4WM and Drama,
///      whose parallel scans keep no per-step state: Drama's imagination
///      context), the actor dreams `horizon` steps through the prior, the
///      heads giving r̂ and ĉ;
///    - the actor and the critic learn from the dream's λ-returns
///      (`lambdaReturns`) with advantages scaled by 1/max(1, P95 − P5)
///      (`ReturnNormalizer`):
///
///          L_actor  = −Σ_t w_t·(sg((R_t − v_t)/S)·log π(a_t|f_t) + η·H[π(·|f_t)])
///          L_critic = −Σ_t w_t·(log p_ψ(R_t | f_t) + log p_ψ(v̄_t | f_t))
///
///      with w_t = γ^t·Πc the dream's discount, v̄ the slow critic (an EMA
///      of the critic) and p_ψ the critic's two-hot distribution. The actor's
///      gradient is REINFORCE, so the dream runs off the tape.
///
/// Where this differs from DreamerV3 (term by term: docs/dreamer-reference.md):
/// S4WM's and Drama's dreams start from a replayed context rather than from
/// the training batch's posterior states, and the RSSM's from a sample of
/// them when `imagination_batch` < B·L; every replayed sequence starts from
/// zeros (no learned or carried initial state) and its first step's KL is
/// masked; acting reads the posterior latent's most likely class unless
/// `sample_when_acting`; dreams weight by the continue head's probability
/// (DreamerV3's newest code; the 2023 code takes its mode); the three
/// networks use Adam with global-norm clipping (not LaProp with adaptive
/// clipping); the critic learns from dreams only (no replay-return term).
public final class Dreamer: Agent {
    public let config: DreamerConfig
    public let network: DreamerNetwork
    public let environment: any VectorEnvironment
    public var replay: SequenceReplay { recorder.replay }
    public let worldModelOptimizer: Adam, actorOptimizer: Adam, criticOptimizer: Adam

    public var rng: RandomGenerator
    public private(set) var observations: Tensor
    public private(set) var episodeStarts: [Bool]
    public private(set) var memory: RecurrentState
    public private(set) var environmentSteps = 0
    public private(set) var updates = 0
    public private(set) var returnNormalizer: ReturnNormalizer
    /// Writes acting into the replay (and keeps r_t of where each env stands).
    private var recorder: ReplayRecorder
    /// Updates owed to the train ratio and not yet taken.
    private var owedUpdates: Float = 0

    public var actingPolicy: any ActingPolicy { network }

    public init(_ config: DreamerConfig, environment: any VectorEnvironment, seed: UInt64) throws {
        self.config = config
        self.environment = environment
        rng = RandomGenerator(seed: seed)
        let n = environment.count
        guard config.replayCapacity / n >= config.sequenceLength, config.replayCapacity / n >= config.context else {
            throw AgentError.invalidConfiguration(
                "a replay of \(config.replayCapacity) steps over \(n) envs holds \(config.replayCapacity / n) per env, "
                + "fewer than a sequence of \(max(config.sequenceLength, config.context))")
        }
        guard config.horizon >= 1 else { throw AgentError.invalidConfiguration("dreamer.horizon must be at least 1, got \(config.horizon)") }
        let backbone = config.worldModel.backbone
        guard backbone.minTimestep > 0 && backbone.minTimestep <= backbone.maxTimestep else {
            throw AgentError.invalidConfiguration(
                "world_model.dt_min \(backbone.minTimestep) and dt_max \(backbone.maxTimestep) must satisfy 0 < dt_min ≤ dt_max")
        }
        guard backbone.kind != .gru || backbone.width % backbone.blocks == 0 else {
            throw AgentError.invalidConfiguration(
                "world_model.width \(backbone.width) cannot form world_model.blocks = \(backbone.blocks) equal groups")
        }
        network = try DreamerNetwork(config, observationSpace: environment.singleObservationSpace,
                                     actionSpace: environment.singleActionSpace, rng: &rng)
        // 8-bit images are kept as bytes: a quarter of the memory and checkpoint.
        let storage: SequenceReplay.Storage = if case .box(_, _, _, .uint8) = environment.singleObservationSpace { .bytes } else { .float32 }
        recorder = ReplayRecorder(replay: SequenceReplay(capacity: config.replayCapacity, streams: n,
                                                         observationSize: network.observationSize,
                                                         actionSize: network.worldModel.actionSize, storage: storage))
        worldModelOptimizer = Adam(network.worldModel, learningRate: config.worldModelLearningRate, epsilon: config.worldModelEpsilon)
        actorOptimizer = Adam(network.actor, learningRate: config.actorLearningRate, epsilon: config.actorCriticEpsilon)
        criticOptimizer = Adam(network.critic, learningRate: config.criticLearningRate, epsilon: config.actorCriticEpsilon)
        returnNormalizer = ReturnNormalizer(decay: config.returnNormDecay)
        observations = try environment.reset(seed: seed)
        episodeStarts = Array(repeating: true, count: n)
        memory = network.initialMemory(batch: n)
    }

    // MARK: - Saving and resuming

    private var optimizers: [(String, Adam)] {
        [("world_model", worldModelOptimizer), ("actor", actorOptimizer), ("critic", criticOptimizer)]
    }

    public var optimizerState: [String: Tensor] {
        var state: [String: Tensor] = [:]
        for (prefix, optimizer) in optimizers {
            for (key, value) in optimizer.state { state["\(prefix).\(key)"] = value }
        }
        return state
    }

    public func loadOptimizerState(_ state: [String: Tensor]) throws {
        for (prefix, optimizer) in optimizers {
            let own = state.filter { $0.key.hasPrefix(prefix + ".") }
            try optimizer.load(state: Dictionary(uniqueKeysWithValues: own.map { (String($0.key.dropFirst(prefix.count + 1)), $0.value) }))
        }
    }

    /// The replay, the return normaliser's EMAs and the train-ratio account.
    public var carriedTensors: [String: Tensor] {
        var carried = replay.snapshot.reduce(into: [String: Tensor]()) { $0["replay.\($1.key)"] = $1.value }
        carried["return_normalizer"] = Tensor([returnNormalizer.low, returnNormalizer.high])
        carried["owed_updates"] = Tensor([owedUpdates])
        carried["arrival_rewards"] = Tensor(recorder.arrivalRewards)
        return carried
    }

    /// The replay's observations when it keeps them as bytes.
    public var carriedBytes: [String: ByteTensor] {
        replay.byteSnapshot.reduce(into: [String: ByteTensor]()) { $0["replay.\($1.key)"] = $1.value }
    }

    public func resume(environmentSteps: Int, updates: Int, rng: RandomGenerator, observations: Tensor?, episodeStarts: [Bool]?,
                       memory: RecurrentState?, carried: [String: Tensor], carriedBytes: [String: ByteTensor] = [:]) throws {
        try validatePosition(observations: observations, episodeStarts: episodeStarts, memory: memory,
                             against: self.observations, self.episodeStarts, self.memory)
        let saved = carried.filter { $0.key.hasPrefix("replay.") }, savedBytes = carriedBytes.filter { $0.key.hasPrefix("replay.") }
        if !saved.isEmpty {
            try replay.restore(Dictionary(uniqueKeysWithValues: saved.map { (String($0.key.dropFirst(7)), $0.value) }),
                               bytes: Dictionary(uniqueKeysWithValues: savedBytes.map { (String($0.key.dropFirst(7)), $0.value) }))
        }
        if let moments = carried["return_normalizer"], moments.count == 2 {
            returnNormalizer.restore(low: moments.scalars[0], high: moments.scalars[1])
        }
        if let owed = carried["owed_updates"], owed.count == 1 { owedUpdates = owed.item }
        (self.environmentSteps, self.updates, self.rng) = (environmentSteps, updates, rng)
        if let observations, let episodeStarts {
            (self.observations, self.episodeStarts) = (observations, episodeStarts)
            if let rewards = carried["arrival_rewards"], rewards.count == environment.count { recorder.arrivalRewards = rewards.scalars }
        }
        if let memory { self.memory = memory }
    }

    // MARK: - 1. Act

    /// `iteration_steps` env steps per env, each followed by the updates it earns.
    public func iterate() throws -> IterationReport {
        var episodes: [EpisodeRecord] = []
        var metrics = DreamerMetrics()
        let n = environment.count, d = network.observationSize
        let actionShape = [n] + environment.singleActionSpace.shape
        let perUpdate = Float(config.batchSize * config.sequenceLength)
        let clock = ContinuousClock(), start = clock.now
        var updating = Duration.zero  // of the wall time since start; the rest is acting (policy, env, replay)
        for _ in 0..<config.iterationSteps {
            let flat = observations.reshaped([n, d])
            var latents: RandomGenerator? = config.samplesLatentsWhenActing ? rng : nil
            let (pi, _, next) = network.step(flat, memory: memory.reset(where: episodeStarts), sampling: &latents)
            if let latents { rng = latents }
            let raw = environmentSteps < config.prefill
                ? (0..<n).flatMap { _ in randomAction() } : pi.sample(using: &rng)
            memory = network.remember(actions: raw, in: next)
            try recorder.recordActing(observations: flat.scalars, actions: network.modelActions(raw).scalars, isFirst: episodeStarts)
            let step = try environment.step(Tensor(network.head.envActions(raw), shape: actionShape))
            try recorder.recordOutcome(step)
            episodes += EpisodeRecord.ended(in: step.infos)
            (observations, episodeStarts) = (step.observations, step.episodeStarts)
            environmentSteps += n
            guard environmentSteps >= config.prefill,
                  (0..<n).contains(where: { replay.count(stream: $0) >= Swift.max(config.sequenceLength, config.context) })
            else { continue }
            owedUpdates += Float(n) * config.trainRatio / perUpdate
            let updateStart = clock.now
            while owedUpdates >= 1 {
                metrics.add(try update())
                owedUpdates -= 1
            }
            updating += clock.now - updateStart
        }
        metrics.time(environmentSteps: n * config.iterationSteps, acting: clock.now - start - updating, updating: updating)
        return IterationReport(environmentSteps: environmentSteps, episodes: episodes,
                               metrics: metrics.update(learningRate: actorOptimizer.learningRate), scalars: metrics.scalars)
    }

    /// A uniformly random raw action row (prefill).
    private func randomAction() -> [Float] {
        switch network.head {
        case .categorical(let k): [Float(rng.int(below: k))]
        case .gaussian(let low, let high), .squashed(let low, let high): zip(low, high).map { rng.uniform($0, $1) }
        }
    }

    // MARK: - 2. Update

    /// One update on the replay as it stands, outside the train-ratio
    /// account (`iterate` takes the updates it owes): for benches.
    public func updateOnReplay() throws { _ = try update() }

    /// One world-model step, one dream, one actor step and one critic step.
    func update() throws -> DreamerMetrics.Step {
        var step = DreamerMetrics.Step()
        let (batch, seen) = try trainWorldModel(&step)
        let dream = try imagine(from: startingStates(batch, seen))
        try trainActorCritic(on: dream, &step)
        updates += 1
        return step
    }

    /// Trains the world model on one replayed batch.
    /// - Returns: the batch and the sequences as the model saw them.
    private func trainWorldModel(_ step: inout DreamerMetrics.Step) throws -> (SequenceReplay.Batch, WorldModel.Observation) {
        let sampling: SequenceReplay.Sampling = config.samplingTemperature.map { .frequency(temperature: $0) } ?? .uniform
        let batch = try replay.sample(batch: config.batchSize, length: config.sequenceLength, sampling: sampling, using: &rng)
        let model = network.worldModel
        var terms: WorldModel.Losses?, seen: WorldModel.Observation?
        var (loss, gradients) = valueWithGradients(wrt: worldModelOptimizer.parameters) {
            let (loss, t, o) = model.loss(observations: batch.observations, actions: batch.actions, rewards: batch.rewards,
                                          continues: batch.continues, isFirst: batch.isFirst, using: &rng)
            (terms, seen) = (t, o)
            return loss
        }
        step.worldModelGradientNorm = try apply(&gradients, loss: loss, to: worldModelOptimizer, clip: config.worldModelGradientClip,
                                                what: "the world-model loss")
        step.worldModel = terms!
        return (batch, seen!)
    }

    /// Where the dreams start, and c of each start.
    struct Starts {
        var state: WorldModel.State
        var continues: [Float]
    }

    /// The RSSM's dreams start from posterior states of the batch the world
    /// model just trained on, as DreamerV3's: `imagination_batch` of its B·L
    /// states drawn without replacement (all of them if it asks for as many).
    /// A parallel backbone keeps no per-step state, so S4WM's and Drama's
    /// dreams start where the world model stands after `context` steps of a
    /// further replayed sample (Drama's imagination context).
    func startingStates(_ batch: SequenceReplay.Batch, _ seen: WorldModel.Observation) throws -> Starts {
        let model = network.worldModel
        guard let states = seen.states else {
            let context = try replay.sample(batch: config.imaginationBatch, length: config.context, using: &rng)
            let state = model.observe(observations: context.observations, actions: context.actions, isFirst: context.isFirst,
                                      using: &rng).last
            return Starts(state: state, continues: (0..<config.imaginationBatch).map {
                context.continues.scalars[$0 * config.context + config.context - 1]
            })
        }
        let (b, l) = (batch.observations.shape[0], batch.observations.shape[1]), count = b * l
        var rows = Array(0..<count)
        if config.imaginationBatch < count {
            for i in 0..<config.imaginationBatch { rows.swapAt(i, i + rng.int(below: count - i)) }  // a partial Fisher–Yates shuffle
            rows = Array(rows.prefix(config.imaginationBatch))
        }
        // Row t·B + s of the features is step t of sequence s, whose c sits at s·L + t of the batch.
        let continues = batch.continues.scalars
        // The chosen rows as constants: dreams train the actor and the critic, not the world model.
        return Starts(state: states.rows(rows), continues: rows.map { continues[($0 % b) * l + $0 / b] })
    }

    /// An imagined batch, time-major: features f_0 … f_H, actions a_0 … a_{H−1},
    /// rewards and continues of steps 1 … H, and c_0 of the starts.
    struct Dream {
        var features: [Tensor]
        var actions: [[Float]]
        var rewards: [[Float]], continues: [[Float]]
        var startContinues: [Float]
    }

    func imagine(from starts: Starts) throws -> Dream {
        let model = network.worldModel
        var state = starts.state
        var dream = Dream(features: [state.features], actions: [], rewards: [], continues: [], startContinues: starts.continues)
        var generator: RandomGenerator? = rng.split()
        for t in 0..<config.horizon {
            let raw = network.policy(dream.features[t]).sample(using: &rng)
            state = model.imagineStep(state, action: network.modelActions(raw), using: &generator)
            dream.actions.append(raw)
            dream.features.append(state.features)
        }
        // The heads read all H steps at once.
        let b = starts.continues.count, later = Tensor.concatenate(Array(dream.features.dropFirst()))
        let (rewards, continues) = (model.predictedReward(later).scalars, model.continueProbability(later).scalars)
        (dream.rewards, dream.continues) = (perStep(rewards, batch: b), perStep(continues, batch: b))
        return dream
    }

    /// The actor and the critic learn from one dream. One pass of the critic
    /// over the dream's H + 1 steps, recorded for the critic's gradient,
    /// serves twice: its values (off the tape) give the λ-returns both
    /// learn from, and its first H steps are what the critic's loss reads.
    /// Then one actor step, one critic step, and the slow critic follows.
    private func trainActorCritic(on dream: Dream, _ step: inout DreamerMetrics.Step) throws {
        let all = Tensor.concatenate(dream.features)                       // ((H + 1)·B, F)
        let rows = config.horizon * dream.startContinues.count
        let slowTargets = network.slowValue(all.slice(0..<rows))
        var targets: Targets?
        var (loss, gradients) = valueWithGradients(wrt: criticOptimizer.parameters) {
            let logits = network.critic(all)
            let values = network.twoHot.expectation(logits: logits.detached).scalars
            let computed = actorCriticTargets(dream, features: all, values: values, &step)
            targets = computed
            return criticLoss(logits: logits.slice(0..<rows), on: computed, slowTargets: slowTargets)
        }
        (step.actorLoss, step.entropy, step.actorGradientNorm) = try trainActor(on: targets!)
        step.criticLoss = loss
        step.criticGradientNorm = try apply(&gradients, loss: loss, to: criticOptimizer,
                                            clip: config.actorCriticGradientClip, what: "the critic loss")
        updateSlowCritic()
    }

    /// What the actor and the critic learn from, over a dream's first H
    /// steps, time-major (row t·B + b is step t of dream b).
    struct Targets {
        /// (H·B, F) features f_t, and the actions a_t taken in them.
        var features: Tensor, actions: [Float]
        /// R_t, the λ-returns.
        var returns: [Float]
        /// (H·B) w_t, the dream's discount.
        var weights: Tensor
        /// (H·B) (R_t − v_t)/S, the advantages scaled by the return normaliser.
        var advantages: Tensor
    }

    /// λ-returns from the critic's values v_t, the discount weights
    /// w_0 = c_0, w_t = w_{t−1}·γ·ĉ_t (later steps of a dream count less,
    /// steps after its end not at all), and the advantages scaled by
    /// S = max(1, P95 − P5) of the returns (DreamerV3's return normalisation).
    /// - Parameters:
    ///   - features: ((H + 1)·B, F) the dream's features, time-major.
    ///   - values: ((H + 1)·B) the critic's v_0 … v_H of them.
    private func actorCriticTargets(_ dream: Dream, features all: Tensor, values v: [Float],
                                    _ step: inout DreamerMetrics.Step) -> Targets {
        let (horizon, b) = (config.horizon, dream.startContinues.count)
        let values = perStep(v, batch: b)
        let returns = Array(lambdaReturns(rewards: dream.rewards, continues: dream.continues, values: values,
                                          gamma: config.gamma, lambda: config.lambda).joined())
        var weights = [dream.startContinues]
        for t in 1..<horizon { weights.append(zip(weights[t - 1], dream.continues[t - 1]).map { $0 * config.gamma * $1 }) }
        let scale = returnNormalizer.update(returns)
        let advantages = Tensor(zip(returns, values[0..<horizon].joined()).map { ($0 - $1) / scale })

        step.imaginedReturn = returns.prefix(b).reduce(0, +) / Float(b)
        step.returnScale = scale
        (step.returnLow, step.returnHigh) = (returnNormalizer.low, returnNormalizer.high)
        step.value = values[0].reduce(0, +) / Float(b)
        step.advantageMagnitude = advantages.abs().mean().item
        return Targets(features: all.slice(0..<(horizon * b)), actions: Array(dream.actions.joined()), returns: returns,
                       weights: Tensor(Array(weights.joined())), advantages: advantages)
    }

    /// One actor step on L_actor = −mean(w·(sg(A)·log π(a|f) + η·H[π(·|f)]))
    /// (REINFORCE: the dream ran off the tape).
    /// - Returns: the loss, the policy's mean entropy and the gradient's norm before clipping.
    private func trainActor(on targets: Targets) throws -> (loss: Float, entropy: Float, gradientNorm: Float) {
        var entropy: Float = 0
        var (loss, gradients) = valueWithGradients(wrt: actorOptimizer.parameters) {
            let pi = network.policy(targets.features)
            let entropies = pi.entropy(estimatingWith: targets.actions)
            entropy = entropies.mean().item
            return -(targets.weights * (targets.advantages * pi.logProb(targets.actions) + config.entropyCoefficient * entropies)).mean()
        }
        let norm = try apply(&gradients, loss: loss, to: actorOptimizer, clip: config.actorCriticGradientClip, what: "the actor loss")
        return (loss, entropy, norm)
    }

    /// L_critic = mean(w·(−log p_ψ(R|f) − β·log p_ψ(v̄|f))): the two-hot fit
    /// to the λ-returns, regularised towards the slow critic's values v̄.
    /// - Parameters:
    ///   - logits: (H·B, bins) the critic's logits at the dream's first H steps.
    ///   - slowTargets: (H·B) v̄ there.
    private func criticLoss(logits: Tensor, on targets: Targets, slowTargets: Tensor) -> Tensor {
        let fit = network.twoHot.crossEntropy(logits: logits, targets: Tensor(targets.returns))
        let regulariser = network.twoHot.crossEntropy(logits: logits, targets: slowTargets)
        return (targets.weights * (fit + config.slowCriticRegularizer * regulariser)).mean()
    }

    /// ψ̄ ← ψ̄ + ρ(ψ − ψ̄), ρ = `slow_critic_rate`.
    private func updateSlowCritic() {
        let rate = config.slowCriticRate
        for (slow, fast) in zip(network.slowCritic.parameters, network.critic.parameters) {
            fast.storedValue.withUnsafeBufferPointer { p in
                slow.update { s in for i in 0..<s.count { s[i] += rate * (p[i] - s[i]) } }
            }
        }
    }

    /// Time-major rows (t·B + b) as one array of B values per step t.
    private func perStep(_ rows: [Float], batch b: Int) -> [[Float]] {
        stride(from: 0, to: rows.count, by: b).map { Array(rows[$0..<($0 + b)]) }
    }

    /// Clips and applies gradients, refusing anything not finite.
    /// - Returns: the gradients' global norm before clipping.
    private func apply(_ gradients: inout [Tensor], loss: Float, to optimizer: Adam, clip: Float, what: String) throws -> Float {
        guard loss.isFinite else { throw AgentError.nonFinite(what: what, update: updates, environmentSteps: environmentSteps) }
        let norm = clipGlobalNorm(&gradients, maxNorm: clip)
        guard norm.isFinite else {
            throw AgentError.nonFinite(what: "the gradient of \(what)", update: updates, environmentSteps: environmentSteps)
        }
        optimizer.update(gradients)
        return norm
    }
}
