import Testing
import ReverieCore

/// One finite-difference check per differentiable operation. The switch over
/// `Operation` is exhaustive: adding an operation without a check here does
/// not compile.
struct GradientCheckTests {
    /// Inputs for a check and the function of them that exercises the operation.
    struct Case {
        var inputs: [Tensor]
        var step: Float = 1e-2
        var tolerance: Double = 2e-3
        var f: ([Tensor]) -> Tensor
    }

    static func random(_ shape: [Int], _ seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
        var rng = RandomGenerator(seed: seed)
        return Tensor.uniform(shape, low: low, high: high, using: &rng)
    }

    /// Values bounded away from 0 by at least `gap` (for kinks at zero).
    static func awayFromZero(_ shape: [Int], _ seed: UInt64, gap: Float = 0.1) -> Tensor {
        random(shape, seed).map { $0 < 0 ? $0 - gap : $0 + gap }
    }

    static func check(_ operation: Operation) -> Case {
        let a = random([3, 4], 1), b = random([3, 4], 2)
        switch operation {
        case .add: return Case(inputs: [a, random([4], 3)]) { $0[0] + $0[1] }
        case .subtract: return Case(inputs: [a, random([3, 1], 3)]) { $0[0] - $0[1] }
        case .multiply: return Case(inputs: [random([2, 3, 4], 4), random([3, 1], 5)]) { $0[0] * $0[1] }
        case .divide: return Case(inputs: [a, random([3, 4], 6, low: 0.5, high: 2)]) { $0[0] / $0[1] }
        case .affine: return Case(inputs: [a]) { 3 * $0[0] - 0.5 }
        case .exp: return Case(inputs: [a]) { $0[0].exp() }
        case .log: return Case(inputs: [random([3, 4], 7, low: 0.5, high: 2)]) { $0[0].log() }
        case .sqrt: return Case(inputs: [random([3, 4], 8, low: 0.5, high: 2)]) { $0[0].sqrt() }
        case .square: return Case(inputs: [a]) { $0[0].squared() }
        case .abs: return Case(inputs: [awayFromZero([3, 4], 9)]) { $0[0].abs() }
        case .pow: return Case(inputs: [random([3, 4], 10, low: 0.5, high: 2)]) { $0[0].pow(1.7) }
        case .clamp:
            // Elements kept 0.05 away from the bounds ±0.5.
            let x = random([3, 4], 11).map { Swift.abs(Swift.abs($0) - 0.5) < 0.05 ? $0 * 0.5 : $0 }
            return Case(inputs: [x]) { $0[0].clamped(-0.5, 0.5) }
        case .tanh: return Case(inputs: [a]) { $0[0].tanh() }
        case .sigmoid: return Case(inputs: [a]) { $0[0].sigmoid() }
        case .relu: return Case(inputs: [awayFromZero([3, 4], 12)]) { $0[0].relu() }
        case .silu: return Case(inputs: [a]) { $0[0].silu() }
        case .elu: return Case(inputs: [awayFromZero([3, 4], 13)]) { $0[0].elu(alpha: 0.7) }
        case .gelu: return Case(inputs: [a]) { $0[0].gelu() }
        case .softplus: return Case(inputs: [a * 3]) { $0[0].softplus() }
        case .symlog: return Case(inputs: [awayFromZero([3, 4], 14) * 3]) { $0[0].symlog() }
        case .symexp: return Case(inputs: [awayFromZero([3, 4], 15)]) { $0[0].symexp() }
        case .sin: return Case(inputs: [a * 3]) { $0[0].sin() }
        case .cos: return Case(inputs: [a * 3]) { $0[0].cos() }
        case .matmul:
            return Case(inputs: [random([3, 5], 16), random([5, 4], 17), random([4, 5], 18), random([5, 3], 19)]) { x in
                x[0].matmul(x[1]) + x[0].matmul(x[2], transposeOther: true)
                    + x[3].matmul(x[1], transposeSelf: true) + x[3].matmul(x[2], transposeSelf: true, transposeOther: true)
            }
        case .batchedMatmul:
            return Case(inputs: [random([2, 3, 5], 20), random([2, 5, 4], 21), random([5, 4], 22),
                                 random([2, 4, 5], 23), random([2, 5, 3], 36), random([4, 5], 37)]) { x in
                x[0].matmul(x[1]) + x[0].matmul(x[2]) + x[0].matmul(x[3], transposeOther: true)
                    + x[0].matmul(x[5], transposeOther: true) + x[4].matmul(x[1], transposeSelf: true)
                    + x[1].matmul(x[0], transposeSelf: true, transposeOther: true).transposed()
            }
        case .linear:
            return Case(inputs: [random([2, 3, 5], 38), random([4, 5], 39), random([4], 40), random([3, 5], 41)]) { x in
                x[0].linear(x[1], bias: x[2]).sum(axis: 0) + x[3].linear(x[1])
            }
        case .concatenatedLinear:
            // Three inputs (one of width 1) over two rows, with and without a bias.
            return Case(inputs: [random([2, 3], 42), random([2, 1], 43), random([2, 2], 44), random([4, 6], 45), random([4], 46)]) { x in
                Tensor.linear(concatenating: [x[0], x[1], x[2]], x[3], bias: x[4])
                    + Tensor.linear(concatenating: [x[2], x[0].select(0).reshaped([1, 3]).broadcast(to: [2, 3]), x[1]], x[3])
            }
        case .sum: return Case(inputs: [a]) { $0[0].sum() }
        case .sumAlongAxis:
            return Case(inputs: [random([2, 3, 4], 24)]) { x in
                Tensor.concatenate([x[0].sum(axis: 1).reshaped([-1]), x[0].mean(axis: 0).reshaped([-1]),
                                    x[0].sum(axis: -1, keepingDimension: true).reshaped([-1])])
            }
        case .maxAlongAxis:
            // Distinct values so the maximum is unique and stable under ±h.
            let x = Tensor((0..<24).map { Float(($0 * 7) % 24) * 0.1 }, shape: [2, 3, 4])
            return Case(inputs: [x]) { $0[0].max(axis: 1) }
        case .logsumexp: return Case(inputs: [a * 2]) { $0[0].logsumexp() }
        case .softmax: return Case(inputs: [a * 2]) { $0[0].softmax() }
        case .logSoftmax: return Case(inputs: [a * 2]) { $0[0].logSoftmax() }
        case .reshape: return Case(inputs: [a]) { $0[0].reshaped([2, 6]).squared() }
        case .transpose: return Case(inputs: [random([2, 3, 4], 25)]) { $0[0].transposed() * random([2, 4, 3], 26) }
        case .swapLeadingAxes:
            return Case(inputs: [random([2, 3, 4], 43), random([3, 2], 44)]) { x in
                (x[0].swappingLeadingAxes() * random([3, 2, 4], 45)).sum() + (x[1].swappingLeadingAxes() * random([2, 3], 46)).sum()
            }
        case .slice:
            return Case(inputs: [random([4, 3], 27), random([2, 3, 5], 42)]) { x in
                let pieces = x[1].split([1, 3, 1])
                return x[0].slice(1..<3) + x[0].select(0) + x[1].slice(1..<4, axis: 2).sum(axis: -1)
                    + (pieces[1] * pieces[1]).sum(axis: 0).slice(0..<2) + (pieces[0] * pieces[2]).sum(axis: 0).slice(0..<2)
            }
        case .concatenate: return Case(inputs: [a, random([3, 2], 28)]) { Tensor.concatenate([$0[0], $0[1]], axis: 1) }
        case .broadcast: return Case(inputs: [random([3, 1], 29)]) { $0[0].broadcast(to: [2, 3, 4]) }
        case .gather: return Case(inputs: [a]) { $0[0].gather([3, 0, 2]) }
        case .where:
            let mask = Tensor((0..<12).map { Float($0 % 3 == 0 ? 1 : 0) }, shape: [3, 4])
            return Case(inputs: [a, b]) { Tensor.where(mask, $0[0], $0[1]) }
        case .conv2d:
            return Case(inputs: [random([2, 3, 7, 6], 30), random([4, 3, 3, 2], 31)]) { x in
                x[0].conv2d(x[1], stride: 2, padding: 1)
            }
        case .convTranspose2d:
            return Case(inputs: [random([2, 3, 4, 3], 32), random([3, 2, 4, 3], 33)]) { x in
                x[0].convTranspose2d(x[1], stride: 2, padding: 1, outputPadding: 1)
            }
        case .maxPool2d:
            // IMPALA's pooling (3×3, stride 2, padding 1) on an odd-sized map; random values have no ties.
            return Case(inputs: [random([2, 3, 5, 6], 90) * 3]) { $0[0].maxPool2d(kernel: 3, stride: 2, padding: 1) }
        case .layerNorm: return Case(inputs: [random([3, 6], 34) * 2]) { $0[0].layerNormalized() }
        case .rmsNorm: return Case(inputs: [random([3, 6], 35) * 2]) { $0[0].rmsNormalized() }
        case .gruCell:
            return Case(inputs: [random([2, 9], 43) * 2, random([2, 9], 44) * 2, random([2, 3], 45)]) { x in
                Tensor.gruCell(inputPart: x[0], hiddenPart: x[1], hidden: x[2])
            }
        case .gruScan:
            // T = 3, B = 2, H = 2; sequence 1 resets before step 2. Outputs and final state both checked.
            return Case(inputs: [random([3, 2, 6], 48) * 2, random([6, 2], 49), random([6], 50), random([2, 2], 51)]) { x in
                Tensor.gruScan(projected: x[0], hiddenWeight: x[1], hiddenBias: x[2], hidden: x[3],
                               resets: [false, false, false, false, false, true])
            }
        case .normGRUScan:
            // T = 3, B = 2, H = 4 in G = 2 blocks; sequence 0 resets before step 1. Outputs and final state checked.
            return Case(inputs: [random([3, 2, 12], 73) * 2, random([12, 2], 74), random([12], 75, low: 0.5, high: 1.5),
                                 random([12], 76), random([2, 4], 77)]) { x in
                Tensor.normGRUScan(projected: x[0], hiddenWeight: x[1], gain: x[2], bias: x[3], hidden: x[4],
                                   resets: [false, false, true, false, false, false], epsilon: 1e-3)
            }
        case .lstmScan:
            return Case(inputs: [random([3, 2, 8], 52) * 2, random([8, 2], 53), random([8], 54), random([2, 4], 55)]) { x in
                Tensor.lstmScan(projected: x[0], hiddenWeight: x[1], hiddenBias: x[2], state: x[3],
                                resets: [false, false, false, true, false, false])
            }
        case .lstmCell:
            return Case(inputs: [random([2, 12], 46) * 2, random([2, 6], 47)]) { x in
                Tensor.lstmCell(gates: x[0], state: x[1])
            }
        case .selectiveScan:
            // T = 3, B = 2, E = 2, N = 3; sequence 1 resets before step 1. Outputs and final state checked.
            return Case(inputs: [random([3, 2, 2], 58, low: 0.1, high: 1), random([3, 2, 2], 59), random([3, 2, 3], 60),
                                 random([3, 2, 3], 61), random([2, 3], 62, low: -1.5, high: -0.2), random([2, 6], 63)]) { x in
                Tensor.selectiveScan(delta: x[0], x: x[1], b: x[2], c: x[3], a: x[4], hidden: x[5],
                                     resets: [false, false, false, true, false, false])
            }
        case .causalConvolution:
            // T = 4, B = 2, E = 3, K = 3; sequence 0 resets before step 2. Outputs and final window checked.
            return Case(inputs: [random([4, 2, 3], 69), random([2, 6], 70), random([3, 3], 71), random([3], 72)]) { x in
                Tensor.causalConvolution(x[0], window: x[1], weight: x[2], bias: x[3],
                                         resets: [false, false, false, false, true, false, false, false])
            }
        case .diagonalScan:
            // T = 3, B = 2, N = 2; sequence 0 resets before step 2. States and final state checked.
            return Case(inputs: [random([2], 64, low: 0.3, high: 0.9), random([2], 65, low: -0.4, high: 0.4),
                                 random([3, 2, 2], 66), random([3, 2, 2], 67), random([2, 4], 68)]) { x in
                Tensor.diagonalScan(aReal: x[0], aImaginary: x[1], drivenReal: x[2], drivenImaginary: x[3], hidden: x[4],
                                    resets: [false, false, false, false, true, false])
            }
        case .realTimeRecurrent:
            // s_t = a ⊙ s_{t−1} + x_t over three steps, its gradient with respect
            // to a carried forward as S_t = s_{t−1} + a ⊙ S_{t−1}: the tape must
            // deliver the total derivative of every s_t, as finite differences see it.
            let inputs = random([3, 4], 56)
            return Case(inputs: [random([4], 57)]) { x in
                let a = x[0], av = a.detached.scalars
                var s = [Float](repeating: 0, count: 4), sensitivity = s
                var outputs: [Tensor] = []
                for t in 0..<3 {
                    let xt = inputs.select(t).scalars
                    sensitivity = (0..<4).map { s[$0] + av[$0] * sensitivity[$0] }
                    s = (0..<4).map { av[$0] * s[$0] + xt[$0] }
                    let carried = Tensor(sensitivity)
                    outputs.append(Tensor.realTimeRecurrent(Tensor(s), inputs: [a]) { e in [e * carried] })
                }
                return Tensor.concatenate(outputs)
            }
        }
    }

    @Test(arguments: Operation.allCases)
    func backwardMatchesFiniteDifferences(_ operation: Operation) {
        let c = Self.check(operation)
        // The operation under test must actually be recorded by its check.
        let tape = Tape()
        _ = c.f(c.inputs.map { tape.watch($0) })
        #expect(tape.operations.contains(operation), "the check for \(operation) never records it")

        let report = checkGradients(at: c.inputs, step: c.step, c.f)
        print("gradcheck \(operation): \(report)")
        #expect(report.maxRelativeError < c.tolerance, "\(operation): \(report)")
    }
}

extension Tensor {
    /// Element-wise transform for building test inputs (not differentiable).
    func map(_ transform: (Float) -> Float) -> Tensor {
        Tensor(scalars.map(transform), shape: shape)
    }
}
