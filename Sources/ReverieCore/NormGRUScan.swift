// MARK: - DreamerV3's LayerNorm GRU over a sequence, fused

extension Tensor {
    /// T steps of the GRU of DreamerV3's RSSM (Hafner et al. 2023, the
    /// reference code's `_gru`) as one operation, backward by hand:
    ///
    ///     g = LN(p_t + W_h·h_{t−1})·γ + β          (over the 3H pre-activations)
    ///     r, c, u = split(g)
    ///     h_t = σ(u − 1) ⊙ tanh(σ(r) ⊙ c) + (1 − σ(u − 1)) ⊙ h_{t−1}
    ///
    /// where p_t = W_x·x_t comes from one matrix product over the whole
    /// sequence (the caller's). Sequences are independent, so the workers
    /// (`Parallel`) each take a block of them through all T steps with no
    /// hand-off between steps: per step one (B' × H)·(H × 3H) product and one
    /// pass over the gates. Backward walks the steps back the same way, one
    /// product per step for ∂h_{t−1}, and finishes ∂W_h as a single product
    /// over all T·B rows.
    ///
    /// - Parameters:
    ///   - projected: p_t for every step, (T, B, 3H), gates r | c | u.
    ///   - hiddenWeight: W_h, (3H, H). - gain, bias: γ and β, (3H).
    ///   - hidden: h before the first step, (B, H).
    ///   - resets: (T·B) or empty: zero sequence b's h before step t.
    ///   - epsilon: added to the variance.
    /// - Returns: h_1…h_T (T·B·H) followed by h_T (B·H), flat.
    public static func normGRUScan(projected: Tensor, hiddenWeight: Tensor, gain: Tensor, bias: Tensor, hidden: Tensor,
                                   resets: [Bool], epsilon: Float) -> Tensor {
        let (steps, batch, h) = (projected.shape[0], hidden.shape[0], hidden.shape[1])
        precondition(projected.shape == [steps, batch, 3 * h] && hiddenWeight.shape == [3 * h, h]
                     && gain.shape == [3 * h] && bias.shape == [3 * h],
                     "normGRUScan: projected \(projected.shape), W_h \(hiddenWeight.shape), γ \(gain.shape), β \(bias.shape), h \(hidden.shape)")
        precondition(steps > 0, "normGRUScan needs at least one step")
        precondition(resets.isEmpty || resets.count == steps * batch, "normGRUScan needs T·B = \(steps * batch) reset flags")
        let kernel = NormGRUKernel(steps: steps, batch: batch, width: h, resets: resets, epsilon: epsilon,
                                   weight: hiddenWeight.storage.pointer, gain: gain.storage.pointer, bias: bias.storage.pointer)
        let out = Tensor(shape: [(steps + 1) * batch * h]) { y in
            kernel.forward(projected: projected.storage.pointer, hidden: hidden.storage.pointer, into: y.baseAddress!)
        }
        return recorded(.normGRUScan, out, projected, hiddenWeight, gain, bias, hidden,
                        backward: { [hiddenWeight, gain, bias] g in
            _ = (hiddenWeight, gain, bias)  // the kernel reads their storage: keep it alive
            return kernel.backward(g.storage.pointer)
        })
    }
}

/// The loops of `Tensor.normGRUScan` and what its backward needs from the
/// forward pass (owned by the kernel, released with the tape).
private final class NormGRUKernel {
    let steps, batch, width: Int
    let resets: [Bool]
    let epsilon: Float
    let weight, gain, bias: UnsafeMutablePointer<Float>
    /// h_{t−1} as step t read it (after its reset), (T, B, H).
    let previous: Tensor
    /// The normalised pre-activations x̂, (T, B, 3H), and 1/σ per row, (T, B).
    let normalized, inverseStd: Tensor
    /// σ(r) | c | σ(u − 1) | tanh(σ(r)·c), (T, B, 4H).
    let gates: Tensor

    init(steps: Int, batch: Int, width: Int, resets: [Bool], epsilon: Float,
         weight: UnsafeMutablePointer<Float>, gain: UnsafeMutablePointer<Float>, bias: UnsafeMutablePointer<Float>) {
        (self.steps, self.batch, self.width, self.resets, self.epsilon) = (steps, batch, width, resets, epsilon)
        (self.weight, self.gain, self.bias) = (weight, gain, bias)
        previous = .zeros([steps, batch, width])
        normalized = .zeros([steps, batch, 3 * width])
        inverseStd = .zeros([steps, batch])
        gates = .zeros([steps, batch, 4 * width])
    }

    func isReset(_ t: Int, _ s: Int) -> Bool { !resets.isEmpty && resets[t * batch + s] }

