/// An n-dimensional array of Float32: a shape and contiguous row-major storage.
///
/// `Tensor` is a value type with copy-on-write storage: copies are free until
/// one of them is written. When it is produced by an operation recorded on a
/// `Tape`, it also remembers its place on that tape so gradients can flow back
/// to it (see `Tape`). A tensor recorded on a tape belongs to the thread that
/// records the tape.
public struct Tensor: @unchecked Sendable {
    /// Extent of each axis, outermost first. `[]` is a scalar.
    public private(set) var shape: [Int]
    @usableFromInline var storage: TensorStorage
    /// Where this value sits on a tape, if it was recorded.
    @usableFromInline var tracking: Tracking?

    @usableFromInline
    init(shape: [Int], storage: TensorStorage) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        precondition(
            storage.count == shape.reduce(1, *),
            "storage of \(storage.count) elements cannot hold shape \(shape)")
        self.shape = shape
        self.storage = storage
        self.tracking = nil
    }

    /// Number of elements.
    @inlinable public var count: Int { storage.count }
    /// Number of axes.
    @inlinable public var rank: Int { shape.count }
}

// MARK: - Creation

extension Tensor {
    /// A tensor with every element equal to `value`.
    public init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape, storage: TensorStorage(repeating: value, count: shape.reduce(1, *)))
    }

    /// A tensor holding `values` in row-major order.
    public init(_ values: [Float], shape: [Int]) {
        precondition(
            values.count == shape.reduce(1, *),
            "\(values.count) values do not fill shape \(shape)")
        let storage = TensorStorage(uninitializedCount: values.count)
        values.withUnsafeBufferPointer { storage.pointer.initialize(from: $0.baseAddress!, count: values.count) }
        self.init(shape: shape, storage: storage)
    }

    /// A vector holding `values`.
    public init(_ values: [Float]) { self.init(values, shape: [values.count]) }

    /// A scalar (rank 0).
    public init(scalar: Float) { self.init([scalar], shape: []) }

    /// A tensor whose elements are filled by `body` in row-major order; the
    /// buffer is uninitialised on entry and `body` must write every element.
    public init(shape: [Int], unsafeUninitialized body: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
        let storage = TensorStorage(uninitializedCount: shape.reduce(1, *))
        try body(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
        self.init(shape: shape, storage: storage)
    }

    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(repeating: 0, shape: shape) }
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(repeating: 1, shape: shape) }
    public static func zeros(like other: Tensor) -> Tensor { Tensor(repeating: 0, shape: other.shape) }

    /// `[0, 1, …, end − 1]`.
    public static func arange(_ end: Float) -> Tensor { arange(0, end) }

    /// `[start, start + step, …]` up to but excluding `end`.
    public static func arange(_ start: Float, _ end: Float, step: Float = 1) -> Tensor {
        precondition(step != 0, "arange step must not be zero")
        let n = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        return Tensor(shape: [n]) { out in
            for i in 0..<n { out[i] = start + Float(i) * step }
        }
    }
}

// MARK: - Access

extension Tensor {
    /// The elements in row-major order.
    public var scalars: [Float] {
        Array(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// The single element of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item needs a one-element tensor, got shape \(shape)")
        return storage.pointer[0]
    }

    /// Read access to the elements in row-major order.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// Write access to the elements; copies the storage first if it is shared.
    /// Writing detaches the tensor from any tape it was recorded on.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        tracking = nil
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// Replaces every element by a function of the old elements: `body(old, new)`
    /// reads `old` and writes all of `new`. When this value holds the only
    /// reference to its storage, `new` is `old` (an in-place update, one pass
    /// over memory); otherwise `new` is fresh storage and the shared one is
    /// left as it was (no copy first). Element k may read old[k] before it
    /// writes new[k], nothing else of `old` after writing. Detaches from any tape.
    @inlinable
    public mutating func rewrite(_ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) throws -> Void) rethrows {
        tracking = nil
        if isKnownUniquelyReferenced(&storage) { return try body(storage.pointer, storage.pointer) }
        let fresh = TensorStorage(uninitializedCount: storage.count)
        try body(storage.pointer, fresh.pointer)
        storage = fresh
    }

    /// Element at a multi-index (for tests and small tensors, not hot loops).
    public subscript(index: Int...) -> Float {
        get { storage.pointer[flatIndex(index)] }
        set {
            let i = flatIndex(index)
            withUnsafeMutableBufferPointer { $0[i] = newValue }
        }
    }

    private func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == rank, "index \(index) does not match shape \(shape)")
        var flat = 0
        for (i, n) in zip(index, shape) {
            precondition(i >= 0 && i < n, "index \(index) out of range for shape \(shape)")
            flat = flat * n + i
        }
        return flat
    }

    /// True if shapes match and every element differs by at most
    /// `absolute + relative·|other|`.
    public func isClose(to other: Tensor, relative: Float = 1e-5, absolute: Float = 1e-6) -> Bool {
        guard shape == other.shape else { return false }
        for i in 0..<count {
            let a = storage.pointer[i], b = other.storage.pointer[i]
            if !(Swift.abs(a - b) <= absolute + relative * Swift.abs(b)) { return false }
        }
        return true
    }

    /// Largest absolute element-wise difference (shapes must match).
    public func maxAbsDifference(_ other: Tensor) -> Float {
        precondition(shape == other.shape, "shapes \(shape) and \(other.shape) differ")
        var worst: Float = 0
        for i in 0..<count { worst = Swift.max(worst, Swift.abs(storage.pointer[i] - other.storage.pointer[i])) }
        return worst
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { "\($0)" }
        return "Tensor\(shape)[\(shown.joined(separator: ", "))\(count > 8 ? ", …" : "")]"
    }
}
