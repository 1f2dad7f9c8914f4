/// A recurrent cell: y_t, s_t = f(x_t, s_{t−1}), over a batch of B sequences.
///
/// Policies trained by truncated BPTT unroll a cell on the tape with `scan`;
/// agents acting online call `step`. `scan` must equal `step` applied T times
/// (a test checks every cell), so a cell may override it with a faster
/// equivalent (GRU and LSTM project all T inputs in one GEMM and run the
/// recurrence as one fused operation).
///
/// Cells whose recurrence is element-wise (eLSTM, minGRU, LRU) also conform
/// to `ElementwiseRecurrent`, which adds exact RTRL.
public protocol RecurrentCell: Module {
    /// D, the width of an input x_t.
    var inputSize: Int { get }
    /// H, the width of an output y_t.
    var hiddenSize: Int { get }
    /// The width of each part of the state (GRU: [H]; LSTM: [2H], h and c packed).
    var stateWidths: [Int] { get }

    /// One step. - Parameters: x (B, D), the state. - Returns: y (B, H) and the next state.
    func step(_ x: Tensor, _ state: RecurrentState) -> (output: Tensor, state: RecurrentState)

    /// T steps, resetting the state of sequence b before step t wherever
    /// `resets[t·B + b]` is set (the observation at t starts a new episode).
    /// - Parameters: inputs (T, B, D); resets (T·B) or nil for none.
    /// - Returns: outputs (T, B, H) and the state after the last step.
    func scan(_ inputs: Tensor, from state: RecurrentState, resets: [Bool]?) -> (outputs: Tensor, state: RecurrentState)
}

extension RecurrentCell {
    /// Zeros for B sequences.
    public func initialState(batch: Int) -> RecurrentState {
        RecurrentState(stateWidths.map { Tensor.zeros([batch, $0]) })
    }

    public func scan(_ inputs: Tensor, from state: RecurrentState, resets: [Bool]?) -> (outputs: Tensor, state: RecurrentState) {
        unroll(inputs, from: state, resets: resets) { x, s in step(x, s) }
    }

    /// The loop of a cell without a fused scan: reset, step, collect. `body` gets x_t (B, D) and the state.
    func unroll(_ inputs: Tensor, from state: RecurrentState, resets: [Bool]?,
                body: (Tensor, RecurrentState) -> (output: Tensor, state: RecurrentState))
        -> (outputs: Tensor, state: RecurrentState)
    {
        precondition(inputs.rank == 3, "scan needs inputs (T, B, D), got \(inputs.shape)")
        let (steps, batch) = (inputs.shape[0], inputs.shape[1])
        precondition(state.batch == batch, "state of batch \(state.batch) for inputs \(inputs.shape)")
        precondition(resets == nil || resets!.count == steps * batch, "scan needs T·B = \(steps * batch) reset flags")
        var s = state
        var outputs: [Tensor] = []
        outputs.reserveCapacity(steps)
        for t in 0..<steps {
            if let resets { s = s.reset(where: Array(resets[(t * batch)..<((t + 1) * batch)])) }
            let (y, next) = body(inputs.select(t), s)
            outputs.append(y.reshaped([1, batch, hiddenSize]))
            s = next
        }
        return (Tensor.concatenate(outputs, axis: 0), s)
    }
}
