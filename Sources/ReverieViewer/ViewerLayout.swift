import Foundation
import ReverieEnvs

/// What the heads-up display shows about the agent at the current step.
public struct AgentReadout: Sendable, Equatable {
    public var episode = 1, step = 0
    public var episodeReturn: Float = 0
    /// The critic's V(s), if the policy has one.
    public var value: Float?
    /// π(a|s) per discrete action (drawn as bars); empty for continuous actions.
    public var actionProbabilities: [Float] = []
    /// The action taken, as text ("2", "[0.31, −1.20]").
    public var action = ""
    public var paused = false
    /// Simulation steps per second the speed setting asks for.
    public var stepsPerSecond = 30.0

    public init() {}
}

/// Where everything sits in the viewer's window, and the drawing of one
/// window-sized `Raster` from panels, plots and a readout. Panels (the env's
/// frame; for a world-model agent also its reconstruction and its dream) are
/// squares of `panelSize` side by side under their titles; for envs without
/// pixels a column of strip charts (`PlotHistory`) follows them at the same
/// height. The heads-up display is below, then a line listing the keys.
public struct ViewerLayout: Sendable, Equatable {
    public var panelCount: Int
    /// Side of a panel in window pixels.
    public var panelSize = 256
    /// Strip charts in the plot column (0: no column).
    public var plotCount: Int
    /// Whether the agent dreams (the D key is listed).
    public var dreams: Bool
    public static let margin = 8, titleHeight = 14, hudHeight = 86, keysHeight = 14, plotWidth = 420

    public init(panelCount: Int, panelSize: Int = 256, plotCount: Int = 0, dreams: Bool = false) {
        precondition(panelCount >= 1, "a layout needs at least one panel")
        precondition(plotCount >= 0 && plotCount * 16 <= panelSize, "\(plotCount) plots do not fit beside panels of \(panelSize) pixels")
        (self.panelCount, self.panelSize, self.plotCount, self.dreams) = (panelCount, panelSize, plotCount, dreams)
    }

    public var width: Int {
        Self.margin + panelCount * (panelSize + Self.margin) + (plotCount > 0 ? Self.plotWidth + Self.margin : 0)
    }
    public var height: Int { Self.margin + Self.titleHeight + panelSize + Self.margin + Self.hudHeight + Self.keysHeight + Self.margin }

    /// Panel k's square in the window: (x, y, side).
    public func panel(_ k: Int) -> (x: Int, y: Int, size: Int) {
        (Self.margin + k * (panelSize + Self.margin), Self.margin + Self.titleHeight, panelSize)
    }

    /// Strip chart k's rectangle in the plot column: (x, y, width, height).
    public func plot(_ k: Int) -> (x: Int, y: Int, width: Int, height: Int) {
        let rowHeight = panelSize / max(plotCount, 1)
        return (Self.margin + panelCount * (panelSize + Self.margin), Self.margin + Self.titleHeight + k * rowHeight, Self.plotWidth, rowHeight)
    }

    /// The top of the heads-up display.
    public var hudTop: Int { Self.margin + Self.titleHeight + panelSize + Self.margin }

    /// The keys line under the heads-up display.
    public var keys: String {
        "space pause  -> step  +/- speed  R reset  S screenshot  " + (dreams ? "D dream  " : "") + "Esc quit"
    }

    static let background: (UInt8, UInt8, UInt8) = (24, 24, 32)
    static let ink: (UInt8, UInt8, UInt8) = (230, 230, 230)
    static let dim: (UInt8, UInt8, UInt8) = (140, 140, 150)
    static let bar: (UInt8, UInt8, UInt8) = (90, 170, 255)
    static let dream: (UInt8, UInt8, UInt8) = (255, 160, 60)

    /// The window's picture: `panels` (title and frame, at most `panelCount`),
    /// `plots` (at most `plotCount` charts) and the readout.
    public func draw(panels: [(title: String, frame: Frame?)], plots: PlotHistory? = nil, readout: AgentReadout) -> Raster {
        var raster = Raster(width: width, height: height, fill: Self.background)
        for (k, panel) in panels.prefix(panelCount).enumerated() {
            let (x, y, side) = self.panel(k)
            raster.text(panel.title, x: x, y: Self.margin, Self.dim)
            if let frame = panel.frame {
                // Keep the frame's aspect: fit inside the square, centred.
                let scale = min(Double(side) / Double(frame.width), Double(side) / Double(frame.height))
                let (w, h) = (Int(Double(frame.width) * scale), Int(Double(frame.height) * scale))
                raster.draw(frame, x: x + (side - w) / 2, y: y + (side - h) / 2, width: w, height: h)
            } else {
                raster.fill(x: x, y: y, width: side, height: side, (0, 0, 0))
                raster.text("no frame", x: x + 4, y: y + 4, Self.dim)
            }
        }
        if let plots, plotCount > 0 {
            let x = plot(0).x
            raster.text("last \(plots.capacity) steps", x: x, y: Self.margin, Self.dim)
            if plots.series.contains(where: { $0.reconstruction != nil }) {
                let legend = x + 20 * BitmapFont.advance
                raster.text("real", x: legend, y: Self.margin, Self.ink)
                raster.text("model", x: legend + 6 * BitmapFont.advance, y: Self.margin, Self.bar)
                raster.text("dream", x: legend + 13 * BitmapFont.advance, y: Self.margin, Self.dream)
            }
            for (k, series) in plots.series.prefix(plotCount).enumerated() {
                let r = plot(k)
                raster.plot(series, capacity: plots.capacity, x: r.x, y: r.y, width: r.width, height: r.height)
            }
        }
        var top = hudTop
        let status = readout.paused ? "PAUSED" : String(format: "%.0f steps/s", readout.stepsPerSecond)
        let counts = "episode \(readout.episode)  step \(readout.step)  "
        let total: String = String(format: "return %.2f", readout.episodeReturn)
        raster.text(counts + total + "  " + status, x: Self.margin, y: top, Self.ink)
        top += 14
        let value = readout.value.map { String(format: "value %.2f", $0) } ?? "value -"
        raster.text("\(value)  action \(readout.action)", x: Self.margin, y: top, Self.ink)
        top += 14
        // π(a|s) as bars: one row per action, up to four rows.
        for (a, p) in readout.actionProbabilities.prefix(4).enumerated() {
            let y = top + a * 12
            raster.text("a\(a)", x: Self.margin, y: y + 1, Self.dim)
            let length = Int((Float(max(0, width - 80 - Self.margin)) * min(max(p, 0), 1)).rounded())
            raster.fill(x: Self.margin + 24, y: y, width: length, height: 9, Self.bar)
            raster.text(String(format: "%.2f", p), x: Self.margin + 30 + length, y: y + 1, Self.dim)
        }
        raster.text(keys, x: Self.margin, y: height - Self.margin - Self.keysHeight + 3, Self.dim)
        return raster
    }
}
