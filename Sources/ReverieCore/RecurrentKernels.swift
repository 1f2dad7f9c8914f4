// MARK: - Fused recurrent cells: the gate arithmetic of one step as one operation
//
// A GRU or LSTM step written with element-wise ops records a dozen small
// tensors per step; unrolled over a rollout, their allocation and bookkeeping
// cost more than the arithmetic. These kernels take the gate pre-activations
// (the GEMMs stay outside, through BLAS) and do the rest in one pass, keeping
// the activations the backward pass needs. Equations follow PyTorch's
// `nn.GRUCell` and `nn.LSTMCell`.

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
        let px = inputPart.storage.pointer, pg = hiddenPart.storage.pointer, ph = hidden.storage.pointer
        // r, z, n per row, kept for backward.
        var saved = [Float](repeating: 0, count: b * 3 * h)
        let out = Tensor(shape: [b, h]) { y in
            saved.withUnsafeMutableBufferPointer { s in
                for row in 0..<b {
                    let x = px + row * 3 * h, g = pg + row * 3 * h, hp = ph + row * h
                    let r = s.baseAddress! + row * 3 * h, z = r + h, n = z + h, yr = y.baseAddress! + row * h
                    // Separate simple loops over contiguous spans vectorise.
                    for j in 0..<(2 * h) { r[j] = fastSigmoid(x[j] + g[j]) }  // r and z
                    for j in 0..<h { n[j] = fastTanh(x[2 * h + j] + r[j] * g[2 * h + j]) }
                    for j in 0..<h { yr[j] = n[j] + z[j] * (hp[j] - n[j]) }
                }
            }
        }
        return recorded(.gruCell, out, inputPart, hiddenPart, hidden, backward: { [hiddenPart, hidden, saved] gy in
            let pgy = gy.storage.pointer, pg = hiddenPart.storage.pointer, ph = hidden.storage.pointer
            // Every element is written below: no zero fill.
            var dx = Tensor(shape: [b, 3 * h]) { _ in }, dg = Tensor(shape: [b, 3 * h]) { _ in }, dh = Tensor(shape: [b, h]) { _ in }
            saved.withUnsafeBufferPointer { s in
                dx.withUnsafeMutableBufferPointer { dx in
                    dg.withUnsafeMutableBufferPointer { dg in
                        dh.withUnsafeMutableBufferPointer { dh in
                            for row in 0..<b {
                                let o3 = row * 3 * h, o1 = row * h
                                for j in 0..<h {
                                    let r = s[o3 + j], z = s[o3 + h + j], n = s[o3 + 2 * h + j]
                                    let d = pgy[o1 + j]
                                    // h' = n + z(h − n)
                                    let dn = d * (1 - z), dz = d * (ph[o1 + j] - n)
                                    dh[o1 + j] = d * z
                                    let dan = dn * (1 - n * n)          // n = tanh(a_n)
                                    let dr = dan * pg[o3 + 2 * h + j]   // a_n = x_n + r·h_n
                                    let dar = dr * r * (1 - r), daz = dz * z * (1 - z)
                                    dx[o3 + j] = dar; dg[o3 + j] = dar
                                    dx[o3 + h + j] = daz; dg[o3 + h + j] = daz
                                    dx[o3 + 2 * h + j] = dan; dg[o3 + 2 * h + j] = dan * r
                                }
                            }
                        }
                    }
                }
            }
            return [dx, dg, dh]
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
        let pz = gates.storage.pointer, ps = state.storage.pointer
        // i, f, g, o, tanh(c') per row, kept for backward.
        var saved = [Float](repeating: 0, count: b * 5 * h)
        let out = Tensor(shape: [b, 2 * h]) { y in
            saved.withUnsafeMutableBufferPointer { s in
                for row in 0..<b {
                    let z = pz + row * 4 * h, c = ps + row * 2 * h + h, sv = s.baseAddress! + row * 5 * h
                    let yh = y.baseAddress! + row * 2 * h, yc = yh + h
                    // Separate simple loops over contiguous spans vectorise.
                    for j in 0..<(2 * h) { sv[j] = fastSigmoid(z[j]) }                   // i, f
                    for j in (2 * h)..<(3 * h) { sv[j] = fastTanh(z[j]) }                // g
                    for j in (3 * h)..<(4 * h) { sv[j] = fastSigmoid(z[j]) }             // o
                    for j in 0..<h { yc[j] = sv[h + j] * c[j] + sv[j] * sv[2 * h + j] }  // c' = f·c + i·g
                    for j in 0..<h { sv[4 * h + j] = fastTanh(yc[j]) }
                    for j in 0..<h { yh[j] = sv[3 * h + j] * sv[4 * h + j] }             // h' = o·tanh(c')
                }
            }
        }
        return recorded(.lstmCell, out, gates, state, backward: { [state, saved] gy in
            let pgy = gy.storage.pointer, ps = state.storage.pointer
            var dz = Tensor(shape: [b, 4 * h]) { _ in }, dstate = Tensor.zeros([b, 2 * h])
            saved.withUnsafeBufferPointer { s in
                dz.withUnsafeMutableBufferPointer { dz in
                    dstate.withUnsafeMutableBufferPointer { ds in
                        for row in 0..<b {
                            let sv = row * 5 * h, z4 = row * 4 * h, s2 = row * 2 * h
                            for j in 0..<h {
                                let i = s[sv + j], f = s[sv + h + j], g = s[sv + 2 * h + j]
                                let o = s[sv + 3 * h + j], tc = s[sv + 4 * h + j]
                                let dhNext = pgy[s2 + j], dcOut = pgy[s2 + h + j]
                                let dc = dcOut + dhNext * o * (1 - tc * tc)
                                dz[z4 + j] = dc * g * i * (1 - i)
                                dz[z4 + h + j] = dc * ps[s2 + h + j] * f * (1 - f)
                                dz[z4 + 2 * h + j] = dc * i * (1 - g * g)
                                dz[z4 + 3 * h + j] = dhNext * tc * o * (1 - o)
                                ds[s2 + h + j] = dc * f  // h is not read: its gradient stays 0
                            }
                        }
                    }
                }
            }
            return [dz, dstate]
        })
    }
}
