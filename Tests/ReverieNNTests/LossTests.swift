import Testing
import ReverieNN

// Reference numbers come from NumPy 2.4 / SciPy 1.17 in float64, after
// `from scipy.special import softmax, log_softmax, expit, log_expit` and
// `from scipy.stats import norm, entropy, bernoulli`. Each block names the
// expression that produced it, over the inputs defined beside it
// (pr = prediction, tg = target, lg = logits, T = targets, P = p, Q = q).

struct RegressionLossTests {
    let prediction = Tensor([0.5, -2.0, 3.0, 1.0, 0.0, -0.3], shape: [2, 3])
    let target = Tensor([0.0, 1.0, 0.5, 1.2, -4.0, -0.3], shape: [2, 3])

    @Test func matchesReference() {
        // r = pr - tg; (r**2).mean()
        expectClose(meanSquaredError(prediction, target), [5.256666667], shape: [], "MSE")
        // where(|r| <= d, 0.5 r², d(|r| − 0.5 d)).mean() for d = 1, 2
        expectClose(huberLoss(prediction, target), [1.3575], shape: [], "Huber δ = 1")
        expectClose(huberLoss(prediction, target, delta: 2), [2.190833333], shape: [], "Huber δ = 2")
    }

    @Test func huberIsHalfTheSquaredErrorInsideDelta() {
        let small = random([4, 5], seed: 1) * 0.5
        expectClose(huberLoss(small, .zeros([4, 5])), [0.5 * meanSquaredError(small, .zeros([4, 5])).item],
                    shape: [], "Huber inside δ")
    }

    @Test func gradientsMatchFiniteDifferences() {
        // Residuals kept away from ±δ, where the second derivative jumps, and from 0, where |r| has a kink.
        let residual = Tensor([0.5, -2.0, 3.0, -0.7, 1.6, -0.3], shape: [2, 3])
        expectGradientsMatch(at: [prediction, target], "MSE") { meanSquaredError($0[0], $0[1]) }
        expectGradientsMatch(at: [target + residual, target], "Huber") { huberLoss($0[0], $0[1], delta: 1.1) }
    }
}

struct SymlogTwoHotTests {
    let twoHot = SymlogTwoHot()

    /// Logits with structure in every bin: sin(0.1·i·(r + 1)) for bin i of row r.
    static let logits = Tensor((0..<2).flatMap { r in (0..<255).map { i in sinf(0.1 * Float(i) * Float(r + 1)) } },
                               shape: [2, 255])

    @Test func binsAreEvenlySpacedInSymlogSpace() {
        let bins = twoHot.bins.scalars
        #expect(bins.count == 255 && bins[0] == -20 && bins[254] == 20 && bins[127] == 0)
        #expect(SymlogTwoHot(binCount: 5, low: -2, high: 2).bins.scalars == [-2, -1, 0, 1, 2])
    }

    @Test func encodeMatchesReference() {
        let encoded = twoHot.encode(Tensor([0, 1, -3.5, 1e10, -1e10]))
        #expect(encoded.shape == [5, 255])
        // DreamerV3's DiscDist twohot of x = sign(y)·log1p(|y|) over bins = linspace(-20, 20, 255):
        // below = clip((bins <= x).sum() - 1, 0, 254), above = clip(255 - (bins > x).sum(), 0, 254),
        // weights |bins[above] − x| and |bins[below] − x| over their sum; (bin, weight) pairs
        let expected: [[(Int, Float)]] = [
            [(127, 1)], [(131, 0.598515403), (132, 0.401484597)], [(117, 0.55089147), (118, 0.44910853)],
            [(254, 1)], [(0, 1)],
        ]
        for (row, pairs) in expected.enumerated() {
            var dense = [Float](repeating: 0, count: 255)
            for (bin, weight) in pairs { dense[bin] = weight }
            expectClose(encoded.select(row), dense, relative: 1e-4, "twohot of row \(row)")
        }
        // symexp(0.25) lies a quarter of the way from bin 2 (symlog 0) to bin 3 (symlog 1).
        let coarse = SymlogTwoHot(binCount: 5, low: -2, high: 2)
        expectClose(coarse.encode(Tensor([expm1f(0.25)])), [0, 0, 0.75, 0.25, 0], shape: [1, 5], "coarse bins")
    }

