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

// MARK: - A diagonal complex linear recurrence, fused

extension Tensor {
    /// T steps of x_t = a ⊙ x_{t−1} + u_t for complex a, x, u (S4D / S5 after
    /// discretisation) as one operation, backward by hand:
    ///
    ///     ∂L/∂x_{t−1} = conj(a) ⊙ ∂L/∂x_t,   ∂L/∂a = Σ_t conj(x_{t−1}) ⊙ ∂L/∂x_t
    ///
    /// (complex gradients of a real loss written as re + i·im pairs).
    ///
    /// - Parameters:
    ///   - aReal, aImaginary: a, (N) each.
    ///   - drivenReal, drivenImaginary: u_t, (T, B, N) each.
    ///   - hidden: x before the first step, (B, 2N) as [Re x | Im x].
    ///   - resets: (T·B) or empty: zero sequence b's x before step t.
    /// - Returns: x_1…x_T, (T, B, 2N) each [Re | Im], followed by x_T (B·2N), flat.
    public static func diagonalScan(aReal: Tensor, aImaginary: Tensor, drivenReal: Tensor, drivenImaginary: Tensor,
                                    hidden: Tensor, resets: [Bool]) -> Tensor {
        let (steps, batch, n) = (drivenReal.shape[0], drivenReal.shape[1], drivenReal.shape[2])
        precondition(aReal.shape == [n] && aImaginary.shape == [n] && drivenImaginary.shape == drivenReal.shape
                     && hidden.shape == [batch, 2 * n],
                     "diagonalScan: a \(aReal.shape), \(aImaginary.shape), u \(drivenReal.shape), \(drivenImaginary.shape), x \(hidden.shape)")
        precondition(steps > 0, "diagonalScan needs at least one step")
        precondition(resets.isEmpty || resets.count == steps * batch, "diagonalScan needs T·B = \(steps * batch) reset flags")
        let size = batch * 2 * n
        let out = Tensor(shape: [(steps + 1) * size]) { y in
            let ar = aReal.storage.pointer, ai = aImaginary.storage.pointer
            let ur = drivenReal.storage.pointer, ui = drivenImaginary.storage.pointer, py = y.baseAddress!
            for t in 0..<steps {
                let previous: UnsafePointer<Float> = t == 0 ? UnsafePointer(hidden.storage.pointer) : UnsafePointer(py + (t - 1) * size)
                let next: UnsafeMutablePointer<Float> = py + t * size
                for s in 0..<batch {
                    let kept: Float = !resets.isEmpty && resets[t * batch + s] ? 0 : 1
                    let p = previous + s * 2 * n, q = next + s * 2 * n, u = (t * batch + s) * n
                    for j in 0..<n {
                        let xr: Float = kept * p[j], xi: Float = kept * p[n + j]
                        q[j] = ar[j] * xr - ai[j] * xi + ur[u + j]
                        q[n + j] = ar[j] * xi + ai[j] * xr + ui[u + j]
                    }
                }
            }
            (py + steps * size).update(from: py + (steps - 1) * size, count: size)
        }
        return recorded(.diagonalScan, out, aReal, aImaginary, drivenReal, drivenImaginary, hidden,
                        backward: { [aReal, aImaginary, hidden, out] g in
            var dAr = Tensor.zeros([n]), dAi = Tensor.zeros([n])
            var dUr = Tensor.zeros(drivenReal.shape), dUi = Tensor.zeros(drivenReal.shape), dHidden = Tensor.zeros(hidden.shape)
            let ar = aReal.storage.pointer, ai = aImaginary.storage.pointer, pg = g.storage.pointer, states = out.storage.pointer
            var carried = [Float](repeating: 0, count: size)  // ∂L/∂x_t
            carried.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: pg + steps * size, count: size) }
            carried.withUnsafeMutableBufferPointer { gx in
            dAr.withUnsafeMutableBufferPointer { gar in
            dAi.withUnsafeMutableBufferPointer { gai in
            dUr.withUnsafeMutableBufferPointer { gur in
            dUi.withUnsafeMutableBufferPointer { gui in
            dHidden.withUnsafeMutableBufferPointer { gh in
                for t in stride(from: steps - 1, through: 0, by: -1) {
                    let previous: UnsafePointer<Float> = t == 0 ? UnsafePointer(hidden.storage.pointer) : UnsafePointer(states + (t - 1) * size)
                    for s in 0..<batch {
                        let reset = !resets.isEmpty && resets[t * batch + s]
                        let (p, base, u) = (previous + s * 2 * n, s * 2 * n, (t * batch + s) * n)
                        for j in 0..<n {
                            let at = t * size + base + j
                            let gr: Float = gx[base + j] + pg[at]
                            let gi: Float = gx[base + n + j] + pg[at + n]
                            gur[u + j] = gr
                            gui[u + j] = gi
                            let (xr, xi): (Float, Float) = reset ? (0, 0) : (p[j], p[n + j])
                            gar[j] += gr * xr + gi * xi
                            gai[j] += gi * xr - gr * xi
                            let (toReal, toImaginary): (Float, Float) = (gr * ar[j] + gi * ai[j], gi * ar[j] - gr * ai[j])
                            gx[base + j] = reset ? 0 : toReal
                            gx[base + n + j] = reset ? 0 : toImaginary
                        }
                    }
                }
                gh.baseAddress!.update(from: gx.baseAddress!, count: size)
            }}}}}}
            return [dAr, dAi, dUr, dUi, dHidden]
        })
    }
}
