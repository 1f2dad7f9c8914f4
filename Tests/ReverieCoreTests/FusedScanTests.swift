import Foundation
import Testing
import ReverieCore

/// The fused sequence operations against their definitions written out in
/// Double, step by step, with a reset inside the sequence (their gradients
/// are checked against finite differences in GradientCheckTests).
struct FusedScanTests {
    /// Dense (1 block) and block-diagonal (2 blocks of 2 units: group k's
    /// gates [r_k | c_k | u_k] read only h_k and are normalised on their own).
    @Test(arguments: [1, 2])
    func normGRUScanFollowsDreamerV3sEquations(blocks: Int) {
        let (steps, batch, h) = (5, 3, 4), wide = 3 * h, u = h / blocks
        let projected = randomTensor([steps, batch, wide], seed: 1, low: -2, high: 2)
        let weight = randomTensor([wide, u], seed: 2), gain = randomTensor([wide], seed: 3, low: 0.5, high: 1.5)
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
                var next = state[s]
                for k in 0..<blocks {
                    // Group k's pre-activations (3U), from its own units of h.
                    let pre = (0..<(3 * u)).map { i in
                        p[(t * batch + s) * wide + k * 3 * u + i] + (0..<u).reduce(0) { $0 + w[(k * 3 * u + i) * u + $1] * state[s][k * u + $1] }
                    }
                    let mean = pre.reduce(0, +) / Double(3 * u)
                    let variance = pre.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(3 * u)
                    let n = (0..<(3 * u)).map { i in (pre[i] - mean) / (variance + Double(epsilon)).squareRoot() * g[k * 3 * u + i] + b[k * 3 * u + i] }
                    for j in 0..<u {
                        let update = sigmoid(n[2 * u + j] - 1), candidate = Foundation.tanh(sigmoid(n[j]) * n[u + j])
                        next[k * u + j] = update * candidate + (1 - update) * state[s][k * u + j]
                    }
                }
                state[s] = next
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

    /// The associative scan cut into 1…4 time chunks (resets inside chunks and
    /// on their boundaries) against the recurrence written out in Double, and
    /// its gradients against the one-chunk scan's.
    @Test(arguments: [1, 2, 3, 4])
    func diagonalScanInChunksEqualsTheRecurrence(chunks: Int) {
        let (steps, batch, n) = (9, 2, 3)
        let inputs = [randomTensor([n], seed: 10, low: 0.3, high: 0.9), randomTensor([n], seed: 11, low: -0.5, high: 0.5),
                      randomTensor([steps, batch, n], seed: 12), randomTensor([steps, batch, n], seed: 13),
                      randomTensor([batch, 2 * n], seed: 14)]
        var resets = [Bool](repeating: false, count: steps * batch)
        resets[3 * batch + 0] = true  // the boundary of 3 chunks
        resets[5 * batch + 1] = true  // inside a chunk
        let projection = randomTensor([(steps + 1) * batch * 2 * n], seed: 15)
        func run(_ chunks: Int) -> (Tensor, [Tensor]) {
            let parameters = inputs.map { Parameter($0) }
            var out = Tensor.zeros([1])
            let (_, gradients) = valueWithGradients(wrt: parameters) {
                let x = parameters.map(\.value)
                out = Tensor.diagonalScan(aReal: x[0], aImaginary: x[1], drivenReal: x[2], drivenImaginary: x[3], hidden: x[4],
                                          resets: resets, timeChunks: chunks)
                return (out * projection).sum()
            }
            return (out, gradients)
        }
        let (out, gradients) = run(chunks), (_, reference) = run(1)
        let (ar, ai, ur, ui, x0) = (doubles(inputs[0]), doubles(inputs[1]), doubles(inputs[2]), doubles(inputs[3]), doubles(inputs[4]))
        for s in 0..<batch {
            var (re, im) = (Array(x0[(s * 2 * n)..<(s * 2 * n + n)]), Array(x0[(s * 2 * n + n)..<(s * 2 * n + 2 * n)]))
            for t in 0..<steps {
                if resets[t * batch + s] { (re, im) = (Array(repeating: 0, count: n), Array(repeating: 0, count: n)) }
                for j in 0..<n {
                    (re[j], im[j]) = (ar[j] * re[j] - ai[j] * im[j] + ur[(t * batch + s) * n + j],
                                      ar[j] * im[j] + ai[j] * re[j] + ui[(t * batch + s) * n + j])
                    let at = (t * batch + s) * 2 * n + j
                    #expect(abs(Double(out.scalars[at]) - re[j]) < 1e-5 && abs(Double(out.scalars[at + n]) - im[j]) < 1e-5,
                            "t \(t), sequence \(s), mode \(j)")
                }
            }
        }
        for (mine, theirs) in zip(gradients, reference) { #expect(mine.maxAbsDifference(theirs) < 1e-5) }
    }
}
