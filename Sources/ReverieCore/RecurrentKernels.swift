// MARK: - Fused recurrent cells: one step, or a whole sequence, as one operation
//
// A GRU or LSTM step written with element-wise ops records a dozen small
// tensors per step; unrolled over a rollout, their allocation and bookkeeping
// cost more than the arithmetic. Here the gate arithmetic of a step is one
// pass over the batch (`gruCell`, `lstmCell`, given the projections), and a
// whole sequence is one operation (`gruScan`, `lstmScan`) whose backward is
// backpropagation through time written out by hand: the per-step gradients
// are stacked so the recurrent weight's gradient is a single GEMM over all
// T·B rows, as cuDNN does. Equations follow PyTorch's `nn.GRUCell` and
// `nn.LSTMCell`; the scans equal the cells stepped T times (a test).

/// The gate arithmetic of one batch of steps over raw buffers, shared by the
/// single-step operations and the scans. Rows are contiguous; separate simple
/// loops over contiguous spans vectorise.
enum GateMath {
    /// GRU: gates r | z | n from gx = W_i·x + b_i and gh = W_h·h + b_h (B, 3H);
    /// writes h' (B, H) and keeps r, z, n in `saved` (B, 3H).
    @inline(__always)
    static func gruForward(b: Int, h: Int, gx: UnsafePointer<Float>, gh: UnsafePointer<Float>, hidden: UnsafePointer<Float>,
                           out: UnsafeMutablePointer<Float>, saved: UnsafeMutablePointer<Float>) {
        for row in 0..<b {
            let x = gx + row * 3 * h, g = gh + row * 3 * h, hp = hidden + row * h
            let r = saved + row * 3 * h, z = r + h, n = z + h, y = out + row * h
            let xn = x + 2 * h, gn = g + 2 * h
            for j in 0..<(2 * h) { r[j] = fastSigmoid(x[j] + g[j]) }  // r and z
            for j in 0..<h { n[j] = fastTanh(xn[j] + r[j] * gn[j]) }
            for j in 0..<h { y[j] = n[j] + z[j] * (hp[j] - n[j]) }      // (1 − z)·n + z·h
        }
    }

    /// GRU backward for one batch of steps: from ∂h' (B, H) to ∂gx, ∂gh (B, 3H)
    /// and the direct part of ∂h (B, H), z ⊙ ∂h' (the part through gh is a GEMM).
    @inline(__always)
    static func gruBackward(b: Int, h: Int, saved: UnsafePointer<Float>, gh: UnsafePointer<Float>, hidden: UnsafePointer<Float>,
                            dOut: UnsafePointer<Float>, dgx: UnsafeMutablePointer<Float>, dgh: UnsafeMutablePointer<Float>,
                            dHidden: UnsafeMutablePointer<Float>) {
        for row in 0..<b {
            // Row pointers, so the loop has no index arithmetic to check and vectorises.
            let sr = saved + row * 3 * h, sz = sr + h, sn = sz + h, ghn = gh + row * 3 * h + 2 * h
            let d = dOut + row * h, hp = hidden + row * h, dh = dHidden + row * h
            let dxr = dgx + row * 3 * h, dxz = dxr + h, dxn = dxz + h
            let dhr = dgh + row * 3 * h, dhz = dhr + h, dhn = dhz + h
            for j in 0..<h {
                let r = sr[j], z = sz[j], n = sn[j], dj = d[j]
                let dan = dj * (1 - z) * (1 - n * n)        // through n = tanh(a_n)
                let dar = dan * ghn[j] * r * (1 - r)        // a_n = x_n + r·h_n
                let daz = dj * (hp[j] - n) * z * (1 - z)
                dh[j] = dj * z
                dxr[j] = dar; dhr[j] = dar
                dxz[j] = daz; dhz[j] = daz
                dxn[j] = dan; dhn[j] = dan * r
            }
        }
    }

