import Testing
import ReverieCore

/// Semantics of the reverse-mode tape: accumulation, parameters, what is and
/// is not recorded, detaching, lifetimes.
struct TapeTests {
    // MARK: - Accumulation

    @Test func aValueUsedTwiceAccumulates() {
        let tape = Tape()
        let x = tape.watch(Tensor([-2, 0.5, 3]))
        // d/dx (x·x + x) = 2x + 1: three uses of x, one gradient.
        let g = tape.gradients(of: (x * x + x).sum(), wrt: [x])[0]
        #expect(g.scalars == [-3, 2, 7])
    }

    @Test func aValueUsedAcrossOperationsAccumulates() {
        let tape = Tape()
        let x = tape.watch(Tensor([1, 2, -1, 0.5], shape: [2, 2]))
        // d/dx Σ(x³ + x·rowsum(x)) = 3x² + rowsum(x) + Σ_row x
        let y = (x * x * x + x * x.sum(axis: 1, keepingDimension: true)).sum()
        let g = tape.gradients(of: y, wrt: [x])[0]
        expectClose(g, [3 + 3 + 3, 12 + 3 + 3, 3 - 0.5 - 0.5, 0.75 - 0.5 - 0.5], shape: [2, 2], "x³ + x·rowsum(x)")
    }

    @Test func aParameterUsedTwiceGetsOneSummedGradient() {
        let p = Parameter(Tensor([1, -2, 0.5]))
        let (value, grads) = valueWithGradients(wrt: [p]) {
            (p.value * 3 + p.value.squared()).sum()
        }
        #expect(value == 3 * -0.5 + (1 + 4 + 0.25))
        #expect(grads.count == 1)
        #expect(grads[0].scalars == [5, -1, 4])

        let tape = Tape()
        let leaves = tape.recording { [p.value, p.value] }
        #expect(tape.count == 1, "a parameter read twice must be one leaf")
        #expect(leaves[0].isRecorded && leaves[1].isRecorded)
    }

    @Test func gradientsOfANonScalarUseTheSeed() {
        let tape = Tape()
        let x = tape.watch(Tensor([1, 2, 3]))
        let g = tape.gradients(of: x.squared(), seed: Tensor([1, 0, -1]), wrt: [x])[0]
        #expect(g.scalars == [2, 0, -6])
    }

    /// The gradient with respect to an intermediate value (not a leaf) is its
    /// full adjoint, as for a leaf.
    @Test func gradientsWithRespectToIntermediateValues() {
        let tape = Tape()
        let x = tape.watch(Tensor([1, -2, 3]))
        let h = x * 2
        let y = (h * h).sum()
        let g = tape.gradients(of: y, wrt: [h, x])
        #expect(g[0].scalars == [4, -8, 12], "∂y/∂h = 2h")
        #expect(g[1].scalars == [8, -16, 24], "∂y/∂x = 8x")
    }

    // MARK: - What is recorded

    @Test func operationsWithoutRecordedInputsRecordNothing() {
        let tape = Tape()
        let leaf = tape.watch(Tensor([1, 2]))
        #expect(tape.count == 1)
        let p = Parameter(randomTensor([3, 4], seed: 1))
        let x = randomTensor([2, 3], seed: 2)
        // Plain values, inside and outside `recording`: no mode to switch.
        let outside = (x.matmul(p.value).relu().softmax() + 1).sum()
        let inside = tape.recording { (x.matmul(x, transposeOther: true).tanh() * 2).mean() }
        #expect(tape.count == 1, "unrecorded inputs added \(tape.count - 1) records")
        #expect(!outside.isRecorded && !inside.isRecorded && !p.value.isRecorded)
        #expect(leaf.isRecorded)
    }

    @Test func operationsOnRecordedInputsRecordOnce() {
        let tape = Tape()
        let x = tape.watch(Tensor([1, 2, 3]))
        _ = (x * 2 + x).sum()
        #expect(tape.operations == [.affine, .add, .sum])
        #expect(tape.count == 4)
    }

    @Test func backwardRecordsNothing() {
        let tape = Tape()
        let x = tape.watch(randomTensor([3, 4], seed: 3))
        let w = tape.watch(randomTensor([4, 2], seed: 4))
        let loss = (x.matmul(w).tanh().softmax().log() * x.sum(axis: 1, keepingDimension: true)).mean()
        let recorded = tape.count
        let first = tape.gradients(of: loss, wrt: [x, w])
        #expect(tape.count == recorded, "backward added \(tape.count - recorded) records")
        #expect(first.allSatisfy { !$0.isRecorded })
        let second = tape.gradients(of: loss, wrt: [x, w])
        #expect(tape.count == recorded)
        #expect(first[0].scalars == second[0].scalars && first[1].scalars == second[1].scalars,
                "a second backward pass gives different gradients")

