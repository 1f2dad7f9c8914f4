/// The drawing surface of Gymnasium's classic-control pictures: pixel
/// coordinates with y pointing up, because Gymnasium draws with pygame and
/// then flips the surface vertically (`pygame.transform.flip(surf, False,
/// True)` in every classic_control/*.py). Drawing here with Gymnasium's
/// numbers gives Gymnasium's picture on a `Canvas` (whose y points down).
struct GymnasiumScreen {
    private(set) var canvas: Canvas

    /// A white `width × height` screen.
    init(width: Int, height: Int) {
        canvas = Canvas(width: width, height: height)
    }

    var frame: Frame { canvas.frame }

    /// The canvas position of the y-up screen position `p`.
    private func flipped(_ p: Canvas.Point) -> Canvas.Point { Canvas.Point(p.x, Double(canvas.height) - p.y) }

    /// `p` rotated counter-clockwise by `angle` radians, as pygame's `Vector2.rotate_rad`.
    static func rotated(_ p: Canvas.Point, by angle: Double) -> Canvas.Point {
        let c = cos(angle), s = sin(angle)
        return Canvas.Point(p.x * c - p.y * s, p.x * s + p.y * c)
    }

    /// Gymnasium's idiom for carts, poles, links and rods: the box
    /// [left, right] × [bottom, top] rotated by `angle` about the origin, then
    /// moved to `origin`.
    mutating func fillBox(left: Double, right: Double, bottom: Double, top: Double,
                          rotatedBy angle: Double = 0, at origin: Canvas.Point, color: Canvas.Color) {
        let corners = [Canvas.Point(left, bottom), Canvas.Point(left, top), Canvas.Point(right, top), Canvas.Point(right, bottom)]
        fillPolygon(corners.map { Self.rotated($0, by: angle) + origin }, color: color)
    }

    /// Fills the polygon through the y-up `points`.
    mutating func fillPolygon(_ points: [Canvas.Point], color: Canvas.Color) {
        canvas.fillPolygon(points.map(flipped), color: color)
    }

    /// Fills the disc of `radius` pixels around the y-up `center`.
    mutating func fillCircle(center: Canvas.Point, radius: Double, color: Canvas.Color) {
        canvas.fillCircle(center: flipped(center), radius: radius, color: color)
    }

    /// A one-pixel line between y-up points.
    mutating func drawLine(from start: Canvas.Point, to end: Canvas.Point, color: Canvas.Color) {
        canvas.drawLine(from: flipped(start), to: flipped(end), color: color)
    }
}