    /// LSTM: gates i | f | g | o (B, 4H) and the previous c (row stride
    /// `cStride`); writes h' and c' into `out` rows [h' | c'] (B, 2H) and keeps
    /// i, f, g, o, tanh(c') in `saved` (B, 5H).
    @inline(__always)
    static func lstmForward(b: Int, h: Int, gates: UnsafePointer<Float>, c: UnsafePointer<Float>, cStride: Int,
                            out: UnsafeMutablePointer<Float>, saved: UnsafeMutablePointer<Float>) {
        for row in 0..<b {
            // Row pointers per gate, so the loops have no index arithmetic to check and vectorise.
            let z = gates + row * 4 * h, zg = z + 2 * h, zo = zg + h, cp = c + row * cStride
            let i = saved + row * 5 * h, f = i + h, g = f + h, o = g + h, tc = o + h
            let yh = out + row * 2 * h, yc = yh + h
            for j in 0..<(2 * h) { i[j] = fastSigmoid(z[j]) }      // i, f
            for j in 0..<h { g[j] = fastTanh(zg[j]) }              // g
            for j in 0..<h { o[j] = fastSigmoid(zo[j]) }           // o
            for j in 0..<h { yc[j] = f[j] * cp[j] + i[j] * g[j] }  // c' = f·c + i·g
            for j in 0..<h { tc[j] = fastTanh(yc[j]) }
            for j in 0..<h { yh[j] = o[j] * tc[j] }                // h' = o·tanh(c')
        }
    }

    /// LSTM backward for one batch of steps: from ∂h', ∂c' (row stride
    /// `dStride`) to ∂gates (B, 4H) and ∂c (B, H, row stride `dcStride`).
    @inline(__always)
    static func lstmBackward(b: Int, h: Int, saved: UnsafePointer<Float>, c: UnsafePointer<Float>, cStride: Int,
                             dh: UnsafePointer<Float>, dcNext: UnsafePointer<Float>, dStride: Int,
                             dGates: UnsafeMutablePointer<Float>, dc: UnsafeMutablePointer<Float>, dcStride: Int) {
        for row in 0..<b {
            let si = saved + row * 5 * h, sf = si + h, sg = sf + h, so = sg + h, stc = so + h
            let di = dGates + row * 4 * h, df = di + h, dg = df + h, dout = dg + h, cp = c + row * cStride
            let dhr = dh + row * dStride, dcr = dcNext + row * dStride, dcp = dc + row * dcStride
            for j in 0..<h {
                let i = si[j], f = sf[j], g = sg[j], o = so[j], tc = stc[j]
                let dcj = dcr[j] + dhr[j] * o * (1 - tc * tc)
                di[j] = dcj * g * i * (1 - i)
                df[j] = dcj * cp[j] * f * (1 - f)
                dg[j] = dcj * i * (1 - g * g)
                dout[j] = dhr[j] * tc * o * (1 - o)
                dcp[j] = dcj * f
            }
        }
    }
}

extension Tensor {
    /// One GRU step after its two projections (Cho et al. 2014, PyTorch's variant):
    ///
    ///     r = σ(x_r + h_r),  z = σ(x_z + h_z),  n = tanh(x_n + r ⊙ h_n)
    ///     h' = (1 − z) ⊙ n + z ⊙ h
    ///
    /// - Parameters:
    ///   - inputPart: W_i·x + b_i, (B, 3H), gates r | z | n.
    ///   - hiddenPart: W_h·h + b_h, (B, 3H), same order.
    ///   - hidden: h, (B, H).
    /// - Returns: h', (B, H).
    public static func gruCell(inputPart: Tensor, hiddenPart: Tensor, hidden: Tensor) -> Tensor {
        let (b, h) = (hidden.shape[0], hidden.shape[1])
        precondition(hidden.rank == 2 && inputPart.shape == [b, 3 * h] && hiddenPart.shape == [b, 3 * h],
                     "gruCell needs parts (B, 3H) and hidden (B, H), got \(inputPart.shape), \(hiddenPart.shape), \(hidden.shape)")
        var saved = [Float](repeating: 0, count: b * 3 * h)
        let out = Tensor(shape: [b, h]) { y in
            saved.withUnsafeMutableBufferPointer { s in
                GateMath.gruForward(b: b, h: h, gx: inputPart.storage.pointer, gh: hiddenPart.storage.pointer,
                                    hidden: hidden.storage.pointer, out: y.baseAddress!, saved: s.baseAddress!)
            }
        }
        return recorded(.gruCell, out, inputPart, hiddenPart, hidden, backward: { [hiddenPart, hidden, saved] gy in
            // Every element of the three gradients is written: no zero fill.
            var dgx = Tensor(shape: [b, 3 * h]) { _ in }, dgh = Tensor(shape: [b, 3 * h]) { _ in }
            var dh = Tensor(shape: [b, h]) { _ in }
            saved.withUnsafeBufferPointer { s in
                dgx.withUnsafeMutableBufferPointer { dgx in
                    dgh.withUnsafeMutableBufferPointer { dgh in
                        dh.withUnsafeMutableBufferPointer { dh in
                            GateMath.gruBackward(b: b, h: h, saved: s.baseAddress!, gh: hiddenPart.storage.pointer,
                                                 hidden: hidden.storage.pointer, dOut: gy.storage.pointer,
                                                 dgx: dgx.baseAddress!, dgh: dgh.baseAddress!, dHidden: dh.baseAddress!)
                        }
                    }
                }
            }
            return [dgx, dgh, dh]
        })
    }

