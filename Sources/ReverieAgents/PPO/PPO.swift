import ReverieEnvs
import ReverieNN
import ReverieRecurrent

/// Proximal Policy Optimization (Schulman et al. 2017) with a feedforward or
/// recurrent actor-critic, read top to bottom as one iteration runs:
///
/// 1. `collect`: step N environments T times with actions drawn from π_old,
///    recording log π_old(a|s) and V_old(s); a truncated episode's last
///    reward gets γ·V(final observation) (the time limit is not a terminal state).
///    A recurrent policy carries its memory from step to step, zeroed where an
///    episode starts, and the rollout keeps the memory before each step.
/// 2. `generalizedAdvantages`: Â and the value targets R = Â + V_old.
/// 3. `update`: K epochs over shuffled minibatches of M samples — random
///    rows for a feedforward policy; for a recurrent one, whole env sequences
///    of T steps (M/T envs) unrolled from the memory stored when they were
///    collected, with the same resets, so gradients flow back through time within the
///    rollout (truncated BPTT, as CleanRL's LSTM PPO) — minimising
///
///        L = −E[min(ρ·Â, clip(ρ, 1−ε, 1+ε)·Â)] + c₁·E[(V(s) − R)²] − c₂·E[H(π(·|s))]
///
///    with ρ = π(a|s)/π_old(a|s) (the paper's eq. 7 and 9; value loss as
///    Stable-Baselines3 writes it), one Adam step per minibatch after
///    global-norm gradient clipping.
///
///     let ppo = try PPO(config, policy: PolicySpec(hidden: [64, 64]), environment: envs, totalSteps: 50_000, seed: 1)
///     while ppo.environmentSteps < 50_000 { let report = try ppo.iterate() }
public final class PPO: Agent {
    public let config: PPOConfig
    public let policy: any ActorCriticNetwork
    public let optimizer: Adam
    public let environment: any VectorEnvironment
    public var actingPolicy: any ActingPolicy { policy }
    public var optimizerState: [String: Tensor] { optimizer.state }
    public func loadOptimizerState(_ state: [String: Tensor]) throws { try optimizer.load(state: state) }
    /// PPO carries nothing beyond observations and memory.
    public var carriedTensors: [String: Tensor] { [:] }
    /// The budget the learning rate and clip range anneal over.
    public let totalSteps: Int

    /// Sampling, shuffling: one generator, so a seed fixes the run.
    public var rng: RandomGenerator
    /// (N, observation shape…) where each env stands now.
    public private(set) var observations: Tensor
    /// (N) the current observation is the first of its episode.
    public private(set) var episodeStarts: [Bool]
    /// The policy's memory after the last step (N rows; `.none` without memory).
    public private(set) var memory: RecurrentState
    /// The policy's parameters by name, found once (reflection is not free).
    let namedParameters: [(name: String, parameter: Parameter)]
    /// The policy carries memory: minibatches are sequences.
    let isRecurrent: Bool
    public private(set) var environmentSteps = 0
    public private(set) var updates = 0

    /// - Parameters:
    ///   - environment: N envs; it is reset with `seed` (env i gets seed + i).
    ///   - totalSteps: environment steps the schedules anneal over.
    ///   - policy: the network to build for the environment's spaces.
    public init(_ config: PPOConfig, policy spec: PolicySpec = PolicySpec(), environment: any VectorEnvironment,
                totalSteps: Int, seed: UInt64) throws {
        self.config = config
        self.environment = environment
        self.totalSteps = totalSteps
        rng = RandomGenerator(seed: seed)
        if config.sequenceLength != 0 || config.burnIn != 0 {
            let (t, l) = (config.rolloutSteps, config.sequenceLength)
            guard l > 0 && l <= t && t % l == 0 else {
                throw AgentError.invalidConfiguration(
                    "sequence length \(l) must divide the rollout's \(t) steps (0: whole rollouts)")
            }
            guard config.burnIn >= 0 && config.burnIn <= l else {
                throw AgentError.invalidConfiguration("burn-in \(config.burnIn) must lie in 0...\(l) (the sequence length)")
            }
        }
        policy = try spec.make(observationSpace: environment.singleObservationSpace,
                               actionSpace: environment.singleActionSpace, rng: &rng)
        optimizer = Adam(policy, learningRate: config.learningRate, epsilon: config.adamEpsilon)
        namedParameters = policy.namedParameters
        isRecurrent = policy.isRecurrent
        observations = try environment.reset(seed: seed)
        episodeStarts = Array(repeating: true, count: environment.count)
        memory = policy.initialMemory(batch: environment.count)
    }

