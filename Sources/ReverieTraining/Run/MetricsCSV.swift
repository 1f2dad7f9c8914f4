import Foundation

/// `metrics.csv`: one row per iteration, CleanRL's metric names as columns,
/// appended and flushed as training goes (an interrupted run keeps its rows;
/// a resumed one drops the rows after its checkpoint's step, then appends, so
/// `global_step` never goes backwards).
public final class MetricsCSV {
    public static let columns = [
        "global_step", "wall_seconds", "charts/episodic_return", "charts/episodic_length", "charts/SPS",
        "charts/learning_rate", "losses/value_loss", "losses/policy_loss", "losses/entropy",
        "losses/approx_kl", "losses/clipfrac", "losses/explained_variance",
    ]
    /// A world-model agent's further columns.
    public static let worldModelColumns = [
        "losses/world_model", "losses/reconstruction", "losses/reward", "losses/continue", "losses/kl",
        "charts/imagined_return", "charts/return_scale",
    ]
    /// This file's columns: `columns`, then the agent's own.
    public let header: [String]
    private let handle: FileHandle

    /// Opens `url` for appending, writing the header if the file is new.
    /// - Parameter resumingAt: the step a resumed run continues from: rows
    ///   logged after it (by the run that was interrupted) are removed.
    public init(url: URL, extraColumns: [String] = [], resumingAt step: Int? = nil) throws {
        header = Self.columns + extraColumns
        if !FileManager.default.fileExists(atPath: url.path) {
            try Data((header.joined(separator: ",") + "\n").utf8).write(to: url)
        } else if let step {
            let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: true)
            // The header, then the rows up to the checkpoint (a torn last line goes too).
            let width = header.count
            let kept = lines.prefix(1) + lines.dropFirst().filter { line in
                line.split(separator: ",", omittingEmptySubsequences: false).count == width
                    && Int(line.prefix { $0 != "," }).map { $0 <= step } == true
            }
            if kept.count != lines.count {
                try Data(kept.map { $0 + "\n" }.joined().utf8).write(to: url, options: .atomic)
            }
        }
        handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
    }

    /// One row; a nil value (no episode ended this iteration) is left empty.
    public func append(_ values: [String: Double?]) throws {
        let row = header.map { column -> String in
            guard let value = values[column] ?? nil else { return "" }
            return column == "global_step" ? String(Int(value)) : String(format: "%.6g", value)
        }
        try handle.write(contentsOf: Data((row.joined(separator: ",") + "\n").utf8))
    }

    public func close() throws { try handle.close() }
}
