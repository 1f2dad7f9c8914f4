import Testing
import ReverieEnvs
@testable import ReverieViewer

/// The viewer's drawing, checked pixel by pixel without a window.
struct RasterTests {
    @Test func everyPrintableASCIIGlyphIsSevenRowsOfFive() {
        #expect(BitmapFont.art.count == 95)
        for (k, glyph) in BitmapFont.art.enumerated() {
            let rows = glyph.split(separator: "|", omittingEmptySubsequences: false)
            #expect(rows.count == 7 && rows.allSatisfy { $0.count == 5 && $0.allSatisfy { ".#".contains($0) } },
                    "glyph \(k + 32) is malformed: \(glyph)")
        }
        // Distinct characters look distinct (space aside, no two glyphs alike).
        #expect(Set(BitmapFont.table.map { $0.map(String.init).joined(separator: ",") }).count == 95)
        #expect(BitmapFont.rows("é") == nil && BitmapFont.rows("A") == BitmapFont.table[33])
    }

    @Test func textLandsOnItsGridInItsColourAtAnyScale() {
        var raster = Raster(width: 40, height: 20)
        raster.text("Hi", x: 2, y: 3, scale: 2, (255, 200, 0))
        // 'H' row 0 is #...#: columns 0 and 4 of the glyph, each a 2×2 block.
        for (dx, on) in [(0, true), (1, true), (2, false), (8, true), (9, true)] {
            let p = raster.pixel(2 + dx, 3)
            #expect((p == (255, 200, 0)) == on, "H at +\(dx)")
        }
        // 'i' starts one advance (6 pixels × scale 2) to the right; its dot sits in row 0, column 2.
        #expect(raster.pixel(2 + 12 + 4, 3) == (255, 200, 0) && raster.pixel(2 + 12 + 4, 3 + 2) == (0, 0, 0))
        // Nothing drawn below the glyphs' 7 rows.
        #expect((0..<40).allSatisfy { raster.pixel($0, 3 + 14) == (0, 0, 0) })
        // An unknown character is drawn as '?'.
        var a = Raster(width: 8, height: 8), b = Raster(width: 8, height: 8)
        a.text("é", x: 0, y: 0, (1, 2, 3))
        b.text("?", x: 0, y: 0, (1, 2, 3))
        #expect(a == b)
    }

    @Test func framesScaleByNearestNeighbourAndClipToTheRaster() {
        // A 2×2 frame: red, green / blue, white.
        let frame = Frame(width: 2, height: 2, pixels: [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255])
        var raster = Raster(width: 10, height: 10, fill: (9, 9, 9))
        raster.draw(frame, x: 1, y: 1, width: 8, height: 8)
        #expect(raster.pixel(1, 1) == (255, 0, 0) && raster.pixel(4, 4) == (255, 0, 0))
        #expect(raster.pixel(5, 4) == (0, 255, 0) && raster.pixel(4, 5) == (0, 0, 255) && raster.pixel(8, 8) == (255, 255, 255))
        #expect(raster.pixel(0, 0) == (9, 9, 9) && raster.pixel(9, 9) == (9, 9, 9))
        raster.draw(frame, x: 6, y: 6, width: 8, height: 8)   // partly outside: clipped, no crash
        #expect(raster.pixel(9, 9) == (255, 0, 0))
    }
}

/// The window's layout: panels where the layout says, the readout drawn.
struct ViewerLayoutTests {
    @Test func panelsSitWhereTheLayoutSaysAndTheHUDIsDrawn() {
        let layout = ViewerLayout(panelCount: 3, panelSize: 128)
        #expect(layout.width == 8 + 3 * 136 && layout.panel(2).x == 8 + 2 * 136)
        let red = Frame(width: 64, height: 64, fill: (255, 0, 0)), wide = Frame(width: 128, height: 64, fill: (0, 255, 0))
        var readout = AgentReadout()
        readout.actionProbabilities = [0.25, 0.75]
        let raster = layout.draw(panels: [("real", red), ("reconstruction", wide), ("dream", nil)], readout: readout)
        let (x0, y0, side) = layout.panel(0)
        #expect(raster.pixel(x0, y0) == (255, 0, 0) && raster.pixel(x0 + side - 1, y0 + side - 1) == (255, 0, 0))
        // A 2:1 frame is letterboxed in its square: green in the middle, background above.
        let (x1, y1, _) = layout.panel(1)
        #expect(raster.pixel(x1 + 64, y1 + 64) == (0, 255, 0) && raster.pixel(x1 + 64, y1 + 2) == ViewerLayout.background)
        // The third panel has no frame: black.
        let (x2, y2, _) = layout.panel(2)
        #expect(raster.pixel(x2 + 100, y2 + 100) == (0, 0, 0))
        // The action bars: the second is three times the first.
        let barRow = { (a: Int) in (0..<layout.width).filter { raster.pixel($0, layout.hudTop + 28 + a * 12 + 4) == ViewerLayout.bar }.count }
        #expect(barRow(0) > 0 && abs(barRow(1) - 3 * barRow(0)) <= 2)
        // Some ink in the readout lines and the keys line.
        #expect((0..<layout.width).contains { raster.pixel($0, layout.hudTop + 3) == ViewerLayout.ink })
    }
}

