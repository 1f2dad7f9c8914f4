import Testing
import ReverieRecurrent

/// Every recurrent cell: scan equals T steps, a reset isolates a sequence
/// from what came before, and the gradients through an unrolled sequence —
/// inputs, initial state and every parameter — match central differences.
struct RecurrentCellTests {
    static let cells: [String] = ["gru", "lstm", "rnn", "elstm", "mingru", "lru"]

    /// The cell by name; an LRU's output has its input's width and `hiddenSize` states.
    static func make(_ name: String, inputSize: Int = 3, hiddenSize: Int = 5, seed: UInt64 = 1) -> any RecurrentCell {
        var rng = RandomGenerator(seed: seed)
        switch name {
        case "gru": return GRUCell(inputSize: inputSize, hiddenSize: hiddenSize, rng: &rng)
        case "lstm": return LSTMCell(inputSize: inputSize, hiddenSize: hiddenSize, rng: &rng)
        case "rnn": return RNNCell(inputSize: inputSize, hiddenSize: hiddenSize, rng: &rng)
        case "elstm": return ELSTMCell(inputSize: inputSize, hiddenSize: hiddenSize, forgetBias: 1, rng: &rng)
        case "mingru": return MinGRUCell(inputSize: inputSize, hiddenSize: hiddenSize, rng: &rng)
        default: return LRUCell(inputSize: inputSize, stateSize: hiddenSize, rng: &rng)
        }
    }

    static func randomState(_ cell: any RecurrentCell, batch: Int, seed: UInt64) -> RecurrentState {
        var rng = RandomGenerator(seed: seed)
        return RecurrentState(cell.stateWidths.map { Tensor.uniform([batch, $0], low: -1, high: 1, using: &rng) })
    }

    @Test(arguments: cells) func scanEqualsSteps(_ name: String) {
        let cell = Self.make(name)
        var rng = RandomGenerator(seed: 2)
        let (steps, batch) = (7, 4)
        let inputs = Tensor.uniform([steps, batch, 3], low: -2, high: 2, using: &rng)
        let resets = (0..<(steps * batch)).map { $0 % 5 == 3 }
        let start = Self.randomState(cell, batch: batch, seed: 3)

        let (outputs, final) = cell.scan(inputs, from: start, resets: resets)
        var state = start
        for t in 0..<steps {
            state = state.reset(where: Array(resets[(t * batch)..<((t + 1) * batch)]))
            let (y, next) = cell.step(inputs.select(t), state)
            #expect(y.isClose(to: outputs.select(t), absolute: 1e-5), "\(name) step \(t)")
            state = next
        }
        for (a, b) in zip(state.parts, final.parts) { #expect(a.isClose(to: b, absolute: 1e-5)) }
        #expect(outputs.shape == [steps, batch, cell.hiddenSize])
    }

    /// After a reset at step t, a sequence's outputs depend neither on the
    /// state it carried nor on its inputs before t, nor on other sequences.
    @Test(arguments: cells) func resetIsolatesEpisodes(_ name: String) {
        let cell = Self.make(name)
        var rng = RandomGenerator(seed: 4)
        let (steps, batch, resetAt) = (6, 3, 3)
        let inputs = Tensor.uniform([steps, batch, 3], low: -2, high: 2, using: &rng)
        var resets = [Bool](repeating: false, count: steps * batch)
        resets[resetAt * batch + 1] = true  // sequence 1 starts an episode at step 3

        let (a, _) = cell.scan(inputs, from: Self.randomState(cell, batch: batch, seed: 5), resets: resets)
        // Other history for every sequence before step 3, another start state.
        var other = inputs.scalars
        for i in 0..<(resetAt * batch * 3) { other[i] = Float(i % 7) - 3 }
        let (b, _) = cell.scan(Tensor(other, shape: inputs.shape), from: Self.randomState(cell, batch: batch, seed: 6),
                               resets: resets)
        // From a fresh zero state, sequence 1's episode alone.
        let episode = Tensor((resetAt..<steps).flatMap { t in inputs.select(t).select(1).scalars },
                             shape: [steps - resetAt, 1, 3])
        let (alone, _) = cell.scan(episode, from: cell.initialState(batch: 1), resets: nil)
        for t in resetAt..<steps {
            let ya = a.select(t).select(1), yb = b.select(t).select(1)
            #expect(ya.isClose(to: yb, absolute: 1e-6), "\(name): step \(t) remembers the previous episode")
            #expect(ya.isClose(to: alone.select(t - resetAt).select(0), absolute: 1e-5))
            // Sequence 0 was not reset: its history does matter.
            #expect(!a.select(t).select(0).isClose(to: b.select(t).select(0), absolute: 1e-3))
        }
    }

    /// d(Σ w ⊙ outputs)/d(inputs, initial state) against central differences.
    @Test(arguments: cells) func gradientsThroughTimeMatchFiniteDifferences(_ name: String) {
        let cell = Self.make(name, inputSize: 2, hiddenSize: 3)
        var rng = RandomGenerator(seed: 8)
        let inputs = Tensor.uniform([4, 2, 2], low: -1, high: 1, using: &rng)
        let start = Self.randomState(cell, batch: 2, seed: 9)
        let resets = [false, false, false, true, false, false, true, false]
        let report = checkGradients(at: [inputs] + start.parts, step: 1e-2) { x in
            let (y, final) = cell.scan(x[0], from: RecurrentState(Array(x.dropFirst())), resets: resets)
            return Tensor.concatenate([y.reshaped([-1])] + final.parts.map { $0.reshaped([-1]) })
        }
        #expect(report.maxRelativeError < 3e-3, "\(name): \(report)")
    }

    /// d loss / d every parameter against central differences.
    @Test(arguments: cells) func parameterGradientsMatchFiniteDifferences(_ name: String) throws {
        let cell = Self.make(name, inputSize: 2, hiddenSize: 3)
        var rng = RandomGenerator(seed: 10)
        let inputs = Tensor.uniform([3, 2, 2], low: -1, high: 1, using: &rng)
        let weights = Tensor.uniform([3, 2, cell.hiddenSize], low: -1, high: 1, using: &rng)
        let resets = [false, false, true, false, false, false]
        func loss() -> Tensor {
            (cell.scan(inputs, from: cell.initialState(batch: 2), resets: resets).outputs * weights).sum()
        }
        let parameters = cell.namedParameters
        for check in checkParameterGradients(parameters, step: 1e-2, loss) {
            #expect(check.relativeError < 5e-3, "\(name).\(check)")
        }
        #expect(parameters.count == ["gru": 4, "lstm": 4, "rnn": 3, "elstm": 5, "mingru": 2, "lru": 8][name])
    }

    @Test func namesFollowPyTorchLayout() {
        var rng = RandomGenerator(seed: 1)
        let gru = GRUCell(inputSize: 3, hiddenSize: 4, rng: &rng)
        #expect(gru.namedParameters.map(\.name) == ["inputWeight", "hiddenWeight", "inputBias", "hiddenBias"])
        #expect(gru.inputWeight.shape == [12, 3] && gru.hiddenWeight.shape == [12, 4])
        let lstm = LSTMCell(inputSize: 3, hiddenSize: 4, rng: &rng)
        #expect(lstm.inputWeight.shape == [16, 3] && lstm.stateWidths == [8])
    }
}

/// The fused cells against the textbook equations written with element-wise
/// tensor ops (PyTorch's `nn.GRUCell` / `nn.LSTMCell` definitions).
struct FusedCellEquationTests {
    static func gates(_ t: Tensor, _ n: Int, _ h: Int) -> [Tensor] { t.split(Array(repeating: h, count: n)) }

