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
    /// (complex gradients of a real loss written as re + i·im pairs; the
    /// backward is the same recurrence run back in time with conj(a)).
    ///
    /// Both directions run as a parallel associative scan with resets
    /// (`ResetScan`): sequences are split over the workers, and when there
    /// are fewer sequences than workers, time is too — in `timeChunks`
    /// pieces combined by popjaxrl's reset operator.
    ///
    /// - Parameters:
    ///   - aReal, aImaginary: a, (N) each.
    ///   - drivenReal, drivenImaginary: u_t, (T, B, N) each.
    ///   - hidden: x before the first step, (B, 2N) as [Re x | Im x].
    ///   - resets: (T·B) or empty: zero sequence b's x before step t.
    ///   - timeChunks: pieces of the time axis; nil chooses (the workers
    ///     per sequence, at least 1).
    /// - Returns: x_1…x_T, (T, B, 2N) each [Re | Im], followed by x_T (B·2N), flat.
    public static func diagonalScan(aReal: Tensor, aImaginary: Tensor, drivenReal: Tensor, drivenImaginary: Tensor,
                                    hidden: Tensor, resets: [Bool], timeChunks: Int? = nil) -> Tensor {
        let (steps, batch, n) = (drivenReal.shape[0], drivenReal.shape[1], drivenReal.shape[2])
        precondition(aReal.shape == [n] && aImaginary.shape == [n] && drivenImaginary.shape == drivenReal.shape
                     && hidden.shape == [batch, 2 * n],
                     "diagonalScan: a \(aReal.shape), \(aImaginary.shape), u \(drivenReal.shape), \(drivenImaginary.shape), x \(hidden.shape)")
        precondition(steps > 0, "diagonalScan needs at least one step")
        precondition(resets.isEmpty || resets.count == steps * batch, "diagonalScan needs T·B = \(steps * batch) reset flags")
        let size = batch * 2 * n, chunks = timeChunks ?? Swift.max(1, Parallel.workers / batch)
        func isReset(_ t: Int, _ s: Int) -> Bool { !resets.isEmpty && resets[t * batch + s] }
        let ur = drivenReal.storage.pointer, ui = drivenImaginary.storage.pointer, x0 = hidden.storage.pointer
        let out = Tensor(shape: [(steps + 1) * size]) { y in
            let py = y.baseAddress!
            let drive: (Int, Int) -> ResetScan.Row = { t, s in
                let row = (t * batch + s) * n
                return (UnsafePointer(ur + row), UnsafePointer(ui + row))
            }
            let state: (Int, Int) -> ResetScan.Target = { t, s in
                let row = py + t * size + s * 2 * n
                return (row, row + n)
            }
            let initial: (Int) -> UnsafePointer<Float> = { s in UnsafePointer(x0 + s * 2 * n) }
            ResetScan(steps: steps, batch: batch, modes: n, aReal: aReal.storage.pointer, aImaginary: aImaginary.storage.pointer,
                      drive: drive, state: state, initial: initial, keeps: { t, s in !isReset(t, s) }).run(chunks: chunks)
            (py + steps * size).update(from: py + (steps - 1) * size, count: size)
        }
        return recorded(.diagonalScan, out, aReal, aImaginary, drivenReal, drivenImaginary, hidden,
                        backward: { [aReal, aImaginary, hidden, out] g in
            let dUr = Tensor.zeros(drivenReal.shape), dUi = Tensor.zeros(drivenReal.shape), dHidden = Tensor.zeros(hidden.shape)
            let pg = g.storage.pointer, states = out.storage.pointer, x0 = hidden.storage.pointer
            let ar = aReal.storage.pointer, ai = aImaginary.storage.pointer
            let conjugate = Tensor(aImaginary.scalars.map { -$0 }, shape: [n])
            // D_t = ∂L/∂x_t = g_t + conj(a)·D_{t+1} (cut where step t + 1 reset), walked back from
            // D_{T−1} = g_{T−1} + ∂L/∂x_T: in reversed time τ = T − 1 − t, the same scan.
            let last = Tensor(shape: [size]) { d in
                for i in 0..<size { d[i] = pg[(steps - 1) * size + i] + pg[steps * size + i] }
            }
            let zeros = Tensor.zeros([2 * n])
            let (gr, gi, pl) = (dUr.storage.pointer, dUi.storage.pointer, last.storage.pointer)
            let drive: (Int, Int) -> ResetScan.Row = { tau, s in
                let row: UnsafeMutablePointer<Float> = tau == 0 ? pl + s * 2 * n : pg + (steps - 1 - tau) * size + s * 2 * n
                return (UnsafePointer(row), UnsafePointer(row + n))
            }
            let state: (Int, Int) -> ResetScan.Target = { tau, s in
                let row = ((steps - 1 - tau) * batch + s) * n
                return (gr + row, gi + row)
            }
            let initial: (Int) -> UnsafePointer<Float> = { _ in UnsafePointer(zeros.storage.pointer) }
            ResetScan(steps: steps, batch: batch, modes: n, aReal: ar, aImaginary: conjugate.storage.pointer,
                      drive: drive, state: state, initial: initial,
                      keeps: { tau, s in tau > 0 && !isReset(steps - tau, s) }).run(chunks: chunks)
            // ∂a = Σ conj(x_{t−1})·D_t over steps and sequences (per worker, then summed); ∂x_0 = conj(a)·D_0.
            let partials = Tensor.zeros([Parallel.workers, 2 * n])
            let dh = dHidden.storage.pointer
            Parallel.chunks(batch) { piece, sequences in
                let (sr, si) = (partials.storage.pointer + piece * 2 * n, partials.storage.pointer + piece * 2 * n + n)
                for s in sequences {
                    for t in 0..<steps where !isReset(t, s) {
                        let x = t == 0 ? x0 + s * 2 * n : states + (t - 1) * size + s * 2 * n
                        let (dr, di) = (gr + (t * batch + s) * n, gi + (t * batch + s) * n)
                        for j in 0..<n {
                            sr[j] += dr[j] * x[j] + di[j] * x[n + j]
                            si[j] += di[j] * x[j] - dr[j] * x[n + j]
                        }
                    }
                    guard !isReset(0, s) else { continue }
                    let (dr, di) = (gr + s * n, gi + s * n)
                    for j in 0..<n {
                        dh[s * 2 * n + j] = dr[j] * ar[j] + di[j] * ai[j]
                        dh[s * 2 * n + n + j] = di[j] * ar[j] - dr[j] * ai[j]
                    }
                }
            }
            let sums = partials.sum(axis: 0).split([n, n], axis: 0)
            return [sums[0], sums[1], dUr, dUi, dHidden]
        })
    }
}

