import Testing
import ReverieEnvs

/// The rasteriser paints exactly the pixels whose centres lie inside a shape.
struct CanvasTests {
    private let red = Canvas.Color(255, 0, 0)

    /// The set of (x, y) pixels painted `color`.
    private func painted(_ canvas: Canvas, _ color: Canvas.Color) -> Set<[Int]> {
        var result = Set<[Int]>()
        let p = canvas.frame.pixels
        for y in 0..<canvas.height {
            for x in 0..<canvas.width {
                let o = 3 * (y * canvas.width + x)
                if p[o] == color.red && p[o + 1] == color.green && p[o + 2] == color.blue { result.insert([x, y]) }
            }
        }
        return result
    }

    @Test func backgroundAndRectangles() {
        var canvas = Canvas(width: 8, height: 6, background: Canvas.Color(1, 2, 3))
        #expect(canvas.frame.pixels[0..<6] == [1, 2, 3, 1, 2, 3])
        canvas.fillRectangle(x: 2, y: 3, width: 4, height: 1, color: red)
        #expect(painted(canvas, red) == [[2, 3], [3, 3], [4, 3], [5, 3]])
        canvas.fill(.white)
        #expect(canvas.frame.pixels.allSatisfy { $0 == 255 })
        canvas.fillRectangle(x: -10, y: 4.6, width: 100, height: 100, color: red)
        #expect(painted(canvas, red).count == 8)
    }

    @Test func polygonsFollowPixelCentres() {
        var canvas = Canvas(width: 10, height: 10)
        // A right triangle with legs 8 holds the centres of pixels i, j ≥ 1 with
        // i + j ≤ 8: 7 + 6 + … + 1 = 28 (centres on the hypotenuse are outside).
        canvas.fillPolygon([[1, 1], [9, 1], [1, 9]], color: red)
        let triangle = painted(canvas, red)
        #expect(triangle.count == 28)
        #expect(triangle.allSatisfy { p in Double(p[0]) + 0.5 + Double(p[1]) + 0.5 < 10 })
        // Two triangles sharing a diagonal tile a square without overlap or gap.
        var square = Canvas(width: 10, height: 10)
        square.fillPolygon([[2, 2], [7, 2], [7, 7]], color: red)
        square.fillPolygon([[2, 2], [7, 7], [2, 7]], color: .black)
        #expect(painted(square, red).count + painted(square, .black).count == 25)
    }

    @Test func circlesAndLines() {
        var canvas = Canvas(width: 64, height: 64)
        canvas.fillCircle(center: [32, 32], radius: 10, color: red)
        let disc = painted(canvas, red).count
        #expect(abs(Double(disc) - Double.pi * 100) < 20)
        // A one-pixel line leaves no gap: one or two pixels in every column it
        // crosses (its vertical thickness is 1/cos of its slope, here 1.1).
        var lines = Canvas(width: 64, height: 64)
        lines.drawLine(from: [0, 10.5], to: [64, 40.5], color: red)
        let columns = Dictionary(grouping: painted(lines, red), by: { $0[0] })
        #expect(columns.count == 64 && columns.values.allSatisfy { (1...2).contains($0.count) })
        // Shapes far outside the frame, or not numbers, paint nothing and do not trap.
        lines.fill(.white)
        lines.fillCircle(center: [-1e300, 5], radius: 1e300, color: red)
        lines.fillPolygon([[.nan, 0], [1, .nan], [3, 3]], color: red)
        lines.drawLine(from: [5, 5], to: [5, 5], width: 3, color: red)
        #expect(painted(lines, red).count <= 64 * 64)
    }
}
