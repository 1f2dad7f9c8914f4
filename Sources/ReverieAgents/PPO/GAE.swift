/// Generalized advantage estimation (Schulman et al. 2016, eq. 16), computed
/// backwards over a time-major rollout:
///
///     δ_t = r_t + γ(1 − d_t)·V(s_{t+1}) − V(s_t)
///     Â_t = δ_t + γλ(1 − d_t)·Â_{t+1}
///
/// where d_t marks the last step of an episode. With same-step autoreset the
/// row after a done belongs to the next episode, so (1 − d_t) cuts both the
/// bootstrap and the recursion there.
///
/// - Parameters:
///   - rewards, values, dones: (T·N), row t·N + i.
///   - lastValues: (N) V(s_T) after the last step.
/// - Returns: advantages Â (T·N) and returns Â + V, the value targets.
public func generalizedAdvantages(
    rewards: [Float], values: [Float], dones: [Bool], lastValues: [Float],
    envs n: Int, gamma: Float, lambda: Float
) -> (advantages: [Float], returns: [Float]) {
    precondition(rewards.count == values.count && values.count == dones.count && rewards.count % n == 0 && lastValues.count == n,
                 "GAE needs T·N rewards, values and dones and N last values")
    let steps = rewards.count / n
    var advantages = [Float](repeating: 0, count: rewards.count)
    var returns = advantages
    for i in 0..<n {
        var nextAdvantage: Float = 0
        var nextValue = lastValues[i]
        for t in stride(from: steps - 1, through: 0, by: -1) {
            let row = t * n + i
            let continues: Float = dones[row] ? 0 : 1
            let delta = rewards[row] + gamma * continues * nextValue - values[row]
            nextAdvantage = delta + gamma * lambda * continues * nextAdvantage
            advantages[row] = nextAdvantage
            returns[row] = nextAdvantage + values[row]
            nextValue = values[row]
        }
    }
    return (advantages, returns)
}
