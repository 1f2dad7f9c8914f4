/// Reverse-mode automatic differentiation.
///
/// A `Tape` records differentiable operations in execution order, each with
/// its own backward rule, so the backward pass walks the records in reverse
/// with no sort (micrograd's design, with tensors). Operations record only when
/// one of their inputs is on a tape; everything else runs as plain math, so
/// inference needs no special mode.
///
///     let tape = Tape()
///     let x = tape.watch(input)            // a leaf we want ∂/∂x of
///     let y = tape.recording { model(x) }  // parameters resolve to leaves
///     let grads = tape.gradients(of: y.sum(), wrt: [x])
///
/// Values used more than once accumulate their gradients. Parameters read
/// inside `recording` become one leaf each, however often they are used.
public final class Tape: @unchecked Sendable {
    /// One recorded operation: its inputs' tape indices and a rule mapping the
    /// output's gradient to the inputs' gradients (`nil` where an input needs none).
    struct Record {
        let operation: Operation?
        let inputs: [Int]
        let backward: ((Tensor) -> [Tensor?])?
        /// A rule that adds into its inputs' gradients in place instead (see
        /// `GradientSlots`); a record has this or `backward`, not both.
        var backwardInPlace: ((Tensor, inout GradientSlots) -> Void)? = nil
        /// For an operation whose output is a contiguous block of its one
        /// input (a slice of leading rows): the input's shape and the block's
        /// element range. Its gradient is added into that block directly, so
        /// taking T slices of a sequence costs O(T) in backward, not O(T²).
        var block: (inputShape: [Int], elements: Range<Int>)? = nil
    }

    private(set) var records: [Record] = []
    /// True while `gradients` runs: backward rules compute with ordinary
    /// operations, which must not add records (no higher-order gradients).
    private(set) var isRunningBackward = false
    private var parameterLeaves: [ObjectIdentifier: Tensor] = [:]

    /// The tape that parameters resolve against while `recording` runs.
    @TaskLocal public static var current: Tape?

    /// What the tensors recorded here hold instead of the tape (see `Tracking`).
    @usableFromInline
    final class Handle: @unchecked Sendable {
        weak var tape: Tape?
    }
    let handle = Handle()

    public init() { handle.tape = self }

    /// Number of recorded values (leaves and operation results).
    public var count: Int { records.count }

    /// The operations recorded so far, in execution order (leaves excluded).
    public var operations: [Operation] { records.compactMap(\.operation) }

    // MARK: - Recording

    /// Marks `value` as a leaf whose gradient can be asked for.
    public func watch(_ value: Tensor) -> Tensor {
        var leaf = value
        leaf.tracking = Tracking(handle: handle, index: append(Record(operation: nil, inputs: [], backward: nil)))
        return leaf
    }

    /// The leaf standing for `parameter` on this tape (one per parameter).
    public func watch(_ parameter: Parameter) -> Tensor {
        let key = ObjectIdentifier(parameter)
        if let leaf = parameterLeaves[key] { return leaf }
        let leaf = watch(parameter.storedValue)
        parameterLeaves[key] = leaf
        return leaf
    }

    /// Runs `body` with this tape current, so `Parameter.value` reads inside it
    /// return leaves on this tape.
    public func recording<R>(_ body: () throws -> R) rethrows -> R {
        try Tape.$current.withValue(self, operation: body)
    }

    private func append(_ record: Record) -> Int {
        records.append(record)
        return records.count - 1
    }

    /// Records `output` as computed from `inputs`. `backward` maps ∂L/∂output to
    /// ∂L/∂input for each input, in order. Inputs not on this tape get none.
    func record(_ operation: Operation, _ output: inout Tensor, inputs: [Tensor], backward: @escaping (Tensor) -> [Tensor?],
                block: (inputShape: [Int], elements: Range<Int>)? = nil) {
        let record = Record(operation: operation, inputs: indices(of: inputs), backward: backward, block: block)
        output.tracking = Tracking(handle: handle, index: append(record))
    }

    /// `record` for a rule that adds its gradients into its inputs' slots.
    func record(_ operation: Operation, _ output: inout Tensor, inputs: [Tensor],
                backwardInPlace: @escaping (Tensor, inout GradientSlots) -> Void) {
        let record = Record(operation: operation, inputs: indices(of: inputs), backward: nil, backwardInPlace: backwardInPlace)
        output.tracking = Tracking(handle: handle, index: append(record))
    }

    /// Each input's record index on this tape, −1 for an input not on it.
    private func indices(of inputs: [Tensor]) -> [Int] {
        inputs.map { input in
            guard let t = input.tracking, t.handle === handle else { return -1 }
            return t.index
        }
    }

    // MARK: - Backward

    /// Gradients of the scalar `output` (or of `⟨seed, output⟩` for a non-scalar
    /// output) with respect to each of `inputs`; zeros where an input does not
    /// influence the output.
    public func gradients(of output: Tensor, seed: Tensor? = nil, wrt inputs: [Tensor]) -> [Tensor] {
        var grads = [Tensor?](repeating: nil, count: records.count)
        backpropagate(from: output, seed: seed, into: &grads, keeping: inputs)
        return inputs.map { input in
            guard let t = input.tracking, t.handle === handle, let g = grads[t.index] else {
                return Tensor.zeros(input.shape)
            }
            return g
        }
    }

