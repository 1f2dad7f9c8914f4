/// Rows of flat observations as a rollout keeps them: as bytes while every
/// value is a whole number in 0...255 (pixels from a uint8 Box), as Float
/// otherwise. An Atari rollout of 128 steps × 8 envs × 84·84·4 frames holds
/// 29 MB instead of 116; values become Float again only in the minibatch
/// tensors the network reads, where `ImageEncoder` scales them.
///
///     var rows = ObservationRows(width: 4, preferBytes: true)
///     rows.append(Tensor([0, 255, 3, 7], shape: [1, 4]))     // kept as bytes
///     rows.append(Tensor([0.5, 0, 0, 0], shape: [1, 4]))     // not a byte: all rows become Float, unchanged
public struct ObservationRows {
    /// D, values per row.
    public let width: Int
    private var bytes: [UInt8] = []
    private var floats: [Float] = []
    /// Whether the rows are held as bytes.
    public private(set) var holdsBytes: Bool

    /// - Parameter preferBytes: hold rows as bytes while they fit (a uint8 observation space).
    public init(width: Int, preferBytes: Bool, reservingRows rows: Int = 0) {
        (self.width, holdsBytes) = (width, preferBytes)
        if preferBytes { bytes.reserveCapacity(rows * width) } else { floats.reserveCapacity(rows * width) }
    }

    /// Number of rows.
    public var count: Int { (holdsBytes ? bytes.count : floats.count) / width }

    /// Appends (R, D) rows.
    public mutating func append(_ rows: Tensor) {
        precondition(rows.count % width == 0, "rows of shape \(rows.shape) are not rows of \(width)")
        rows.withUnsafeBufferPointer { values in
            if holdsBytes, values.allSatisfy({ $0 >= 0 && $0 <= 255 && $0 == $0.rounded() }) {
                bytes.append(contentsOf: values.lazy.map { UInt8($0) })
                return
            }
            if holdsBytes {
                floats = bytes.map(Float.init)
                (bytes, holdsBytes) = ([], false)
            }
            floats.append(contentsOf: values)
        }
    }

    /// Every value, row-major, as Float.
    public var scalars: [Float] { holdsBytes ? bytes.map(Float.init) : floats }

    /// The rows `indices`, in that order, as a tensor of `shape` (whose element count is indices.count · D).
    public func gather(_ indices: [Int], shape: [Int]) -> Tensor {
        let d = width
        precondition(shape.reduce(1, *) == indices.count * d, "\(indices.count) observations of \(d) do not fill \(shape)")
        return Tensor(shape: shape) { out in
            let o = out.baseAddress!
            if holdsBytes {
                bytes.withUnsafeBufferPointer { b in
                    for (k, row) in indices.enumerated() {
                        let source = b.baseAddress! + row * d, target = o + k * d
                        for j in 0..<d { target[j] = Float(source[j]) }
                    }
                }
            } else {
                floats.withUnsafeBufferPointer { f in
                    for (k, row) in indices.enumerated() { (o + k * d).update(from: f.baseAddress! + row * d, count: d) }
                }
            }
        }
    }
}
