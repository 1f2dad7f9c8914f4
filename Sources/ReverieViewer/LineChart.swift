import Foundation

/// A line chart drawn into a `Raster` (what `reverie plot` writes as a PNG):
/// each series a line through its points with, where it has one, a shaded
/// band between a low and a high value (the spread across seeds); axes with
/// round-numbered ticks, a title and a legend. Drawn with `BitmapFont`, so
/// it needs no font files or plotting library.
public struct LineChart: Sendable {
    /// One curve: y at each x, and optionally a band [low, high] at the same x.
    public struct Series: Sendable {
        public var label: String
        public var x: [Double]
        public var y: [Double]
        /// (low, high) at each x, or nil for no band.
        public var band: (low: [Double], high: [Double])?

        public init(label: String, x: [Double], y: [Double], band: (low: [Double], high: [Double])? = nil) {
            precondition(x.count == y.count && band.map { $0.low.count == x.count && $0.high.count == x.count } != false,
                         "a series needs as many y (and band) values as x values")
            (self.label, self.x, self.y, self.band) = (label, x, y, band)
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]

    /// Matplotlib's "tab10" colours, in its order.
    public static let palette: [(UInt8, UInt8, UInt8)] = [
        (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
        (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
    ]

    public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
        (self.title, self.xLabel, self.yLabel, self.series) = (title, xLabel, yLabel, series)
    }

    /// The plot area inside a `width × height` chart: left, top, right, bottom edges in pixels.
    public static func plotArea(width: Int, height: Int) -> (left: Int, top: Int, right: Int, bottom: Int) {
        (84, 44, width - 24, height - 58)
    }

    /// The chart as pixels, series i in `palette[i % 10]`.
    public func render(width: Int = 960, height: Int = 600) -> Raster {
        precondition(width >= 320 && height >= 240, "a chart needs at least 320×240 pixels")
        var raster = Raster(width: width, height: height, fill: (255, 255, 255))
        let area = Self.plotArea(width: width, height: height)
        let ink: (UInt8, UInt8, UInt8) = (40, 40, 40), grid: (UInt8, UInt8, UInt8) = (225, 225, 225)
        let finite = series.flatMap { s in s.y + (s.band.map { $0.low + $0.high } ?? []) }.filter(\.isFinite)
        let xs = series.flatMap(\.x).filter(\.isFinite)
        let xTicks = Self.ticks(xs.min() ?? 0, xs.max() ?? 1), yTicks = Self.ticks(finite.min() ?? 0, finite.max() ?? 1)
        let (x0, x1, y0, y1) = (xTicks.first!, xTicks.last!, yTicks.first!, yTicks.last!)
        func px(_ x: Double) -> Double { Double(area.left) + (x - x0) / (x1 - x0) * Double(area.right - area.left) }
        func py(_ y: Double) -> Double { Double(area.bottom) - (y - y0) / (y1 - y0) * Double(area.bottom - area.top) }

        // Grid and tick labels.
        for t in xTicks {
            let x = Int(px(t).rounded())
            raster.line(x, area.top, x, area.bottom, grid)
            let label = Self.format(t, step: xTicks[1] - xTicks[0])
            raster.text(label, x: x - label.count * BitmapFont.advance / 2, y: area.bottom + 6, ink)
        }
        for t in yTicks {
            let y = Int(py(t).rounded())
            raster.line(area.left, y, area.right, y, grid)
            let label = Self.format(t, step: yTicks[1] - yTicks[0])
            raster.text(label, x: area.left - 6 - label.count * BitmapFont.advance, y: y - BitmapFont.glyphHeight / 2, ink)
        }

        // Bands first, blended over what is there, then the lines on top.
        for (i, s) in series.enumerated() {
            guard let band = s.band else { continue }
            let colour = Self.palette[i % Self.palette.count]
            let lows = Self.finitePoints(s.x, band.low), highs = Self.finitePoints(s.x, band.high)
            for column in area.left...area.right {
                let x = x0 + (Double(column) - Double(area.left)) / Double(area.right - area.left) * (x1 - x0)
                guard let low = Self.interpolate(lows, at: x), let high = Self.interpolate(highs, at: x) else { continue }
                let top = max(area.top, Int(py(high).rounded())), bottom = min(area.bottom, Int(py(low).rounded()))
                guard top <= bottom else { continue }
                for row in top...bottom { raster.blend(column, row, colour, opacity: 0.22) }
            }
        }
        for (i, s) in series.enumerated() {
            let colour = Self.palette[i % Self.palette.count]
            let points = zip(s.x, s.y).filter { $0.0.isFinite && $0.1.isFinite }
            for (a, b) in zip(points, points.dropFirst()) {
                let (ax, ay, bx, by) = (Int(px(a.0).rounded()), Int(py(a.1).rounded()), Int(px(b.0).rounded()), Int(py(b.1).rounded()))
                // Two pixels thick.
                raster.line(ax, ay, bx, by, colour)
                raster.line(ax, ay + 1, bx, by + 1, colour)
            }
        }

        // Frame, title, axis labels, legend.
        raster.line(area.left, area.top, area.left, area.bottom, ink)
        raster.line(area.left, area.bottom, area.right, area.bottom, ink)
        raster.text(title, x: area.left, y: 12, scale: 2, ink)
        raster.text(xLabel, x: (area.left + area.right) / 2 - xLabel.count * BitmapFont.advance, y: height - 28, scale: 2, ink)
        for (k, character) in yLabel.enumerated() {
            // Vertical, one character under another, as there is no rotated text.
            raster.text(String(character), x: 8, y: (area.top + area.bottom) / 2 - yLabel.count * 7 + k * 14, scale: 2, ink)
        }
        let longest = series.map(\.label.count).max() ?? 0
        let legendX = area.left + 12, legendWidth = longest * BitmapFont.advance + 34
        raster.fill(x: legendX - 6, y: area.top + 6, width: legendWidth, height: series.count * 14 + 8, (255, 255, 255))
        for (i, s) in series.enumerated() {
            let y = area.top + 12 + i * 14
            raster.fill(x: legendX, y: y + 1, width: 16, height: 5, Self.palette[i % Self.palette.count])
            raster.text(s.label, x: legendX + 22, y: y, ink)
        }
        return raster
    }

    /// Round tick values covering [low, high]: steps of 1, 2 or 5 × 10^k, about five of them.
    static func ticks(_ low: Double, _ high: Double) -> [Double] {
        var (low, high) = (low, high)
        if high - low < 1e-9 { (low, high) = (low - 1, high + 1) }
        let raw = (high - low) / 5, magnitude = pow10(floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        let first = floor(low / step), last = ceil(high / step)
        return (Int(first)...Int(last)).map { Double($0) * step }
    }

    /// A tick label: 2.5M, 500k, 40, 0.25, 0.
    static func format(_ value: Double, step: Double) -> String {
        func trimmed(_ v: Double) -> String {
            let text = String(format: "%.2f", v)
            return text.contains(".") ? String(text.reversed().drop { $0 == "0" }.drop { $0 == "." }.reversed()) : text
        }
        if value == 0 { return "0" }
        if step >= 1_000_000 || abs(value) >= 1_000_000 && step >= 100_000 { return trimmed(value / 1_000_000) + "M" }
        if step >= 1_000 { return trimmed(value / 1_000) + "k" }
        return trimmed(value)
    }

    /// The (x, y) pairs whose y is finite.
    static func finitePoints(_ xs: [Double], _ ys: [Double]) -> [(Double, Double)] { zip(xs, ys).filter { $0.1.isFinite } }

    /// y at x by linear interpolation between the two nearest of `points` (finite, x increasing); nil outside them.
    static func interpolate(_ points: [(Double, Double)], at x: Double) -> Double? {
        guard let first = points.first, let last = points.last, x >= first.0, x <= last.0 else { return nil }
        guard let j = points.firstIndex(where: { $0.0 >= x }) else { return nil }
        if j == 0 { return points[0].1 }
        let (a, b) = (points[j - 1], points[j])
        return b.0 == a.0 ? b.1 : a.1 + (b.1 - a.1) * (x - a.0) / (b.0 - a.0)
    }

    private static func pow10(_ e: Double) -> Double { Foundation.pow(10, e) }
}

extension Raster {
    /// Mixes `colour` into the pixel at (x, y) with `opacity` in [0, 1]; outside the raster, nothing.
    public mutating func blend(_ x: Int, _ y: Int, _ colour: (UInt8, UInt8, UInt8), opacity: Double) {
        guard x >= 0, x < width, y >= 0, y < height else { return }
        let (r, g, b) = pixel(x, y)
        func mix(_ under: UInt8, _ over: UInt8) -> UInt8 { UInt8((Double(under) * (1 - opacity) + Double(over) * opacity).rounded()) }
        fill(x: x, y: y, width: 1, height: 1, (mix(r, colour.0), mix(g, colour.1), mix(b, colour.2)))
    }
}
