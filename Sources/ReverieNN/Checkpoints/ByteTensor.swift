/// Bytes of a shape: what a checkpoint stores as safetensors' U8 (numpy's
/// uint8). A replay of 8-bit images keeps its frames so, in a quarter of the
/// memory and file the same values take as Float32.
public struct ByteTensor: Equatable, Sendable {
    public let shape: [Int]
    public var bytes: [UInt8]

    public init(_ bytes: [UInt8], shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 } && bytes.count == shape.reduce(1, *),
                     "\(bytes.count) bytes cannot have shape \(shape)")
        (self.bytes, self.shape) = (bytes, shape)
    }

    public var count: Int { bytes.count }
}