    public func resume(environmentSteps: Int, updates: Int, rng: RandomGenerator, observations: Tensor? = nil,
                       episodeStarts: [Bool]? = nil, memory: RecurrentState? = nil, carried: [String: Tensor] = [:],
                       carriedBytes: [String: ByteTensor] = [:]) throws {
        try validatePosition(observations: observations, episodeStarts: episodeStarts, memory: memory,
                             against: self.observations, self.episodeStarts, self.memory)
        (self.environmentSteps, self.updates, self.rng) = (environmentSteps, updates, rng)
        if let observations, let episodeStarts { (self.observations, self.episodeStarts) = (observations, episodeStarts) }
        if let memory { self.memory = memory }
    }

    /// Environment steps per iteration, T·N.
    public var stepsPerIteration: Int { config.rolloutSteps * environment.count }

    /// Fraction of the budget still ahead, 1 at the start (the annealing factor).
    public var remainingFraction: Float {
        let iterations = Swift.max(1, totalSteps / stepsPerIteration)
        return Swift.max(0, 1 - Float(updates) / Float(iterations))
    }

    /// One collection and one update.
    public func iterate() throws -> IterationReport {
        let (rollout, episodes) = try collect()
        let metrics = try update(rollout)
        return IterationReport(environmentSteps: environmentSteps, episodes: episodes, metrics: metrics)
    }

    // MARK: - 1. Collect

    /// Steps the environments `config.rolloutSteps` times with π_old.
    /// - Returns: the rollout and the episodes that ended during it.
    public func collect() throws -> (Rollout, [EpisodeRecord]) {
        let n = environment.count, d = policy.observationSize, head = policy.head
        var rollout = Rollout(steps: config.rolloutSteps, envs: n, observationSize: d, actionWidth: head.actionWidth,
                              pixels: environment.singleObservationSpace.isPixels)
        var episodes: [EpisodeRecord] = []
        let actionShape = [n] + environment.singleActionSpace.shape
        for _ in 0..<config.rolloutSteps {
            let flat = observations.reshaped([n, d])
            if !memory.parts.isEmpty { rollout.memories.append(memory) }
            let (pi, values, next) = policy.step(flat, memory: memory.reset(where: episodeStarts))
            let actions = pi.sample(using: &rng)
            rollout.observations.append(flat)
            rollout.actions += actions
            rollout.logProbs += pi.logProb(actions).scalars
            rollout.values += values.scalars
            rollout.episodeStarts += episodeStarts

            let step = try environment.step(Tensor(head.envActions(actions), shape: actionShape))
            var rewards = config.clipRewards ? step.rewards.map { $0 > 0 ? 1 : $0 < 0 ? -1 : 0 } : step.rewards
            // A time limit is not a terminal state: bootstrap from the final
            // observation, seen with the memory the episode built up.
            let truncated = (0..<n).filter { step.truncated[$0] && !step.terminated[$0] }
            if !truncated.isEmpty {
                let finals = Tensor(truncated.flatMap { step.finalObservations[$0]! }, shape: [truncated.count, d])
                let (_, finalValues, _) = policy.step(finals, memory: next.rows(truncated))
                for (k, v) in zip(truncated, finalValues.scalars) { rewards[k] += config.gamma * v }
            }
            rollout.rewards += rewards
            episodeStarts = (0..<n).map { step.terminated[$0] || step.truncated[$0] }
            rollout.dones += episodeStarts
            episodes += EpisodeRecord.ended(in: step.infos)
            observations = step.observations
            memory = next
            environmentSteps += n
        }
        rollout.lastValues = policy.step(observations.reshaped([n, d]), memory: memory.reset(where: episodeStarts)).1.scalars
        return (rollout, episodes)
    }

    // MARK: - 2–3. Advantages and update

