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
public func evaluate(_ policy: any ActorCriticNetwork, in environment: any Environment, episodes: Int, seed: UInt64,
                     deterministic: Bool = true, onFrame: ((Frame) -> Void)? = nil) throws -> [Float] {
    var rng = RandomGenerator(seed: seed)
    var returns: [Float] = []
    for k in 0..<episodes {
        var observation = environment.reset(seed: seed &+ UInt64(k))
        var memory = policy.initialMemory(batch: 1)
        var total: Float = 0
        while true {
            if k == 0, let onFrame, let frame = environment.render() { onFrame(frame) }
            let (pi, _, next) = policy.step(Tensor(observation, shape: [1, observation.count]), memory: memory)
            memory = next
            let raw = deterministic ? pi.mode : pi.sample(using: &rng)
            let step = try environment.step(policy.head.envActions(raw))
            total += step.reward
            observation = step.observation
            if step.isDone { break }
        }
        returns.append(total)
    }
    return returns
}
