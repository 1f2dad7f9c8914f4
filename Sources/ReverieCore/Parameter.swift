/// A trainable tensor, shared by reference between the module that uses it,
/// the optimizer that updates it and the checkpoint that saves it.
///
/// Read `value` in a forward pass: inside `Tape.recording` it is this
/// parameter's leaf on the tape, so gradients reach it; elsewhere it is the
/// plain stored tensor.
public final class Parameter: @unchecked Sendable {
    /// The stored value, never recorded.
    public var storedValue: Tensor {
        didSet {
            precondition(
                storedValue.shape == oldValue.shape,
                "a parameter of shape \(oldValue.shape) cannot take a value of shape \(storedValue.shape)")
            storedValue.tracking = nil
        }
    }

    public init(_ value: Tensor) {
        storedValue = value.detached
    }

    /// The value to compute with: the tape leaf while recording, else the stored tensor.
    public var value: Tensor {
        if let tape = Tape.current { return tape.watch(self) }
        return storedValue
    }

    public var shape: [Int] { storedValue.shape }
    public var count: Int { storedValue.count }

    /// In-place write access to the stored elements (optimizers use this).
    public func update<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try storedValue.withUnsafeMutableBufferPointer(body)
    }
}
