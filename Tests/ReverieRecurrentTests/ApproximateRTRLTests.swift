import Testing
import ReverieRecurrent

/// SnAp-1 and UORO on the dense cells (vanilla RNN, GRU): SnAp-1 is exact
/// where the recurrence happens to be diagonal, UORO's estimate is unbiased.
struct ApproximateRTRLTests {
    static let (steps, batch) = (8, 3)
    static let cells = ["rnn", "gru"]

    static func make(_ name: String, inputSize: Int, hiddenSize: Int, rng: inout RandomGenerator) -> any ApproximateRealTimeRecurrent {
        name == "rnn" ? RNNCell(inputSize: inputSize, hiddenSize: hiddenSize, rng: &rng)
                      : GRUCell(inputSize: inputSize, hiddenSize: hiddenSize, rng: &rng)
    }

    /// W_h of either cell, (G·H, H).
    static func hiddenWeight(_ cell: any ApproximateRealTimeRecurrent) -> Parameter {
        (cell as? RNNCell)?.hiddenWeight ?? (cell as! GRUCell).hiddenWeight
    }

    static func resets(batch: Int) -> [Bool] {
        (0..<(steps * batch)).map { $0 == 4 * batch + 1 }  // sequence 1 starts an episode at step 4
    }

    /// Σ_t ⟨w_t, tanh(h_t)⟩ from per-step outputs.
    static func loss(_ outputs: [Tensor], _ weights: Tensor) -> Tensor {
        outputs.enumerated().map { ($1.tanh() * weights.select($0)).sum() }.reduce(Tensor(scalar: 0), +)
    }

    static func bptt(_ cell: any ApproximateRealTimeRecurrent, _ inputs: Tensor, _ weights: Tensor, resets: [Bool]) -> [Tensor] {
        valueWithGradients(wrt: cell.parameters) {
            let outputs = cell.scan(inputs, from: cell.initialState(batch: inputs.shape[1]), resets: resets).outputs
            return loss((0..<steps).map { outputs.select($0) }, weights)
        }.gradients
    }

    /// Steps by `body` from zeros, resetting where an episode starts.
    static func online<Carry>(_ cell: any ApproximateRealTimeRecurrent, _ inputs: Tensor, _ weights: Tensor, resets: [Bool], carry start: Carry,
                              reset: (Carry, [Bool]) -> Carry,
                              body: (Tensor, RecurrentState, Carry) -> (Tensor, RecurrentState, Carry)) -> [Tensor] {
        let b = inputs.shape[1]
        return valueWithGradients(wrt: cell.parameters) {
            var (state, carry) = (cell.initialState(batch: b), start)
            var outputs: [Tensor] = []
            for t in 0..<steps {
                let starts = Array(resets[(t * b)..<((t + 1) * b)])
                (state, carry) = (state.reset(where: starts), reset(carry, starts))
                let (y, next, carried) = body(inputs.select(t), state, carry)
                outputs.append(y)
                (state, carry) = (next, carried)
            }
            return loss(outputs, weights)
        }.gradients
    }

    static func relativeError(_ a: [Tensor], _ b: [Tensor]) -> Float {
        let difference = zip(a, b).reduce(Float(0)) { $0 + ($1.0 - $1.1).squared().sum().item }
        let norm = b.reduce(Float(0)) { $0 + $1.squared().sum().item }
        return (difference / norm).squareRoot()
    }

