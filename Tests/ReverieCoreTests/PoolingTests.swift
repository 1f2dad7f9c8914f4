import Testing
@testable import ReverieCore

/// maxPool2d against direct loops, and where its gradient goes.
@Suite struct PoolingTests {
    /// Direct max over each window, padding as −∞.
    static func direct(_ x: [Float], n: Int, c: Int, h: Int, w: Int, kernel: Int, stride: Int, padding: Int) -> [Float] {
        let outH = (h + 2 * padding - kernel) / stride + 1, outW = (w + 2 * padding - kernel) / stride + 1
        var out: [Float] = []
        for plane in 0..<(n * c) {
            for oy in 0..<outH {
                for ox in 0..<outW {
                    var best = -Float.infinity
                    for dy in 0..<kernel {
                        for dx in 0..<kernel {
                            let (y, xx) = (oy * stride - padding + dy, ox * stride - padding + dx)
                            if y >= 0 && y < h && xx >= 0 && xx < w { best = max(best, x[(plane * h + y) * w + xx]) }
                        }
                    }
                    out.append(best)
                }
            }
        }
        return out
    }

    @Test(arguments: [(3, 2, 1, 9, 8), (3, 2, 1, 64, 40), (2, 2, 0, 6, 6), (3, 1, 1, 5, 7), (3, 3, 0, 10, 9)])
    func matchesDirectLoops(geometry: (kernel: Int, stride: Int, padding: Int, h: Int, w: Int)) {
        var rng = RandomGenerator(seed: 11)
        let (n, c) = (2, 3)
        let x = Tensor.normal([n, c, geometry.h, geometry.w], using: &rng)
        let y = x.maxPool2d(kernel: geometry.kernel, stride: geometry.stride, padding: geometry.padding)
        #expect(y.scalars == Self.direct(x.scalars, n: n, c: c, h: geometry.h, w: geometry.w, kernel: geometry.kernel,
                                         stride: geometry.stride, padding: geometry.padding))
    }

    @Test func theGradientGoesToTheFirstLargestElementOfEachWindow() {
        // One 4×4 map of equal values, 3×3 windows every 2 with padding 1: each
        // window's first element in row-major order takes the whole gradient.
        let x = Tensor.ones([1, 1, 4, 4])
        let tape = Tape()
        let watched = tape.watch(x)
        let y = tape.recording { watched.maxPool2d(kernel: 3, stride: 2, padding: 1).sum() }
        let gradient = tape.gradients(of: y, wrt: [watched])[0]
        // Windows start at rows/columns −1, 1 → first inside elements (0, 0), (0, 1), (1, 0), (1, 1).
        #expect(gradient.scalars == [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test func aNaNInAWindowIsItsMaximum() {
        var values = [Float](repeating: 0, count: 36)
        values[7] = .nan  // row 1, column 1: in the windows of outputs (0, 0), (0, 1), (1, 0), (1, 1)
        let y = Tensor(values, shape: [1, 1, 6, 6]).maxPool2d(kernel: 3, stride: 2, padding: 1)
        #expect(y.scalars.indices.filter { y.scalars[$0].isNaN } == [0, 1, 3, 4])
    }
}
