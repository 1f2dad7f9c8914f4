// MARK: - DreamerV3's LayerNorm GRU over a sequence, fused

extension Tensor {
    /// T steps of the GRU of DreamerV3's RSSM (Hafner et al. 2023, the
    /// reference code's `_gru`) as one operation, backward by hand:
    ///
    ///     g = LN(p_t + W_h·h_{t−1})·γ + β          (over the 3H pre-activations)
    ///     r, c, u = split(g)
    ///     h_t = σ(u − 1) ⊙ tanh(σ(r) ⊙ c) + (1 − σ(u − 1)) ⊙ h_{t−1}
    ///
    /// With G blocks (the newer RSSM's block-diagonal recurrence) the H units
    /// form G groups of H/G: group k's 3H/G pre-activations, laid out
    /// [r_k | c_k | u_k] one group after another, read only its own h_k
    /// through its own W_k (3H/G × H/G) and are normalised on their own.
    /// G = 1 is the dense GRU with gates r | c | u.
    ///
    /// p_t = W_x·x_t comes from one matrix product over the whole sequence
    /// (the caller's). Sequences are independent, so the workers (`Parallel`)
    /// each take a block of them through all T steps with no hand-off between
    /// steps: per step one product per group and one pass over the gates.
    /// Backward walks the steps back the same way and finishes ∂W_h as one
    /// product per group over all T·B rows.
    ///
    /// - Parameters:
    ///   - projected: p_t for every step, (T, B, 3H).
    ///   - hiddenWeight: W_h as G stacked blocks, (3H, H/G).
    ///   - gain, bias: γ and β, (3H).
    ///   - hidden: h before the first step, (B, H).
    ///   - resets: (T·B) or empty: zero sequence b's h before step t.
    ///   - epsilon: added to the variance.
    /// - Returns: h_1…h_T (T·B·H) followed by h_T (B·H), flat.
    public static func normGRUScan(projected: Tensor, hiddenWeight: Tensor, gain: Tensor, bias: Tensor, hidden: Tensor,
                                   resets: [Bool], epsilon: Float) -> Tensor {
        let (steps, batch, h) = (projected.shape[0], hidden.shape[0], hidden.shape[1])
        let groupWidth = hiddenWeight.shape.last ?? 0
        precondition(projected.shape == [steps, batch, 3 * h] && hiddenWeight.shape == [3 * h, groupWidth]
                     && groupWidth > 0 && h % groupWidth == 0 && gain.shape == [3 * h] && bias.shape == [3 * h],
                     "normGRUScan: projected \(projected.shape), W_h \(hiddenWeight.shape), γ \(gain.shape), β \(bias.shape), h \(hidden.shape)")
        precondition(steps > 0, "normGRUScan needs at least one step")
        precondition(resets.isEmpty || resets.count == steps * batch, "normGRUScan needs T·B = \(steps * batch) reset flags")
        let kernel = NormGRUKernel(steps: steps, batch: batch, width: h, blocks: h / groupWidth, resets: resets, epsilon: epsilon,
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
/// forward pass (owned by the kernel, released with the tape). Unit i of
/// group k = i / U (U = H/G units per group) has its pre-activations at
/// k·3U + j, k·3U + U + j and k·3U + 2U + j (j = i mod U).
private final class NormGRUKernel {
    let steps, batch, width, blocks: Int
    let resets: [Bool]
    let epsilon: Float
    let weight, gain, bias: UnsafeMutablePointer<Float>
    /// h_{t−1} as step t read it (after its reset), (T, B, H).
    let previous: Tensor
    /// The normalised pre-activations x̂, (T, B, 3H), and 1/σ per row and group, (T, B, G).
    let normalized, inverseStd: Tensor
    /// σ(r) | c | σ(u − 1) | tanh(σ(r)·c) by unit, (T, B, 4H).
    let gates: Tensor

    init(steps: Int, batch: Int, width: Int, blocks: Int, resets: [Bool], epsilon: Float,
         weight: UnsafeMutablePointer<Float>, gain: UnsafeMutablePointer<Float>, bias: UnsafeMutablePointer<Float>) {
        (self.steps, self.batch, self.width, self.blocks, self.resets, self.epsilon) = (steps, batch, width, blocks, resets, epsilon)
        (self.weight, self.gain, self.bias) = (weight, gain, bias)
        // Every element is written by `forward` before anything reads it: no zero fill.
        func buffer(_ shape: [Int]) -> Tensor { Tensor(shape: shape, unsafeUninitialized: { _ in }) }
        previous = buffer([steps, batch, width])
        normalized = buffer([steps, batch, 3 * width])
        inverseStd = buffer([steps, batch, blocks])
        gates = buffer([steps, batch, 4 * width])
    }

    /// U, units per group.
    var units: Int { width / blocks }

    func isReset(_ t: Int, _ s: Int) -> Bool { !resets.isEmpty && resets[t * batch + s] }

    /// h_1…h_T then h_T into `out`.
    func forward(projected: UnsafePointer<Float>, hidden: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let (b, h, u) = (batch, width, units), rows = b * h, wide = 3 * h
        Parallel.chunks(b) { _, sequences in
            let first = sequences.lowerBound, count = sequences.count
            let pre = UnsafeMutablePointer<Float>.allocate(capacity: count * wide)
            defer { pre.deallocate() }
            for t in 0..<steps {
                let hPrev = previous.storage.pointer + t * rows + first * h
                hPrev.update(from: t == 0 ? hidden + first * h : UnsafePointer(out + (t - 1) * rows + first * h), count: count * h)
                for s in sequences where isReset(t, s) { (hPrev + (s - first) * h).update(repeating: 0, count: h) }
                pre.update(from: projected + (t * b + first) * wide, count: count * wide)
                for k in 0..<blocks {  // pre[:, group k] += h_k·W_kᵀ
                    cblasGemm(hPrev + k * u, lda: h, transposeA: false, weight + k * 3 * u * u, ldb: u, transposeB: true,
                              pre + k * 3 * u, ldc: wide, m: count, n: 3 * u, k: u, beta: 1)
                }
                for s in sequences {
                    let row = t * b + s, hp = previous.storage.pointer + row * h, y = out + row * h
                    let gate = gates.storage.pointer + row * 4 * h
                    let (r, c, z, candidate) = (gate, gate + h, gate + 2 * h, gate + 3 * h)
                    for k in 0..<blocks {
                        let x = pre + (s - first) * wide + k * 3 * u, xhat = normalized.storage.pointer + row * wide + k * 3 * u
                        let mean = laneSum(x, 3 * u) / Float(3 * u)
                        let variance = laneSquaredDeviations(x, 3 * u, from: mean) / Float(3 * u)
                        let inverse = 1 / (variance + epsilon).squareRoot()
                        inverseStd.storage.pointer[row * blocks + k] = inverse
                        for j in 0..<(3 * u) { xhat[j] = (x[j] - mean) * inverse }
                        let (gk, bk, i) = (gain + k * 3 * u, bias + k * 3 * u, k * u)
                        for j in 0..<u {
                            r[i + j] = fastSigmoid(gk[j] * xhat[j] + bk[j])
                            c[i + j] = gk[u + j] * xhat[u + j] + bk[u + j]
                            z[i + j] = fastSigmoid(gk[2 * u + j] * xhat[2 * u + j] + bk[2 * u + j] - 1)
                        }
                    }
                    for i in 0..<h { candidate[i] = fastTanh(r[i] * c[i]) }
                    for i in 0..<h { y[i] = z[i] * candidate[i] + (1 - z[i]) * hp[i] }
                }
            }
        }
        (out + steps * rows).update(from: out + (steps - 1) * rows, count: rows)
    }

    /// [∂projected, ∂W_h, ∂γ, ∂β, ∂h_0] from g = ∂L/∂[h_1…h_T | h_T].
    func backward(_ g: UnsafePointer<Float>) -> [Tensor] {
        let (b, h, u) = (batch, width, units), rows = b * h, wide = 3 * h
        // Written whole, step by step, before the products read it.
        let dProjected = Tensor(shape: [steps, b, wide], unsafeUninitialized: { _ in })
        let dh = Tensor(Array(UnsafeBufferPointer(start: g + steps * rows, count: rows)), shape: [b, h])
        // ∂γ and ∂β sum over sequences, which the workers split: one partial sum each.
        let partials = Tensor.zeros([Parallel.workers, 2, wide])
        Parallel.chunks(b) { piece, sequences in
            let first = sequences.lowerBound, count = sequences.count
            let pdh = dh.storage.pointer + first * h
            let gg = partials.storage.pointer + piece * 2 * wide, gb = gg + wide
            for t in stride(from: steps - 1, through: 0, by: -1) {
                for j in 0..<(count * h) { pdh[j] += g[(t * b + first) * h + j] }
                let dPre = dProjected.storage.pointer + (t * b + first) * wide
                for s in sequences {
                    let row = t * b + s, gate = gates.storage.pointer + row * 4 * h
                    let (r, c, z, candidate) = (gate, gate + h, gate + 2 * h, gate + 3 * h)
                    let hp = previous.storage.pointer + row * h, d = pdh + (s - first) * h
                    let dn = dPre + (s - first) * wide  // ∂g, then ∂pre in place
                    // Through h_t = z·candidate + (1 − z)·h_{t−1}, candidate = tanh(r·c).
                    for k in 0..<blocks {
                        for j in 0..<u {
                            let i = k * u + j, p = k * 3 * u + j
                            let dCandidate = d[i] * z[i] * (1 - candidate[i] * candidate[i])
                            dn[p] = dCandidate * c[i] * r[i] * (1 - r[i])
                            dn[p + u] = dCandidate * r[i]
                            dn[p + 2 * u] = d[i] * (candidate[i] - hp[i]) * z[i] * (1 - z[i])
                        }
                    }
                    for i in 0..<h { d[i] *= 1 - z[i] }  // the direct path to h_{t−1}; W_h's is added below
                    // Through g = γ·x̂ + β and x̂ = (x − μ)/σ, group by group.
                    for k in 0..<blocks {
                        let o = k * 3 * u, xhat = normalized.storage.pointer + row * wide + o
                        for j in 0..<(3 * u) {
                            gg[o + j] += dn[o + j] * xhat[j]
                            gb[o + j] += dn[o + j]
                            dn[o + j] *= gain[o + j]
                        }
                        let meanD = laneSum(dn + o, 3 * u) / Float(3 * u)
                        let meanDX = laneDot(dn + o, xhat, 3 * u) / Float(3 * u)
                        let inverse = inverseStd.storage.pointer[row * blocks + k]
                        for j in 0..<(3 * u) { dn[o + j] = inverse * (dn[o + j] - meanD - xhat[j] * meanDX) }
                    }
                }
                // ∂h_{t−1} = (1 − z)·∂h_t + ∂pre·W_h (group by group), cut where the state was reset.
                for k in 0..<blocks {
                    cblasGemm(dPre + k * 3 * u, lda: wide, transposeA: false, weight + k * 3 * u * u, ldb: u, transposeB: false,
                              pdh + k * u, ldc: h, m: count, n: u, k: 3 * u, beta: 1)
                }
                for s in sequences where isReset(t, s) { (pdh + (s - first) * h).update(repeating: 0, count: h) }
            }
        }
        let sums = partials.sum(axis: 0).split([1, 1], axis: 0)
        // ∂W_k = Σ_t ∂pre_{t,k}ᵀ·h_{t−1,k}: one product per group over all T·B rows.
        let dWeight = Tensor(shape: [wide, u]) { w in
            for k in 0..<blocks {
                cblasGemm(dProjected.storage.pointer + k * 3 * u, lda: wide, transposeA: true,
                          previous.storage.pointer + k * u, ldb: h, transposeB: false,
                          w.baseAddress! + k * 3 * u * u, ldc: u, m: 3 * u, n: u, k: steps * b)
            }
        }
        return [dProjected, dWeight, sums[0].reshaped([wide]), sums[1].reshaped([wide]), dh]
    }
}
