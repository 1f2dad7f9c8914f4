import Testing
import ReverieRecurrent

/// The copy task (Hochreiter & Schmidhuber 1997; Arjovsky et al. 2016's
/// form): 50 random symbols are shown one per step, then the network must
/// output them in order over the next 50 steps while it sees nothing. Each
/// recalled symbol depends on an input exactly 50 steps back, so the memory
/// must span the whole sequence: a gradient truncated short of 50 steps
/// cannot teach it. Here an LRU learns it by exact RTRL, online: each step's
/// gradient is taken at that step from the sensitivities it carries (a tape
/// per step, nothing of the past kept) and summed into one update per batch.
struct CopyTaskTests {
    static let (symbols, length, batch) = (8, 50, 16)

    /// B sequences: inputs (2L, B, A) one-hot for the first L steps, zeros
    /// after; targets, the symbol to recall at step L + k, (L·B) row k·B + b.
    static func sequences(_ rng: inout RandomGenerator) -> (inputs: [Tensor], targets: [Int]) {
        let shown = (0..<(length * batch)).map { _ in rng.int(below: symbols) }
        let inputs = (0..<(2 * length)).map { t in
            Tensor(shape: [batch, symbols]) { x in
                for i in 0..<x.count { x[i] = 0 }
                if t < length { for b in 0..<batch { x[b * symbols + shown[t * batch + b]] = 1 } }
            }
        }
        return (inputs, shown)
    }

    /// Runs the sequences by real-time steps; the recall steps' predictions
    /// and, when `learn` is set, the loss's gradient taken step by step (the
    /// mean cross-entropy over the L·B recalled symbols).
    static func recall(_ cell: LRUCell, _ inputs: [Tensor], targets: [Int], learn: Bool)
        -> (predicted: [Int], gradients: [Tensor])
    {
        var state = cell.initialState(batch: batch), sensitivities = cell.initialSensitivities(batch: batch)
        var predicted: [Int] = [], gradients = cell.parameters.map { Tensor.zeros($0.shape) }
        for (t, x) in inputs.enumerated() {
            let tape = Tape()
            let step = tape.recording { cell.realTimeStep(x, state, sensitivities) }
            (state, sensitivities) = (step.state, step.sensitivities)
            guard t >= length else { continue }
            predicted += step.output.detached.argmax()
            guard learn else { continue }
            let onehot = Tensor(shape: [batch, symbols]) { y in
                for i in 0..<y.count { y[i] = 0 }
                for b in 0..<batch { y[b * symbols + targets[(t - length) * batch + b]] = 1 }
            }
            let loss = -(step.output.logSoftmax() * onehot).sum() * (1 / Float(length * batch))
            gradients = zip(gradients, tape.gradients(of: loss, wrt: cell.parameters)).map { $0 + $1 }
        }
        return (predicted, gradients)
    }

    @Test func lruLearnsToCopyFiftySymbolsByRTRL() throws {
        var rng = RandomGenerator(seed: 1)
        // |λ| near 1 so that 50 steps are within reach; phases all around the circle.
        let cell = LRUCell(inputSize: Self.symbols, stateSize: 128, rMin: 0.9, rMax: 0.999, rng: &rng)
        let optimizer = Adam(cell, learningRate: 1e-2)
        // Until the last 20 batches average ≥ 99.5% (1,327 updates with this seed).
        var recent: [Double] = []
        for update in 1...3000 {
            let (inputs, targets) = Self.sequences(&rng)
            let (predicted, gradients) = Self.recall(cell, inputs, targets: targets, learn: true)
            optimizer.update(gradients)
            recent = (recent + [Double(zip(predicted, targets).filter { $0 == $1 }.count) / Double(targets.count)]).suffix(20)
            let mean = recent.reduce(0, +) / Double(recent.count)
            if recent.count == 20 && mean >= 0.995 { print("copy task: \(mean) after \(update) updates"); break }
        }
        // 64 fresh sequences, never trained on.
        var correct = 0
        for _ in 0..<4 {
            let (inputs, targets) = Self.sequences(&rng)
            correct += zip(Self.recall(cell, inputs, targets: targets, learn: false).predicted, targets).filter { $0 == $1 }.count
        }
        let held = Double(correct) / Double(4 * Self.length * Self.batch)
        #expect(held >= 0.99, "per-symbol accuracy \(held) on new sequences")
    }
}
