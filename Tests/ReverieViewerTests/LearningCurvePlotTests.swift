import Foundation
import Testing
import ReverieTraining
@testable import ReverieViewer

/// `reverie plot`'s pieces: run folders read into curves (seeds grouped),
/// and the chart whose pixels show them.
@Suite struct LearningCurvePlotTests {
    /// A tiny real run: PPO on CartPole for `steps` steps, in a folder named as `reverie train` names them.
    static func run(in root: URL, preset: String, seed: Int, learningRate: Float, steps: Int = 6_144) throws -> URL {
        let dir = root.appendingPathComponent("CartPole-v1__\(preset)__\(seed)__17965\(seed)0000")
        var config = TrainConfig()
        (config.env, config.numEnvs, config.totalSteps, config.seed) = ("CartPole-v1", 4, steps, seed)
        (config.checkpointEvery, config.evalEpisodes, config.ppo.learningRate) = (0, 1, learningRate)
        try Trainer(config: config, runDirectory: dir).run()
        return dir
    }

    /// Columns of the plot area where `colour` is drawn.
    static func columns(of colour: (UInt8, UInt8, UInt8), in raster: Raster) -> Set<Int> {
        let area = LineChart.plotArea(width: raster.width, height: raster.height)
        var found: Set<Int> = []
        for x in (area.left + 1)..<area.right {
            for y in area.top..<area.bottom where raster.pixel(x, y) == colour {
                found.insert(x)
                break
            }
        }
        return found
    }

    @Test func twoTinyRunsGiveAPNGWithTwoCurvesAcrossTheChart() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("plot-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let runs = [try Self.run(in: root, preset: "ppo-fast", seed: 1, learningRate: 1e-3),
                    try Self.run(in: root, preset: "ppo-fast", seed: 2, learningRate: 1e-3),
                    try Self.run(in: root, preset: "ppo-slow", seed: 1, learningRate: 1e-5)]
        let curves = try LearningCurves(runDirectories: runs)
        #expect(curves.runs.map(\.group) == ["CartPole-v1__ppo-fast", "CartPole-v1__ppo-fast", "CartPole-v1__ppo-slow"])
        #expect(curves.runs.map(\.seed) == [1, 2, 1])
        let series = curves.series(bins: 40)
        #expect(series.count == 2)
        #expect(series[0].band != nil && series[1].band == nil, "two seeds give a band, one does not")
        // The mean lies within the seeds' band wherever both exist.
        if let band = series[0].band {
            for i in series[0].y.indices where series[0].y[i].isFinite {
                #expect(band.low[i] <= series[0].y[i] + 1e-9 && series[0].y[i] <= band.high[i] + 1e-9)
            }
        }

        let raster = LineChart(title: "CartPole", xLabel: "env steps", yLabel: "return", series: series).render()
        let area = LineChart.plotArea(width: raster.width, height: raster.height)
        let width = area.right - area.left
        for (i, _) in series.enumerated() {
            let drawn = Self.columns(of: LineChart.palette[i], in: raster)
            // A curve, not a dot: the series' colour spans most of the x axis (its first bins may hold no episode yet).
            #expect(drawn.count > width / 2, "series \(i) is drawn in \(drawn.count) of \(width) columns")
        }

        let png = root.appendingPathComponent("plot.png")
        try PNGWriter.encode(raster.frame).write(to: png)
        let bytes = try Data(contentsOf: png)
        #expect(bytes.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        // IHDR's width and height, big-endian, after the signature, the length and the type.
        #expect(Array(bytes[16..<24]) == [0, 0, 3, 192, 0, 0, 2, 88], "960×600")
    }

    /// `--max-steps`: a long run and a short one at the short one's budget:
    /// the curves span it, nothing after it is read.
    @Test func runsTruncatedToABudgetEndThere() {
        let long = LearningCurves.Run(name: "a", group: "a", seed: nil, points: (1...100).map { ($0 * 1_000, Double($0)) })
        let short = LearningCurves.Run(name: "b", group: "b", seed: nil, points: (1...20).map { ($0 * 1_000, 1.0) })
        let curves = LearningCurves(runs: [long, short]).truncated(at: 20_000)
        #expect(curves.runs[0].points.count == 20 && curves.runs[0].points.last!.step == 20_000)
        let series = curves.series(bins: 10)
        #expect(series[0].x.last! < 20_000 && series[0].y.last! == 19.5, "the last bin holds steps 19k and 20k")
        #expect(series[1].y.allSatisfy { $0 == 1 })
    }

    @Test func aFolderThatIsNotARunIsNamed() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let error = try #require(throws: LearningCurvesError.self) { try LearningCurves(runDirectories: [dir]) }
        #expect(error.description.contains(dir.lastPathComponent))
        try Data("step,return\n1,2\n".utf8).write(to: dir.appendingPathComponent("metrics.csv"))
        #expect(throws: LearningCurvesError.self) { try LearningCurves(runDirectories: [dir]) }
    }

    @Test func ticksAreRoundAndCoverTheData() {
        #expect(LineChart.ticks(0, 9_800_000) == [0, 2_000_000, 4_000_000, 6_000_000, 8_000_000, 10_000_000])
        #expect(LineChart.ticks(-2.6, 4.9) == [-4, -2, 0, 2, 4, 6])
        #expect(LineChart.ticks(5, 5).count >= 2)
        #expect(LineChart.format(2_500_000, step: 500_000) == "2.5M")
        #expect(LineChart.format(40_000, step: 20_000) == "40k")
        #expect(LineChart.format(0.25, step: 0.05) == "0.25")
        #expect(LineChart.format(0, step: 2_000_000) == "0")
    }
}