/// x_t = a ⊙ (k_t·x_{t−1}) + u_t, t = 0…T − 1, for B sequences of N complex
/// modes (k_t = 0 where a sequence restarts), as a parallel associative scan.
///
/// The elements (A, b, c) = (a, u_t, 1 − k_t) compose by popjaxrl's reset
/// operator (Lu et al. 2023; PAPERS.md):
///
///     (A_i, b_i, c_i) • (A_j, b_j, c_j) = (c_j ? A_j : A_j·A_i,  c_j ? b_j : A_j·b_i + b_j,  c_i ∨ c_j)
///
/// Time is cut into chunks. (1) Every (chunk, sequence) is reduced in
/// parallel: its running prefix b is the chunk's states from a zero start
/// (the first chunk starts from x_{−1} and is exact), its A and c the
/// chunk's total. (2) The carries into the chunks follow in order, one
/// element each. (3) Every (chunk, sequence) adds A-prefix·carry to its
/// states up to its first reset, in parallel. With one chunk this is the
/// plain recurrence, split over sequences.
private struct ResetScan {
    typealias Row = (UnsafePointer<Float>, UnsafePointer<Float>)
    typealias Target = (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>)
    let steps, batch, modes: Int
    let aReal, aImaginary: UnsafePointer<Float>
    /// u_t of sequence s (real and imaginary rows of N).
    let drive: (Int, Int) -> Row
    /// Where x_t of sequence s is written (and read back).
    let state: (Int, Int) -> Target
    /// x_{−1} of sequence s, [Re | Im].
    let initial: (Int) -> UnsafePointer<Float>
    /// k_t: false where sequence s restarts before step t.
    let keeps: (Int, Int) -> Bool

