// MARK: - Mamba's causal depthwise convolution, fused

extension Tensor {
    /// A causal depthwise convolution of width K over T steps of B sequences
    /// (Mamba's conv before the selective scan, Gu & Dao 2023 §3.4), as one
    /// operation with its backward by hand:
    ///
    ///     y_t[e] = b[e] + Σ_{i<K} w[e, i]·x_{t−K+1+i}[e]
    ///
    /// where the K − 1 inputs before step 0 come from `window` (the tail of
    /// the previous call, so `step` and `scan` share it) and a reset before
    /// step t zeroes every input earlier than t for that sequence.
    ///
    /// - Parameters:
    ///   - x: (T, B, E).
    ///   - window: the K − 1 inputs before step 0, oldest first: (B, (K−1)·E).
    ///   - weight: (E, K), oldest tap first. - bias: (E).
    ///   - resets: (T·B) or empty.
    /// - Returns: y (T·B·E) followed by the window after step T − 1
    ///   ((B, (K−1)·E): the last K − 1 inputs as step T − 1 saw them), flat.
    public static func causalConvolution(_ x: Tensor, window: Tensor, weight: Tensor, bias: Tensor,
                                         resets: [Bool]) -> Tensor {
        let (steps, batch, e) = (x.shape[0], x.shape[1], x.shape[2]), taps = weight.shape[1]
        precondition(x.rank == 3 && weight.shape == [e, taps] && bias.shape == [e] && window.shape == [batch, (taps - 1) * e],
                     "causalConvolution: x \(x.shape), window \(window.shape), weight \(weight.shape), bias \(bias.shape)")
        precondition(resets.isEmpty || resets.count == steps * batch, "causalConvolution needs T·B = \(steps * batch) reset flags")
        let inputs = ConvolutionInputs(x: x, window: window, taps: taps, resets: resets)
        let outputs = steps * batch * e
        let out = Tensor(shape: [outputs + batch * (taps - 1) * e]) { y in
            let pw = weight.storage.pointer, pb = bias.storage.pointer
            for t in 0..<steps {
                for s in 0..<batch {
                    let row = y.baseAddress! + (t * batch + s) * e
                    row.update(from: pb, count: e)
                    for i in 0..<taps {
                        guard let input = inputs.row(step: t - taps + 1 + i, sequence: s, seenAt: t) else { continue }
                        for k in 0..<e { row[k] += pw[k * taps + i] * input[k] }
                    }
                }
            }
            for s in 0..<batch {
                for j in 0..<(taps - 1) {
                    let target = y.baseAddress! + outputs + (s * (taps - 1) + j) * e
                    if let input = inputs.row(step: steps - taps + 1 + j, sequence: s, seenAt: steps - 1) {
                        target.update(from: input, count: e)
                    } else {
                        target.update(repeating: 0, count: e)
                    }
                }
            }
        }
        return recorded(.causalConvolution, out, x, window, weight, bias, backward: { [x, window, weight] g in
            let dx = Tensor.zeros(x.shape), dWindow = Tensor.zeros(window.shape)
            let dWeight = Tensor.zeros(weight.shape), dBias = Tensor.zeros([e])
            let gradients = ConvolutionInputs(x: dx, window: dWindow, taps: taps, resets: resets)
            let pw = weight.storage.pointer, gw = dWeight.storage.pointer, gb = dBias.storage.pointer
            let pg = g.storage.pointer
            for t in 0..<steps {
                for s in 0..<batch {
                    let gy = pg + (t * batch + s) * e
                    for k in 0..<e { gb[k] += gy[k] }
                    for i in 0..<taps {
                        let step = t - taps + 1 + i
                        guard let input = inputs.row(step: step, sequence: s, seenAt: t),
                              let gInput = gradients.row(step: step, sequence: s, seenAt: t) else { continue }
                        for k in 0..<e {
                            gw[k * taps + i] += gy[k] * input[k]
                            gInput[k] += gy[k] * pw[k * taps + i]
                        }
                    }
                }
            }
            for s in 0..<batch {
                for j in 0..<(taps - 1) {
                    guard let gInput = gradients.row(step: steps - taps + 1 + j, sequence: s, seenAt: steps - 1) else { continue }
                    let gFinal = pg + outputs + (s * (taps - 1) + j) * e
                    for k in 0..<e { gInput[k] += gFinal[k] }
                }
            }
            return [dx, dWindow, dWeight, dBias]
        })
    }
}

/// Where `causalConvolution` reads input row (step, sequence): x for steps
/// ≥ 0, the window's rows for the K − 1 steps before; nil for inputs a reset
/// has cut off from the step that reads them.
private struct ConvolutionInputs {
    let x, window: UnsafeMutablePointer<Float>
    let steps, batch, channels, taps: Int
    /// The latest reset at or before each (t, s), as t·B + s; Int.min where none.
    let lastReset: [Int]

    init(x: Tensor, window: Tensor, taps: Int, resets: [Bool]) {
        (self.x, self.window, self.taps) = (x.storage.pointer, window.storage.pointer, taps)
        (steps, batch, channels) = (x.shape[0], x.shape[1], x.shape[2])
        var last = [Int](repeating: .min, count: steps * batch)
        for t in 0..<steps {
            for s in 0..<batch {
                last[t * batch + s] = !resets.isEmpty && resets[t * batch + s] ? t : (t > 0 ? last[(t - 1) * batch + s] : .min)
            }
        }
        lastReset = last
    }

    func row(step: Int, sequence s: Int, seenAt t: Int) -> UnsafeMutablePointer<Float>? {
        guard step >= lastReset[t * batch + s] else { return nil }
        return step >= 0 ? x + (step * batch + s) * channels : window + (s * (taps - 1) + taps - 1 + step) * channels
    }
}