        // Even a seed that is itself on the tape runs through the backward
        // rules as a plain value.
        let y = x.matmul(w)
        let seed = y * 0.5
        let withSeed = tape.count
        let g = tape.gradients(of: y, seed: seed, wrt: [x])[0]
        #expect(tape.count == withSeed, "a recorded seed added \(tape.count - withSeed) records")
        #expect(!g.isRecorded)
    }

    @Test func detachedStopsGradients() {
        let tape = Tape()
        let x = tape.watch(Tensor([2, -3]))
        let constant = x.detached
        #expect(!constant.isRecorded && x.isRecorded)
        #expect(constant.scalars == x.scalars)
        // d/dx (x · stop(x)) = stop(x), not 2x.
        let g = tape.gradients(of: (x * constant).sum(), wrt: [x])[0]
        #expect(g.scalars == [2, -3])
        let none = tape.gradients(of: (constant * constant).sum(), wrt: [x])[0]
        #expect(none.scalars == [0, 0])
    }

    @Test func writingARecordedValueDetachesIt() {
        let tape = Tape()
        let x = tape.watch(Tensor([1, 2, 3]))
        var y = x * 2
        #expect(y.isRecorded)
        y[0] = 10
        #expect(!y.isRecorded)
        #expect(tape.gradients(of: y.sum(), wrt: [x])[0].scalars == [0, 0, 0])
    }

    @Test func valueWithGradientsGivesZerosForUnusedParameters() {
        let used = Parameter(Tensor([1, 2]))
        let unused = Parameter(Tensor.ones([2, 3]))
        let (value, grads) = valueWithGradients(wrt: [used, unused]) { used.value.squared().sum() }
        #expect(value == 5)
        #expect(grads[0].scalars == [2, 4])
        #expect(grads[1].shape == [2, 3] && grads[1].scalars.allSatisfy { $0 == 0 })
    }

    @Test func currentTapeOnlyWhileRecording() {
        let tape = Tape()
        #expect(Tape.current == nil)
        let inside = tape.recording { Tape.current }
        #expect(inside === tape)
        #expect(Tape.current == nil)
        let p = Parameter(Tensor([1]))
        #expect(!p.value.isRecorded)
        #expect(tape.recording { p.value.isRecorded })
    }

    // MARK: - Parameters

    @Test func assigningAParameterStoresItDetached() {
        let p = Parameter(Tensor([1, 2]))
        let tape = Tape()
        p.storedValue = tape.watch(Tensor([3, 4]))
        #expect(!p.storedValue.isRecorded)
        #expect(p.storedValue.scalars == [3, 4])
    }

    /// An optimizer step must not copy every parameter on every update.
    @Test func parameterUpdatesWriteInPlace() {
        let p = Parameter(Tensor.zeros([1000]))
        let before = baseAddress(p.storedValue)
        p.update { $0[0] = 1 }
        #expect(p.storedValue[0] == 1)
        #expect(baseAddress(p.storedValue) == before, "update copied the parameter's storage")
    }

    /// While a tape holds a parameter's leaf, updating the parameter leaves the
    /// recorded value (and so the gradient) as it was in the forward pass.
    @Test func parameterUpdatesDoNotChangeRecordedValues() {
        let p = Parameter(Tensor([1, 2, 3]))
        let tape = Tape()
        let loss = tape.recording { (p.value * p.value).sum() }
        p.update { for i in $0.indices { $0[i] = 100 } }
        #expect(p.storedValue.scalars == [100, 100, 100])
        #expect(tape.gradients(of: loss, wrt: [p])[0].scalars == [2, 4, 6])
    }

    // MARK: - Lifetimes

    @Test func tapesAreFreedAfterUse() {
        weak var weakTape: Tape?
        let p = Parameter(randomTensor([4, 4], seed: 5))
        var kept = Tensor.zeros([1])
        do {
            let tape = Tape()
            weakTape = tape
            let x = tape.watch(randomTensor([3, 4], seed: 6))
            let loss = tape.recording { (x.matmul(p.value).tanh() * x.matmul(p.value)).sum() }
            _ = tape.gradients(of: loss, wrt: [p])
            kept = loss
        }
        #expect(weakTape == nil, "a tape outlived its scope (retain cycle)")
        #expect(!kept.isRecorded)
        #expect(!p.storedValue.isRecorded && !p.value.isRecorded)
    }

    @Test func valueWithGradientsLeavesNoTapeBehind() {
        let p = Parameter(randomTensor([3], seed: 7))
        let (_, grads) = valueWithGradients(wrt: [p]) { (p.value * p.value).sum() }
        #expect(!grads[0].isRecorded)
        #expect(Tape.current == nil)
        #expect(!p.value.isRecorded)
    }

    /// A backward rule runs long after its forward call returned; whatever it
    /// reads must be kept alive by the rule itself, not by the caller. Each case
    /// passes one input as a temporary, lets its memory be reused, and compares
    /// the gradient with the same computation on an input the caller keeps.
    @Test(arguments: ["where", "conv2d", "convTranspose2d"])
    func backwardRulesKeepTheirInputsAlive(_ operation: String) {
        let shape = operation == "where" ? [64, 64] : [2, 3, 16, 16]
        // The input passed as a temporary: the mask of `where`, the image of a convolution.
        func makeInput() -> Tensor {
            operation == "where"
                ? Tensor((0..<shape.reduce(1, *)).map { Float($0 % 3 == 0 ? 1 : 0) }, shape: shape)
                : randomTensor(shape, seed: 8)
        }
        func gradient(temporary: Bool) -> [Float] {
            let kept = makeInput()
            let tape = Tape()
            let otherShape = ["where": shape, "conv2d": [2, 3, 3, 3], "convTranspose2d": [3, 2, 3, 3]][operation]!
            let other = tape.watch(randomTensor(otherShape, seed: 9))
            let y = switch operation {
            case "where": Tensor.where(temporary ? makeInput() : kept, other, other * 2)
            case "conv2d": tape.watch(temporary ? makeInput() : kept).conv2d(other, stride: 1, padding: 1)
            default: tape.watch(temporary ? makeInput() : kept).convTranspose2d(other, stride: 2, padding: 1)
            }
            // Same-sized allocations that land in freed memory.
            let clobber = (0..<16).map { _ in Tensor(repeating: 1000, shape: shape) }
            let g = tape.gradients(of: y, seed: randomTensor(y.shape, seed: 10), wrt: [other])[0]
            withExtendedLifetime((clobber, kept)) {}
            return g.scalars
        }
        let alive = gradient(temporary: false), temporary = gradient(temporary: true)
        let worst = zip(alive, temporary).map { Swift.abs($0 - $1) }.max() ?? 0
        #expect(worst == 0, "\(operation): gradient changed by \(worst) once an input's memory was reused")
    }

    // MARK: - Accumulating into sums

    /// `accumulateGradients` adds each parameter's gradient into its sum in
    /// place: the same floats as `gradients` added to the sums, for linear
    /// layers over one row (whose ∂W and ∂b go straight into the sums) and
    /// over several; a parameter used twice gets both uses, up to the order
    /// of the additions.
    @Test func accumulatedGradientsAreAddedIntoTheSums() {
        let w1 = Parameter(randomTensor([5, 4], seed: 1)), b1 = Parameter(randomTensor([5], seed: 2))
        let w2 = Parameter(randomTensor([3, 5], seed: 3)), shared = Parameter(randomTensor([3], seed: 4))
        let parameters = [w1, b1, w2, shared]
        for rows in [1, 4] {
            let x = randomTensor([rows, 4], seed: 5)
            func loss() -> Tensor {
                let h = x.linear(w1.value, bias: b1.value).tanh()
                return (h.linear(w2.value, bias: shared.value) * shared.value).sum()
            }
            let sums = parameters.map { randomTensor($0.shape, seed: UInt64(10 + $0.shape.count)) }
            let tape = Tape()
            let fresh = tape.gradients(of: tape.recording(loss), wrt: parameters)
            let other = Tape()
            var accumulated = sums
            other.accumulateGradients(of: other.recording(loss), wrt: parameters, into: &accumulated)
            for k in 0..<3 {
                #expect(accumulated[k].scalars == (sums[k] + fresh[k]).scalars, "parameter \(k), \(rows) rows")
            }
            expectClose(accumulated[3], sums[3] + fresh[3], "the parameter used twice, \(rows) rows")
            #expect(fresh.allSatisfy { $0.scalars.contains { $0 != 0 } })
            // The caller's copy of the sums is left as it was.
            #expect(sums[0].scalars != accumulated[0].scalars)
        }
    }
}
