import Foundation

/// The quantities the viewer plots for envs without pixels, over the last
/// `capacity` steps: each observation component, the critic's value and the
/// reward — and, for a world-model agent, beside each component the model's
/// reconstruction of it and what an open-loop dream predicted for that step.
public struct PlotHistory: Sendable, Equatable {
    /// One strip chart's data, oldest step first; all arrays have one entry
    /// per recorded step, NaN where there was nothing (no dream covering the step).
    public struct Series: Sendable, Equatable {
        public var title: String
        public var values: [Float] = []
        /// The world model's reconstruction of each value, if the agent has one.
        public var reconstruction: [Float]?
        /// What the dream running at the time predicted for each step, if any.
        public var dream: [Float]?
    }

    public let capacity: Int
    public private(set) var series: [Series]

    /// - Parameters:
    ///   - titles: one per chart.
    ///   - modelled: how many leading charts also carry a reconstruction and a dream.
    public init(titles: [String], modelled: Int = 0, capacity: Int = 300) {
        precondition(capacity >= 2, "a plot needs at least two steps, got capacity \(capacity)")
        self.capacity = capacity
        series = titles.enumerated().map { k, title in
            Series(title: title, reconstruction: k < modelled ? [] : nil, dream: k < modelled ? [] : nil)
        }
    }

    /// Appends one step: a value per chart, and for the modelled charts the
    /// reconstruction and the dream's prediction (NaN for none).
    public mutating func append(_ values: [Float], reconstruction: [Float] = [], dream: [Float] = []) {
        precondition(values.count == series.count, "a plot step needs \(series.count) values, got \(values.count)")
        for k in series.indices {
            series[k].values.append(values[k])
            if series[k].reconstruction != nil { series[k].reconstruction!.append(k < reconstruction.count ? reconstruction[k] : .nan) }
            if series[k].dream != nil { series[k].dream!.append(k < dream.count ? dream[k] : .nan) }
            if series[k].values.count > capacity {
                series[k].values.removeFirst()
                series[k].reconstruction?.removeFirst()
                series[k].dream?.removeFirst()
            }
        }
    }

    /// Replaces the dream predictions of the step `stepsAgo` before the
    /// newest (0: the newest), if the charts still hold it.
    public mutating func replaceDream(_ dream: [Float], stepsAgo: Int = 0) {
        for k in series.indices where series[k].dream != nil && stepsAgo < series[k].dream!.count {
            series[k].dream![series[k].dream!.count - 1 - stepsAgo] = k < dream.count ? dream[k] : .nan
        }
    }
}

extension Raster {
    /// Draws `series` as a strip chart in the rectangle: its title and latest
    /// value at the left, then the lines (real in `ink`, reconstruction in
    /// `ViewerLayout.bar`, dream in `ViewerLayout.dream`) scaled to the
    /// range of the real values and the reconstruction — a dream that
    /// wanders further is clipped at the chart's edge — over a dim zero line
    /// when 0 is in range.
    /// The newest step sits at the right edge; `capacity` steps fill the width.
    mutating func plot(_ series: PlotHistory.Series, capacity: Int, x: Int, y: Int, width: Int, height: Int) {
        let labelWidth = 64
        text(series.title, x: x, y: y + 2, ViewerLayout.dim)
        if let last = series.values.last { text(String(format: "%.3g", last), x: x, y: y + 12, ViewerLayout.ink) }
        let (left, right, top, bottom) = (x + labelWidth, x + width - 1, y + 2, y + height - 3)
        fill(x: left, y: y, width: right - left + 1, height: height - 1, (34, 34, 44))
        let lines = [(series.dream, ViewerLayout.dream), (series.reconstruction, ViewerLayout.bar), (series.values, ViewerLayout.ink)]
        let all = (series.values + (series.reconstruction ?? [])).filter(\.isFinite)
        guard var low = all.min(), var high = all.max() else { return }
        if high - low < 1e-6 { (low, high) = (low - 1, high + 1) }
        func row(_ v: Float) -> Int { bottom - Int((min(max((v - low) / (high - low), 0), 1) * Float(bottom - top)).rounded()) }
        if low < 0 && high > 0 { line(left, row(0), right, row(0), (70, 70, 84)) }
        let step = Float(right - left) / Float(capacity - 1)
        for (values, colour) in lines {
            guard let values else { continue }
            let start = capacity - values.count
            var previous: (Int, Int)?
            for (i, v) in values.enumerated() {
                guard v.isFinite else { previous = nil; continue }
                let point = (left + Int((Float(start + i) * step).rounded()), row(v))
                if let p = previous { line(p.0, p.1, point.0, point.1, colour) } else { line(point.0, point.1, point.0, point.1, colour) }
                previous = point
            }
        }
    }
}