    /// One LSTM step after its projections (Hochreiter & Schmidhuber 1997,
    /// forget gate of Gers et al. 2000; PyTorch's gate order i | f | g | o):
    ///
    ///     i, f, o = σ(·),  g = tanh(·)
    ///     c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c')
    ///
    /// - Parameters:
    ///   - gates: W_i·x + b_i + W_h·h + b_h, (B, 4H).
    ///   - state: [h | c], (B, 2H) (only c is read).
    /// - Returns: the next state [h' | c'], (B, 2H).
    public static func lstmCell(gates: Tensor, state: Tensor) -> Tensor {
        let b = state.shape[0], h = state.shape[1] / 2
        precondition(state.rank == 2 && state.shape[1] == 2 * h && gates.shape == [b, 4 * h],
                     "lstmCell needs gates (B, 4H) and state (B, 2H), got \(gates.shape), \(state.shape)")
        var saved = [Float](repeating: 0, count: b * 5 * h)
        let out = Tensor(shape: [b, 2 * h]) { y in
            saved.withUnsafeMutableBufferPointer { s in
                GateMath.lstmForward(b: b, h: h, gates: gates.storage.pointer, c: state.storage.pointer + h, cStride: 2 * h,
                                     out: y.baseAddress!, saved: s.baseAddress!)
            }
        }
        return recorded(.lstmCell, out, gates, state, backward: { [state, saved] gy in
            var dz = Tensor(shape: [b, 4 * h]) { _ in }, dstate = Tensor.zeros([b, 2 * h])  // h is not read: ∂h = 0
            saved.withUnsafeBufferPointer { s in
                dz.withUnsafeMutableBufferPointer { dz in
                    dstate.withUnsafeMutableBufferPointer { ds in
                        let g = gy.storage.pointer
                        GateMath.lstmBackward(b: b, h: h, saved: s.baseAddress!, c: state.storage.pointer + h, cStride: 2 * h,
                                              dh: g, dcNext: g + h, dStride: 2 * h,
                                              dGates: dz.baseAddress!, dc: ds.baseAddress! + h, dcStride: 2 * h)
                    }
                }
            }
            return [dz, dstate]
        })
    }
}

// MARK: - Whole sequences

