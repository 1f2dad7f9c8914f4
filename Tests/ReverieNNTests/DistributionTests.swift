import Testing
import ReverieNN

// Reference numbers come from NumPy 2.4 / SciPy 1.17 in float64, after
// `from scipy.special import softmax, log_softmax, expit, log_expit` and
// `from scipy.stats import norm, entropy, bernoulli`. Each block names the
// expression that produced it, over the inputs defined beside it
// (L = logits, mu = mean, ls = logStd, x, u).

struct CategoricalTests {
    let logits = Tensor([1.0, 2.0, 0.5, -1.0, 0.0, 3.0], shape: [2, 3])

    @Test func matchesReference() {
        let pi = Categorical(logits: logits)
        // log_softmax(L, -1)[[0, 1], [1, 0]]
        expectClose(pi.logProb([1, 0]), [-0.464368784, -4.065883904], "logProb")
        // scipy.stats.entropy(softmax(L, -1), axis=-1)
        expectClose(pi.entropy(), [0.905959256, 0.274313074], "entropy")
        expectClose(pi.probabilities.sum(axis: -1), [1, 1], "Σ probabilities")
        #expect(pi.mode == [1, 2])
    }

    @Test func gradientsMatchFiniteDifferences() {
        expectGradientsMatch(at: [logits], "logProb") { Categorical(logits: $0[0]).logProb([2, 0]) }
        expectGradientsMatch(at: [logits], "entropy") { Categorical(logits: $0[0]).entropy() }
    }

    @Test func groupedLogitsGiveOneDistributionPerRow() {
        let pi = Categorical(logits: random([2, 3, 4], seed: 1))
        #expect(pi.rowCount == 6)
        #expect(pi.logProb([0, 1, 2, 3, 0, 1]).shape == [2, 3])
        #expect(pi.entropy().shape == [2, 3])
    }

    @Test func samplesFollowTheProbabilities() {
        let n = 20_000
        let rowLogits = Tensor([0.5, -0.3, 1.2, 0.0], shape: [1, 4])
        var rng = RandomGenerator(seed: 42)
        let draws = Categorical(logits: rowLogits.broadcast(to: [n, 4])).sample(using: &rng)
        // softmax([0.5, -0.3, 1.2, 0.0])
        let expected: [Float] = [0.24572365, 0.11041075, 0.49482667, 0.14903893]
        for (k, p) in expected.enumerated() {
            expectFrequency(draws.filter { $0 == k }.count, of: n, near: p, "class \(k)")
        }
    }
}

struct NormalTests {
    let mean = Tensor([0.5, -1.0, 2.0, 0.0], shape: [2, 2])
    let logStd = Tensor([0.2, -0.5])  // state-independent, as PPO's
    let x = Tensor([0.0, -0.5, 1.5, 1.0], shape: [2, 2])

    @Test func matchesReference() {
        let pi = Normal(mean: mean, logStd: logStd)
        // norm.logpdf(x, mu, exp(ls)).sum(-1)
        expectClose(pi.logProb(x), [-1.961452301, -2.980807986], "logProb")
        // norm.entropy(mu, exp(ls)).sum(-1)
        expectClose(pi.entropy(), [2.537877066, 2.537877066], "entropy")
        #expect(pi.mode.scalars == mean.scalars)
    }

    @Test func gradientsMatchFiniteDifferences() {
        expectGradientsMatch(at: [mean, logStd, x], "logProb") {
            Normal(mean: $0[0], logStd: $0[1]).logProb($0[2])
        }
        expectGradientsMatch(at: [mean, logStd], "entropy") { Normal(mean: $0[0], logStd: $0[1]).entropy() }
        expectGradientsMatch(at: [mean, random([2, 2], seed: 2)], "reparameterised sample") { inputs in
            var rng = RandomGenerator(seed: 3)
            return Normal(mean: inputs[0], logStd: inputs[1]).sample(using: &rng)
        }
    }

    @Test func samplesHaveTheMeanAndStandardDeviation() {
        let n = 20_000
        var rng = RandomGenerator(seed: 5)
        let draws = Normal(mean: Tensor([0.5, -1.0], shape: [1, 2]).broadcast(to: [n, 2]), logStd: logStd)
            .sample(using: &rng)
        let sampleMean = draws.mean(axis: 0)
        let sampleStd = (draws - sampleMean).squared().mean(axis: 0).sqrt()
        let std = logStd.exp().scalars
        for d in 0..<2 {
            // Standard errors: σ/√n for the mean, ≈ σ/√(2n) for the standard deviation.
            #expect(Swift.abs(sampleMean[d] - [0.5, -1.0][d]) < 4 * std[d] / Float(n).squareRoot())
            #expect(Swift.abs(sampleStd[d] - std[d]) < 4 * std[d] / Float(2 * n).squareRoot())
        }
    }
}

