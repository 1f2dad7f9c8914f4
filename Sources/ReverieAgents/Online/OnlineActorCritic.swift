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
///   to the current step, and the heads above it through the step only. The
///   sensitivities are exact for the parameters of the moment; across
///   updates they carry what older parameters contributed (the usual online
///   approximation). Within an update the tape keeps each step's
///   sensitivities until the gradient is taken: memory O(M·N·|θ_cell|),
///   independent of how long episodes run.
/// - `snap1`, `uoro`: the same for a dense cell (the vanilla RNN), with
///   RTRL's sensitivities approximated (SnAp-1) or estimated (UORO).
/// - `tbptt`: the cell's state stays on the tape through the M steps and is
///   cut at the update's start: gradients reach back at most M steps.
public final class OnlineActorCritic: Agent {
    public let config: OnlineActorCriticConfig
    public let policy: any ActorCriticNetwork
    public let optimizer: Adam
    public var actingPolicy: any ActingPolicy { policy }
    public var optimizerState: [String: Tensor] { optimizer.state }
    public func loadOptimizerState(_ state: [String: Tensor]) throws { try optimizer.load(state: state) }
    public let environment: any VectorEnvironment

    /// Sampling: one generator, so a seed fixes the run.
    public var rng: RandomGenerator
    /// (N, observation shape…) where each env stands now.
    public private(set) var observations: Tensor
    /// (N) the current observation is the first of its episode.
    public private(set) var episodeStarts: [Bool]
    /// The cell's state after the last step (N rows).
    public private(set) var memory: RecurrentState
    /// RTRL's (or SnAp-1's) ds/dθ after the last step; nil for other rules.
    public private(set) var sensitivities: Sensitivities?
    /// UORO's rank-one estimate of ds/dθ; nil for other rules.
    public private(set) var estimate: RankOneSensitivity?
    public private(set) var environmentSteps = 0
    public private(set) var updates = 0