extension Tensor {
    /// T GRU steps as one operation.
    ///
    /// - Parameters:
    ///   - projected: W_i·x_t + b_i for every step, (T, B, 3H).
    ///   - hiddenWeight: W_h, (3H, H); hiddenBias: b_h, (3H).
    ///   - hidden: h before the first step, (B, H).
    ///   - resets: (T·B) or empty: zero sequence b's state before step t.
    /// - Returns: the outputs h_1…h_T (T·B·H) followed by h_T (B·H), flat:
    ///   slice the first T·B·H for the outputs and the rest for the state.
    public static func gruScan(projected: Tensor, hiddenWeight: Tensor, hiddenBias: Tensor, hidden: Tensor,
                               resets: [Bool]) -> Tensor {
        let (steps, b, h) = (projected.shape[0], hidden.shape[0], hidden.shape[1])
        precondition(projected.shape == [steps, b, 3 * h] && hiddenWeight.shape == [3 * h, h] && hiddenBias.shape == [3 * h],
                     "gruScan: projected \(projected.shape), W_h \(hiddenWeight.shape), b_h \(hiddenBias.shape), h \(hidden.shape)")
        precondition(steps > 0, "gruScan needs at least one step")
        precondition(resets.isEmpty || resets.count == steps * b, "gruScan needs T·B = \(steps * b) reset flags")
        let rows = b * h, gates = b * 3 * h
        // Per step: h_{t−1} after its reset, W_h·h_{t−1} + b_h, and r, z, n.
        var previous = [Float](repeating: 0, count: steps * rows)
        var projectedHidden = [Float](repeating: 0, count: steps * gates)
        var saved = [Float](repeating: 0, count: steps * gates)
        let pw = hiddenWeight.storage.pointer, pb = hiddenBias.storage.pointer
        let out = Tensor(shape: [(steps + 1) * rows]) { y in
            let py = y.baseAddress!
            previous.withUnsafeMutableBufferPointer { hp in
                projectedHidden.withUnsafeMutableBufferPointer { gh in
                    saved.withUnsafeMutableBufferPointer { s in
                        for t in 0..<steps {
                            let hPrev = hp.baseAddress! + t * rows, g = gh.baseAddress! + t * gates
                            hPrev.update(from: t == 0 ? hidden.storage.pointer : py + (t - 1) * rows, count: rows)
                            if !resets.isEmpty {
                                for row in 0..<b where resets[t * b + row] { (hPrev + row * h).update(repeating: 0, count: h) }
                            }
                            for row in 0..<b { (g + row * 3 * h).update(from: pb, count: 3 * h) }
                            sgemm(hPrev, transposeA: false, pw, transposeB: true, g, m: b, n: 3 * h, k: h, beta: 1)
                            GateMath.gruForward(b: b, h: h, gx: projected.storage.pointer + t * gates, gh: g, hidden: hPrev,
                                                out: py + t * rows, saved: s.baseAddress! + t * gates)
                        }
                    }
                }
            }
            (py + steps * rows).update(from: py + (steps - 1) * rows, count: rows)
        }
        return recorded(.gruScan, out, projected, hiddenWeight, hiddenBias, hidden,
                        backward: { [hiddenWeight, previous, projectedHidden, saved] g in
            let pg = g.storage.pointer, pw = hiddenWeight.storage.pointer
            var dProjected = Tensor(shape: [steps, b, 3 * h]) { _ in }
            var dHiddenPart = [Float](repeating: 0, count: steps * gates)  // ∂(W_h·h + b_h) per step
            var dh = [Float](repeating: 0, count: rows), direct = [Float](repeating: 0, count: rows)
            dh.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: pg + steps * rows, count: rows) }
            dProjected.withUnsafeMutableBufferPointer { dx in
                dHiddenPart.withUnsafeMutableBufferPointer { dgh in
                    dh.withUnsafeMutableBufferPointer { dh in
                        direct.withUnsafeMutableBufferPointer { direct in
                          saved.withUnsafeBufferPointer { sv in
                            projectedHidden.withUnsafeBufferPointer { gh in
                              previous.withUnsafeBufferPointer { hp in
                            for t in stride(from: steps - 1, through: 0, by: -1) {
                                for j in 0..<rows { dh[j] += pg[t * rows + j] }
                                GateMath.gruBackward(b: b, h: h, saved: sv.baseAddress! + t * gates, gh: gh.baseAddress! + t * gates,
                                                     hidden: hp.baseAddress! + t * rows, dOut: dh.baseAddress!,
                                                     dgx: dx.baseAddress! + t * gates, dgh: dgh.baseAddress! + t * gates,
                                                     dHidden: direct.baseAddress!)
                                // ∂h_{t−1} = z ⊙ ∂h_t + ∂gh·W_h, cut where the state was reset.
                                dh.baseAddress!.update(from: direct.baseAddress!, count: rows)
                                sgemm(dgh.baseAddress! + t * gates, transposeA: false, pw, transposeB: false, dh.baseAddress!,
                                      m: b, n: h, k: 3 * h, beta: 1)
                                if !resets.isEmpty {
                                    for row in 0..<b where resets[t * b + row] { (dh.baseAddress! + row * h).update(repeating: 0, count: h) }
                                }
                            }
                              }
                            }
                          }
                        }
                    }
                }
            }
            let weightGradients = dHiddenPart.withUnsafeBufferPointer { dgh in
                previous.withUnsafeBufferPointer { hp in
                    recurrentWeightGradients(dgh.baseAddress!, hp.baseAddress!, hStride: h, rows: steps * b, gates: 3 * h, h: h)
                }
            }
            return [dProjected] + weightGradients + [Tensor(dh, shape: [b, h])]
        })
    }

    /// T LSTM steps as one operation.
    ///
    /// - Parameters:
    ///   - projected: W_i·x_t + b_i for every step, (T, B, 4H).
    ///   - hiddenWeight: W_h, (4H, H); hiddenBias: b_h, (4H).
    ///   - state: [h | c] before the first step, (B, 2H).
    ///   - resets: (T·B) or empty: zero sequence b's state before step t.
    /// - Returns: the outputs h_1…h_T (T·B·H) followed by the state [h_T | c_T]
    ///   (B·2H), flat: slice the first T·B·H for the outputs and the rest for the state.
    public static func lstmScan(projected: Tensor, hiddenWeight: Tensor, hiddenBias: Tensor, state: Tensor,
                                resets: [Bool]) -> Tensor {
        let (steps, b, h) = (projected.shape[0], state.shape[0], state.shape[1] / 2)
        precondition(state.shape == [b, 2 * h] && projected.shape == [steps, b, 4 * h] && hiddenWeight.shape == [4 * h, h]
                     && hiddenBias.shape == [4 * h],
                     "lstmScan: projected \(projected.shape), W_h \(hiddenWeight.shape), b_h \(hiddenBias.shape), state \(state.shape)")
        precondition(steps > 0, "lstmScan needs at least one step")
        precondition(resets.isEmpty || resets.count == steps * b, "lstmScan needs T·B = \(steps * b) reset flags")
        let rows = b * h, gates = b * 4 * h
        // Per step: [h | c]_{t−1} after its reset, and i, f, g, o, tanh(c_t).
        var previous = [Float](repeating: 0, count: steps * 2 * rows)
        var saved = [Float](repeating: 0, count: steps * 5 * rows)
        var z = [Float](repeating: 0, count: gates), current = [Float](repeating: 0, count: 2 * rows)
        let pw = hiddenWeight.storage.pointer, pb = hiddenBias.storage.pointer
        let out = Tensor(shape: [steps * rows + 2 * rows]) { y in
            let py = y.baseAddress!
            previous.withUnsafeMutableBufferPointer { sp in
                saved.withUnsafeMutableBufferPointer { s in
                    z.withUnsafeMutableBufferPointer { zp in
                        current.withUnsafeMutableBufferPointer { cur in
                            cur.baseAddress!.update(from: state.storage.pointer, count: 2 * rows)
                            for t in 0..<steps {
                                let sPrev = sp.baseAddress! + t * 2 * rows
                                if !resets.isEmpty {
                                    for row in 0..<b where resets[t * b + row] {
                                        (cur.baseAddress! + row * 2 * h).update(repeating: 0, count: 2 * h)
                                    }
                                }
                                sPrev.update(from: cur.baseAddress!, count: 2 * rows)
                                let pz = projected.storage.pointer + t * gates
                                for row in 0..<b {
                                    let zr = zp.baseAddress! + row * 4 * h, src = pz + row * 4 * h
                                    for j in 0..<(4 * h) { zr[j] = src[j] + pb[j] }
                                }
                                // z += h_{t−1}·W_hᵀ, h_{t−1} read with the row stride of [h | c].
                                cblasGemm(sPrev, lda: 2 * h, transposeA: false, pw, ldb: h, transposeB: true,
                                          zp.baseAddress!, ldc: 4 * h, m: b, n: 4 * h, k: h, beta: 1)
                                GateMath.lstmForward(b: b, h: h, gates: zp.baseAddress!, c: sPrev + h, cStride: 2 * h,
                                                     out: cur.baseAddress!, saved: s.baseAddress! + t * 5 * rows)
                                for row in 0..<b { (py + t * rows + row * h).update(from: cur.baseAddress! + row * 2 * h, count: h) }
                            }
                            (py + steps * rows).update(from: cur.baseAddress!, count: 2 * rows)
                        }
                    }
                }
            }
        }
        return recorded(.lstmScan, out, projected, hiddenWeight, hiddenBias, state,
                        backward: { [hiddenWeight, previous, saved] g in
            let pg = g.storage.pointer, pw = hiddenWeight.storage.pointer
            var dProjected = Tensor(shape: [steps, b, 4 * h]) { _ in }
            // ∂[h | c] flowing back, starting from the final state's gradient.
            var dState = [Float](repeating: 0, count: 2 * rows), dcPrev = [Float](repeating: 0, count: rows)
            dState.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: pg + steps * rows, count: 2 * rows) }
            dProjected.withUnsafeMutableBufferPointer { dz in
                dState.withUnsafeMutableBufferPointer { ds in
                    dcPrev.withUnsafeMutableBufferPointer { dcp in
                      saved.withUnsafeBufferPointer { sv in
                        previous.withUnsafeBufferPointer { sp in
                        let (sv, sp) = (sv.baseAddress!, sp.baseAddress!)
                        for t in stride(from: steps - 1, through: 0, by: -1) {
                            for row in 0..<b {
                                let d = ds.baseAddress! + row * 2 * h, o = pg + t * rows + row * h
                                for j in 0..<h { d[j] += o[j] }
                            }
                            let dzt = dz.baseAddress! + t * gates
                            GateMath.lstmBackward(b: b, h: h, saved: sv + t * 5 * rows, c: sp + t * 2 * rows + h, cStride: 2 * h,
                                                  dh: ds.baseAddress!, dcNext: ds.baseAddress! + h, dStride: 2 * h,
                                                  dGates: dzt, dc: dcp.baseAddress!, dcStride: h)
                            // ∂h_{t−1} = ∂z·W_h, ∂c_{t−1} = f ⊙ ∂c_t; cut where the state was reset.
                            for row in 0..<b {
                                (ds.baseAddress! + row * 2 * h + h).update(from: dcp.baseAddress! + row * h, count: h)
                            }
                            cblasGemm(dzt, lda: 4 * h, transposeA: false, pw, ldb: h, transposeB: false,
                                      ds.baseAddress!, ldc: 2 * h, m: b, n: h, k: 4 * h, beta: 0)
                            if !resets.isEmpty {
                                for row in 0..<b where resets[t * b + row] {
                                    (ds.baseAddress! + row * 2 * h).update(repeating: 0, count: 2 * h)
                                }
                            }
                        }
                        }
                      }
                    }
                }
            }
            // W_h saw h_{t−1}: the first H columns of each stored [h | c] row (row stride 2H).
            let weightGradients = dProjected.withUnsafeBufferPointer { dz in
                previous.withUnsafeBufferPointer { sp in
                    recurrentWeightGradients(dz.baseAddress!, sp.baseAddress!, hStride: 2 * h, rows: steps * b, gates: 4 * h, h: h)
                }
            }
            return [dProjected] + weightGradients + [Tensor(dState, shape: [b, 2 * h])]
        })
    }
}

/// ∂W_h = Σ_t ∂gates_tᵀ·h_{t−1} as one GEMM over all T·B rows, and ∂b_h = Σ ∂gates.
/// - Parameters: dGates (rows, gates); hPrev (rows, h) with row stride `hStride`.
private func recurrentWeightGradients(_ dGates: UnsafePointer<Float>, _ hPrev: UnsafePointer<Float>, hStride: Int,
                                      rows: Int, gates: Int, h: Int) -> [Tensor] {
    let dw = Tensor(shape: [gates, h]) { d in
        cblasGemm(dGates, lda: gates, transposeA: true, hPrev, ldb: hStride, transposeB: false,
                  d.baseAddress!, ldc: h, m: gates, n: h, k: rows)
    }
    let db = Tensor(shape: [gates]) { d in
        d.initialize(repeating: 0)
        for r in 0..<rows {
            let g = dGates + r * gates
            for j in 0..<gates { d[j] += g[j] }
        }
    }
    return [dw, db]
}
