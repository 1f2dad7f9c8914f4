/// DreamerV3's discrete regression of scalars (rewards, returns): a network
/// predicts logits over bins evenly spaced in symlog space, is trained with
/// cross-entropy against the two-hot encoding of symlog(target), and reads
/// its prediction back as symexp of the expected bin.
///
/// Classification keeps the gradient's scale independent of the targets'
/// scale, and symlog lets 255 bins over [−20, 20] cover |y| up to ~5·10⁸
/// (DreamerV3, Hafner et al. 2023, symlog predictions and the twohot loss).
///
///     let twoHot = SymlogTwoHot()                                   // 255 bins
///     let loss = twoHot.crossEntropy(logits: rewardHead(f), targets: rewards).mean()
///     let predicted = twoHot.expectation(logits: rewardHead(f))     // (B)
public struct SymlogTwoHot: Sendable {
    /// (n) the bin centres b₁ < … < bₙ, in symlog space.
    public let bins: Tensor
    /// The first and last bin, b₁ and bₙ.
    public let low: Float, high: Float

    /// - Parameters:
    ///   - binCount: n ≥ 2 bins (DreamerV3: 255).
    ///   - low: b₁, the smallest symlog value represented (DreamerV3: −20).
    ///   - high: bₙ, the largest (DreamerV3: 20).
    public init(binCount: Int = 255, low: Float = -20, high: Float = 20) {
        precondition(binCount >= 2 && low < high, "SymlogTwoHot needs ≥ 2 bins over low < high, got \(binCount) over [\(low), \(high)]")
        self.low = low
        self.high = high
        // In Double, so that a symmetric range puts the middle bin at exactly 0.
        let width = Double(high) - Double(low), last = Double(binCount - 1)
        bins = Tensor((0..<binCount).map { Float(Double(low) + width * Double($0) / last) })
    }

    /// Number of bins n.
    public var binCount: Int { bins.count }

    /// twohot(symlog(y)): weight on the two bins around x = symlog(y), split so
    /// that the weighted bins average to x:
    /// w_k = (b_{k+1} − x)/(b_{k+1} − b_k), w_{k+1} = (x − b_k)/(b_{k+1} − b_k)
    /// with b_k ≤ x < b_{k+1} (DreamerV3's twohot). x outside [b₁, bₙ] puts all
    /// weight on the nearest end bin.
    ///
    /// - Parameter targets: (…) scalars y, not NaN. Treated as constants.
    /// - Returns: (…, n) non-negative weights summing to 1 per row; not recorded.
    public func encode(_ targets: Tensor) -> Tensor {
        let n = binCount
        let x = targets.detached.symlog().scalars, b = bins.scalars
        let step = (Double(high) - Double(low)) / Double(n - 1)
        return Tensor(shape: targets.shape + [n]) { out in
            out.initialize(repeating: 0)
            for (i, xi) in x.enumerated() {
                precondition(!xi.isNaN, "SymlogTwoHot cannot encode a NaN target")
                let clipped = Swift.min(Swift.max(xi, low), high)
                let k = Swift.min(Int((Double(clipped) - Double(low)) / step), n - 2)
                let above = Swift.min(Swift.max((clipped - b[k]) / (b[k + 1] - b[k]), 0), 1)
                out[i * n + k] = 1 - above
                out[i * n + k + 1] = above
            }
        }
    }

    /// −Σᵢ twohot(symlog(y))ᵢ·log softmax(logits)ᵢ, the twohot loss.
    ///
    /// - Parameters:
    ///   - logits: (…, n) the network's logits over the bins.
    ///   - targets: (…) scalars y; no gradient flows into them.
    /// - Returns: (…) the cross-entropy of each row; its gradient reaches `logits`.
    public func crossEntropy(logits: Tensor, targets: Tensor) -> Tensor {
        precondition(logits.shape == targets.shape + [binCount],
                     "crossEntropy of logits \(logits.shape) against targets \(targets.shape) over \(binCount) bins")
        return -(encode(targets) * logits.logSoftmax()).sum(axis: -1)
    }

    /// ŷ = symexp(Σᵢ softmax(logits)ᵢ·bᵢ), the prediction in the targets' units.
    ///
    /// - Parameter logits: (…, n) the network's logits over the bins.
    /// - Returns: (…) one scalar per row, recorded on the tape of `logits`.
    public func expectation(logits: Tensor) -> Tensor {
        precondition(logits.shape.last == binCount, "expectation of logits \(logits.shape) over \(binCount) bins")
        return (logits.softmax() * bins).sum(axis: -1).symexp()
    }
}
