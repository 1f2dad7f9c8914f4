import ReverieEnvs
import ReverieNN
import ReverieRecurrent

/// An actor-critic that learns online, one update every M environment steps,
/// carrying its memory across updates with no truncation of what it
/// remembers (Irie, Gopalakrishnan & Schmidhuber 2024, "Exploring the Promise
/// and Limits of Real-Time Recurrent Learning", Sec. 4: their R2AC, here
/// synchronous over N envs). One iteration, top to bottom:
///
/// 1. Act for M steps, recording the forward pass on a tape: observations →
///    encoder → recurrent cell → π(·|h), V(h). A truncated episode's last
///    reward gets γ·V(final observation), seen with the memory the episode built.
/// 2. Advantages by GAE(λ) over the M steps, bootstrapped from V after step M.
/// 3. One Adam step on
///
///        L = −E[log π(a|s)·Â] + c_v·E[(V(s) − R)²] − c_e·E[H(π(·|s))]
///
/// The learning rule decides how the cell's parameters get their gradient:
///
/// - `rtrl`: the cell (element-wise: eLSTM, minGRU, LRU) runs
///   `realTimeStep`, carrying ds/dθ next to its state forever (reset only at
///   episode starts), so a reward at step t credits the recurrent weights for
///   inputs seen any number of updates earlier. As in the paper, the layers
///   below the cell (the observation encoder) learn from gradients truncated
///   to the current step, and the heads above it through the step only.
/// - `tbptt`: the cell's state stays on the tape through the M steps and is
///   cut at the update's start: gradients reach back at most M steps.
public final class OnlineActorCritic: Agent {
    public let config: OnlineActorCriticConfig
    public let policy: any ActorCriticNetwork
    public let optimizer: Adam
    public let environment: any VectorEnvironment

    /// Sampling: one generator, so a seed fixes the run.
    public var rng: RandomGenerator
    /// (N, observation shape…) where each env stands now.
    public private(set) var observations: Tensor
    /// (N) the current observation is the first of its episode.
    public private(set) var episodeStarts: [Bool]
    /// The cell's state after the last step (N rows).
    public private(set) var memory: RecurrentState
    /// RTRL's ds/dθ after the last step; nil for TBPTT.
    public private(set) var sensitivities: Sensitivities?
    public private(set) var environmentSteps = 0
    public private(set) var updates = 0

    /// - Throws: `AgentError.invalidConfiguration` for RTRL without an element-wise cell.
    public init(_ config: OnlineActorCriticConfig, policy spec: PolicySpec, environment: any VectorEnvironment,
                seed: UInt64) throws {
        guard config.updateInterval >= 1 else {
            throw AgentError.invalidConfiguration("the update interval must be at least 1 step, got \(config.updateInterval)")
        }
        if config.learningRule == .rtrl {
            guard let kind = spec.memory, kind.isElementwise else {
                let cells = RecurrentActorCritic.CellKind.allCases.filter(\.isElementwise).map(\.rawValue).joined(separator: ", ")
                throw AgentError.invalidConfiguration(
                    "rtrl needs an element-wise cell (\(cells)); \(spec.memory?.rawValue ?? "a policy without memory") "
                    + "has none to learn by it: use tbptt")
            }
        }
        self.config = config
        self.environment = environment
        rng = RandomGenerator(seed: seed)
        policy = try spec.make(observationSpace: environment.singleObservationSpace,
                               actionSpace: environment.singleActionSpace, rng: &rng)
        optimizer = Adam(policy, learningRate: config.learningRate, epsilon: config.adamEpsilon)
        observations = try environment.reset(seed: seed)
        episodeStarts = Array(repeating: true, count: environment.count)
        memory = policy.initialMemory(batch: environment.count)
        if config.learningRule == .rtrl, let recurrent = policy as? RecurrentActorCritic,
           let cell = recurrent.cell as? any ElementwiseRecurrent {
            sensitivities = cell.initialSensitivities(batch: environment.count)
        }
    }

    /// RTRL's sensitivities, part k as `sensitivities.k`: a resumed run
    /// continues to learn through the time before the checkpoint.
    public var carriedTensors: [String: Tensor] {
        Dictionary(uniqueKeysWithValues: (sensitivities?.parts ?? []).enumerated().map { ("sensitivities.\($0)", $1) })
    }

    public func resume(environmentSteps: Int, updates: Int, rng: RandomGenerator, observations: Tensor? = nil,
                       episodeStarts: [Bool]? = nil, memory: RecurrentState? = nil, carried: [String: Tensor] = [:]) throws {
        (self.environmentSteps, self.updates, self.rng) = (environmentSteps, updates, rng)
        try restorePosition(observations: observations, episodeStarts: episodeStarts, memory: memory,
                            into: &self.observations, &self.episodeStarts, &self.memory)
        guard let current = sensitivities else { return }
        let parts = current.parts.indices.compactMap { carried["sensitivities.\($0)"] }
        if memory != nil && parts.count == current.parts.count {
            guard zip(parts, current.parts).allSatisfy({ $0.shape == $1.shape }) else {
                throw AgentError.invalidConfiguration("resumed sensitivities \(parts.map(\.shape)) do not fit \(current.parts.map(\.shape))")
            }
            sensitivities = Sensitivities(parts)
        } else {
            // Without the sensitivities, the memory they belong to cannot be learned through: start episodes afresh.
            self.episodeStarts = Array(repeating: true, count: environment.count)
        }
    }