    /// x_{t−1} of sequence s: the initial state at the first step.
    private func previous(_ t: Int, _ s: Int, first: Bool) -> Row {
        if first { return (initial(s), initial(s) + modes) }
        let (re, im) = state(t - 1, s)
        return (UnsafePointer(re), UnsafePointer(im))
    }

    func run(chunks requested: Int) {
        let n = modes, chunks = max(1, min(requested, steps))
        let bounds = (0...chunks).map { steps * $0 / chunks }
        // Per (chunk, sequence): the chunk's A = a^length (complex), and whether it holds a reset.
        let totals = UnsafeMutablePointer<Float>.allocate(capacity: chunks * batch * 2 * n)
        var restarts = [Bool](repeating: false, count: chunks * batch)
        defer { totals.deallocate() }
        restarts.withUnsafeMutableBufferPointer { restarted in
            Parallel.chunks(chunks * batch) { _, items in
                for item in items {
                    let (chunk, s) = (item / batch, item % batch)
                    let total = totals + item * 2 * n
                    for j in 0..<n { total[j] = 1; total[n + j] = 0 }
                    for t in bounds[chunk]..<bounds[chunk + 1] {
                        let (ur, ui) = drive(t, s), (yr, yi) = state(t, s), kept = keeps(t, s)
                        if !kept { restarted[item] = true }
                        if t == bounds[chunk] && chunk > 0 || !kept {
                            for j in 0..<n { yr[j] = ur[j]; yi[j] = ui[j] }  // from zero
                        } else {
                            let (pr, pi) = previous(t, s, first: t == bounds[chunk])
                            for j in 0..<n {
                                yr[j] = aReal[j] * pr[j] - aImaginary[j] * pi[j] + ur[j]
                                yi[j] = aReal[j] * pi[j] + aImaginary[j] * pr[j] + ui[j]
                            }
                        }
                        if !restarted[item] {
                            for j in 0..<n {
                                let (re, im) = (total[j], total[n + j])
                                total[j] = aReal[j] * re - aImaginary[j] * im
                                total[n + j] = aReal[j] * im + aImaginary[j] * re
                            }
                        }
                    }
                }
            }
        }
        guard chunks > 1 else { return }
        // (2) carries[chunk] = the exact state before the chunk's first step.
        let carries = UnsafeMutablePointer<Float>.allocate(capacity: chunks * batch * 2 * n)
        defer { carries.deallocate() }
        for chunk in 1..<chunks {
            for s in 0..<batch {
                let carry = carries + (chunk * batch + s) * 2 * n, (er, ei) = state(bounds[chunk] - 1, s)
                let previous = chunk * batch - batch + s, a = totals + previous * 2 * n, before = carries + previous * 2 * n
                for j in 0..<n {
                    carry[j] = er[j]
                    carry[n + j] = ei[j]
                    guard chunk > 1 && !restarts[previous] else { continue }
                    carry[j] += a[j] * before[j] - a[n + j] * before[n + j]
                    carry[n + j] += a[j] * before[n + j] + a[n + j] * before[j]
                }
            }
        }
        // (3) States after the first chunk: + a^(t − start + 1)·carry, until the first reset.
        Parallel.chunks((chunks - 1) * batch) { _, items in
            let propagated = UnsafeMutablePointer<Float>.allocate(capacity: 2 * n)
            defer { propagated.deallocate() }
            for item in items {
                let (chunk, s) = (item / batch + 1, item % batch)
                propagated.update(from: carries + (chunk * batch + s) * 2 * n, count: 2 * n)
                for t in bounds[chunk]..<bounds[chunk + 1] {
                    guard keeps(t, s) else { break }
                    let (yr, yi) = state(t, s)
                    for j in 0..<n {
                        let (re, im) = (propagated[j], propagated[n + j])
                        propagated[j] = aReal[j] * re - aImaginary[j] * im
                        propagated[n + j] = aReal[j] * im + aImaginary[j] * re
                        yr[j] += propagated[j]
                        yi[j] += propagated[n + j]
                    }
                }
            }
        }
    }
}
