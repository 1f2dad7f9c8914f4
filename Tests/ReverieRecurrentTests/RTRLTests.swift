import Testing
import ReverieRecurrent

/// Exact RTRL for every element-wise cell: its steps equal the ordinary
/// steps, and the gradients it carries forward equal backpropagation through
/// the whole sequence, episode resets included.
struct RTRLTests {
    static let cells = ["elstm", "mingru", "lru"]

    static func make(_ name: String, inputSize: Int = 3, hiddenSize: Int = 4, seed: UInt64 = 1) -> any ElementwiseRecurrent {
        RecurrentCellTests.make(name, inputSize: inputSize, hiddenSize: hiddenSize, seed: seed) as! any ElementwiseRecurrent
    }

    /// The flags of step t, (B).
    static func flags(_ resets: [Bool], step t: Int, batch: Int) -> [Bool] { Array(resets[(t * batch)..<((t + 1) * batch)]) }

    /// T real-time steps from `start`, resetting state and sensitivities where
    /// an episode starts; the outputs (T, B, H) and the final sensitivities.
    static func realTimeScan(_ cell: any ElementwiseRecurrent, _ inputs: Tensor, from start: RecurrentState,
                             resets: [Bool]) -> (outputs: [Tensor], state: RecurrentState, sensitivities: Sensitivities) {
        let (steps, batch) = (inputs.shape[0], inputs.shape[1])
        var state = start, sensitivities = cell.initialSensitivities(batch: batch)
        var outputs: [Tensor] = []
        for t in 0..<steps {
            let starts = flags(resets, step: t, batch: batch)
            state = state.reset(where: starts)
            sensitivities = sensitivities.reset(where: starts)
            // In place: a tape recording these steps still holds each S_t it will contract.
            let step = cell.realTimeStep(inputs.select(t), state, &sensitivities)
            outputs.append(step.output)
            state = step.state
        }
        return (outputs, state, sensitivities)
    }

