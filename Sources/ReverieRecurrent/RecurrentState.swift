@_exported import ReverieNN

/// What a recurrent cell carries from one step to the next: one or more
/// (B, width) tensors — h for a GRU, [h | c] for an LSTM. A feedforward
/// network's state has no parts.
public struct RecurrentState {
    /// Each (B, width).
    public var parts: [Tensor]

    public init(_ parts: [Tensor]) { self.parts = parts }

    /// The empty state of a network without memory.
    public static var none: RecurrentState { RecurrentState([]) }

    /// B, the number of sequences carried (0 for `none`).
    public var batch: Int { parts.first?.shape[0] ?? 0 }

    /// The state with the rows of sequences that start a new episode zeroed:
    /// h ← (1 − start)·h. Differentiable, so a reset inside a trained sequence
    /// cuts the gradient there too (CleanRL's `(1.0 - done) * h`).
    /// - Parameter starts: (B) flags.
    public func reset(where starts: [Bool]) -> RecurrentState {
        guard !parts.isEmpty, starts.contains(true) else { return self }
        precondition(starts.count == batch, "\(starts.count) reset flags for a state of batch \(batch)")
        let keep = Tensor(starts.map { $0 ? 0 : 1 }, shape: [batch, 1])
        return RecurrentState(parts.map { $0 * keep })
    }

    /// The rows `indices` of every part, as constants (no gradient).
    public func rows(_ indices: [Int]) -> RecurrentState {
        RecurrentState(parts.map { part in
            let h = part.shape[1]
            return part.withUnsafeBufferPointer { p in
                Tensor(indices.flatMap { p[($0 * h)..<(($0 + 1) * h)] }, shape: [indices.count, h])
            }
        })
    }

    /// The rows of several states of the same widths, one after another (constants).
    public init(concatenating states: [RecurrentState]) {
        guard let first = states.first, !first.parts.isEmpty else { self.init([]); return }
        self.init(first.parts.indices.map { k in Tensor.concatenate(states.map { $0.parts[k].detached }, axis: 0) })
    }
}
