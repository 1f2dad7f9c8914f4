/// TD(λ) returns of imagined trajectories (DreamerV3, eq. 7), time-major:
///
///     R_t = r_{t+1} + γ·c_{t+1}·((1 − λ)·v_{t+1} + λ·R_{t+1}),   R_H = v_H
///
/// - Parameters:
///   - rewards: H rows of B, row t holding r_{t+1} (the reward on arriving at step t + 1).
///   - continues: H rows of B, row t holding c_{t+1} ∈ [0, 1].
///   - values: H + 1 rows of B, v_0 … v_H.
/// - Returns: H rows of B, R_0 … R_{H−1}.
public func lambdaReturns(rewards: [[Float]], continues: [[Float]], values: [[Float]], gamma: Float, lambda: Float) -> [[Float]] {
    let h = rewards.count
    precondition(continues.count == h && values.count == h + 1, "λ-returns need H rewards and continues and H + 1 values")
    var returns = [[Float]](repeating: [], count: h)
    var next = values[h]
    for t in stride(from: h - 1, through: 0, by: -1) {
        next = next.indices.map { b in
            rewards[t][b] + gamma * continues[t][b] * ((1 - lambda) * values[t + 1][b] + lambda * next[b])
        }
        returns[t] = next
    }
    return returns
}

/// DreamerV3's return normalisation: EMAs of the 5th and 95th percentiles of
/// the λ-returns, and the scale S = max(1, P95 − P5) advantages are divided
/// by — large returns shrink to unit range, small ones are not blown up
/// (so sparse rewards keep their signal).
public struct ReturnNormalizer: Sendable, Equatable {
    /// EMA decay per update.
    public let decay: Float
    /// The EMAs of P5 and P95 (0 before the first update).
    public private(set) var low: Float = 0, high: Float = 0

    public init(decay: Float = 0.99) { self.decay = decay }

    /// Folds in one batch of returns and gives the scale to divide by.
    public mutating func update(_ returns: [Float]) -> Float {
        let sorted = returns.sorted()
        func percentile(_ q: Float) -> Float {
            sorted[Swift.min(sorted.count - 1, Int((q * Float(sorted.count - 1)).rounded()))]
        }
        low = decay * low + (1 - decay) * percentile(0.05)
        high = decay * high + (1 - decay) * percentile(0.95)
        return scale
    }

    /// S = max(1, P95 − P5).
    public var scale: Float { Swift.max(1, high - low) }

    /// Continues from saved EMAs.
    public mutating func restore(low: Float, high: Float) { (self.low, self.high) = (low, high) }
}
