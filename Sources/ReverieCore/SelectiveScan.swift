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
    ///
    /// Each (sequence, channel) runs its T steps with its N states in a
    /// local buffer, sequences split over the cores (`Parallel`). Nothing per
    /// step is stored: the backward pass recomputes one channel's h_0…h_T and
    /// decays into scratch of (T + 1)·N floats and walks them back (as
    /// Mamba's kernel recomputes states rather than saving them).
    public static func selectiveScan(delta: Tensor, x: Tensor, b: Tensor, c: Tensor, a: Tensor, hidden: Tensor,
                                     resets: [Bool]) -> Tensor {
        let (steps, batch, e) = (delta.shape[0], delta.shape[1], delta.shape[2]), n = a.shape[1]
        precondition(x.shape == delta.shape && b.shape == [steps, batch, n] && c.shape == [steps, batch, n]
                     && a.shape == [e, n] && hidden.shape == [batch, e * n],
                     "selectiveScan: Δ \(delta.shape), x \(x.shape), B \(b.shape), C \(c.shape), A \(a.shape), h \(hidden.shape)")
        precondition(steps > 0, "selectiveScan needs at least one step")
        precondition(resets.isEmpty || resets.count == steps * batch, "selectiveScan needs T·B = \(steps * batch) reset flags")
        let outputs = steps * batch * e
        let scan = SelectiveScanKernel(delta: delta.storage.pointer, x: x.storage.pointer, b: b.storage.pointer,
                                       c: c.storage.pointer, a: a.storage.pointer, hidden: hidden.storage.pointer,
                                       resets: resets, steps: steps, batch: batch, channels: e, states: n)
        let out = Tensor(shape: [outputs + batch * e * n]) { y in
            scan.forward(y: y.baseAddress!, final: y.baseAddress! + outputs)
        }
        return recorded(.selectiveScan, out, delta, x, b, c, a, hidden, backward: { [delta, x, b, c, a, hidden] g in
            _ = (delta, x, b, c, a, hidden)  // the kernel reads their storage: keep it alive
            let gradients = [Tensor.zeros(delta.shape), .zeros(x.shape), .zeros(b.shape), .zeros(c.shape),
                             .zeros(a.shape), .zeros(hidden.shape)]
            scan.backward(g.storage.pointer, into: gradients.map(\.storage.pointer))
            return gradients
        })
    }
}

/// The loops of `Tensor.selectiveScan` over raw storage (see there for the
/// equations). Layouts: Δ, x (T, B, E); B_t, C_t (T, B, N); A (E, N); h (B, E, N).
///
/// A worker takes whole sequences. For each it copies B_t and C_t into
/// scratch padded to whole SIMD8 vectors (zeros beyond N: a padded state has
/// A = B = C = 0, so it stays 0 and adds nothing), then runs every channel's
/// N states as N/8 vectors through the T steps.
private struct SelectiveScanKernel {
    typealias Lanes = SIMD8<Float>
    let delta, x, b, c, a, hidden: UnsafeMutablePointer<Float>
    let resets: [Bool]
    let steps, batch, channels, states: Int

    /// Vectors per N states.
    var width: Int { (states + 7) / 8 }

    func isReset(_ t: Int, _ s: Int) -> Bool { !resets.isEmpty && resets[t * batch + s] }

    /// `count` vectors of zeros; the caller deallocates.
    func vectors(_ count: Int) -> UnsafeMutablePointer<Lanes> {
        let p = UnsafeMutablePointer<Lanes>.allocate(capacity: count)
        p.initialize(repeating: Lanes(), count: count)
        return p
    }

    /// rows × N floats from `source` (row stride `stride`) into rows × width vectors.
    func pad(_ source: UnsafePointer<Float>, rows: Int, stride: Int, into target: UnsafeMutablePointer<Lanes>) {
        let floats = UnsafeMutableRawPointer(target).assumingMemoryBound(to: Float.self)
        for r in 0..<rows { (floats + r * width * 8).update(from: source + r * stride, count: states) }
    }

    /// The first N floats of `count` vectors' rows back into `target` (row stride `stride`).
    func unpad(_ source: UnsafeMutablePointer<Lanes>, rows: Int, into target: UnsafeMutablePointer<Float>, stride: Int) {
        let floats = UnsafeMutableRawPointer(source).assumingMemoryBound(to: Float.self)
        for r in 0..<rows { (target + r * stride).update(from: floats + r * width * 8, count: states) }
    }

    /// y (T, B, E) and the final h (B, E, N).
    func forward(y: UnsafeMutablePointer<Float>, final: UnsafeMutablePointer<Float>) {
        let (e, n, w) = (channels, states, width)
        let aPadded = vectors(e * w)
        defer { aPadded.deallocate() }
        pad(a, rows: e, stride: n, into: aPadded)
        Parallel.chunks(batch) { _, sequences in
            let bs = vectors(steps * w), cs = vectors(steps * w), h = vectors(w)
            defer { bs.deallocate(); cs.deallocate(); h.deallocate() }
            for s in sequences {
                pad(b + s * n, rows: steps, stride: batch * n, into: bs)
                pad(c + s * n, rows: steps, stride: batch * n, into: cs)
                for k in 0..<e {
                    h.update(repeating: Lanes(), count: w)
                    pad(hidden + (s * e + k) * n, rows: 1, stride: n, into: h)
                    let ak = aPadded + k * w
                    for t in 0..<steps {
                        if isReset(t, s) { h.update(repeating: Lanes(), count: w) }
                        let row = (t * batch + s) * e + k, d = delta[row], dx = d * x[row]
                        var sum = Lanes()
                        for v in 0..<w {
                            h[v] = fastExp(d * ak[v]) * h[v] + dx * bs[t * w + v]
                            sum += h[v] * cs[t * w + v]
                        }
                        y[row] = sum.sum()
                    }
                    unpad(h, rows: 1, into: final + (s * e + k) * n, stride: n)
                }
            }
        }
    }

