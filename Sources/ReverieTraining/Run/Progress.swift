import Foundation

/// The progress of a long run on stderr: one line rewritten in place on a
/// terminal (at most ten times a second), plain lines every `interval`
/// seconds otherwise (a log file or CI), each with steps, SPS, the recent
/// return and the ETA.
public final class Progress {
    let isTerminal: Bool
    private let interval: Double
    private let write: (String) -> Void
    private let clock: () -> Double
    private var lastPrint = -Double.infinity
    private var lastSteps: Int?
    private let start: Double
    public var enabled = true

    /// - Parameters:
    ///   - isTerminal: rewrite one line in place; by default, whether stderr is a terminal.
    ///   - write: where the text goes; stderr by default.
    ///   - clock: seconds on a monotonic scale; the system's uptime by default.
    public init(interval: Double = 10, isTerminal: Bool = isatty(STDERR_FILENO) == 1,
                write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) },
                clock: @escaping () -> Double = { ProcessInfo.processInfo.systemUptime }) {
        self.interval = interval
        self.isTerminal = isTerminal
        self.write = write
        self.clock = clock
        start = clock()
    }

    /// Reports `steps` of `total` done at `sps` steps per second, with the mean
    /// return of recent episodes if any ended. `force` prints now (the end of
    /// a run) unless these steps were the last printed.
    /// - Parameters:
    ///   - etaSPS: the rate the rest will go at, if not `sps` (a world model's
    ///     steps after its fast random prefill).
    ///   - phase: what the run is doing when no ETA can be told yet; it
    ///     takes the ETA's place ("filling the replay …").
    public func update(steps: Int, total: Int, sps: Double, recentReturn: Double?, force: Bool = false,
                       etaSPS: Double? = nil, phase: String? = nil) {
        guard enabled else { return }
        let now = clock() - start
        let due = now - lastPrint >= (isTerminal ? 0.1 : interval)
        guard due || (force && steps != lastSteps) else { return }
        (lastPrint, lastSteps) = (now, steps)
        let percent = 100 * Double(steps) / Double(max(total, 1))
        // The last iteration may overshoot the budget: nothing is left then.
        let rate = etaSPS ?? sps
        let eta = rate > 0 ? Double(max(0, total - steps)) / rate : .infinity
        var line = "steps \(grouped(steps))/\(grouped(total)) (\(Int(percent))%) · \(grouped(Int(sps))) SPS"
        if let r = recentReturn { line += String(format: " · return %.1f", r) }
        line += phase.map { " · \($0)" } ?? " · ETA \(duration(eta))"
        write(isTerminal ? "\r\u{1B}[2K" + line : line + "\n")
    }

    /// Writes a message on a line of its own. On a terminal it takes the
    /// in-place line's place, and the next update draws that line again below.
    public func message(_ text: String) {
        if isTerminal && lastSteps != nil {
            write("\r\u{1B}[2K" + text + "\n")
            lastPrint = -Double.infinity
        } else {
            write(text + "\n")
        }
    }

    /// Ends the in-place line on a terminal.
    public func finish() {
        if enabled && isTerminal && lastSteps != nil { write("\n") }
    }
}

/// 12345 → "12,345".
func grouped(_ n: Int) -> String {
    let digits = String(abs(n))
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
        out.append(c)
    }
    return (n < 0 ? "-" : "") + out
}

/// Seconds as "42s", "3m05s", "2h10m".
func duration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    let s = Int(seconds.rounded())
    if s < 60 { return "\(s)s" }
    if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
    return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
}