    /// Adds the gradient of the scalar `output` with respect to each of
    /// `parameters` into `sums` (same order and shapes), as an online learner
    /// or an optimizer's accumulator sums them step after step.
    ///
    /// The sums stand in as the parameters' gradients from the start, so a
    /// rule that adds in place (an RTRL contraction, a one-row linear layer's
    /// outer product) writes straight into them: no fresh gradient tensor and
    /// no second pass to add it. For a parameter the loss reads once, the
    /// result is the same floats as adding `gradients(of:wrt:)` to its sum;
    /// one read several times gets its contributions added to the sum one by
    /// one rather than summed first. Pass `sums` uniquely held (not also
    /// stored elsewhere), or the first write copies them.
    public func accumulateGradients(of output: Tensor, wrt parameters: [Parameter], into sums: inout [Tensor]) {
        precondition(sums.count == parameters.count, "\(sums.count) sums for \(parameters.count) parameters")
        let leaves = parameters.map { watch($0).tracking!.index }
        precondition(Set(leaves).count == leaves.count, "accumulateGradients: a parameter is listed twice")
        var grads = [Tensor?](repeating: nil, count: records.count)
        // Move the sums into the table, so that each is held once and updated in place.
        var owned = sums
        sums = []
        for (k, leaf) in leaves.enumerated() {
            precondition(owned[k].shape == parameters[k].shape,
                         "accumulateGradients: sum \(k) has shape \(owned[k].shape), its parameter \(parameters[k].shape)")
            grads[leaf] = owned[k]
        }
        owned = []
        backpropagate(from: output, seed: nil, into: &grads, keeping: [])
        sums = leaves.map { grads[$0]! }
    }

    /// Walks the records from `output` back, adding each rule's gradients into
    /// `grads` (one slot per record; slots already filled are added to).
    /// Adjoints are freed once propagated, except leaves and those of `kept`:
    /// an input asked for may be an intermediate value, not only a leaf.
    private func backpropagate(from output: Tensor, seed: Tensor?, into grads: inout [Tensor?], keeping kept: [Tensor]) {
        let seed = seed ?? Tensor(repeating: 1, shape: output.shape)
        precondition(seed.shape == output.shape, "seed shape \(seed.shape) differs from output shape \(output.shape)")
        let requested = Set(kept.compactMap { $0.tracking.flatMap { $0.handle === handle ? $0.index : nil } })
        isRunningBackward = true
        defer { isRunningBackward = false }
        guard let t = output.tracking, t.handle === handle else { return }
        if grads[t.index] == nil { grads[t.index] = seed } else { grads[t.index]!.accumulate(seed) }
        for index in stride(from: t.index, through: 0, by: -1) {
            let record = records[index]
            guard let g = grads[index], record.backward != nil || record.backwardInPlace != nil else { continue }
            if let block = record.block, record.inputs[0] >= 0 {
                let input = record.inputs[0]
                if grads[input] == nil { grads[input] = Tensor.zeros(block.inputShape) }
                grads[input]!.accumulate(g, at: block.elements.lowerBound)
            } else if let rule = record.backwardInPlace {
                // Hand the rule its inputs' gradients, each held only by the
                // slots while it runs (so it writes in place), then put them back.
                var slots = GradientSlots(gradients: record.inputs.map { $0 >= 0 ? grads[$0].take() : nil },
                                          onTape: record.inputs.map { $0 >= 0 })
                rule(g, &slots)
                for (input, slot) in zip(record.inputs, slots.gradients) where input >= 0 {
                    guard let slot else { continue }
                    // An input listed twice gets its first slot back, then the second added.
                    addGradient(slot, into: &grads[input])
                }
            } else {
                for (input, ig) in zip(record.inputs, record.backward!(g)) where input >= 0 {
                    guard let ig else { continue }
                    addGradient(ig, into: &grads[input])
                }
            }
            if index != t.index && !requested.contains(index) { grads[index] = nil }
        }
    }

    /// Gradients of the scalar `output` with respect to `parameters`.
    public func gradients(of output: Tensor, wrt parameters: [Parameter]) -> [Tensor] {
        gradients(of: output, wrt: parameters.map { watch($0) })
    }
}

/// Where a tensor sits on a tape: the tape's handle and the record's index.
/// Records capture tensors, so a strong reference back to the tape would keep
/// every tape alive forever. The handle holds the tape weakly, once per tape,
/// and a tensor copy only retains the handle (a weak reference in every
/// tensor would make each copy form and drop one of its own). A tensor that
/// outlives its tape finds the handle empty.
@usableFromInline
struct Tracking {
    let handle: Tape.Handle
    let index: Int
    var tape: Tape? { handle.tape }
}

// MARK: - Differentiation entry points

