import Testing
@testable import ReverieAgents

@Suite struct GAETests {
    /// One env, three steps, no episode end: Â by the recursion written out by hand.
    @Test func advantagesMatchTheRecursionByHand() {
        let r: [Float] = [1, 0, 2], v: [Float] = [0.5, 1, 1.5], last: Float = 2
        let (g, l): (Float, Float) = (0.9, 0.8)
        let d2 = r[2] + g * last - v[2]
        let d1 = r[1] + g * v[2] - v[1]
        let d0 = r[0] + g * v[1] - v[0]
        let a2 = d2, a1 = d1 + g * l * a2, a0 = d0 + g * l * a1
        let (adv, ret) = generalizedAdvantages(rewards: r, values: v, dones: [false, false, false], lastValues: [last],
                                               envs: 1, gamma: g, lambda: l)
        for (x, y) in zip(adv, [a0, a1, a2]) { #expect(abs(x - y) < 1e-6) }
        for i in 0..<3 { #expect(abs(ret[i] - (adv[i] + v[i])) < 1e-6) }
    }

    /// A done cuts both the bootstrap and the recursion; envs are independent columns.
    @Test func aDoneCutsTheEpisodeAndEnvsDoNotMix() {
        // Two envs, rows t·2 + i. Env 0 ends at t = 0; env 1 never ends.
        let rewards: [Float] = [1, 0, 5, 0], values: [Float] = [0, 0, 100, 0]
        let dones = [true, false, false, false]
        let (adv, _) = generalizedAdvantages(rewards: rewards, values: values, dones: dones, lastValues: [7, 3],
                                             envs: 2, gamma: 1, lambda: 1)
        #expect(adv[0] == 1)             // r₀ only: V(s₁) of the next episode is not used
        #expect(adv[2] == 5 + 7 - 100)   // env 0, t = 1, bootstraps from its last value
        #expect(adv[1] == 0 + 0 + 3)     // env 1: t = 0 → t = 1 → last value 3, λ = γ = 1
        #expect(adv[3] == 3)
    }

    @Test func explainedVarianceIsOneForPerfectAndZeroForTheMean() {
        let targets: [Float] = [1, 2, 3, 4]
        #expect(explainedVariance(predictions: targets, targets: targets) == 1)
        #expect(abs(explainedVariance(predictions: [2.5, 2.5, 2.5, 2.5], targets: targets)) < 1e-6)
    }
}
