// MARK: - Mamba's selective scan, fused

extension Tensor {
    /// The selective state-space recurrence of Mamba (Gu & Dao 2023, Alg. 2)
    /// over T steps as one operation, backward by hand (no per-step tape nodes):
    ///
    ///     h_t[e, n] = exp(Δ_t[e]·A[e, n])·h_{t−1}[e, n] + Δ_t[e]·x_t[e]·B_t[n]
    ///     y_t[e]    = Σ_n h_t[e, n]·C_t[n]
    ///
    /// for each of B sequences (the D·x skip and the gate are left to the caller).
    ///
    /// - Parameters:
    ///   - delta: Δ, (T, B, E), positive. - x: (T, B, E).
    ///   - b: B_t, (T, B, N). - c: C_t, (T, B, N). - a: A, (E, N).
    ///   - hidden: h before the first step, (B, E·N).
    ///   - resets: (T·B) or empty: zero sequence b's h before step t.
    /// - Returns: y_1…y_T (T·B·E) followed by h_T (B·E·N), flat.
    public static func selectiveScan(delta: Tensor, x: Tensor, b: Tensor, c: Tensor, a: Tensor, hidden: Tensor,
                                     resets: [Bool]) -> Tensor {
        let (steps, batch, e) = (delta.shape[0], delta.shape[1], delta.shape[2]), n = a.shape[1]
        precondition(x.shape == delta.shape && b.shape == [steps, batch, n] && c.shape == [steps, batch, n]
                     && a.shape == [e, n] && hidden.shape == [batch, e * n],
                     "selectiveScan: Δ \(delta.shape), x \(x.shape), B \(b.shape), C \(c.shape), A \(a.shape), h \(hidden.shape)")
        precondition(steps > 0, "selectiveScan needs at least one step")
        precondition(resets.isEmpty || resets.count == steps * batch, "selectiveScan needs T·B = \(steps * batch) reset flags")
        let stateSize = batch * e * n
        // Every h_t, t = 0…T, for the backward pass (a reset reads zeros instead of h_{t−1}; nothing is overwritten).
        var states = [Float](repeating: 0, count: (steps + 1) * stateSize)
        let pd = delta.storage.pointer, px = x.storage.pointer, pb = b.storage.pointer, pc = c.storage.pointer
        let pa = a.storage.pointer
        let out = Tensor(shape: [steps * batch * e + stateSize]) { y in
            states.withUnsafeMutableBufferPointer { hs in
                let h = hs.baseAddress!
                h.update(from: hidden.storage.pointer, count: stateSize)
                for t in 0..<steps {
                    let previous = h + t * stateSize, next = h + (t + 1) * stateSize
                    for s in 0..<batch {
                        let kept: Float = !resets.isEmpty && resets[t * batch + s] ? 0 : 1
                        let bt = pb + (t * batch + s) * n, ct = pc + (t * batch + s) * n
                        for k in 0..<e {
                            let row = (t * batch + s) * e + k
                            let d = pd[row], dx = d * px[row]
                            let hp = previous + (s * e + k) * n, hn = next + (s * e + k) * n, ak = pa + k * n
                            var sum: Float = 0
                            for j in 0..<n {
                                let value = fastExp(d * ak[j]) * (kept * hp[j]) + dx * bt[j]
                                hn[j] = value
                                sum += value * ct[j]
                            }
                            y[row] = sum
                        }
                    }
                }
                (y.baseAddress! + steps * batch * e).update(from: h + steps * stateSize, count: stateSize)
            }
        }
        return recorded(.selectiveScan, out, delta, x, b, c, a, hidden, backward: { [delta, x, b, c, a, states] g in
            var dDelta = Tensor.zeros(delta.shape), dx = Tensor.zeros(x.shape), dB = Tensor.zeros(b.shape)
            var dC = Tensor.zeros(c.shape), dA = Tensor.zeros(a.shape), dHidden = Tensor.zeros(hidden.shape)
            let pd = delta.storage.pointer, px = x.storage.pointer, pb = b.storage.pointer, pc = c.storage.pointer
            let pa = a.storage.pointer, pg = g.storage.pointer
            // ∂L/∂h_t, carried backwards from ∂L/∂h_T.
            var carried = [Float](repeating: 0, count: stateSize)
            carried.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: pg + steps * batch * e, count: stateSize) }
            states.withUnsafeBufferPointer { hs in
            carried.withUnsafeMutableBufferPointer { gh in
            dDelta.withUnsafeMutableBufferPointer { gd in
            dx.withUnsafeMutableBufferPointer { gx in
            dB.withUnsafeMutableBufferPointer { gb in
            dC.withUnsafeMutableBufferPointer { gc in
            dA.withUnsafeMutableBufferPointer { ga in
                for t in stride(from: steps - 1, through: 0, by: -1) {
                    let previous = hs.baseAddress! + t * stateSize, next = hs.baseAddress! + (t + 1) * stateSize
                    for s in 0..<batch {
                        let reset = !resets.isEmpty && resets[t * batch + s]
                        let bt = pb + (t * batch + s) * n, ct = pc + (t * batch + s) * n
                        for k in 0..<e {
                            let row = (t * batch + s) * e + k
                            let d = pd[row], xv = px[row], gy = pg[row]
                            let base = (s * e + k) * n, ak = pa + k * n
                            var sumDelta: Float = 0, sumX: Float = 0
                            for j in 0..<n {
                                let decay = fastExp(d * ak[j]), hPrev = reset ? 0 : previous[base + j]
                                let dh = gh[base + j] + gy * ct[j]          // y_t reads h_t
                                gc[(t * batch + s) * n + j] += gy * next[base + j]
                                gb[(t * batch + s) * n + j] += dh * d * xv
                                sumX += dh * d * bt[j]
                                sumDelta += dh * (ak[j] * decay * hPrev + xv * bt[j])
                                ga[k * n + j] += dh * d * decay * hPrev
                                gh[base + j] = reset ? 0 : dh * decay   // to h_{t−1}, cut where it was reset
                            }
                            gd[row] = sumDelta
                            gx[row] = sumX
                        }
                    }
                }
            }}}}}}}
            dHidden.withUnsafeMutableBufferPointer { dh in carried.withUnsafeBufferPointer { dh.baseAddress!.update(from: $0.baseAddress!, count: stateSize) } }
            return [dDelta, dx, dB, dC, dA, dHidden]
        })
    }
}