/// The value of the scalar loss computed by `body` and its gradient with
/// respect to each of `parameters` (in the same order).
///
///     let (loss, grads) = valueWithGradients(wrt: model.parameters) {
///         mse(model(x), y)
///     }
public func valueWithGradients(
    wrt parameters: [Parameter], of body: () throws -> Tensor
) rethrows -> (value: Float, gradients: [Tensor]) {
    let tape = Tape()
    let leaves = parameters.map { tape.watch($0) }
    let loss = try tape.recording(body)
    precondition(loss.count == 1, "the loss must be a scalar, got shape \(loss.shape)")
    return (loss.item, tape.gradients(of: loss, wrt: leaves))
}

extension Tensor {
    /// True if this value is recorded on a live tape.
    public var isRecorded: Bool { tracking?.tape != nil }

    /// The same value, cut off from any tape (gradients stop here).
    public var detached: Tensor {
        var copy = self
        copy.tracking = nil
        return copy
    }

}

/// Records `output` on the tape of `inputs` (if any) with the given backward rule.
/// The rule is only built when something is being recorded.
func recorded(
    _ operation: Operation, _ output: Tensor, _ inputs: Tensor...,
    backward: @autoclosure () -> (Tensor) -> [Tensor?]
) -> Tensor {
    recorded(operation, output, inputs: inputs, backward: backward())
}

/// `recorded` for an output that is the contiguous block `elements` of its
/// input: backward adds the output's gradient into that block in place.
func recordedBlock(_ operation: Operation, _ output: Tensor, of input: Tensor, elements: Range<Int>) -> Tensor {
    guard let tape = input.tracking?.tape, !tape.isRunningBackward else { return output }
    var output = output
    tape.record(operation, &output, inputs: [input], backward: { g in [g] }, block: (input.shape, elements))
    return output
}

/// `recorded` for an operation with a variable number of inputs.
func recorded(
    _ operation: Operation, _ output: Tensor, inputs: [Tensor],
    backward: @autoclosure () -> (Tensor) -> [Tensor?]
) -> Tensor {
    guard let tape = recordingTape(of: inputs) else { return output }
    var output = output
    tape.record(operation, &output, inputs: inputs, backward: backward())
    return output
}

/// The gradients an operation's inputs have received so far, handed to a
/// backward rule that adds its own contribution into them in place instead of
/// returning fresh tensors: a GEMM with β = 1, an RTRL contraction. When the
/// tape accumulates into a learner's sums (`Tape.accumulateGradients`), the
/// parameters' slots are those sums.
public struct GradientSlots {
    /// One per input, nil where nothing has arrived yet.
    fileprivate(set) var gradients: [Tensor?]
    fileprivate let onTape: [Bool]

    fileprivate init(gradients: [Tensor?], onTape: [Bool]) {
        self.gradients = gradients
        self.onTape = onTape
    }

    /// Whether input k is on the tape, so that its gradient is wanted.
    public func wants(_ k: Int) -> Bool { onTape[k] }

    /// Adds into input k's gradient, of `shape`, through its buffer:
    /// `body(buffer, isEmpty)`. When `isEmpty`, nothing has arrived yet and the
    /// buffer is uninitialised: the rule writes every element rather than adds.
    public mutating func add(into k: Int, shape: [Int], _ body: (UnsafeMutableBufferPointer<Float>, _ isEmpty: Bool) -> Void) {
        guard onTape[k] else { return }
        if gradients[k] == nil {
            gradients[k] = Tensor(shape: shape, unsafeUninitialized: { body($0, true) })
        } else {
            precondition(gradients[k]!.shape == shape, "gradient of shape \(shape) for an input of shape \(gradients[k]!.shape)")
            gradients[k]!.withUnsafeMutableBufferPointer { body($0, false) }
        }
    }

    /// Adds a computed gradient for input k.
    public mutating func add(_ gradient: Tensor, into k: Int) {
        guard onTape[k] else { return }
        addGradient(gradient, into: &gradients[k])
    }
}

/// `recorded` for a backward rule that adds into its inputs' gradients in place.
func recordedInPlace(
    _ operation: Operation, _ output: Tensor, inputs: [Tensor],
    backward: @autoclosure () -> (Tensor, inout GradientSlots) -> Void
) -> Tensor {
    guard let tape = recordingTape(of: inputs) else { return output }
    var output = output
    tape.record(operation, &output, inputs: inputs, backwardInPlace: backward())
    return output
}

/// The live tape of the first recorded input, unless it is running backward
/// (backward rules compute with ordinary operations, which must not record).
private func recordingTape(of inputs: [Tensor]) -> Tape? {
    guard let tape = inputs.lazy.compactMap({ $0.tracking?.tape }).first, !tape.isRunningBackward else { return nil }
    return tape
}

/// Adds a gradient into a slot: the first one is kept as it is, later ones
/// added in place (copying first only if its storage is shared).
private func addGradient(_ gradient: Tensor, into slot: inout Tensor?) {
    if slot == nil { slot = gradient } else { slot!.accumulate(gradient) }
}