    /// M steps of acting, then one update.
    public func iterate() throws -> IterationReport {
        let n = environment.count, d = policy.observationSize, head = policy.head
        let steps = config.updateInterval
        let tape = Tape()
        var logProbs: [Tensor] = [], values: [Tensor] = [], entropies: [Tensor] = []
        var rewards: [Float] = [], dones: [Bool] = [], episodes: [EpisodeRecord] = []
        let actionShape = [n] + environment.singleActionSpace.shape
        // TBPTT: gradients stop where this update's window starts.
        memory = RecurrentState(memory.parts.map(\.detached))

        // 1. Act, recording the forward pass.
        try tape.recording {
            for _ in 0..<steps {
                let (pi, v, next) = act(observations.reshaped([n, d]))
                let actions = pi.sample(using: &rng)
                logProbs.append(pi.logProb(actions))
                values.append(v)
                entropies.append(pi.entropy(estimatingWith: actions))

                let step = try environment.step(Tensor(head.envActions(actions), shape: actionShape))
                var stepRewards = step.rewards
                let truncated = (0..<n).filter { step.truncated[$0] && !step.terminated[$0] }
                if !truncated.isEmpty {
                    let finals = Tensor(truncated.flatMap { step.finalObservations[$0]! }, shape: [truncated.count, d])
                    let finalValues = Self.withoutTape { policy.step(finals, memory: next.rows(truncated)).1.scalars }
                    for (k, v) in zip(truncated, finalValues) { stepRewards[k] += config.gamma * v }
                }
                rewards += stepRewards
                episodeStarts = (0..<n).map { step.terminated[$0] || step.truncated[$0] }
                dones += episodeStarts
                for (i, info) in step.infos.enumerated() {
                    if let r = info["episode_return"], let l = info["episode_length"] {
                        episodes.append(EpisodeRecord(environment: i, return: r, length: Int(l)))
                    }
                }
                observations = step.observations
                memory = next
                environmentSteps += n
            }
        }

        // 2. Advantages within the window, bootstrapped from V after its last step.
        let detachedMemory = RecurrentState(memory.parts.map(\.detached)).reset(where: episodeStarts)
        let lastValues = Self.withoutTape { policy.step(observations.reshaped([n, d]), memory: detachedMemory).1.scalars }
        let oldValues = values.flatMap(\.scalars)
        let (advantages, returns) = generalizedAdvantages(
            rewards: rewards, values: oldValues, dones: dones, lastValues: lastValues,
            envs: n, gamma: config.gamma, lambda: config.gaeLambda)

        // 3. One gradient step.
        let logProb = Tensor.concatenate(logProbs), value = Tensor.concatenate(values)
        let entropy = Tensor.concatenate(entropies).mean()
        let policyLoss = -(logProb * Tensor(advantages)).mean()
        let valueLoss = (value - Tensor(returns)).squared().mean()
        let loss = policyLoss + config.valueCoefficient * valueLoss - config.entropyCoefficient * entropy
        guard loss.item.isFinite else {
            throw AgentError.nonFinite(what: "the loss (policy \(policyLoss.item), value \(valueLoss.item))",
                                       update: updates, environmentSteps: environmentSteps)
        }
        var gradients = tape.gradients(of: loss, wrt: optimizer.parameters)
        let gradientNorm = clipGlobalNorm(&gradients, maxNorm: config.maxGradientNorm)
        guard gradientNorm.isFinite else {
            throw AgentError.nonFinite(what: "the gradient norm", update: updates, environmentSteps: environmentSteps)
        }
        optimizer.update(gradients)
        updates += 1
        let metrics = UpdateMetrics(
            policyLoss: policyLoss.item, valueLoss: valueLoss.item, entropy: entropy.item, approxKL: 0, clipFraction: 0,
            gradientNorm: gradientNorm, explainedVariance: explainedVariance(predictions: oldValues, targets: returns),
            learningRate: optimizer.learningRate, clipRange: 0, gradientSteps: 1)
        return IterationReport(environmentSteps: environmentSteps, episodes: episodes, metrics: metrics)
    }

    /// π, V and the next memory for the current observations (N, D), by the
    /// learning rule's forward pass; resets memory and sensitivities where an
    /// episode starts.
    private func act(_ observations: Tensor) -> (PolicyDistribution, Tensor, RecurrentState) {
        let start = memory.reset(where: episodeStarts)
        guard let carried = sensitivities, let recurrent = policy as? RecurrentActorCritic else {
            return policy.step(observations, memory: start)
        }
        let (pi, v, next, updated) = recurrent.realTimeStep(observations, memory: start,
                                                            sensitivities: carried.reset(where: episodeStarts))
        sensitivities = updated
        return (pi, v, next)
    }

    /// Runs `body` with no tape current: values it computes are plain numbers.
    static func withoutTape<R>(_ body: () throws -> R) rethrows -> R {
        try Tape.$current.withValue(nil, operation: body)
    }
}