struct TanhNormalTests {
    let mean = Tensor([0.3, -0.2, 10.0, -10.0], shape: [2, 2])
    let logStd = Tensor([-0.3, 0.1, 0.0, 0.0], shape: [2, 2])
    // The second row saturates tanh in Float32: 1 − tanh²(u) rounds to 0.
    let u = Tensor([0.5, -1.2, 12.0, -15.0], shape: [2, 2])

    @Test func logProbIsStableAndMatchesReference() {
        let pi = TanhNormal(mean: mean, logStd: logStd)
        // (norm.logpdf(u, mu, exp(ls)) + 2*log(cosh(u))).sum(-1)
        expectClose(pi.logProb(preTanh: u), [-0.656077862, 34.889534211], relative: 1e-5, "logProb(preTanh:)")
    }

    @Test func logProbOfActionsAgreesWithPreTanh() {
        let pi = TanhNormal(mean: mean.slice(0..<1), logStd: logStd.slice(0..<1))
        let u = self.u.slice(0..<1)
        expectClose(pi.logProb(u.tanh()), pi.logProb(preTanh: u).scalars, relative: 1e-4, "logProb(tanh u)")
        #expect(pi.logProb(Tensor([1.0, -1.0], shape: [1, 2])).scalars.allSatisfy { $0.isFinite })
    }

    @Test func gradientsMatchFiniteDifferences() {
        let moderate = Tensor([0.5, -1.2, 2.5, -3.0], shape: [2, 2])
        expectGradientsMatch(at: [mean * 0.1, logStd, moderate], "logProb(preTanh:)") {
            TanhNormal(mean: $0[0], logStd: $0[1]).logProb(preTanh: $0[2])
        }
        expectGradientsMatch(at: [mean * 0.1, logStd], "sampleWithLogProb") { inputs in
            var rng = RandomGenerator(seed: 9)
            let (action, logProb) = TanhNormal(mean: inputs[0], logStd: inputs[1]).sampleWithLogProb(using: &rng)
            return action.sum(axis: -1) + logProb
        }
    }

    @Test func samplesAreSquashedGaussians() {
        let n = 20_000
        var rng = RandomGenerator(seed: 11)
        let pi = TanhNormal(mean: Tensor([0.3, -1.0], shape: [1, 2]).broadcast(to: [n, 2]),
                            logStd: Tensor([-0.2, 0.4]))
        let draws = pi.sample(using: &rng)
        #expect(draws.scalars.allSatisfy { Swift.abs($0) <= 1 })
        // quad(lambda u: tanh(u) * norm.pdf(u, m, s), -inf, inf) and the matching
        // standard deviation, for (m, s) = (0.3, e^−0.2), (−1, e^0.4)
        let expectedMean: [Float] = [0.2008039662, -0.4364506470], expectedStd: [Float] = [0.5527346514, 0.6482094726]
        let sampleMean = draws.mean(axis: 0)
        for d in 0..<2 {
            #expect(Swift.abs(sampleMean[d] - expectedMean[d]) < 4 * expectedStd[d] / Float(n).squareRoot())
        }
        expectClose(pi.mode.slice(0..<1), [tanhf(0.3), tanhf(-1.0)], "mode")
    }
}

struct OneHotCategoricalTests {
    let logits = Tensor([2.0, 0.0, -1.0, -30.0], shape: [1, 4])

    @Test func unimixMatchesReference() {
        let pi = OneHotCategorical(logits: logits)
        // p = 0.99 * softmax(L) + 0.01 / 4
        expectClose(pi.probabilities, [0.837856787, 0.115553247, 0.044089965, 0.0025], "probabilities")
        // scipy.stats.entropy(p)
        expectClose(pi.entropy(), [0.550196813], "entropy")
        // log(p[3]), log(p[0])
        expectClose(pi.logProb(Tensor.oneHot([3], depth: 4)), [-5.991464547], "logProb of the rare class")
        expectClose(pi.logProb(Tensor.oneHot([0], depth: 4)), [-0.176908092], "logProb of the likely class")
        expectClose(OneHotCategorical(logits: logits, unimix: 0).probabilities, logits.softmax().scalars, "unimix 0")
    }

