/// A categorical distribution over K classes along the last axis, with
/// actions as class indices (a discrete policy head).
///
/// Every row of the leading axes is one distribution: logits (B, K) are B
/// distributions, (B, G, K) are B·G. Index arrays run over those rows in
/// row-major order. `logProb`, `entropy` and `probabilities` are recorded on
/// the tape of `logits`, so gradients reach the network that produced them;
/// `sample` and `mode` are indices and carry no gradient.
///
///     let pi = Categorical(logits: policy(observation))   // (B, K)
///     let actions = pi.sample(using: &rng)                 // [B]
///     let loss = -(pi.logProb(actions) * advantages).mean()
public struct Categorical: Sendable {
    /// (…, K) the unnormalised log-probabilities this distribution was built from.
    public let logits: Tensor
    /// (…, K) log π(k) = logits − logsumexp(logits), normalised over the last axis.
    public let logProbabilities: Tensor
    /// π itself when the builder had it already (a mixture), saving an exp.
    private let knownProbabilities: Tensor?

    /// - Parameter logits: (…, K) unnormalised log-probabilities, K ≥ 1.
    public init(logits: Tensor) {
        precondition(logits.rank >= 1 && logits.shape.last! >= 1,
                     "Categorical needs logits with a class axis, got shape \(logits.shape)")
        self.logits = logits
        self.logProbabilities = logits.logSoftmax()
        knownProbabilities = nil
    }

    /// The distribution with probabilities π (…, K), already normalised, and
    /// their logarithms: no normalisation is recomputed.
    init(probabilities: Tensor, logProbabilities: Tensor) {
        (logits, self.logProbabilities, knownProbabilities) = (logProbabilities, logProbabilities, probabilities)
    }

    /// Number of classes K.
    public var classCount: Int { logits.shape.last! }

    /// Number of distributions, the product of the leading axes.
    public var rowCount: Int { logits.count / classCount }

    /// (…, K) π(k) = softmax(logits).
    public var probabilities: Tensor { knownProbabilities ?? logProbabilities.exp() }

    /// log π(a) of one class index per row.
    ///
    /// - Parameter actions: [rows] indices in 0..<K, row-major over the leading axes.
    /// - Returns: (…) the log-probabilities; the leading axes of `logits`.
    public func logProb(_ actions: [Int]) -> Tensor {
        precondition(actions.count == rowCount,
                     "logProb needs \(rowCount) actions for logits of shape \(logits.shape), got \(actions.count)")
        return logProbabilities.gather(actions)
    }

    /// H = −Σₖ π(k)·log π(k).
    ///
    /// - Returns: (…) the entropy of each row, in nats.
    public func entropy() -> Tensor {
        -(probabilities * logProbabilities).sum(axis: -1)
    }

    /// The most likely class of each row (the first on ties): [rows].
    public var mode: [Int] { logits.argmax() }

    /// One class index per row, drawn with probability π(k).
    ///
    /// - Returns: [rows] indices in 0..<K, row-major over the leading axes.
    public func sample(using rng: inout RandomGenerator) -> [Int] {
        let k = classCount
        // Detached: drawing indices must not add records to the logits' tape.
        return logProbabilities.detached.exp().withUnsafeBufferPointer { p in
            (0..<rowCount).map { r in rng.categorical(UnsafeBufferPointer(rebasing: p[(r * k)..<((r + 1) * k)])) }
        }
    }
}
