// MARK: - Regression losses
//
// Both take prediction and target of one shape and return the mean over every
// element, as PyTorch's default reduction. Equal shapes are required, not
// broadcast: a (B) target against a (B, 1) prediction would silently become
// a (B, B) loss. Gradients reach both arguments; detach a target that must
// not be trained (a bootstrapped return).

/// L = mean((ŷ − y)²).
///
/// - Parameters:
///   - prediction: (…) predictions ŷ.
///   - target: (…) targets y, in the same shape.
/// - Returns: a scalar.
public func meanSquaredError(_ prediction: Tensor, _ target: Tensor) -> Tensor {
    precondition(prediction.shape == target.shape,
                 "meanSquaredError of prediction \(prediction.shape) against target \(target.shape)")
    return (prediction - target).squared().mean()
}

/// L = mean(ℓ_δ(ŷ − y)), ℓ_δ(r) = ½r² for |r| ≤ δ, δ(|r| − ½δ) otherwise
/// (Huber 1964): quadratic near zero, linear in the tails, so outliers pull
/// with a gradient of at most δ.
///
/// Written as ℓ_δ(r) = ½q² + δ(|r| − q) with q = min(|r|, δ), which equals
/// both branches and needs no per-element branch on the tape.
///
/// - Parameters:
///   - prediction: (…) predictions ŷ.
///   - target: (…) targets y, in the same shape.
///   - delta: the threshold δ > 0 between the quadratic and linear parts.
/// - Returns: a scalar.
public func huberLoss(_ prediction: Tensor, _ target: Tensor, delta: Float = 1) -> Tensor {
    precondition(prediction.shape == target.shape,
                 "huberLoss of prediction \(prediction.shape) against target \(target.shape)")
    precondition(delta > 0, "huberLoss needs delta > 0, got \(delta)")
    let r = (prediction - target).abs()
    let q = r.clamped(0, delta)
    return (0.5 * q.squared() + delta * (r - q)).mean()
}