    /// h_1…h_T then h_T into `out`.
    func forward(projected: UnsafePointer<Float>, hidden: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let (b, h) = (batch, width), rows = b * h, wide = 3 * h
        Parallel.chunks(b) { _, sequences in
            let first = sequences.lowerBound, count = sequences.count
            let pre = UnsafeMutablePointer<Float>.allocate(capacity: count * wide)
            defer { pre.deallocate() }
            for t in 0..<steps {
                let hPrev = previous.storage.pointer + t * rows + first * h
                hPrev.update(from: t == 0 ? hidden + first * h : UnsafePointer(out + (t - 1) * rows + first * h), count: count * h)
                for s in sequences where isReset(t, s) { (hPrev + (s - first) * h).update(repeating: 0, count: h) }
                pre.update(from: projected + (t * b + first) * wide, count: count * wide)
                sgemm(hPrev, transposeA: false, weight, transposeB: true, pre, m: count, n: wide, k: h, beta: 1)
                for s in sequences {
                    let x = pre + (s - first) * wide, xhat = normalized.storage.pointer + (t * b + s) * wide
                    var mean: Float = 0, variance: Float = 0
                    for j in 0..<wide { mean += x[j] }
                    mean /= Float(wide)
                    for j in 0..<wide { variance += (x[j] - mean) * (x[j] - mean) }
                    let inverse = 1 / (variance / Float(wide) + epsilon).squareRoot()
                    inverseStd.storage.pointer[t * b + s] = inverse
                    for j in 0..<wide { xhat[j] = (x[j] - mean) * inverse }
                    let gate = gates.storage.pointer + (t * b + s) * 4 * h
                    let (r, c, u, candidate) = (gate, gate + h, gate + 2 * h, gate + 3 * h)
                    let hp = previous.storage.pointer + (t * b + s) * h, y = out + (t * b + s) * h
                    for j in 0..<h {
                        r[j] = fastSigmoid(gain[j] * xhat[j] + bias[j])
                        c[j] = gain[h + j] * xhat[h + j] + bias[h + j]
                        u[j] = fastSigmoid(gain[2 * h + j] * xhat[2 * h + j] + bias[2 * h + j] - 1)
                    }
                    for j in 0..<h { candidate[j] = fastTanh(r[j] * c[j]) }
                    for j in 0..<h { y[j] = u[j] * candidate[j] + (1 - u[j]) * hp[j] }
                }
            }
        }
        (out + steps * rows).update(from: out + (steps - 1) * rows, count: rows)
    }

    /// [∂projected, ∂W_h, ∂γ, ∂β, ∂h_0] from g = ∂L/∂[h_1…h_T | h_T].
    func backward(_ g: UnsafePointer<Float>) -> [Tensor] {
        let (b, h) = (batch, width), rows = b * h, wide = 3 * h
        let dProjected = Tensor.zeros([steps, b, wide])
        let dh = Tensor(Array(UnsafeBufferPointer(start: g + steps * rows, count: rows)), shape: [b, h])
        // ∂γ and ∂β sum over sequences, which the workers split: one partial sum each.
        let partials = Tensor.zeros([Parallel.workers, 2, wide])
        Parallel.chunks(b) { piece, sequences in
            let first = sequences.lowerBound, count = sequences.count
            let pdh = dh.storage.pointer + first * h
            let gg = partials.storage.pointer + piece * 2 * wide, gb = gg + wide
            let dn = UnsafeMutablePointer<Float>.allocate(capacity: wide)
            defer { dn.deallocate() }
            for t in stride(from: steps - 1, through: 0, by: -1) {
                for j in 0..<(count * h) { pdh[j] += g[(t * b + first) * h + j] }
                let dPre = dProjected.storage.pointer + (t * b + first) * wide
                for s in sequences {
                    let gate = gates.storage.pointer + (t * b + s) * 4 * h
                    let (r, c, u, candidate) = (gate, gate + h, gate + 2 * h, gate + 3 * h)
                    let hp = previous.storage.pointer + (t * b + s) * h, d = pdh + (s - first) * h
                    let xhat = normalized.storage.pointer + (t * b + s) * wide
                    // Through h_t = u·candidate + (1 − u)·h_{t−1}, candidate = tanh(r·c).
                    for j in 0..<h {
                        let dCandidate = d[j] * u[j] * (1 - candidate[j] * candidate[j])
                        dn[j] = dCandidate * c[j] * r[j] * (1 - r[j])
                        dn[h + j] = dCandidate * r[j]
                        dn[2 * h + j] = d[j] * (candidate[j] - hp[j]) * u[j] * (1 - u[j])
                        d[j] *= 1 - u[j]  // the direct path to h_{t−1}; W_h's is added below
                    }
                    // Through g = γ·x̂ + β and x̂ = (x − μ)/σ.
                    var meanD: Float = 0, meanDX: Float = 0
                    for j in 0..<wide {
                        gg[j] += dn[j] * xhat[j]
                        gb[j] += dn[j]
                        dn[j] *= gain[j]
                        meanD += dn[j]
                        meanDX += dn[j] * xhat[j]
                    }
                    meanD /= Float(wide)
                    meanDX /= Float(wide)
                    let inverse = inverseStd.storage.pointer[t * b + s], dx = dPre + (s - first) * wide
                    for j in 0..<wide { dx[j] = inverse * (dn[j] - meanD - xhat[j] * meanDX) }
                }
                // ∂h_{t−1} = (1 − u)·∂h_t + ∂pre·W_h, cut where the state was reset.
                sgemm(dPre, transposeA: false, weight, transposeB: false, pdh, m: count, n: h, k: wide, beta: 1)
                for s in sequences where isReset(t, s) { (pdh + (s - first) * h).update(repeating: 0, count: h) }
            }
        }
        let sums = partials.sum(axis: 0).split([1, 1], axis: 0)
        let (dGain, dBias) = (sums[0].reshaped([wide]), sums[1].reshaped([wide]))
        // ∂W_h = Σ_t ∂pre_tᵀ·h_{t−1}: one product over all T·B rows.
        let dWeight = Tensor(shape: [wide, h]) { w in
            sgemm(dProjected.storage.pointer, transposeA: true, previous.storage.pointer, transposeB: false, w.baseAddress!,
                  m: wide, n: h, k: steps * b)
        }
        return [dProjected, dWeight, dGain, dBias, dh]
    }
}
