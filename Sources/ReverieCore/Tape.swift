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

    public init() {}

    /// Number of recorded values (leaves and operation results).
    public var count: Int { records.count }

    /// The operations recorded so far, in execution order (leaves excluded).
    public var operations: [Operation] { records.compactMap(\.operation) }

    // MARK: - Recording

    /// Marks `value` as a leaf whose gradient can be asked for.
    public func watch(_ value: Tensor) -> Tensor {
        var leaf = value
        leaf.tracking = Tracking(tape: self, index: append(Record(operation: nil, inputs: [], backward: nil)))
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
        let indices = inputs.map { input -> Int in
            guard let t = input.tracking, t.tape === self else { return -1 }
            return t.index
        }
        let record = Record(operation: operation, inputs: indices, backward: backward, block: block)
        output.tracking = Tracking(tape: self, index: append(record))
    }

    // MARK: - Backward

    /// Gradients of the scalar `output` (or of `⟨seed, output⟩` for a non-scalar
    /// output) with respect to each of `inputs`; zeros where an input does not
    /// influence the output.
    public func gradients(of output: Tensor, seed: Tensor? = nil, wrt inputs: [Tensor]) -> [Tensor] {
        let seed = seed ?? Tensor(repeating: 1, shape: output.shape)
        precondition(seed.shape == output.shape, "seed shape \(seed.shape) differs from output shape \(output.shape)")
        var grads = [Tensor?](repeating: nil, count: records.count)
        // Adjoints are freed once propagated, except those asked for: an input
        // may be an intermediate value, not only a leaf.
        let requested = Set(inputs.compactMap { $0.tracking.flatMap { $0.tape === self ? $0.index : nil } })
        isRunningBackward = true
        defer { isRunningBackward = false }
        if let t = output.tracking, t.tape === self {
            grads[t.index] = seed
            for index in stride(from: t.index, through: 0, by: -1) {
                guard let g = grads[index], let backward = records[index].backward else { continue }
                let record = records[index]
                if let block = record.block, record.inputs[0] >= 0 {
                    let input = record.inputs[0]
                    if grads[input] == nil { grads[input] = Tensor.zeros(block.inputShape) }
                    grads[input]!.accumulate(g, at: block.elements.lowerBound)
                    if index != t.index && !requested.contains(index) { grads[index] = nil }
                    continue
                }
                let inputGrads = backward(g)
                for (input, ig) in zip(record.inputs, inputGrads) where input >= 0 {
                    guard let ig else { continue }
                    if grads[input] == nil { grads[input] = ig } else { grads[input]!.accumulate(ig) }
                }
                if index != t.index && !requested.contains(index) { grads[index] = nil }
            }
        }
        return inputs.map { input in
            guard let t = input.tracking, t.tape === self, let g = grads[t.index] else {
                return Tensor.zeros(input.shape)
            }
            return g
        }
    }

    /// Gradients of the scalar `output` with respect to `parameters`.
    public func gradients(of output: Tensor, wrt parameters: [Parameter]) -> [Tensor] {
        gradients(of: output, wrt: parameters.map { watch($0) })
    }
}

/// Where a tensor sits on a tape. The tape is held weakly: records capture
/// tensors, and a strong reference back would keep every tape alive forever.
@usableFromInline
struct Tracking {
    weak var tape: Tape?
    let index: Int
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
    guard let tape = inputs.lazy.compactMap({ $0.tracking?.tape }).first, !tape.isRunningBackward
    else { return output }
    var output = output
    tape.record(operation, &output, inputs: inputs, backward: backward())
    return output
}