    @Test(arguments: cells) func realTimeStepsEqualSteps(_ name: String) {
        let cell = Self.make(name)
        var rng = RandomGenerator(seed: 2)
        let (steps, batch) = (6, 3)
        let inputs = Tensor.uniform([steps, batch, 3], low: -2, high: 2, using: &rng)
        let resets = (0..<(steps * batch)).map { $0 % 4 == 2 }
        let start = RecurrentCellTests.randomState(cell, batch: batch, seed: 3)
        let (outputs, final) = cell.scan(inputs, from: start, resets: resets)
        let realTime = Self.realTimeScan(cell, inputs, from: start, resets: resets)
        for t in 0..<steps { #expect(realTime.outputs[t].isClose(to: outputs.select(t), absolute: 1e-5), "\(name) step \(t)") }
        #expect(realTime.state.parts[0].isClose(to: final.parts[0], absolute: 1e-5))
        // Per sequence, one value per recurrent parameter (D = 3, N = 4): eLSTM's
        // F, Z (8·3), w, b (8 + 8); minGRU's W (8·3), b (8); the LRU's ν, θ, γ and
        // B, each complex (2·(3·4 + 4·3)), with B_im's sensitivity i·S^B not stored.
        #expect(realTime.sensitivities.count == batch * ["elstm": 40, "mingru": 32, "lru": 48][name]!)
    }

    /// The paper's claim made a test: for a loss over every step of sequences
    /// with episode boundaries inside, gradients carried forward by RTRL equal
    /// those of backpropagation through the whole unrolled sequence.
    @Test(arguments: cells) func gradientsEqualBackpropagationThroughTime(_ name: String) {
        let cell = Self.make(name, inputSize: 3, hiddenSize: 4)
        var rng = RandomGenerator(seed: 4)
        let (steps, batch) = (16, 3)
        let inputs = Tensor.uniform([steps, batch, 3], low: -1.5, high: 1.5, using: &rng)
        let targets = Tensor.uniform([steps, batch, cell.hiddenSize], low: -1, high: 1, using: &rng)
        var resets = [Bool](repeating: false, count: steps * batch)
        resets[5 * batch + 1] = true   // sequence 1 starts a new episode at step 5,
        resets[11 * batch + 2] = true  // sequence 2 at step 11,
        resets[12 * batch + 1] = true  // sequence 1 again at step 12.
        let start = RecurrentCellTests.randomState(cell, batch: batch, seed: 5)
        let parameters = cell.namedParameters

        // A nonlinear loss of every step's output: e_t depends on y_t.
        func loss(_ y: Tensor, _ t: Int) -> Tensor { (y.tanh() - targets.select(t)).squared().sum() }
        let (bpttLoss, bptt) = valueWithGradients(wrt: parameters.map(\.parameter)) {
            let outputs = cell.scan(inputs, from: start, resets: resets).outputs
            return (0..<steps).map { loss(outputs.select($0), $0) }.reduce(Tensor(scalar: 0), +)
        }
        let (rtrlLoss, rtrl) = valueWithGradients(wrt: parameters.map(\.parameter)) {
            let outputs = Self.realTimeScan(cell, inputs, from: start, resets: resets).outputs
            return (0..<steps).map { loss(outputs[$0], $0) }.reduce(Tensor(scalar: 0), +)
        }
        #expect(abs(bpttLoss - rtrlLoss) <= 1e-5 * abs(bpttLoss))
        for ((label, _), (a, b)) in zip(parameters, zip(rtrl, bptt)) {
            let difference = (a - b).squared().sum().item.squareRoot(), norm = b.squared().sum().item.squareRoot()
            #expect(norm > 1e-3, "\(name).\(label): a gradient this small tests nothing")
            #expect(difference <= 1e-4 * norm, "\(name).\(label): RTRL differs from BPTT by \(difference / norm) relative")
        }
    }

    /// Through two steps, the loss at step 2 reaches x_1 under BPTT (through
    /// the state) but not under RTRL: what lies below the recurrence learns
    /// from the current step only, as in the paper.
    @Test(arguments: cells) func earlierInputsGetNoGradient(_ name: String) {
        let cell = Self.make(name)
        var rng = RandomGenerator(seed: 8)
        let x1 = Tensor.uniform([2, 3], low: -1, high: 1, using: &rng), x2 = Tensor.uniform([2, 3], low: -1, high: 1, using: &rng)
        let start = RecurrentCellTests.randomState(cell, batch: 2, seed: 9)
        func gradientAtFirstInput(realTime: Bool) -> Tensor {
            let tape = Tape()
            let (a, b) = (tape.watch(x1), tape.watch(x2))
            let y = tape.recording { () -> Tensor in
                if realTime {
                    let first = cell.realTimeStep(a, start, cell.initialSensitivities(batch: 2))
                    return cell.realTimeStep(b, first.state, first.sensitivities).output
                }
                return cell.step(b, cell.step(a, start).state).output
            }
            return tape.gradients(of: y.sum(), wrt: [a])[0]
        }
        #expect(gradientAtFirstInput(realTime: false).squared().sum().item > 1e-6)
        #expect(gradientAtFirstInput(realTime: true).squared().sum().item == 0)
    }

    /// The gradient reaching the input is that of the current step alone: the
    /// layer below the recurrence learns with truncation 1, as in the paper.
    @Test(arguments: cells) func inputGradientIsTruncatedToTheStep(_ name: String) {
        let cell = Self.make(name)
        var rng = RandomGenerator(seed: 6)
        let x = Tensor.uniform([2, 3], low: -1, high: 1, using: &rng)
        let state = RecurrentCellTests.randomState(cell, batch: 2, seed: 7)
        let tape = Tape()
        let leaf = tape.watch(x)
        let (realTime, plain) = tape.recording {
            (cell.realTimeStep(leaf, state, cell.initialSensitivities(batch: 2)).output, cell.step(leaf, state).output)
        }
        let seed = Tensor.uniform(realTime.shape, low: -1, high: 1, using: &rng)
        let a = tape.gradients(of: realTime, seed: seed, wrt: [leaf])[0]
        let b = tape.gradients(of: plain, seed: seed, wrt: [leaf])[0]
        #expect(a.isClose(to: b, relative: 1e-4, absolute: 1e-6), "\(name): \(a.scalars) vs \(b.scalars)")
    }

    /// Online learning's accumulation: per-step gradients added straight into
    /// running sums (`accumulateGradients`, sensitivities updated in place)
    /// are the same floats as each step's fresh gradients added to the sums,
    /// for one sequence and for several, every parameter of the cell included.
    @Test(arguments: cells) func accumulatedGradientsEqualSummedGradients(_ name: String) {
        let cell = Self.make(name, inputSize: 3, hiddenSize: 4)
        for batch in [1, 3] {
            var rng = RandomGenerator(seed: 10)
            let inputs = (0..<12).map { _ in Tensor.uniform([batch, 3], low: -1.5, high: 1.5, using: &rng) }
            let readout = Tensor.uniform([batch, cell.hiddenSize], low: -1, high: 1, using: &rng)
            let parameters = cell.parameters
            func run(accumulating: Bool) -> [[Float]] {
                var state = cell.initialState(batch: batch), sensitivities = cell.initialSensitivities(batch: batch)
                var sums = parameters.map { Tensor.uniform($0.shape, low: -1, high: 1, using: &rng) }
                for (t, x) in inputs.enumerated() {
                    if t == 6 { sensitivities = sensitivities.reset(where: (0..<batch).map { $0 == 0 }) }
                    let tape = Tape()
                    let loss = tape.recording {
                        let step = cell.realTimeStep(x, state, &sensitivities)
                        state = step.state
                        return (step.output * readout).sum()
                    }
                    if accumulating {
                        tape.accumulateGradients(of: loss, wrt: parameters, into: &sums)
                    } else {
                        for (k, g) in tape.gradients(of: loss, wrt: parameters).enumerated() { sums[k] = sums[k] + g }
                    }
                }
                return sums.map(\.scalars)
            }
            let start = rng
            let summed = run(accumulating: false)
            rng = start
            let accumulated = run(accumulating: true)
            #expect(accumulated == summed, "\(name), B = \(batch)")
            #expect(summed.joined().contains { $0 != 0 })
        }
    }

    /// A step leaves its sensitivity update pending. The tape's contraction
    /// carries it out in the same pass when the gradient comes first (online
    /// learning), or reads S_t when something settled it before (here, reading
    /// `parts`, as a checkpoint would): the same floats either way, for the
    /// gradients and for the sensitivities carried on, over one sequence and
    /// several, with a reset in between.
    @Test(arguments: ["elstm", "mingru"]) func contractionFusedWithTheUpdateEqualsContractionAfterIt(_ name: String) {
        let cell = Self.make(name, inputSize: 3, hiddenSize: 4)
        for batch in [1, 3] {
            var rng = RandomGenerator(seed: 11)
            let inputs = (0..<8).map { _ in Tensor.uniform([batch, 3], low: -1.5, high: 1.5, using: &rng) }
            let readout = Tensor.uniform([batch, cell.hiddenSize], low: -1, high: 1, using: &rng)
            func run(settlingFirst: Bool) -> (gradients: [[Float]], sensitivities: [[Float]]) {
                var state = cell.initialState(batch: batch), sensitivities = cell.initialSensitivities(batch: batch)
                var gradients: [[Float]] = []
                for (t, x) in inputs.enumerated() {
                    if t == 4 { sensitivities = sensitivities.reset(where: (0..<batch).map { $0 == batch - 1 }) }
                    let tape = Tape()
                    let loss = tape.recording {
                        let step = cell.realTimeStep(x, state, &sensitivities)
                        state = step.state
                        return (step.output * readout).sum()
                    }
                    if settlingFirst { _ = sensitivities.parts }
                    gradients += tape.gradients(of: loss, wrt: cell.parameters).map(\.scalars)
                }
                return (gradients, sensitivities.parts.map(\.scalars))
            }
            let fused = run(settlingFirst: false), settled = run(settlingFirst: true)
            let sameGradients = fused.gradients == settled.gradients, sameSensitivities = fused.sensitivities == settled.sensitivities
            #expect(sameGradients, "\(name), B = \(batch): gradients differ")
            #expect(sameSensitivities, "\(name), B = \(batch): sensitivities differ")
            #expect(fused.gradients.joined().contains { $0 != 0 })
        }
    }
}
