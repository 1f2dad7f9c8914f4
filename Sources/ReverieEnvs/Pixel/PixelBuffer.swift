/// An 8-bit RGB colour.
struct RGB: Sendable, Equatable {
    var r, g, b: UInt8

    init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { (self.r, self.g, self.b) = (r, g, b) }
}

/// A preallocated RGB8 image the pixel worlds draw into every step: row-major,
/// 3 bytes per pixel, top row first (the layout of `Frame` and of a
/// Gymnasium HWC pixel observation). Every shape is clipped to the image, so
/// callers may draw partly off-screen.
///
/// The classic-control renderer has its own `Canvas`; the two could become
/// one rasteriser later.
struct PixelBuffer {
    let width: Int, height: Int
    private(set) var bytes: [UInt8]

    init(width: Int, height: Int) {
        precondition(width > 0 && height > 0, "a pixel buffer needs a positive size")
        (self.width, self.height) = (width, height)
        bytes = [UInt8](repeating: 0, count: width * height * 3)
    }

    // MARK: - Shapes

    /// Paints every pixel `colour`.
    mutating func fill(_ colour: RGB) {
        fillRect(x: 0, y: 0, width: width, height: height, colour)
    }

    /// Paints the axis-aligned rectangle with top-left pixel (x, y).
    mutating func fillRect(x: Int, y: Int, width w: Int, height h: Int, _ colour: RGB) {
        let x0 = max(x, 0), x1 = min(x + w, width)
        let y0 = max(y, 0), y1 = min(y + h, height)
        guard x0 < x1, y0 < y1 else { return }
        let rowBytes = width * 3
        bytes.withUnsafeMutableBufferPointer { p in
            for row in y0..<y1 {
                var i = row * rowBytes + x0 * 3
                for _ in x0..<x1 {
                    p[i] = colour.r; p[i + 1] = colour.g; p[i + 2] = colour.b
                    i += 3
                }
            }
        }
    }

    /// Paints the pixels whose centres lie within `radius` of (cx, cy).
    mutating func fillDisc(cx: Float, cy: Float, radius: Float, _ colour: RGB) {
        paint(minX: cx - radius, maxX: cx + radius, minY: cy - radius, maxY: cy + radius, colour) { px, py in
            (px - cx) * (px - cx) + (py - cy) * (py - cy) <= radius * radius
        }
    }

    /// Paints the pixels whose centres lie inside the triangle (a, b, c), in
    /// either winding order.
    mutating func fillTriangle(_ a: (Float, Float), _ b: (Float, Float), _ c: (Float, Float), _ colour: RGB) {
        // Edge functions (Pineda 1988): a point is inside when all three share a sign.
        func edge(_ p: (Float, Float), _ q: (Float, Float), _ x: Float, _ y: Float) -> Float {
            (q.0 - p.0) * (y - p.1) - (q.1 - p.1) * (x - p.0)
        }
        paint(minX: min(a.0, b.0, c.0), maxX: max(a.0, b.0, c.0),
              minY: min(a.1, b.1, c.1), maxY: max(a.1, b.1, c.1), colour) { x, y in
            let e0 = edge(a, b, x, y), e1 = edge(b, c, x, y), e2 = edge(c, a, x, y)
            return (e0 >= 0 && e1 >= 0 && e2 >= 0) || (e0 <= 0 && e1 <= 0 && e2 <= 0)
        }
    }

    /// Paints each pixel of the clipped bounding box whose centre passes `inside`.
    private mutating func paint(minX: Float, maxX: Float, minY: Float, maxY: Float, _ colour: RGB,
                                inside: (Float, Float) -> Bool) {
        let x0 = max(Int(minX.rounded(.down)), 0), x1 = min(Int(maxX.rounded(.up)), width - 1)
        let y0 = max(Int(minY.rounded(.down)), 0), y1 = min(Int(maxY.rounded(.up)), height - 1)
        guard x0 <= x1, y0 <= y1 else { return }
        let rowBytes = width * 3
        bytes.withUnsafeMutableBufferPointer { p in
            for row in y0...y1 {
                for column in x0...x1 where inside(Float(column) + 0.5, Float(row) + 0.5) {
                    let i = row * rowBytes + column * 3
                    p[i] = colour.r; p[i + 1] = colour.g; p[i + 2] = colour.b
                }
            }
        }
    }

    // MARK: - Output

    /// The pixels as a flat (height, width, 3) observation of Floats in 0…255.
    func observation() -> [Float] {
        bytes.withUnsafeBufferPointer { source in
            [Float](unsafeUninitializedCapacity: source.count) { out, count in
                for i in 0..<source.count { out[i] = Float(source[i]) }
                count = source.count
            }
        }
    }

    /// A copy of the pixels as a `Frame`.
    var frame: Frame { Frame(width: width, height: height, pixels: bytes) }

    /// The observation space of a `width`×`height` RGB image (Gymnasium's HWC uint8 box).
    var observationSpace: Space { .box(low: 0, high: 255, shape: [height, width, 3], dtype: .uint8) }
}
