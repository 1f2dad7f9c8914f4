import Testing
import ReverieNN

/// Optimizers against reference trajectories: PyTorch for Adam/AdamW, a
/// float64 transcription of the paper for LaProp
/// (Tests/Python/make_optimizer_fixtures.py prints these numbers).
struct OptimizerTests {
    static let theta0: [Float] = [0.5, -1.0, 2.0, 0.1]
    static let grads: [[Float]] = [[0.1, -0.2, 0.3, 0.0], [1.0, 0.5, -0.5, 2.0], [-0.3, 0.3, 0.1, -1.0], [0.0, 0.01, -2.0, 0.5]]

    static let adam: [[Float]] = [
        [0.490000001, -0.990000001, 1.99, 0.1],
        [0.481929124, -0.994422153, 1.99293561, 0.0925586318],
        [0.477779331, -1.0005182, 1.9940917, 0.0902722281],
        [0.474380074, -1.0056054, 1.99993314, 0.0871753461],
    ]
    static let adamW: [[Float]] = [
        [0.489500001, -0.989, 1.988, 0.0999],
        [0.480939624, -0.992433153, 1.98894761, 0.0923587318],
        [0.476308892, -0.997536767, 1.98811475, 0.0899799693],
        [0.472433325, -1.00162643, 1.99196808, 0.0867931074],
    ]
    static let laprop: [[Float]] = [
        [0.490000001, -0.99, 1.99, 0.1],
        [0.477858685, -0.992172772, 1.99164492, 0.0925586318],
        [0.472025661, -0.996654011, 1.99160241, 0.0907211606],
        [0.467888777, -0.999926532, 1.99714535, 0.0881487794],
    ]

    func trajectory(_ make: ([(name: String, parameter: Parameter)]) -> any Optimizer) -> [[Float]] {
        let p = Parameter(Tensor(Self.theta0))
        let optimizer = make([("theta", p)])
        return Self.grads.map { g in
            optimizer.update([Tensor(g)])
            return p.storedValue.scalars
        }
    }

    func expectMatches(_ ours: [[Float]], _ reference: [[Float]], _ name: String) {
        var worst: Float = 0
        for (a, b) in zip(ours, reference) { for (x, y) in zip(a, b) { worst = max(worst, abs(x - y)) } }
        print("\(name): largest difference from reference \(worst)")
        #expect(worst < 2e-6, "\(name) differs from its reference by \(worst)")
    }

    @Test func adamMatchesPyTorch() {
        expectMatches(trajectory { Adam($0, learningRate: 0.01) }, Self.adam, "Adam")
    }

    @Test func adamWMatchesPyTorch() {
        expectMatches(trajectory { Adam($0, learningRate: 0.01, weightDecay: 0.1) }, Self.adamW, "AdamW")
    }

    @Test func lapropMatchesThePaper() {
        expectMatches(trajectory { LaProp($0, learningRate: 0.01, epsilon: 1e-8) }, Self.laprop, "LaProp")
    }

    @Test func stateRoundTripResumesExactly() throws {
        let a = Parameter(Tensor(Self.theta0)), b = Parameter(Tensor(Self.theta0))
        let first = Adam([("theta", a)], learningRate: 0.01)
        for g in Self.grads.prefix(2) { first.update([Tensor(g)]) }
        // A second optimizer resumes from the first one's state and parameters.
        b.storedValue = a.storedValue
        let resumed = Adam([("theta", b)], learningRate: 0.01)
        try resumed.load(state: first.state)
        #expect(resumed.step == 2)
        for g in Self.grads.suffix(2) { first.update([Tensor(g)]); resumed.update([Tensor(g)]) }
        #expect(a.storedValue.scalars == b.storedValue.scalars)

        var broken = first.state
        broken["exp_avg.theta"] = Tensor.zeros([3])
        #expect(throws: OptimizerStateError.shape("exp_avg.theta", expected: [4], found: [3])) {
            try resumed.load(state: broken)
        }
        broken["exp_avg.theta"] = nil
        #expect(throws: OptimizerStateError.missing("exp_avg.theta")) { try resumed.load(state: broken) }
    }

    @Test func clippingScalesToTheGlobalNorm() {
        var grads = [Tensor([3, 0]), Tensor([0, 4], shape: [1, 2])]
        let norm = clipGlobalNorm(&grads, maxNorm: 1)
        #expect(norm == 5)
        let scale: Float = 1 / (5 + 1e-6)
        #expect(grads[0].scalars == [3 * scale, 0] && grads[1].scalars == [0, 4 * scale])
        var small = [Tensor([0.3, 0.4])]
        #expect(clipGlobalNorm(&small, maxNorm: 1) == 0.5)
        #expect(small[0].scalars == [0.3, 0.4])
    }

    @Test func schedules() {
        let decay = LinearDecay(from: 1e-3, to: 0, steps: 4)
        #expect([0, 1, 2, 4, 9].map(decay.learningRate(at:)) == [1e-3, 7.5e-4, 5e-4, 0, 0])
        let warm = Warmup(steps: 2, then: ConstantSchedule(0.5))
        #expect([0, 1, 2, 10].map(warm.learningRate(at:)) == [0.25, 0.5, 0.5, 0.5])
    }
}
