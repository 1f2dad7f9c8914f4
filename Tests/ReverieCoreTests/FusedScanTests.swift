import Foundation
import Testing
import ReverieCore

/// The fused sequence operations against their definitions written out in
/// Double, step by step, with a reset inside the sequence (their gradients
/// are checked against finite differences in GradientCheckTests).
struct FusedScanTests {
    @Test func normGRUScanFollowsDreamerV3sEquations() {
        let (steps, batch, h) = (5, 3, 4), wide = 3 * h
        let projected = randomTensor([steps, batch, wide], seed: 1, low: -2, high: 2)
        let weight = randomTensor([wide, h], seed: 2), gain = randomTensor([wide], seed: 3, low: 0.5, high: 1.5)
        let bias = randomTensor([wide], seed: 4), hidden = randomTensor([batch, h], seed: 5)
        var resets = [Bool](repeating: false, count: steps * batch)
        resets[2 * batch + 1] = true  // sequence 1 restarts before step 2
        let epsilon: Float = 1e-3
        let out = Tensor.normGRUScan(projected: projected, hiddenWeight: weight, gain: gain, bias: bias, hidden: hidden,
                                     resets: resets, epsilon: epsilon).scalars
        let (p, w, g, b) = (doubles(projected), doubles(weight), doubles(gain), doubles(bias))
        var state = (0..<batch).map { s in (0..<h).map { Double(hidden.scalars[s * h + $0]) } }
        func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }
        for t in 0..<steps {
            for s in 0..<batch {
                if resets[t * batch + s] { state[s] = Array(repeating: 0, count: h) }
                let pre = (0..<wide).map { i in p[(t * batch + s) * wide + i] + (0..<h).reduce(0) { $0 + w[i * h + $1] * state[s][$1] } }
                let mean = pre.reduce(0, +) / Double(wide)
                let variance = pre.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(wide)
                let n = (0..<wide).map { i in (pre[i] - mean) / (variance + Double(epsilon)).squareRoot() * g[i] + b[i] }
                state[s] = (0..<h).map { j in
                    let u = sigmoid(n[2 * h + j] - 1), candidate = Foundation.tanh(sigmoid(n[j]) * n[h + j])
                    return u * candidate + (1 - u) * state[s][j]
                }
                for j in 0..<h {
                    #expect(abs(Double(out[(t * batch + s) * h + j]) - state[s][j]) < 1e-5, "t \(t), sequence \(s), unit \(j)")
                }
            }
        }
        for s in 0..<batch {
            for j in 0..<h { #expect(abs(Double(out[(steps * batch + s) * h + j]) - state[s][j]) < 1e-5) }
        }
    }

    @Test func causalConvolutionSumsTheLastKInputsSinceTheReset() {
        let (steps, batch, e, taps) = (6, 2, 3, 4)
        let x = randomTensor([steps, batch, e], seed: 6), window = randomTensor([batch, (taps - 1) * e], seed: 7)
        let weight = randomTensor([e, taps], seed: 8), bias = randomTensor([e], seed: 9)
        var resets = [Bool](repeating: false, count: steps * batch)
        resets[3 * batch + 0] = true  // sequence 0 restarts before step 3
        let out = Tensor.causalConvolution(x, window: window, weight: weight, bias: bias, resets: resets).scalars
        // The whole input history per sequence: the window's K − 1 rows, then x.
        func input(_ s: Int, _ step: Int, _ k: Int) -> Double {
            step >= 0 ? Double(x.scalars[(step * batch + s) * e + k]) : Double(window.scalars[(s * (taps - 1) + taps - 1 + step) * e + k])
        }
        for s in 0..<batch {
            var start = -(taps - 1)
            for t in 0..<steps {
                if resets[t * batch + s] { start = t }
                for k in 0..<e {
                    var expected = Double(bias.scalars[k])
                    for i in 0..<taps where t - taps + 1 + i >= start {
                        expected += Double(weight.scalars[k * taps + i]) * input(s, t - taps + 1 + i, k)
                    }
                    #expect(abs(Double(out[(t * batch + s) * e + k]) - expected) < 1e-5, "t \(t), sequence \(s), channel \(k)")
                }
            }
            // The window after the last step: its last K − 1 inputs, zeros before the reset.
            for j in 0..<(taps - 1) {
                let step = steps - taps + 1 + j
                for k in 0..<e {
                    let expected = step >= start ? input(s, step, k) : 0
                    #expect(abs(Double(out[steps * batch * e + (s * (taps - 1) + j) * e + k]) - expected) < 1e-6)
                }
            }
        }
    }
}
