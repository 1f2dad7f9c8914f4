import Foundation

/// The progress of a long run on stderr: one line rewritten in place on a
/// terminal, plain lines every `interval` seconds otherwise (a log file or CI).
public final class Progress {
    private let isTerminal: Bool
    private let interval: Double
    private var lastPrint = -Double.infinity
    private let start = Date()
    public var enabled = true

    public init(interval: Double = 10) {
        isTerminal = isatty(STDERR_FILENO) == 1
        self.interval = interval
    }

    /// Reports `steps` of `total` done at `sps` steps per second, with the mean
    /// return of recent episodes if any ended.
    public func update(steps: Int, total: Int, sps: Double, recentReturn: Double?, force: Bool = false) {
        guard enabled else { return }
        let now = Date().timeIntervalSince(start)
        guard force || isTerminal || now - lastPrint >= interval else { return }
        if isTerminal && !force && now - lastPrint < 0.1 { return }
        lastPrint = now
        let percent = 100 * Double(steps) / Double(max(total, 1))
        let eta = sps > 0 ? Double(total - steps) / sps : .infinity
        var line = "steps \(grouped(steps))/\(grouped(total)) (\(Int(percent))%) · \(grouped(Int(sps))) SPS"
        if let r = recentReturn { line += String(format: " · return %.1f", r) }
        line += " · ETA \(duration(eta))"
        let text = isTerminal ? "\r\u{1B}[2K" + line : line + "\n"
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Ends the in-place line on a terminal.
    public func finish() {
        if enabled && isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
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
