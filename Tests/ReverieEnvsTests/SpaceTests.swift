import Testing
import ReverieEnvs

struct SpaceTests {
    @Test func boxContainsAndSamples() {
        let space = Space.box(low: [-1, 0], high: [1, .infinity], shape: [2], dtype: .float32)
        #expect(space.contains([0.5, 100]))
        #expect(!space.contains([1.5, 0]))
        #expect(!space.contains([0, -0.1]))
        #expect(!space.contains([0]))
        #expect(!space.contains([.nan, 0]))
        var rng = RandomGenerator(seed: 0)
        for _ in 0..<1000 { #expect(space.contains(space.sample(using: &rng))) }
    }

    @Test func discreteAndMultiDiscrete() {
        var rng = RandomGenerator(seed: 1)
        let d = Space.discrete(3)
        #expect(d.contains([2]) && !d.contains([3]) && !d.contains([1.5]) && !d.contains([-1]))
        var seen = Set<Float>()
        for _ in 0..<300 { seen.insert(d.sample(using: &rng)[0]) }
        #expect(seen == [0, 1, 2])
        let m = Space.multiDiscrete([2, 5])
        #expect(m.shape == [2] && m.contains([1, 4]) && !m.contains([2, 0]))
        for _ in 0..<300 { #expect(m.contains(m.sample(using: &rng))) }
        let pixels = Space.box(low: 0, high: 255, shape: [4, 4, 3], dtype: .uint8)
        let frame = pixels.sample(using: &rng)
        #expect(frame.count == 48 && frame.allSatisfy { $0 == $0.rounded() && $0 >= 0 && $0 <= 255 })
    }
}
