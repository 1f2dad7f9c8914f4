/// KL(p‖q) = Σₖ pₖ·(log pₖ − log qₖ) between the categorical distributions
/// p = softmax(pLogits) and q = softmax(qLogits), per row of the last axis.
///
/// Log-probabilities come from log-softmax, so the result is finite for any
/// finite logits and exactly zero when both arguments are the same tensor.
/// Gradients reach both arguments; detach one to stop them there.
///
/// DreamerV3's KL balancing (Hafner et al. 2023, the dynamics and
/// representation losses with free bits) over latents of G groups:
///
///     let dyn = categoricalKL(post.detached, prior).sum(axis: -1)   // (B, G) → (B)
///     let rep = categoricalKL(post, prior.detached).sum(axis: -1)
///     let loss = 0.5 * dyn.clamped(1, .infinity) + 0.1 * rep.clamped(1, .infinity)
///
/// `clamped(1, .infinity)` is max(1, ·): below one nat it passes no gradient,
/// as the free-bits rule intends. With unimix, pass the mixed distributions'
/// `OneHotCategorical.logProbabilities` as the logits.
///
/// - Parameters:
///   - p: (…, K) logits of p.
///   - q: (…, K) logits of q, in the same shape.
/// - Returns: (…) KL(p‖q) of each row, in nats, ≥ 0 up to rounding.
public func categoricalKL(_ p: Tensor, _ q: Tensor) -> Tensor {
    precondition(p.shape == q.shape && p.rank >= 1, "categoricalKL of logits \(p.shape) and \(q.shape)")
    let logP = p.logSoftmax()
    return (logP.exp() * (logP - q.logSoftmax())).sum(axis: -1)
}
