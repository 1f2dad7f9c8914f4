import ReverieEnvs
import ReverieNN
import ReverieRecurrent

/// Plays `episodes` whole episodes in `environment`, one after another, and
/// returns each one's undiscounted return.
///
/// - Parameters:
///   - deterministic: act with the distribution's mode (SB3's
///     `evaluate_policy` default) rather than a sample.
///   - seed: episode k starts from `reset(seed: seed + k)`.
///   - onFrame: called with each rendered frame of the first episode, if given
///     (to record a video).
///   - shouldStop: checked every step; when it says stop, the episodes finished
///     so far are returned (Ctrl-C during a run's last evaluation).
public func evaluate(_ policy: any ActingPolicy, in environment: any Environment, episodes: Int, seed: UInt64,
                     deterministic: Bool = true, onFrame: ((Frame) -> Void)? = nil,
                     shouldStop: () -> Bool = { false }) throws -> [Float] {
    var rng = RandomGenerator(seed: seed)
    var returns: [Float] = []
    for k in 0..<episodes {
        var observation = environment.reset(seed: seed &+ UInt64(k))
        var memory = policy.initialMemory(batch: 1)
        var total: Float = 0
        while true {
            if shouldStop() { return returns }
            if k == 0, let onFrame, let frame = environment.render() { onFrame(frame) }
            let (pi, _, next) = policy.step(Tensor(observation, shape: [1, observation.count]), memory: memory)
            memory = next
            let raw = deterministic ? pi.mode : pi.sample(using: &rng)
            memory = policy.remember(actions: raw, in: memory)
            let step = try environment.step(policy.head.envActions(raw))
            total += step.reward
            observation = step.observation
            if step.isDone { break }
        }
        returns.append(total)
    }
    return returns
}

/// Plays `episodes` whole episodes across the N envs of a vector env (a
/// remote one, say), all stepped together, and returns each one's
/// undiscounted return. Env i plays ⌊(episodes + i) / N⌋ of them, as
/// Stable-Baselines3's `evaluate_policy` splits the work, so short episodes
/// are not over-counted. An episode end marked `info["life_loss"]` (a lost
/// life under `AtariPreprocessing`'s terminal-on-life-loss) is not a game's
/// end: the game plays on and counts as one episode.
///
/// - Parameters:
///   - seed: the vector env is reset with it (env i gets seed + i).
///   - shouldStop: checked every step; when it says stop, the episodes finished
///     so far are returned.
public func evaluate(_ policy: any ActingPolicy, in environment: any VectorEnvironment, episodes: Int,
                     seed: UInt64, deterministic: Bool = true, shouldStop: () -> Bool = { false }) throws -> [Float] {
    let n = environment.count
    var rng = RandomGenerator(seed: seed)
    var memory = policy.initialMemory(batch: n)
    let actionShape = [n] + environment.singleActionSpace.shape
    return try evaluate(in: environment, episodes: episodes, seed: seed, shouldStop: shouldStop) { observations, starts in
        let (pi, _, next) = policy.step(observations.reshaped([n, policy.observationSize]), memory: memory.reset(where: starts))
        let raw = deterministic ? pi.mode : pi.sample(using: &rng)
        memory = policy.remember(actions: raw, in: next)
        return Tensor(policy.head.envActions(raw), shape: actionShape)
    }
}

/// The same episodes with uniformly random actions (seeded by `seed`): the
/// baseline a trained agent should beat.
public func evaluateRandomActions(in environment: any VectorEnvironment, episodes: Int, seed: UInt64,
                                  shouldStop: () -> Bool = { false }) throws -> [Float] {
    var rng = RandomGenerator(seed: seed)
    let space = environment.singleActionSpace, n = environment.count
    return try evaluate(in: environment, episodes: episodes, seed: seed, shouldStop: shouldStop) { _, _ in
        Tensor((0..<n).flatMap { _ in space.sample(using: &rng) }, shape: [n] + space.shape)
    }
}

/// The episode accounting of the two above, with actions from `act`, which
/// reads the N envs' observations and which of them start an episode.
func evaluate(in environment: any VectorEnvironment, episodes: Int, seed: UInt64, shouldStop: () -> Bool,
              act: (_ observations: Tensor, _ episodeStarts: [Bool]) throws -> Tensor) throws -> [Float] {
    let n = environment.count
    var observations = try environment.reset(seed: seed)
    var starts = [Bool](repeating: true, count: n)
    let targets = (0..<n).map { (episodes + $0) / n }
    var counts = [Int](repeating: 0, count: n), running = [Float](repeating: 0, count: n)
    var returns: [Float] = []
    while zip(counts, targets).contains(where: { $0 < $1 }) && !shouldStop() {
        let step = try environment.step(try act(observations, starts))
        for i in 0..<n {
            running[i] += step.rewards[i]
            starts[i] = step.terminated[i] || step.truncated[i]
            // A lost life ends the learner's episode, not the game (AtariPreprocessing's `life_loss`).
            if starts[i] && step.infos[i]["life_loss"] == nil {
                if counts[i] < targets[i] { returns.append(step.infos[i]["episode_return"] ?? running[i]) }
                counts[i] += 1
                running[i] = 0
            }
        }
        observations = step.observations
    }
    return returns
}