    /// Gradients with respect to Δ, x, B, C, A and h_0 (zeroed, in that
    /// order) from g = ∂L/∂[y | h_T]. Per channel, backwards in t:
    ///
    ///     ∂h_t += ∂y_t·C_t,  ∂C_t += ∂y_t·h_t,  ∂B_t += ∂h_t·Δx,  ∂x += ∂h_t·ΔB_t,
    ///     ∂Δ += ∂h_t·(A·ā·h_{t−1} + x·B_t),  ∂A += ∂h_t·Δ·ā·h_{t−1},  ∂h_{t−1} = ∂h_t·ā
    ///
    /// with ā = exp(ΔA) and h_{t−1} read as 0 (and ∂h_{t−1} cut) at a reset.
    /// The channel's h_0…h_T and ā_1…ā_T are recomputed first.
    func backward(_ g: UnsafeMutablePointer<Float>, into d: [UnsafeMutablePointer<Float>]) {
        let (e, n, w) = (channels, states, width), outputs = steps * batch * e
        let (dDelta, dX, dB, dC, dA, dHidden) = (d[0], d[1], d[2], d[3], d[4], d[5])
        let aPadded = vectors(e * w)
        // ∂A sums over sequences, which the workers split: one partial sum each.
        let partials = vectors(Parallel.workers * e * w)
        defer { aPadded.deallocate(); partials.deallocate() }
        pad(a, rows: e, stride: n, into: aPadded)
        Parallel.chunks(batch) { piece, sequences in
            let bs = vectors(steps * w), cs = vectors(steps * w), gbs = vectors(steps * w), gcs = vectors(steps * w)
            let hs = vectors((steps + 1) * w), decays = vectors(steps * w), dh = vectors(w)
            defer { for p in [bs, cs, gbs, gcs, hs, decays, dh] { p.deallocate() } }
            let partialA = partials + piece * e * w
            for s in sequences {
                pad(b + s * n, rows: steps, stride: batch * n, into: bs)
                pad(c + s * n, rows: steps, stride: batch * n, into: cs)
                gbs.update(repeating: Lanes(), count: steps * w)
                gcs.update(repeating: Lanes(), count: steps * w)
                for k in 0..<e {
                    let ak = aPadded + k * w
                    hs.update(repeating: Lanes(), count: w)
                    pad(hidden + (s * e + k) * n, rows: 1, stride: n, into: hs)
                    for t in 0..<steps {
                        let row = (t * batch + s) * e + k, dl = delta[row], dx = dl * x[row]
                        let kept: Float = isReset(t, s) ? 0 : 1
                        for v in 0..<w {
                            decays[t * w + v] = fastExp(dl * ak[v])
                            hs[(t + 1) * w + v] = decays[t * w + v] * (kept * hs[t * w + v]) + dx * bs[t * w + v]
                        }
                    }
                    dh.update(repeating: Lanes(), count: w)
                    pad(g + outputs + (s * e + k) * n, rows: 1, stride: n, into: dh)
                    for t in stride(from: steps - 1, through: 0, by: -1) {
                        let row = (t * batch + s) * e + k
                        let dl = delta[row], xv = x[row], gy = g[row], kept: Float = isReset(t, s) ? 0 : 1
                        var sumX = Lanes(), sumDelta = Lanes()
                        for v in 0..<w {
                            let i = t * w + v
                            let dht = dh[v] + gy * cs[i]  // y_t reads h_t
                            let previous = kept * hs[i], decay = decays[i]
                            gcs[i] += gy * hs[i + w]
                            gbs[i] += dht * (dl * xv)
                            sumX += dht * bs[i]
                            sumDelta += dht * (ak[v] * decay * previous + xv * bs[i])
                            partialA[k * w + v] += dht * (dl * decay * previous)
                            dh[v] = kept * dht * decay  // to h_{t−1}, cut where it was reset
                        }
                        dX[row] = dl * sumX.sum()
                        dDelta[row] = sumDelta.sum()
                    }
                    unpad(dh, rows: 1, into: dHidden + (s * e + k) * n, stride: n)
                }
                unpad(gbs, rows: steps, into: dB + s * n, stride: batch * n)
                unpad(gcs, rows: steps, into: dC + s * n, stride: batch * n)
            }
        }
        for piece in 1..<max(Parallel.workers, 1) {
            for i in 0..<(e * w) { partials[i] += partials[piece * e * w + i] }
        }
        unpad(partials, rows: e, into: dA, stride: n)
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
