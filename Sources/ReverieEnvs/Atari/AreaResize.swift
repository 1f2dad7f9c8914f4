/// Shrinks uint8 images by pixel-area averaging: OpenCV's `cv2.resize(…,
/// interpolation=cv2.INTER_AREA)`, which Gymnasium's `AtariPreprocessing`
/// uses, to the same bytes (checked against opencv-python in the tests).
///
/// Each output pixel is the mean of the source pixels its cell covers,
/// partly covered pixels weighted by the part they share: with scale
/// s = source / destination, output x reads source [x·s, (x + 1)·s). The
/// weights are OpenCV's (`computeResizeAreaTab`, single precision), rows
/// are summed in the same order and rounded half to even, so every byte
/// agrees. Downscaling only, as Atari frames need (210×160 → 84×84, 64×64).
/// Where both scale factors are whole numbers (210×160 → 105×80) OpenCV
/// takes another path, `resizeAreaFast`, which rounds halves up: there a
/// byte on an exact half may be one lower here.
///
///     let resize = AreaResize(source: (height: 210, width: 160), destination: (height: 84, width: 84))
///     resize(frame, into: &out)       // frame: 210·160 bytes, out: 84·84 bytes
public struct AreaResize: Sendable {
    public let source: (height: Int, width: Int)
    public let destination: (height: Int, width: Int)
    /// Interleaved channels per pixel (1 grayscale, 3 RGB).
    public let channels: Int

    /// One source pixel's share of one output pixel along an axis.
    struct Weight: Sendable {
        /// Output and source index along the axis.
        var output: Int, source: Int
        var alpha: Float
    }
    private let columns: [Weight], rows: [Weight]

    public init(source: (height: Int, width: Int), destination: (height: Int, width: Int), channels: Int = 1) {
        precondition(destination.height >= 1 && destination.width >= 1 && channels >= 1, "AreaResize needs a non-empty output")
        precondition(destination.height <= source.height && destination.width <= source.width,
                     "AreaResize shrinks: \(source) cannot become \(destination)")
        (self.source, self.destination, self.channels) = (source, destination, channels)
        columns = Self.weights(source: source.width, destination: destination.width)
        rows = Self.weights(source: source.height, destination: destination.height)
    }

    /// OpenCV's table (`computeResizeAreaTab` in imgproc/src/resize.cpp): for
    /// each output index, the source indices its cell [x·s, x·s + s) touches,
    /// each with the fraction of the cell it covers.
    static func weights(source n: Int, destination d: Int) -> [Weight] {
        let scale = 1 / (Double(d) / Double(n))  // as OpenCV forms it: 1 / inv_scale
        var table: [Weight] = []
        for x in 0..<d {
            let start = Double(x) * scale, end = start + scale
            let cell = min(scale, Double(n) - start)
            let last = min(Int(end.rounded(.down)), n - 1)
            let first = min(Int(start.rounded(.up)), last)
            if Double(first) - start > 1e-3 {
                table.append(Weight(output: x, source: first - 1, alpha: Float((Double(first) - start) / cell)))
            }
            for s in first..<last { table.append(Weight(output: x, source: s, alpha: Float(1 / cell))) }
            if end - Double(last) > 1e-3 {
                table.append(Weight(output: x, source: last, alpha: Float(min(min(end - Double(last), 1), cell) / cell)))
            }
        }
        return table
    }

    /// Writes the shrunken `image` (source height · width · channels bytes,
    /// row-major) into `output` (destination height · width · channels).
    public func callAsFunction(_ image: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>) {
        let c = channels, width = destination.width * c, sourceRow = source.width * c
        precondition(image.count == source.height * sourceRow && output.count == destination.height * width,
                     "AreaResize: \(image.count) → \(output.count) bytes do not fit \(source) → \(destination) × \(c)")
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * width) { scratch in
            let row = scratch.baseAddress!, sum = row + width
            sum.initialize(repeating: 0, count: width)
            var current = rows[0].output
            func store(_ y: Int) {
                for x in 0..<width { output[y * width + x] = UInt8(clamping: Int(sum[x].rounded(.toNearestOrEven))) }
            }
            for r in rows {
                // One source row shrunk along x, in OpenCV's summation order.
                row.initialize(repeating: 0, count: width)
                let pixels = image.baseAddress! + r.source * sourceRow
                for w in columns {
                    for k in 0..<c {
                        let product = Float(pixels[w.source * c + k]) * w.alpha
                        row[w.output * c + k] = row[w.output * c + k] + product
                    }
                }
                if r.output != current {
                    store(current)
                    for x in 0..<width { sum[x] = r.alpha * row[x] }
                    current = r.output
                } else {
                    for x in 0..<width { sum[x] = sum[x] + r.alpha * row[x] }
                }
            }
            store(current)
        }
    }

    /// The shrunken copy of `image` (see `callAsFunction(_:into:)`).
    public func callAsFunction(_ image: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: destination.height * destination.width * channels)
        image.withUnsafeBufferPointer { i in out.withUnsafeMutableBufferPointer { self(i, into: $0) } }
        return out
    }
}