    @Test(arguments: cells) func snapOneIsExactWhereTheRecurrenceIsDiagonal(_ name: String) {
        var rng = RandomGenerator(seed: 1)
        let cell = Self.make(name, inputSize: 3, hiddenSize: 4, rng: &rng)
        let hiddenWeight = Self.hiddenWeight(cell)
        // Unit i reads only its own h_i: every block of W_h diagonal.
        hiddenWeight.update { w in for k in 0..<w.count where (k / 4) % 4 != k % 4 { w[k] = 0 } }
        let inputs = Tensor.uniform([Self.steps, Self.batch, 3], low: -1, high: 1, using: &rng)
        let weights = Tensor.uniform([Self.steps, Self.batch, 4], low: -1, high: 1, using: &rng)
        let resets = Self.resets(batch: Self.batch)
        let exact = Self.bptt(cell, inputs, weights, resets: resets)
        let snap = Self.online(cell, inputs, weights, resets: resets, carry: cell.initialSensitivities(batch: Self.batch),
                               reset: { $0.reset(where: $1) }) { x, s, carry in cell.snapStep(x, s, carry) }
        // Off-diagonal W_h entries are zero but not their gradients: SnAp-1 keeps those too.
        #expect(exact[1].squared().sum().item > 1e-4)
        #expect(Self.relativeError(snap, exact) < 1e-4, "\(name): SnAp-1 vs BPTT: \(Self.relativeError(snap, exact))")

        // With a dense W_h it is an approximation: close, not equal.
        hiddenWeight.update { w in for i in 0..<w.count { w[i] += 0.3 * Float(i % 5 - 2) / 2 } }
        let denseExact = Self.bptt(cell, inputs, weights, resets: resets)
        let denseSnap = Self.online(cell, inputs, weights, resets: resets, carry: cell.initialSensitivities(batch: Self.batch),
                                    reset: { $0.reset(where: $1) }) { x, s, carry in cell.snapStep(x, s, carry) }
        let error = Self.relativeError(denseSnap, denseExact)
        #expect(error > 1e-3 && error < 0.5, "\(name): SnAp-1 on a dense recurrence: relative error \(error)")
    }

    /// K copies of one sequence in one batch give K independent UORO
    /// estimates (each row draws its own signs); their mean approaches the
    /// true gradient while a single estimate stays far from it.
    @Test(arguments: cells) func uoroEstimatesAreUnbiased(_ name: String) {
        var rng = RandomGenerator(seed: 2)
        let cell = Self.make(name, inputSize: 2, hiddenSize: 3, rng: &rng)
        let one = Tensor.uniform([Self.steps, 1, 2], low: -1, high: 1, using: &rng)
        let oneWeights = Tensor.uniform([Self.steps, 1, 3], low: -1, high: 1, using: &rng)
        func copies(_ t: Tensor, _ k: Int) -> Tensor {
            Tensor.concatenate((0..<Self.steps).map { s in Tensor.concatenate(Array(repeating: t.select(s), count: k), axis: 0)
                .reshaped([1, k, t.shape[2]]) }, axis: 0)
        }
        func uoro(_ k: Int, seed: UInt64) -> [Tensor] {
            var signs = RandomGenerator(seed: seed)
            return Self.online(cell, copies(one, k), copies(oneWeights, k), resets: Array(repeating: false, count: Self.steps * k),
                               carry: cell.initialEstimate(batch: k), reset: { $0.reset(where: $1) }) { x, s, carry in
                cell.uoroStep(x, s, carry, using: &signs)
            }.map { $0 * (1 / Float(k)) }
        }
        let exact = Self.bptt(cell, one, oneWeights, resets: Array(repeating: false, count: Self.steps))
        let single = (0..<20).map { Self.relativeError(uoro(1, seed: 100 + UInt64($0)), exact) }.reduce(0, +) / 20
        let mean = Self.relativeError(uoro(4000, seed: 3), exact)
        print("UORO (\(name)) relative error: one estimate \(single), mean of 4000 \(mean)")
        #expect(single > 0.2, "one UORO estimate is noisy: relative error \(single)")
        // The standard error of the mean is about single/√4000 ≈ 0.02.
        #expect(mean < 0.06 && mean < single / 5, "mean of 4000 estimates: relative error \(mean) (one: \(single))")
    }

    /// Both approximations run the cell's own forward step.
    @Test(arguments: cells) func approximateStepsEqualSteps(_ name: String) {
        var rng = RandomGenerator(seed: 3)
        let cell = Self.make(name, inputSize: 3, hiddenSize: 4, rng: &rng)
        let x = Tensor.uniform([2, 3], low: -1, high: 1, using: &rng), h = Tensor.uniform([2, 4], low: -1, high: 1, using: &rng)
        let expected = cell.step(x, RecurrentState([h])).output
        #expect(cell.snapStep(x, RecurrentState([h]), cell.initialSensitivities(batch: 2)).output.isClose(to: expected, absolute: 1e-5))
        #expect(cell.uoroStep(x, RecurrentState([h]), cell.initialEstimate(batch: 2), using: &rng).output.isClose(to: expected, absolute: 1e-5))
    }
}
