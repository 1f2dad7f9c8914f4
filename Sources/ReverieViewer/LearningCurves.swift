import Foundation

/// Episodic return against env steps, read from run folders' `metrics.csv`
/// (what `reverie plot` draws). Runs that differ only in their seed — run
/// folders named `<env>__<preset>__<seed>__<time>`, as `reverie train`
/// names them — form one group: its curve is the mean over its seeds, its
/// band their lowest to highest.
///
/// Each run's rows are put into `bins` equal spans of env steps; a run's
/// value in a span is the mean of the iteration returns logged there (each
/// the mean of the episodes ended in its iteration), carried forward through
/// spans where no episode ended.
public struct LearningCurves {
    /// One run: (env steps, mean episodic return of the iteration) rows.
    public struct Run {
        public var name: String
        /// The runs of one experiment share it: the folder name without its seed and time.
        public var group: String
        public var seed: Int?
        public var points: [(step: Int, episodicReturn: Double)]
    }

    public var runs: [Run]

    /// Reads each folder's metrics.csv.
    /// - Throws: `LearningCurvesError` naming a folder without metrics.csv or a file without the columns.
    public init(runDirectories: [URL]) throws {
        runs = try runDirectories.map(Self.read)
    }

    public init(runs: [Run]) { self.runs = runs }

    /// The same runs up to `steps` env steps: runs of different lengths
    /// compared at one budget.
    public func truncated(at steps: Int) -> LearningCurves {
        LearningCurves(runs: runs.map { run in
            var run = run
            run.points = run.points.filter { $0.step <= steps }
            return run
        })
    }

    /// The groups in the order first met, each binned over [0, the longest run's last step].
    public func series(bins: Int = 100) -> [LineChart.Series] {
        let end = runs.flatMap { $0.points.map(\.step) }.max() ?? 0
        guard end > 0 else { return [] }
        let centres = (0..<bins).map { (Double($0) + 0.5) * Double(end) / Double(bins) }
        var order: [String] = []
        for run in runs where !order.contains(run.group) { order.append(run.group) }
        return order.map { group in
            let members = runs.filter { $0.group == group }
            let binned = members.map { Self.binned($0.points, bins: bins, end: end) }
            var mean: [Double] = [], low: [Double] = [], high: [Double] = []
            for b in 0..<bins {
                let values = binned.map { $0[b] }.filter(\.isFinite)
                mean.append(values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count))
                low.append(values.min() ?? .nan)
                high.append(values.max() ?? .nan)
            }
            let seeds = members.count
            let label = group.replacingOccurrences(of: "__", with: "  ") + (seeds > 1 ? "  (mean of \(seeds) seeds, band: min-max)" : "")
            return LineChart.Series(label: label, x: centres, y: mean, band: seeds > 1 ? (low, high) : nil)
        }
    }

    /// A run's value in each of `bins` spans of [0, end]: NaN before its first logged return.
    static func binned(_ points: [(step: Int, episodicReturn: Double)], bins: Int, end: Int) -> [Double] {
        var sums = [Double](repeating: 0, count: bins), counts = [Int](repeating: 0, count: bins)
        for p in points {
            let b = min(bins - 1, max(0, (p.step - 1) * bins / end))
            sums[b] += p.episodicReturn
            counts[b] += 1
        }
        let last = points.map(\.step).max() ?? 0
        var value = Double.nan
        return (0..<bins).map { b in
            if counts[b] > 0 { value = sums[b] / Double(counts[b]) }
            // Past the run's own end it has nothing more to say.
            return b * end / bins < last ? value : .nan
        }
    }

    static func read(_ directory: URL) throws -> Run {
        let url = directory.appendingPathComponent("metrics.csv")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw LearningCurvesError.noMetrics(directory.path) }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        let header = lines.first.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) } ?? []
        guard let stepColumn = header.firstIndex(of: "global_step"), let returnColumn = header.firstIndex(of: "charts/episodic_return") else {
            throw LearningCurvesError.missingColumns(url.path)
        }
        let points = lines.dropFirst().compactMap { line -> (step: Int, episodicReturn: Double)? in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == header.count, let step = Int(fields[stepColumn]), let value = Double(fields[returnColumn]),
                  value.isFinite else { return nil }
            return (step, value)
        }
        let name = directory.standardizedFileURL.lastPathComponent
        let parts = name.components(separatedBy: "__")
        if parts.count >= 4, let seed = Int(parts[parts.count - 2]), Int(parts[parts.count - 1]) != nil {
            return Run(name: name, group: parts.dropLast(2).joined(separator: "__"), seed: seed, points: points)
        }
        return Run(name: name, group: name, seed: nil, points: points)
    }
}

/// A run folder `reverie plot` cannot read.
public enum LearningCurvesError: Error, CustomStringConvertible {
    case noMetrics(String)
    case missingColumns(String)

    public var description: String {
        switch self {
        case .noMetrics(let path): "\(path) has no metrics.csv: is it a run folder (runs/<env>__<preset>__<seed>__<time>)?"
        case .missingColumns(let path): "\(path) has no global_step and charts/episodic_return columns"
        }
    }
}
