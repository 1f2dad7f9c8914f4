import ReverieEnvs

/// The viewer's software framebuffer: an RGB8 image the window shows as it
/// is, and `--screenshot` writes as it is, so what tests check is what users
/// see. Panels are env frames scaled by nearest neighbour (crisp pixels);
/// the heads-up display is rectangles and `BitmapFont` text.
public struct Raster: Sendable, Equatable {
    public let width: Int, height: Int
    /// Row-major RGB, top row first.
    public private(set) var pixels: [UInt8]

    public init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8) = (0, 0, 0)) {
        precondition(width > 0 && height > 0, "a raster needs a positive size, got \(width)×\(height)")
        (self.width, self.height) = (width, height)
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        self.fill(x: 0, y: 0, width: width, height: height, fill)
    }

    /// The colour at (x, y).
    public func pixel(_ x: Int, _ y: Int) -> (UInt8, UInt8, UInt8) {
        let i = (y * width + x) * 3
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// Paints the rectangle with top-left (x, y), clipped to the raster.
    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, _ colour: (UInt8, UInt8, UInt8)) {
        let x0 = max(x, 0), x1 = min(x + w, width), y0 = max(y, 0), y1 = min(y + h, height)
        guard x0 < x1, y0 < y1 else { return }
        let stride = width
        pixels.withUnsafeMutableBufferPointer { p in
            for row in y0..<y1 {
                var i = (row * stride + x0) * 3
                for _ in x0..<x1 {
                    (p[i], p[i + 1], p[i + 2]) = colour
                    i += 3
                }
            }
        }
    }

    /// Draws `frame` scaled by nearest neighbour into the rectangle (x, y, w, h).
    public mutating func draw(_ frame: Frame, x: Int, y: Int, width w: Int, height h: Int) {
        guard w > 0, h > 0 else { return }
        let (x0, x1) = (max(x, 0), min(x + w, width))
        guard x0 < x1 else { return }
        // The source column of every target column, once.
        let columns = (x0..<x1).map { ($0 - x) * frame.width / w * 3 }
        let stride = width
        frame.pixels.withUnsafeBufferPointer { source in
            pixels.withUnsafeMutableBufferPointer { target in
                for row in max(y, 0)..<min(y + h, height) {
                    let sourceRow = (row - y) * frame.height / h * frame.width * 3
                    var d = (row * stride + x0) * 3
                    for c in columns {
                        let s = sourceRow + c
                        (target[d], target[d + 1], target[d + 2]) = (source[s], source[s + 1], source[s + 2])
                        d += 3
                    }
                }
            }
        }
    }

    /// A one-pixel line from (x0, y0) to (x1, y1), both ends included,
    /// clipped to the raster (Bresenham's algorithm).
    public mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ colour: (UInt8, UInt8, UInt8)) {
        let (dx, dy) = (abs(x1 - x0), -abs(y1 - y0))
        let (sx, sy) = (x0 < x1 ? 1 : -1, y0 < y1 ? 1 : -1)
        var (x, y, error) = (x0, y0, dx + dy)
        while true {
            if x >= 0, x < width, y >= 0, y < height {
                let i = (y * width + x) * 3
                (pixels[i], pixels[i + 1], pixels[i + 2]) = colour
            }
            if x == x1 && y == y1 { return }
            let e2 = 2 * error
            if e2 >= dy { error += dy; x += sx }
            if e2 <= dx { error += dx; y += sy }
        }
    }

    /// Writes `text` with its first glyph's top-left at (x, y), each font
    /// pixel a `scale`×`scale` square; `\n` starts a new line. Characters the
    /// font lacks are drawn as `?`.
    public mutating func text(_ text: String, x: Int, y: Int, scale: Int = 1, _ colour: (UInt8, UInt8, UInt8)) {
        var (penX, penY) = (x, y)
        for character in text {
            if character == "\n" {
                (penX, penY) = (x, penY + BitmapFont.lineHeight * scale)
                continue
            }
            let rows = BitmapFont.rows(character) ?? BitmapFont.rows("?")!
            for (r, bits) in rows.enumerated() {
                for c in 0..<BitmapFont.glyphWidth where bits & (1 << (BitmapFont.glyphWidth - 1 - c)) != 0 {
                    fill(x: penX + c * scale, y: penY + r * scale, width: scale, height: scale, colour)
                }
            }
            penX += BitmapFont.advance * scale
        }
    }

    /// The raster as an env `Frame` (for GIFs and PNG screenshots).
    public var frame: Frame { Frame(width: width, height: height, pixels: pixels) }
}
