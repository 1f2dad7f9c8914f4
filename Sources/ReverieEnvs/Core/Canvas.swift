/// A small RGB8 rasteriser for environments that draw themselves: filled
/// rectangles, polygons and circles, and thick lines, without anti-aliasing.
///
/// Coordinates are in pixels, x to the right and y down, (0, 0) being the
/// top-left corner of the top-left pixel. Pixel (i, j) is painted when its
/// centre (i + ½, j + ½) lies inside the shape, so
/// `fillRectangle(x: 2, y: 3, width: 4, height: 1, color: c)` paints exactly
/// pixels 2…5 of row 3, and shapes that share an edge neither overlap nor leave
/// a gap. Shapes may reach outside the frame; they are clipped.
///
/// Every shape is rasterised as horizontal spans written straight into the
/// frame's buffer: drawing allocates nothing (a polygon's edge crossings live
/// in stack scratch space), so a frame costs its fill plus its shapes' area.
public struct Canvas: Sendable {
    /// An RGB8 colour.
    public struct Color: Sendable, Equatable {
        public var red, green, blue: UInt8

        public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8) {
            (self.red, self.green, self.blue) = (red, green, blue)
        }

        public static let white = Color(255, 255, 255)
        public static let black = Color(0, 0, 0)
    }

    /// A position in pixels: (x, y), y down.
    public typealias Point = SIMD2<Double>

    /// The picture drawn so far, `width × height` RGB8, top row first.
    public private(set) var frame: Frame

    public var width: Int { frame.width }
    public var height: Int { frame.height }

    /// A `width × height` canvas filled with `background`.
    public init(width: Int, height: Int, background: Color = .white) {
        precondition(width > 0 && height > 0, "a canvas needs a positive size, got \(width)×\(height)")
        frame = Frame(width: width, height: height, pixels: [UInt8](repeating: background.red, count: width * height * 3))
        if background.green != background.red || background.blue != background.red { fill(background) }
    }

    /// Paints every pixel with `color`.
    public mutating func fill(_ color: Color) {
        frame.pixels.withUnsafeMutableBufferPointer { pixels in
            if color.green == color.red && color.blue == color.red {
                pixels.update(repeating: color.red)
            } else {
                for o in stride(from: 0, to: pixels.count, by: 3) {
                    pixels[o] = color.red; pixels[o + 1] = color.green; pixels[o + 2] = color.blue
                }
            }
        }
    }

    // MARK: - Shapes

    /// Fills the axis-aligned rectangle [x, x + width) × [y, y + height).
    public mutating func fillRectangle(x: Double, y: Double, width: Double, height: Double, color: Color) {
        for row in Self.centres(from: y, to: y + height, limit: self.height) {
            fillSpan(row: row, from: x, to: x + width, color: color)
        }
    }

    /// Fills the polygon through `points` (closed implicitly; convex or not,
    /// self-intersecting ones by the even-odd rule).
    /// - Parameter points: (n ≥ 3) vertices in order.
    public mutating func fillPolygon(_ points: [Point], color: Color) {
        guard points.count >= 3 else { return }
        var top = Double.infinity, bottom = -Double.infinity
        for p in points { top = min(top, p.y); bottom = max(bottom, p.y) }
        withUnsafeTemporaryAllocation(of: Double.self, capacity: points.count) { crossings in
            for row in Self.centres(from: top, to: bottom, limit: height) {
                let y = Double(row) + 0.5
                var count = 0
                var previous = points[points.count - 1]
                for p in points {
                    if (previous.y <= y) != (p.y <= y) {
                        let x = previous.x + (y - previous.y) * (p.x - previous.x) / (p.y - previous.y)
                        var k = count
                        while k > 0 && crossings[k - 1] > x { crossings[k] = crossings[k - 1]; k -= 1 }
                        crossings[k] = x
                        count += 1
                    }
                    previous = p
                }
                for k in stride(from: 0, to: count - 1, by: 2) {
                    fillSpan(row: row, from: crossings[k], to: crossings[k + 1], color: color)
                }
            }
        }
    }

    /// Fills the disc of `radius` around `center`.
    public mutating func fillCircle(center: Point, radius: Double, color: Color) {
        for row in Self.centres(from: center.y - radius, to: center.y + radius, limit: height) {
            let dy = Double(row) + 0.5 - center.y
            let halfWidth = (radius * radius - dy * dy).squareRoot()
            fillSpan(row: row, from: center.x - halfWidth, to: center.x + halfWidth, color: color)
        }
    }

    /// Draws the segment from `start` to `end` as a `width`-wide band with
    /// square-cut ends (a one-pixel line has no gaps at any slope). A segment of
    /// zero length draws nothing.
    public mutating func drawLine(from start: Point, to end: Point, width: Double = 1, color: Color) {
        let direction = end - start
        let length = (direction * direction).sum().squareRoot()
        guard length > 0 else { return }
        let side = Point(-direction.y, direction.x) * (width / 2 / length)
        fillPolygon([start + side, end + side, end - side, start - side], color: color)
    }

    // MARK: - Spans

    /// Paints the pixels of `row` whose centres lie in [x0, x1).
    private mutating func fillSpan(row: Int, from x0: Double, to x1: Double, color: Color) {
        let columns = Self.centres(from: x0, to: x1, limit: width)
        guard !columns.isEmpty else { return }
        let rowStart = row * width * 3
        frame.pixels.withUnsafeMutableBufferPointer { pixels in
            var o = rowStart + columns.lowerBound * 3
            for _ in columns {
                pixels[o] = color.red; pixels[o + 1] = color.green; pixels[o + 2] = color.blue
                o += 3
            }
        }
    }

    /// The indices i in 0..<limit whose pixel centres i + ½ lie in [low, high);
    /// empty when the interval is empty or not a number.
    private static func centres(from low: Double, to high: Double, limit: Int) -> Range<Int> {
        guard low < high else { return 0..<0 }
        let first = Int(min(max((low - 0.5).rounded(.up), 0), Double(limit)))
        let end = Int(min(max((high - 0.5).rounded(.up), 0), Double(limit)))
        return first..<max(first, end)
    }
}