    @Test func gruStepFollowsTheGRUEquations() {
        var rng = RandomGenerator(seed: 11)
        let cell = GRUCell(inputSize: 3, hiddenSize: 4, rng: &rng)
        let x = Tensor.uniform([5, 3], low: -2, high: 2, using: &rng), h = Tensor.uniform([5, 4], low: -1, high: 1, using: &rng)
        let gx = Self.gates(x.linear(cell.inputWeight.value, bias: cell.inputBias.value), 3, 4)
        let gh = Self.gates(h.linear(cell.hiddenWeight.value, bias: cell.hiddenBias.value), 3, 4)
        let r = (gx[0] + gh[0]).sigmoid(), z = (gx[1] + gh[1]).sigmoid()
        let n = (gx[2] + r * gh[2]).tanh()
        let expected = (1 - z) * n + z * h
        let (y, state) = cell.step(x, RecurrentState([h]))
        #expect(y.isClose(to: expected, relative: 1e-5, absolute: 1e-6))
        #expect(state.parts[0].isClose(to: expected, relative: 1e-5, absolute: 1e-6))
    }

    @Test func lstmStepFollowsTheLSTMEquations() {
        var rng = RandomGenerator(seed: 12)
        let cell = LSTMCell(inputSize: 3, hiddenSize: 4, rng: &rng)
        let x = Tensor.uniform([5, 3], low: -2, high: 2, using: &rng)
        let h = Tensor.uniform([5, 4], low: -1, high: 1, using: &rng), c = Tensor.uniform([5, 4], low: -2, high: 2, using: &rng)
        let z = Self.gates(x.linear(cell.inputWeight.value, bias: cell.inputBias.value)
                           + h.linear(cell.hiddenWeight.value, bias: cell.hiddenBias.value), 4, 4)
        let cNext = z[1].sigmoid() * c + z[0].sigmoid() * z[2].tanh()
        let hNext = z[3].sigmoid() * cNext.tanh()
        let (y, state) = cell.step(x, RecurrentState([Tensor.concatenate([h, c], axis: 1)]))
        #expect(y.isClose(to: hNext, relative: 1e-5, absolute: 1e-6))
        #expect(state.parts[0].isClose(to: Tensor.concatenate([hNext, cNext], axis: 1), relative: 1e-5, absolute: 1e-6))
    }
}