    /// K epochs of minibatch updates on `rollout`.
    /// - Throws: `AgentError.nonFinite` naming the loss or parameter that stopped being finite.
    public func update(_ rollout: Rollout) throws -> UpdateMetrics {
        let (advantages, returns) = generalizedAdvantages(
            rewards: rollout.rewards, values: rollout.values, dones: rollout.dones, lastValues: rollout.lastValues,
            envs: rollout.envs, gamma: config.gamma, lambda: config.gaeLambda)
        let anneal = remainingFraction
        optimizer.learningRate = config.learningRate * (config.annealLearningRate ? anneal : 1)
        let epsilon = config.clipRange * (config.annealClipRange ? anneal : 1)

        var totals = UpdateMetrics.Accumulator()
        // Random rows, or for a recurrent policy sequences of L steps of one
        // env (unit u is env u % N's chunk u / N).
        let length = isRecurrent ? (config.sequenceLength > 0 ? config.sequenceLength : rollout.steps) : 1
        let units = isRecurrent ? rollout.envs * (rollout.steps / length) : rollout.count
        let m = Swift.max(1, Swift.min(config.minibatchSize / length, units))
        epochs: for _ in 0..<config.epochs {
            let order = rng.permutation(units)
            for start in stride(from: 0, to: units - m + 1, by: m) {
                let picked = Array(order[start..<(start + m)])
                let batch = isRecurrent
                    ? Minibatch(rollout, chunks: picked, length: length, memories: chunkMemories(rollout, picked, length: length),
                                advantages: advantages, returns: returns, normalize: config.normalizeAdvantages)
                    : Minibatch(rollout, rows: picked, advantages: advantages, returns: returns,
                                normalize: config.normalizeAdvantages)
                let step = try gradientStep(batch, epsilon: epsilon)
                totals.add(step)
                if let target = config.targetKL, step.approxKL > target { break epochs }
            }
        }
        updates += 1
        return totals.metrics(learningRate: optimizer.learningRate, clipRange: epsilon,
                              explainedVariance: explainedVariance(predictions: rollout.values, targets: returns))
    }

    /// The memory each chunk starts from: the one stored when its first step
    /// was collected, or with burn-in, the one stored `burnIn` steps earlier
    /// carried forward over those steps by the current parameters (no gradient).
    func chunkMemories(_ rollout: Rollout, _ chunks: [Int], length: Int) -> RecurrentState {
        let (n, k, d) = (rollout.envs, config.burnIn, rollout.observationSize)
        let env = chunks.map { $0 % n }, start = chunks.map { ($0 / n) * length }
        var memories = chunks.indices.map { rollout.memories[start[$0]].rows([env[$0]]) }
        // A rollout's first chunk has nothing to replay; the others replay k steps together.
        let burned = chunks.indices.filter { k > 0 && start[$0] >= k }
        if !burned.isEmpty {
            let rows = (0..<k).flatMap { s in burned.map { (start[$0] - k + s) * n + env[$0] } }
            let inputs = rollout.observations(rows: rows, shape: [k, burned.count, d])
            let before = RecurrentState(concatenating: burned.map { rollout.memories[start[$0] - k].rows([env[$0]]) })
            let after = policy.advance(inputs, from: before, starts: rows.map { rollout.episodeStarts[$0] })
            for (j, i) in burned.enumerated() { memories[i] = after.rows([j]) }
        }
        return RecurrentState(concatenating: memories)
    }

    /// One Adam step on one minibatch.
    private func gradientStep(_ batch: Minibatch, epsilon: Float) throws -> UpdateMetrics.Step {
        var policyLoss: Float = 0, valueLoss: Float = 0, entropy: Float = 0
        var approxKL: Float = 0, oldApproxKL: Float = 0, clipFraction: Float = 0
        var (loss, gradients) = valueWithGradients(wrt: optimizer.parameters) {
            let (pi, values) = policy.unroll(batch.observations, from: batch.memory, starts: batch.starts)
            let logRatio = pi.logProb(batch.actions) - batch.oldLogProbs
            let ratio = logRatio.exp()
            let surrogate = Tensor.minimum(ratio * batch.advantages, ratio.clamped(1 - epsilon, 1 + epsilon) * batch.advantages)
            let lPolicy = -surrogate.mean()
            let lValue: Tensor
            if let c = config.valueClipRange {
                let clipped = batch.oldValues + (values - batch.oldValues).clamped(-c, c)
                lValue = Tensor.maximum((values - batch.returns).squared(), (clipped - batch.returns).squared()).mean()
            } else {
                lValue = (values - batch.returns).squared().mean()
            }
            let h = pi.entropy(estimatingWith: batch.actions).mean()
            (policyLoss, valueLoss, entropy) = (lPolicy.item, lValue.item, h.item)
            // Schulman's k3 estimator of KL(π_old ‖ π): E[(ρ − 1) − log ρ].
            let r = ratio.scalars, lr = logRatio.scalars
            approxKL = zip(r, lr).reduce(0) { $0 + ($1.0 - 1) - $1.1 } / Float(r.count)
            oldApproxKL = -lr.reduce(0, +) / Float(lr.count)
            clipFraction = Float(r.filter { Swift.abs($0 - 1) > epsilon }.count) / Float(r.count)
            return lPolicy + config.valueCoefficient * lValue - config.entropyCoefficient * h
        }
        guard loss.isFinite else {
            // Name the first culprit: a parameter, the observations, or else the loss itself.
            let what = nonFiniteParameter().map { "parameter \($0)" }
                ?? (batch.observations.isFinite ? "the loss (policy \(policyLoss), value \(valueLoss), entropy \(entropy))"
                                                : "an observation")
            throw AgentError.nonFinite(what: what, update: updates, environmentSteps: environmentSteps)
        }
        let gradientNorm = clipGlobalNorm(&gradients, maxNorm: config.maxGradientNorm)
        guard gradientNorm.isFinite else {
            throw AgentError.nonFinite(what: "the gradient norm", update: updates, environmentSteps: environmentSteps)
        }
        optimizer.update(gradients)
        if let name = nonFiniteParameter() {
            throw AgentError.nonFinite(what: "parameter \(name)", update: updates, environmentSteps: environmentSteps)
        }
        return .init(policyLoss: policyLoss, valueLoss: valueLoss, entropy: entropy, approxKL: approxKL,
                     clipFraction: clipFraction, gradientNorm: gradientNorm, oldApproxKL: oldApproxKL)
    }
}

