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
/// window-sized `Raster` from panels and a readout. Panels (the env's frame;
/// for a world-model agent also its reconstruction and its dream) are
/// squares of `panelSize` side by side under their titles; the heads-up
/// display is below them, then a line listing the keys.
public struct ViewerLayout: Sendable, Equatable {
    public var panelCount: Int
    /// Side of a panel in window pixels.
    public var panelSize = 256
    public static let margin = 8, titleHeight = 14, hudHeight = 86, keysHeight = 14

    public init(panelCount: Int, panelSize: Int = 256) {
        precondition(panelCount >= 1, "a layout needs at least one panel")
        (self.panelCount, self.panelSize) = (panelCount, panelSize)
    }

    public var width: Int { Self.margin + panelCount * (panelSize + Self.margin) }
    public var height: Int { Self.margin + Self.titleHeight + panelSize + Self.margin + Self.hudHeight + Self.keysHeight + Self.margin }

    /// Panel k's square in the window: (x, y, side).
    public func panel(_ k: Int) -> (x: Int, y: Int, size: Int) {
        (Self.margin + k * (panelSize + Self.margin), Self.margin + Self.titleHeight, panelSize)
    }

    /// The top of the heads-up display.
    public var hudTop: Int { Self.margin + Self.titleHeight + panelSize + Self.margin }

    public static let keys = "space pause  -> step  +/- speed  R reset  S screenshot  Esc quit"

    static let background: (UInt8, UInt8, UInt8) = (24, 24, 32)
    static let ink: (UInt8, UInt8, UInt8) = (230, 230, 230)
    static let dim: (UInt8, UInt8, UInt8) = (140, 140, 150)
    static let bar: (UInt8, UInt8, UInt8) = (90, 170, 255)

    /// The window's picture: `panels` (title and frame, at most `panelCount`) and the readout.
    public func draw(panels: [(title: String, frame: Frame?)], readout: AgentReadout) -> Raster {
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
        raster.text(Self.keys, x: Self.margin, y: height - Self.margin - Self.keysHeight + 3, Self.dim)
        return raster
    }
}
