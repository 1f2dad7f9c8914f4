import Foundation

/// `metrics.csv`: one row per iteration, CleanRL's metric names as columns,
/// appended and flushed as training goes (an interrupted run keeps its rows;
/// a resumed one drops the rows after its checkpoint's step, then appends, so
/// `global_step` never goes backwards).
public final class MetricsCSV {
    public static let columns = [
        "global_step", "wall_seconds", "charts/episodic_return", "charts/episodic_length", "charts/SPS",
        "charts/learning_rate", "losses/value_loss", "losses/policy_loss", "losses/entropy",
        "losses/approx_kl", "losses/old_approx_kl", "losses/clipfrac", "losses/explained_variance",
    ]
    /// A world-model agent's further columns.
    public static let worldModelColumns = [
        "losses/world_model", "losses/reconstruction", "losses/reward", "losses/continue", "losses/kl",
        "losses/dynamics", "losses/representation", "charts/prior_entropy", "charts/posterior_entropy",
        "charts/imagined_return", "charts/imagined_value", "charts/return_scale", "charts/return_p5", "charts/return_p95",
        "charts/advantage_magnitude", "charts/acting_sps", "charts/updates_per_second",
        "charts/world_model_grad_norm", "charts/actor_grad_norm", "charts/critic_grad_norm",
    ]
    /// This file's columns: `columns`, then the agent's own.
    public let header: [String]
    private let handle: FileHandle

    /// Opens `url` for appending, writing the header if the file is new. On
    /// a resume, a file written with other columns (by an older version) is
    /// rewritten with these, each old value kept under its column's name.
    /// - Parameter resumingAt: the step a resumed run continues from: rows
    ///   logged after it (by the run that was interrupted) are removed.
    public init(url: URL, extraColumns: [String] = [], resumingAt step: Int? = nil) throws {
        let header = Self.columns + extraColumns
        self.header = header
        if !FileManager.default.fileExists(atPath: url.path) {
            try Data((header.joined(separator: ",") + "\n").utf8).write(to: url)
        } else if let step {
            let text = try String(contentsOf: url, encoding: .utf8)
            var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
            // A last line without its newline was torn mid-write: it goes (the next row would be glued to it).
            let torn = !text.isEmpty && !text.hasSuffix("\n") && lines.count > 1
            if torn { lines.removeLast() }
            let old = lines.first.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) } ?? []
            // The rows up to the checkpoint, whole (a torn last line goes).
            let rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
                .filter { $0.count == old.count && Int($0[0]).map { $0 <= step } == true }
            if torn || old != header || rows.count != lines.count - 1 {
                let position = Dictionary(old.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
                let remapped = rows.map { row in header.map { position[$0].map { String(row[$0]) } ?? "" } }
                let text = ([header] + remapped).map { $0.joined(separator: ",") + "\n" }.joined()
                try Data(text.utf8).write(to: url, options: .atomic)
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