extension PPO {
    /// The name of the first parameter holding a NaN or an infinity.
    func nonFiniteParameter() -> String? {
        namedParameters.first { !$0.parameter.storedValue.isFinite }?.name
    }
}

/// The rows of a rollout one gradient step sees, as tensors, time-major:
/// L steps of B sequences (L = 1 for random rows of a feedforward policy).
private struct Minibatch {
    let observations: Tensor  // (L, B, observationSize)
    let memory: RecurrentState // the B sequences' memory before their first step
    let starts: [Bool]        // (L·B) episode starts, where memory resets
    let actions: [Float]      // (L·B·actionWidth)
    let oldLogProbs: Tensor   // (L·B)
    let oldValues: Tensor     // (L·B)
    let advantages: Tensor    // (L·B), normalised if asked
    let returns: Tensor       // (L·B)

    /// Random rows, each its own sequence of one step (no memory).
    init(_ rollout: Rollout, rows: [Int], advantages: [Float], returns: [Float], normalize: Bool) {
        self.init(rollout, rows: rows, steps: 1, memory: .none, advantages: advantages, returns: returns, normalize: normalize)
    }

    /// Sequences of `length` steps: chunk u is env u % N's steps from
    /// (u / N)·length, rows t·N + env, starting from `memories` (one row per chunk).
    init(_ rollout: Rollout, chunks: [Int], length: Int, memories: RecurrentState,
         advantages: [Float], returns: [Float], normalize: Bool) {
        let n = rollout.envs
        let rows = (0..<length).flatMap { t in chunks.map { (($0 / n) * length + t) * n + $0 % n } }
        self.init(rollout, rows: rows, steps: length, memory: memories,
                  advantages: advantages, returns: returns, normalize: normalize)
    }

    private init(_ rollout: Rollout, rows: [Int], steps: Int, memory: RecurrentState,
                 advantages: [Float], returns: [Float], normalize: Bool) {
        let d = rollout.observationSize, w = rollout.actionWidth, m = rows.count
        observations = rollout.observations(rows: rows, shape: [steps, m / steps, d])
        self.memory = memory
        starts = rows.map { rollout.episodeStarts[$0] }
        actions = rows.flatMap { rollout.actions[($0 * w)..<(($0 + 1) * w)] }
        oldLogProbs = Tensor(rows.map { rollout.logProbs[$0] })
        oldValues = Tensor(rows.map { rollout.values[$0] })
        var a = rows.map { advantages[$0] }
        if normalize && m > 1 {
            let mean = a.reduce(0, +) / Float(m)
            // Unbiased std, as torch's `.std()` in SB3 and CleanRL.
            let std = (a.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(m - 1)).squareRoot()
            a = a.map { ($0 - mean) / (std + 1e-8) }
        }
        self.advantages = Tensor(a)
        self.returns = Tensor(rows.map { returns[$0] })
    }
}

/// 1 − Var(R − V)/Var(R): how much of the returns' variance the value
/// function explains (1 perfect, 0 no better than a constant, < 0 worse).
public func explainedVariance(predictions: [Float], targets: [Float]) -> Float {
    func variance(_ x: [Float]) -> Float {
        let mean = x.reduce(0, +) / Float(x.count)
        return x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(x.count)
    }
    let total = variance(targets)
    guard total > 0 else { return .nan }
    return 1 - variance(zip(targets, predictions).map { $0 - $1 }) / total
}
