import ArgumentParser
import Foundation
import ReverieTraining
import ReverieViewer

/// `reverie plot RUN…`: episodic return against env steps, as a PNG.
struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw runs' episodic return against env steps as a PNG.",
        discussion: """
            Runs that differ only in their seed (run folders <env>__<preset>__<seed>__<time>) are \
            drawn as one curve, the mean over seeds, with a band from the lowest seed to the highest. \
            Example: reverie plot runs/MinAtar_Breakout-v1__ppo-minatar-breakout__* --out breakout.png
            """)

    @Argument(help: "Run folders (each holding a metrics.csv).")
    var runs: [String]

    @Option(help: "The PNG to write.")
    var out = "plot.png"

    @Option(help: "The chart's title (default: the runs' env, or 'Episodic return').")
    var title: String?

    @Option(help: "Spans of env steps each curve is averaged over.")
    var bins = 100

    @Option(help: "Width and height in pixels, as WxH.")
    var size = "960x600"

    @Option(help: "Draw env steps up to this many only (runs of different lengths at one budget).")
    var maxSteps: Int?

    func validate() throws {
        guard !runs.isEmpty else { throw ValidationError("Give at least one run folder.") }
        guard (2...2_000).contains(bins) else { throw ValidationError("--bins must be in 2...2000.") }
        guard dimensions != nil else { throw ValidationError("--size must be WxH with W ≥ 320 and H ≥ 240, e.g. 960x600.") }
        if let maxSteps, maxSteps < 1 { throw ValidationError("--max-steps must be at least 1.") }
    }

    private var dimensions: (Int, Int)? {
        let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts[0] >= 320, parts[1] >= 240, parts[0] <= 8_000, parts[1] <= 8_000 else { return nil }
        return (parts[0], parts[1])
    }

    func run() throws {
        var curves: LearningCurves
        do { curves = try LearningCurves(runDirectories: runs.map { URL(fileURLWithPath: $0) }) } catch let error as LearningCurvesError {
            throw ValidationError(error.description)
        }
        if let maxSteps { curves = curves.truncated(at: maxSteps) }
        let series = curves.series(bins: bins)
        guard !series.isEmpty else { throw ValidationError("no episode has ended in these runs yet: nothing to draw") }
        let envs = Set(curves.runs.map { $0.group.components(separatedBy: "__").first ?? "" })
        let chart = LineChart(title: title ?? (envs.count == 1 ? "\(envs.first!): episodic return" : "Episodic return"),
                              xLabel: "env steps", yLabel: "return", series: series)
        let (width, height) = dimensions!
        let url = URL(fileURLWithPath: out)
        try PNGWriter.encode(chart.render(width: width, height: height).frame).write(to: url)
        print("wrote \(url.path): \(series.count) curve\(series.count == 1 ? "" : "s") from \(curves.runs.count) run\(curves.runs.count == 1 ? "" : "s")")
    }
}