    /// - Throws: `AgentError.invalidConfiguration` for RTRL without an element-wise cell.
    public init(_ config: OnlineActorCriticConfig, policy spec: PolicySpec, environment: any VectorEnvironment,
                seed: UInt64) throws {
        guard config.updateInterval >= 1 else {
            throw AgentError.invalidConfiguration("the update interval must be at least 1 step, got \(config.updateInterval)")
        }
        let kinds = RecurrentActorCritic.CellKind.allCases
        let have = spec.memory?.rawValue ?? "a policy without memory"
        switch config.learningRule {
        case .rtrl:
            guard let kind = spec.memory, kind.isElementwise else {
                throw AgentError.invalidConfiguration(
                    "rtrl needs an element-wise cell (\(kinds.filter(\.isElementwise).map(\.rawValue).joined(separator: ", "))); "
                    + "\(have) has none to learn by it: use tbptt")
            }
        case .snap1, .uoro:
            guard let kind = spec.memory, kind.hasOnlineApproximations else {
                throw AgentError.invalidConfiguration(
                    "\(config.learningRule.rawValue) approximates RTRL for dense cells "
                    + "(\(kinds.filter(\.hasOnlineApproximations).map(\.rawValue).joined(separator: ", "))), not \(have): "
                    + "element-wise cells learn by exact rtrl, others by tbptt")
            }
        case .tbptt:
            break
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
        let cell = (policy as? RecurrentActorCritic)?.cell
        switch config.learningRule {
        case .rtrl: sensitivities = (cell as? any ElementwiseRecurrent)?.initialSensitivities(batch: environment.count)
        case .snap1: sensitivities = (cell as? any ApproximateRealTimeRecurrent)?.initialSensitivities(batch: environment.count)
        case .uoro: estimate = (cell as? any ApproximateRealTimeRecurrent)?.initialEstimate(batch: environment.count)
        case .tbptt: break
        }
    }

    /// RTRL's or SnAp-1's sensitivities, part k as `sensitivities.k`, or
    /// UORO's estimate as `uoro.state` and `uoro.parameters`: a resumed run
    /// continues to learn through the time before the checkpoint.
    public var carriedTensors: [String: Tensor] {
        var tensors = Dictionary(uniqueKeysWithValues: (sensitivities?.parts ?? []).enumerated().map { ("sensitivities.\($0)", $1) })
        if let estimate { (tensors["uoro.state"], tensors["uoro.parameters"]) = (estimate.state, estimate.parameters) }
        return tensors
    }

    /// Everything is checked before anything is replaced. When what the rule
    /// carries is missing from `carried` (an older checkpoint), the restored
    /// memory cannot be learned through: every env's memory then restarts
    /// empty (the envs themselves continue their episodes).
    public func resume(environmentSteps: Int, updates: Int, rng: RandomGenerator, observations: Tensor? = nil,
                       episodeStarts: [Bool]? = nil, memory: RecurrentState? = nil, carried: [String: Tensor] = [:],
                       carriedBytes: [String: ByteTensor] = [:]) throws {
        try validatePosition(observations: observations, episodeStarts: episodeStarts, memory: memory,
                             against: self.observations, self.episodeStarts, self.memory)
        let current = carriedTensors, names = current.keys.sorted()
        let complete = memory != nil && names.allSatisfy { carried[$0] != nil }
        if complete {
            for name in names where carried[name]!.shape != current[name]!.shape {
                throw AgentError.invalidConfiguration(
                    "resumed \(name) of shape \(carried[name]!.shape) does not fit the policy's \(current[name]!.shape)")
            }
        }
        (self.environmentSteps, self.updates, self.rng) = (environmentSteps, updates, rng)
        if let observations, let episodeStarts { (self.observations, self.episodeStarts) = (observations, episodeStarts) }
        if let memory { self.memory = memory }
        guard !names.isEmpty else { return }
        guard complete else {
            self.episodeStarts = Array(repeating: true, count: environment.count)
            return
        }
        if let parts = sensitivities?.parts {
            sensitivities = Sensitivities(parts.indices.map { carried["sensitivities.\($0)"]! })
        }
        if estimate != nil { estimate = RankOneSensitivity(state: carried["uoro.state"]!, parameters: carried["uoro.parameters"]!) }
    }

    /// What M steps of acting leave for the update: per step (N rows each,
    /// step-major) the recorded log π(a|s), V(s) and entropy, the rewards (a
    /// truncated episode's last one bootstrapped) and where episodes ended.
    struct Window {
        var logProbs: [Tensor] = [], values: [Tensor] = [], entropies: [Tensor] = []
        var rewards: [Float] = [], dones: [Bool] = []
        var episodes: [EpisodeRecord] = []
    }

    /// M steps of acting, then one update.
    public func iterate() throws -> IterationReport {
        let n = environment.count, d = policy.observationSize
        let tape = Tape()
        // 1. Act, recording the forward pass.
        let window = try collect(on: tape)

        // 2. Advantages within the window, bootstrapped from V after its last step.
        let detachedMemory = RecurrentState(memory.parts.map(\.detached)).reset(where: episodeStarts)
        let lastValues = Self.withoutTape { policy.step(observations.reshaped([n, d]), memory: detachedMemory).1.scalars }
        let oldValues = window.values.flatMap(\.scalars)
        let (advantages, returns) = generalizedAdvantages(
            rewards: window.rewards, values: oldValues, dones: window.dones, lastValues: lastValues,
            envs: n, gamma: config.gamma, lambda: config.gaeLambda)

        // 3. One gradient step.
        let logProb = Tensor.concatenate(window.logProbs), value = Tensor.concatenate(window.values)
        let entropy = Tensor.concatenate(window.entropies).mean()
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
        return IterationReport(environmentSteps: environmentSteps, episodes: window.episodes, metrics: metrics)
    }

    /// Step 1: acts for M steps, recording the forward pass on `tape`.
    ///
    /// A truncated episode's last reward becomes r + γ·V(final observation),
    /// with V seen through the memory the episode built (the cell's state after
    /// that step, before the reset the next step makes); a terminated one's
    /// stays r.
    func collect(on tape: Tape) throws -> Window {
        let n = environment.count, d = policy.observationSize, head = policy.head
        let actionShape = [n] + environment.singleActionSpace.shape
        var window = Window()
        // TBPTT: gradients stop where this update's window starts.
        memory = RecurrentState(memory.parts.map(\.detached))
        try tape.recording {
            for _ in 0..<config.updateInterval {
                let (pi, v, next) = act(observations.reshaped([n, d]))
                let actions = pi.sample(using: &rng)
                window.logProbs.append(pi.logProb(actions))
                window.values.append(v)
                window.entropies.append(pi.entropy(estimatingWith: actions))

                let step = try environment.step(Tensor(head.envActions(actions), shape: actionShape))
                var stepRewards = step.rewards
                let truncated = (0..<n).filter { step.truncated[$0] && !step.terminated[$0] }
                if !truncated.isEmpty {
                    let finals = Tensor(truncated.flatMap { step.finalObservations[$0]! }, shape: [truncated.count, d])
                    let finalValues = Self.withoutTape { policy.step(finals, memory: next.rows(truncated)).1.scalars }
                    for (k, v) in zip(truncated, finalValues) { stepRewards[k] += config.gamma * v }
                }
                window.rewards += stepRewards
                episodeStarts = (0..<n).map { step.terminated[$0] || step.truncated[$0] }
                window.dones += episodeStarts
                window.episodes += EpisodeRecord.ended(in: step.infos)
                observations = step.observations
                memory = next
                environmentSteps += n
            }
        }
        return window
    }

    /// π, V and the next memory for the current observations (N, D), by the
    /// learning rule's forward pass; resets memory and sensitivities where an
    /// episode starts.
    private func act(_ observations: Tensor) -> (PolicyDistribution, Tensor, RecurrentState) {
        let start = memory.reset(where: episodeStarts), starts = episodeStarts
        guard config.learningRule != .tbptt, let recurrent = policy as? RecurrentActorCritic else {
            return policy.step(observations, memory: start)
        }
        return recurrent.step(observations) { x in
            switch (config.learningRule, recurrent.cell) {
            case (.rtrl, let cell as any ElementwiseRecurrent):
                let step = cell.realTimeStep(x, start, sensitivities!.reset(where: starts))
                sensitivities = step.sensitivities
                return (step.output, step.state)
            case (.snap1, let cell as any ApproximateRealTimeRecurrent):
                let step = cell.snapStep(x, start, sensitivities!.reset(where: starts))
                sensitivities = step.sensitivities
                return (step.output, step.state)
            case (.uoro, let cell as any ApproximateRealTimeRecurrent):
                let step = cell.uoroStep(x, start, estimate!.reset(where: starts), using: &rng)
                estimate = step.estimate
                return (step.output, step.state)
            default:
                preconditionFailure("\(config.learningRule) cannot train \(type(of: recurrent.cell)) (checked at init)")
            }
        }
    }

    /// Runs `body` with no tape current: values it computes are plain numbers.
    static func withoutTape<R>(_ body: () throws -> R) rethrows -> R {
        try Tape.$current.withValue(nil, operation: body)
    }
}
