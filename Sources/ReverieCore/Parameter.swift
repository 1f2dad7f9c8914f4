/// A trainable tensor, shared by reference between the module that uses it,
/// the optimizer that updates it and the checkpoint that saves it.
///
/// Read `value` in a forward pass: inside `Tape.recording` it is this
/// parameter's leaf on the tape, so gradients reach it; elsewhere it is the
/// plain stored tensor.
public final class Parameter: @unchecked Sendable {
    /// The stored value, never recorded.
    public var storedValue: Tensor {
        get { stored }
        set {
            precondition(
                newValue.shape == stored.shape,
                "a parameter of shape \(stored.shape) cannot take a value of shape \(newValue.shape)")
            stored = newValue.detached
        }
    }

    /// Backing storage for `storedValue`. `update` writes it in place: a
    /// `didSet` that reads `oldValue` would hold a second reference during the
    /// write and force a copy of the whole tensor on every optimizer step.
    private var stored: Tensor

    public init(_ value: Tensor) {
        stored = value.detached
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
        try stored.withUnsafeMutableBufferPointer(body)
    }
}
