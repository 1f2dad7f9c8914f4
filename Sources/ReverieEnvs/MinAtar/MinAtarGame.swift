/// One MinAtar game (Young & Tian 2019): a 10×10 grid of C boolean channels,
/// six actions, rewards of whole points. Each port follows the `minatar`
/// package (1.0.15) line for line, drawing from the same `NumpyRandomState`
/// in the same order, so a seeded game plays exactly as the package's does.
protocol MinAtarGame {
    /// The package's class name, e.g. "Breakout" (registered as `MinAtar/Breakout-v0`).
    static var name: String { get }
    /// C, the observation's channels.
    static var channels: Int { get }
    /// The actions with a distinct effect (the `-v1` ids' action set).
    static var minimalActions: [MinAtarAction] { get }
    /// What the game is, in a line.
    static var summary: String { get }

    /// A game before its first `reset`.
    /// - Parameter ramping: whether difficulty rises as the episode goes on (games that ramp).
    init(ramping: Bool)
    /// Starts an episode (the package's `reset`).
    mutating func reset(using random: inout NumpyRandomState)
    /// One frame under `action` (the package's `act`): the points scored and
    /// whether the game is over.
    mutating func act(_ action: MinAtarAction, using random: inout NumpyRandomState) -> (reward: Int, terminal: Bool)
    /// Sets the cells that are on in `grid` (10, 10, C) row-major, which arrives all zeros.
    func draw(into grid: MinAtarGrid)

    /// The whole game state as integers, for snapshots.
    var state: [Int] { get }
    /// Puts back a `state`; false if it does not fit this game.
    mutating func restore(_ state: [Int]) -> Bool
}

/// MinAtar's six actions, in the package's order (its action indices).
enum MinAtarAction: Int, CaseIterable {
    case noop, left, up, right, down, fire
}

/// A 10×10×C observation being drawn into memory that arrives zeroed: cells are set to 1.
struct MinAtarGrid {
    let channels: Int
    private let cells: UnsafeMutablePointer<Float>

    /// A grid over `cells` (100·C floats, zeroed).
    init(channels: Int, cells: UnsafeMutablePointer<Float>) { (self.channels, self.cells) = (channels, cells) }

    /// Turns on cell (y, x) of `channel`.
    @inline(__always)
    func set(_ y: Int, _ x: Int, _ channel: Int) {
        precondition(y >= 0 && y < 10 && x >= 0 && x < 10 && channel >= 0 && channel < channels, "cell (\(y), \(x), \(channel)) is off the grid")
        cells[(y * 10 + x) * channels + channel] = 1
    }

    /// Turns on cell y·10 + x of `channel`.
    @inline(__always)
    func set(cell: Int, _ channel: Int) {
        precondition(cell >= 0 && cell < 100 && channel >= 0 && channel < channels, "cell \(cell), channel \(channel) is off the grid")
        cells[cell * channels + channel] = 1
    }

    /// Writes whole cells `range` of a 4-channel grid: `channel` on where
    /// `isOn` says so, the other three off. One 16-byte store per cell, no
    /// branch: draw a range this way before the other channels of its cells.
    @inline(__always)
    func paint(cells range: Range<Int>, _ channel: Int, where isOn: UnsafeBufferPointer<Bool>) {
        precondition(channels == 4 && range.lowerBound >= 0 && range.upperBound <= 100 && isOn.count >= range.upperBound
                     && channel >= 0 && channel < 4, "cells \(range), channel \(channel) are off the grid")
        var on = SIMD4<Float>.zero
        on[channel] = 1
        let raw = UnsafeMutableRawPointer(cells)
        for cell in range {
            raw.storeBytes(of: isOn[cell] ? on : .zero, toByteOffset: cell &* 16, as: SIMD4<Float>.self)
        }
    }
}
