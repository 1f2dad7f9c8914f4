import Testing
import ReverieAgents

/// The arithmetic of learning in imagination: λ-returns against their
/// definition unrolled by hand, and the percentile return scale.
struct ImaginationReturnTests {
    @Test func lambdaReturnsFollowTheirRecursion() {
        // H = 2, B = 2; row b = 1 ends after its first step (c = 0).
        let rewards: [[Float]] = [[1, 2], [3, 4]], continues: [[Float]] = [[1, 0], [0.5, 1]]
        let values: [[Float]] = [[10, 20], [30, 40], [50, 60]]
        let (g, l): (Float, Float) = (0.9, 0.8)
        let r = lambdaReturns(rewards: rewards, continues: continues, values: values, gamma: g, lambda: l)
        let r1 = [3 + g * 0.5 * 50, 4 + g * 1 * 60]       // R_1 = r_2 + γc_2·v_2 (R_2 = v_2)
        let r0 = [1 + g * 1 * ((1 - l) * 30 + l * r1[0]), Float(2)]
        #expect(r.count == 2)
        for b in 0..<2 {
            #expect(abs(r[1][b] - r1[b]) < 1e-4)
            #expect(abs(r[0][b] - r0[b]) < 1e-4)
        }
        // λ = 1 is the discounted sum bootstrapped at the end; λ = 0 is one-step TD.
        let mc = lambdaReturns(rewards: [[1], [1], [1]], continues: [[1], [1], [1]], values: [[0], [0], [0], [8]], gamma: 0.5, lambda: 1)
        #expect(abs(mc[0][0] - (1 + 0.5 + 0.25 + 0.125 * 8)) < 1e-6)
        let td = lambdaReturns(rewards: [[1], [1]], continues: [[1], [1]], values: [[0], [6], [100]], gamma: 0.5, lambda: 0)
        #expect(abs(td[0][0] - 4) < 1e-6)
    }

    @Test func theReturnScaleTracksThe5thTo95thPercentileRangeAndNeverShrinksBelowOne() {
        var normalizer = ReturnNormalizer(decay: 0)   // no memory: this batch's percentiles
        let returns = (0...100).map { Float($0) }     // P5 = 5, P95 = 95
        #expect(normalizer.update(returns) == 90)
        #expect(normalizer.low == 5 && normalizer.high == 95)
        #expect(normalizer.update(returns.map { $0 / 1000 }) == 1)  // a range of 0.09 is not blown up
        var slow = ReturnNormalizer(decay: 0.99)
        for _ in 0..<1000 { _ = slow.update(returns.map { $0 * 2 }) }
        #expect(abs(slow.scale - 180) < 0.1)
    }
}