/// Strip charts for envs without pixels: the history they keep and where they draw.
struct PlotTests {
    @Test func linesIncludeBothEndsAndClip() {
        var raster = Raster(width: 10, height: 10)
        raster.line(1, 1, 8, 4, (255, 255, 255))
        #expect(raster.pixel(1, 1) == (255, 255, 255) && raster.pixel(8, 4) == (255, 255, 255))
        // One pixel per column for a shallow line: 8 lit pixels from x = 1 to 8.
        #expect((0..<10).flatMap { x in (0..<10).map { (x, $0) } }.filter { raster.pixel($0.0, $0.1) == (255, 255, 255) }.count == 8)
        raster.line(-5, -5, 20, 20, (1, 1, 1))   // through the corner and out: clipped, no crash
        #expect(raster.pixel(0, 0) == (1, 1, 1) && raster.pixel(9, 9) == (1, 1, 1))
    }

    @Test func aHistoryKeepsTheLastCapacityStepsAndTheModelsColumns() {
        var history = PlotHistory(titles: ["x", "y", "reward"], modelled: 2, capacity: 4)
        for t in 0..<6 {
            history.append([Float(t), -Float(t), 1], reconstruction: [Float(t) + 0.5, 0], dream: t.isMultiple(of: 2) ? [9, 9] : [])
        }
        #expect(history.series[0].values == [2, 3, 4, 5] && history.series[0].reconstruction == [2.5, 3.5, 4.5, 5.5])
        #expect(history.series[1].dream!.map(\.isNaN) == [false, true, false, true])
        #expect(history.series[2].reconstruction == nil && history.series[2].dream == nil)
    }

    @Test func chartsSitInThePlotColumnAndSpanTheirRange() {
        var history = PlotHistory(titles: ["ramp", "flat"], capacity: 10)
        for t in 0..<10 { history.append([Float(t), 3]) }
        let layout = ViewerLayout(panelCount: 1, panelSize: 100, plotCount: 2)
        #expect(layout.width == 8 + 108 + ViewerLayout.plotWidth + 8)
        let raster = layout.draw(panels: [("env", nil)], plots: history, readout: AgentReadout())
        // The ramp runs from the chart's bottom-left to its top-right in ink.
        let r = layout.plot(0)
        let inked = (r.x + 64..<(r.x + r.width)).flatMap { x in (r.y..<(r.y + r.height)).map { (x, $0) } }
            .filter { raster.pixel($0.0, $0.1) == ViewerLayout.ink }
        #expect(!inked.isEmpty)
        #expect(inked.min { $0.0 < $1.0 }!.1 > inked.max { $0.0 < $1.0 }!.1, "the ramp should rise to the right")
        // The second chart sits below the first, inside the panels' height.
        let s = layout.plot(1)
        #expect(s.y == r.y + r.height && s.y + s.height <= layout.panel(0).y + layout.panel(0).size)
        // A constant is a flat line across the middle of its chart.
        let flat = Set((s.x + 64..<(s.x + s.width)).flatMap { x in (s.y..<(s.y + s.height)).map { (x, $0) } }
            .filter { raster.pixel($0.0, $0.1) == ViewerLayout.ink }.map(\.1))
        #expect(flat.count == 1 && abs(flat.first! - (s.y + s.height / 2)) <= 2, "\(flat)")
    }
}