    @Test func samplesAreOneHotWithUnimixFrequencies() {
        let n = 20_000
        var rng = RandomGenerator(seed: 13)
        let draws = OneHotCategorical(logits: logits.broadcast(to: [n, 4])).sample(using: &rng)
        #expect(draws.scalars.allSatisfy { $0 == 0 || $0 == 1 })
        #expect(draws.sum(axis: -1).scalars.allSatisfy { $0 == 1 })
        let counts = draws.sum(axis: 0).scalars
        for (k, p) in [Float(0.837856787), 0.115553247, 0.044089965, 0.0025].enumerated() {
            expectFrequency(Int(counts[k]), of: n, near: p, "class \(k)")
        }
    }

    @Test func straightThroughGradientReachesLogits() {
        let weights = random([3, 4], seed: 17)
        let batch = random([3, 4], seed: 19) * 2
        func gradient(_ readout: (OneHotCategorical) -> Tensor) -> Tensor {
            let tape = Tape()
            let leaf = tape.watch(batch)
            let loss = (readout(OneHotCategorical(logits: leaf)) * weights).sum()
            return tape.gradients(of: loss, wrt: [leaf])[0]
        }
        var rng = RandomGenerator(seed: 23)
        let throughSample = gradient { $0.sample(using: &rng) }
        let throughProbabilities = gradient { $0.probabilities }
        #expect(throughSample.abs().max(axis: -1).scalars.allSatisfy { $0 > 1e-3 }, "\(throughSample)")
        #expect(throughSample.isClose(to: throughProbabilities), "max |Δ| \(throughSample.maxAbsDifference(throughProbabilities))")
        #expect(gradient { $0.mode }.isClose(to: throughProbabilities))
    }

    @Test func gradientsMatchFiniteDifferences() {
        let batch = random([3, 4], seed: 29) * 2
        let actions = Tensor.oneHot([1, 3, 0], depth: 4)
        expectGradientsMatch(at: [batch], "logProb") { OneHotCategorical(logits: $0[0]).logProb(actions) }
        expectGradientsMatch(at: [batch], "entropy") { OneHotCategorical(logits: $0[0]).entropy() }
    }

    @Test func groupedLatentsUseTheLastAxis() {
        // DreamerV3's stochastic state: 32 groups × 32 classes.
        let pi = OneHotCategorical(logits: random([2, 32, 32], seed: 31) * 3)
        var rng = RandomGenerator(seed: 37)
        let z = pi.sample(using: &rng)
        #expect(z.shape == [2, 32, 32])
        #expect(z.sum(axis: -1).scalars.allSatisfy { $0 == 1 })
        #expect(pi.logProb(z).shape == [2, 32])
        #expect(pi.entropy().shape == [2, 32])
        #expect(pi.mode.argmax() == pi.logits.argmax())
    }
}

struct BernoulliTests {
    let logits = Tensor([2.0, -1.0, 0.0, -200.0, 50.0])

    @Test func matchesReferenceAtExtremeLogits() {
        let pi = Bernoulli(logits: logits)
        // where(x == 1, log_expit(l), log_expit(-l))
        expectClose(pi.logProb(Tensor([1, 0, 1, 1, 0])), [-0.126928011, -0.313261688, -0.693147181, -200, -50],
                    "logProb")
        // scipy.stats.bernoulli.entropy(expit([2, -1, 0]))
        expectClose(pi.entropy(), [0.365333855, 0.582203109, 0.693147181, 0, 0], "entropy")
        #expect(pi.mode.scalars == [1, 0, 0, 0, 1])
    }

    @Test func gradientsMatchFiniteDifferences() {
        let moderate = random([6], seed: 41) * 3, x = Tensor([1, 0, 1, 0, 1, 1])
        expectGradientsMatch(at: [moderate], "logProb") { Bernoulli(logits: $0[0]).logProb(x) }
        expectGradientsMatch(at: [moderate], "entropy") { Bernoulli(logits: $0[0]).entropy() }
    }

    @Test func samplesFollowTheProbabilities() {
        let n = 20_000
        var rng = RandomGenerator(seed: 43)
        let draws = Bernoulli(logits: Tensor([0.7, -2.0, 3.0], shape: [1, 3]).broadcast(to: [n, 3])).sample(using: &rng)
        #expect(draws.scalars.allSatisfy { $0 == 0 || $0 == 1 })
        let counts = draws.sum(axis: 0).scalars
        // expit([0.7, -2, 3])
        for (d, p) in [Float(0.66818777), 0.11920292, 0.95257413].enumerated() {
            expectFrequency(Int(counts[d]), of: n, near: p, "element \(d)")
        }
    }
}