    @Test func expectationOfAnEncodingRoundTrips() {
        let targets = Tensor([-1000, -3.7, 0, 0.5, 42, 1e5], shape: [2, 3])
        // log 0 = −∞ is a valid logit: softmax gives those bins probability 0.
        let decoded = twoHot.expectation(logits: twoHot.encode(targets).log())
        #expect(decoded.shape == [2, 3])
        expectClose(decoded, targets.scalars, relative: 1e-4, "symexp(E[bins]) of twohot(symlog(y))")
    }

    @Test func crossEntropyAndExpectationMatchReference() {
        let targets = Tensor([1.0, -3.5])
        // -(twohot(T) * log_softmax(lg, -1)).sum(-1)
        expectClose(twoHot.crossEntropy(logits: Self.logits, targets: targets), [5.233678487, 6.770254819],
                    relative: 1e-4, "crossEntropy")
        // m = (softmax(lg, -1) * bins).sum(-1); sign(m) * expm1(|m|)
        expectClose(twoHot.expectation(logits: Self.logits), [-2.96981571, -0.920462142], relative: 1e-4,
                    "expectation")
    }

    @Test func gradientsMatchFiniteDifferences() {
        let coarse = SymlogTwoHot(binCount: 7, low: -3, high: 3)
        let logits = random([3, 7], seed: 3) * 2, targets = Tensor([0.3, -4.0, 12.0])
        expectGradientsMatch(at: [logits], "crossEntropy") { coarse.crossEntropy(logits: $0[0], targets: targets) }
        expectGradientsMatch(at: [logits * 0.5], "expectation") { coarse.expectation(logits: $0[0]) }
    }
}

struct CategoricalKLTests {
    let p = Tensor([1.0, 2.0, 0.5, 0.0, -1.0, 4.0], shape: [2, 3])
    let q = Tensor([0.3, -0.4, 1.5, 2.0, 2.0, -2.0], shape: [2, 3])

    @Test func matchesReference() {
        // scipy.stats.entropy(softmax(P, -1), softmax(Q, -1), axis=-1)
        expectClose(categoricalKL(p, q), [0.937809196, 4.475415208], relative: 1e-5, "KL(p‖q)")
    }

    @Test func isZeroForEqualAndPositiveForDifferentDistributions() {
        let a = random([200, 5], seed: 5) * 3, b = random([200, 5], seed: 6) * 3
        #expect(categoricalKL(a, a).scalars.allSatisfy { $0 == 0 })
        #expect(categoricalKL(a, b).scalars.allSatisfy { $0 > 0 })
        // Shifting logits by a constant does not change the distribution.
        #expect(categoricalKL(a, a + 7).scalars.allSatisfy { Swift.abs($0) < 1e-5 })
    }

    @Test func gradientsMatchFiniteDifferences() {
        expectGradientsMatch(at: [p, q], "KL") { categoricalKL($0[0], $0[1]) }
    }

    @Test func balancingRoutesGradientsToOneSide() {
        // DreamerV3's dynamics loss KL(sg(post)‖prior) trains the prior only.
        let tape = Tape()
        let posterior = tape.watch(random([2, 4, 3], seed: 7)), prior = tape.watch(random([2, 4, 3], seed: 8))
        let dynamics = categoricalKL(posterior.detached, prior)
        #expect(dynamics.shape == [2, 4])
        let grads = tape.gradients(of: dynamics.sum(axis: -1).clamped(0, .infinity).sum(), wrt: [posterior, prior])
        #expect(grads[0].scalars.allSatisfy { $0 == 0 })
        #expect(grads[1].abs().sum().item > 1e-3)
    }
}
