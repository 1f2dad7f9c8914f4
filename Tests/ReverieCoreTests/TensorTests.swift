import Testing
import ReverieCore

/// Creation, element access, copy-on-write and layout (reshape, slices,
/// concatenation, transpose), and the indexing operations, by value.
struct TensorTests {
    // MARK: - Creation

    @Test func zerosOnesAndRepeating() {
        let z = Tensor.zeros([2, 3])
        #expect(z.shape == [2, 3] && z.count == 6 && z.rank == 2)
        #expect(z.scalars == [Float](repeating: 0, count: 6))
        #expect(Tensor.ones([4]).scalars == [1, 1, 1, 1])
        #expect(Tensor.zeros(like: Tensor.ones([3, 1, 2])).shape == [3, 1, 2])
        let r = Tensor(repeating: 2.5, shape: [2, 2, 2])
        #expect(r.count == 8 && r.scalars.allSatisfy { $0 == 2.5 })
        let empty = Tensor.zeros([3, 0])
        #expect(empty.count == 0 && empty.scalars.isEmpty)
    }

    @Test func scalarsAndVectors() {
        let s = Tensor(scalar: -3)
        #expect(s.shape == [] && s.rank == 0 && s.count == 1 && s.item == -3)
        let v = Tensor([1, 2, 3])
        #expect(v.shape == [3] && v.scalars == [1, 2, 3])
    }

    @Test func arange() {
        #expect(Tensor.arange(0, 5).scalars == [0, 1, 2, 3, 4])
        #expect(Tensor.arange(2, 3, step: 0.25).scalars == [2, 2.25, 2.5, 2.75])
        #expect(Tensor.arange(5, 0, step: -2).scalars == [5, 3, 1])
        // A partial last step still yields its element, as NumPy's arange does.
        #expect(Tensor.arange(0, 5, step: 2).scalars == [0, 2, 4])
        #expect(Tensor.arange(3, 3).shape == [0])
        #expect(Tensor.arange(3, 1).shape == [0])
    }

    @Test func fromArrayIsRowMajor() {
        let values: [Float] = (0..<24).map { Float($0) * 0.5 - 3 }
        let t = Tensor(values, shape: [2, 3, 4])
        #expect(t.scalars == values)
        for i in 0..<2 {
            for j in 0..<3 {
                for k in 0..<4 { #expect(t[i, j, k] == values[(i * 3 + j) * 4 + k]) }
            }
        }
        let filled = Tensor(shape: [2, 3]) { out in for i in 0..<out.count { out[i] = Float(i * i) } }
        #expect(filled.scalars == [0, 1, 4, 9, 16, 25])
    }

    // MARK: - Reshape and copy-on-write

    @Test func reshapeSharesStorage() {
        let x = Tensor.arange(0, 24).reshaped([2, 3, 4])
        let y = x.reshaped([6, 4])
        #expect(y.shape == [6, 4] && y.scalars == x.scalars)
        #expect(baseAddress(y) == baseAddress(x), "reshape copied its storage")
        #expect(baseAddress(x.reshaped([24])) == baseAddress(x))
    }

    @Test func reshapeInfersOneExtent() {
        let x = Tensor.arange(0, 12)
        #expect(x.reshaped([-1, 4]).shape == [3, 4])
        #expect(x.reshaped([2, -1, 3]).shape == [2, 2, 3])
        #expect(x.reshaped([12, -1]).shape == [12, 1])
        #expect(x.reshaped([-1]).shape == [12])
        #expect(Tensor(scalar: 7).reshaped([-1]).shape == [1])
        #expect(Tensor([7]).reshaped([]).shape == [])
    }

    @Test func mutatingACopyLeavesTheOriginal() {
        let original = Tensor.arange(0, 6).reshaped([2, 3])
        var copy = original
        #expect(baseAddress(copy) == baseAddress(original), "a copy must share storage until written")
        copy[1, 2] = 100
        #expect(copy[1, 2] == 100)
        #expect(original.scalars == [0, 1, 2, 3, 4, 5])
        #expect(baseAddress(copy) != baseAddress(original))

        var writer = original
        writer.withUnsafeMutableBufferPointer { $0[0] = -1 }
        #expect(writer.scalars == [-1, 1, 2, 3, 4, 5])
        #expect(original.scalars == [0, 1, 2, 3, 4, 5])
    }

    @Test func mutatingAReshapedViewLeavesTheOriginal() {
        let x = Tensor.arange(0, 6)
        var y = x.reshaped([3, 2])
        y[0, 1] = 42
        #expect(x.scalars == [0, 1, 2, 3, 4, 5])
        #expect(y.scalars == [0, 42, 2, 3, 4, 5])
    }

    @Test func aUniqueTensorIsWrittenInPlace() {
        var x = Tensor.zeros([1000])
        let before = baseAddress(x)
        x[3] = 1
        x.withUnsafeMutableBufferPointer { $0[4] = 2 }
        #expect(baseAddress(x) == before, "writing a uniquely held tensor copied it")
    }

    // MARK: - Slices and concatenation

    @Test func sliceAndSelectAlongTheFirstAxis() {
        let x = Tensor.arange(0, 24).reshaped([4, 2, 3])
        let s = x.slice(1..<3)
        #expect(s.shape == [2, 2, 3])
        #expect(s.scalars == (6..<18).map(Float.init))
        #expect(x.slice(0..<0).shape == [0, 2, 3])
        #expect(x.slice(0..<4).scalars == x.scalars)

        let row = x.select(3)
        #expect(row.shape == [2, 3] && row.scalars == [18, 19, 20, 21, 22, 23])
        let element = Tensor([5, 6, 7]).select(1)
        #expect(element.shape == [] && element.item == 6)
        let matrixRow = x.select(2).select(1)
        #expect(matrixRow.shape == [3] && matrixRow.scalars == [15, 16, 17])
    }

    @Test func aSliceIsIndependentOfItsSource() {
        let x = Tensor.arange(0, 6).reshaped([3, 2])
        var s = x.slice(1..<2)
        s[0, 0] = -9
        #expect(x.scalars == [0, 1, 2, 3, 4, 5])
    }

    @Test(arguments: [0, 1, 2, -1, -3])
    func concatenateAlongAxis(_ axis: Int) {
        let base = [2, 3, 4]
        let resolved = axis < 0 ? axis + 3 : axis
        let extents = [1, 3, 2]
        let parts = extents.enumerated().map { p, e -> Tensor in
            var shape = base
            shape[resolved] = e
            return randomTensor(shape, seed: UInt64(40 + p))
        }
        let joined = Tensor.concatenate(parts, axis: axis)
        var shape = base
        shape[resolved] = extents.reduce(0, +)
        #expect(joined.shape == shape)

        var expected = [Double](repeating: .nan, count: shape.reduce(1, *))
        for (p, part) in parts.enumerated() {
            let offset = extents[..<p].reduce(0, +)
            for (i, v) in part.scalars.enumerated() {
                var index = multiIndex(i, in: part.shape)
                index[resolved] += offset
                expected[flatOffset(index, in: shape)] = Double(v)
            }
        }
        expectClose(joined, expected, shape: shape, tolerance: 0, "concatenate axis \(axis)")
    }

    @Test func concatenateVectors() {
        #expect(Tensor.concatenate([Tensor([1, 2]), Tensor([3]), Tensor([4, 5, 6])]).scalars == [1, 2, 3, 4, 5, 6])
    }

    // MARK: - Transpose

    @Test(arguments: [[3, 5], [1, 7], [7, 1], [2, 3, 4], [2, 37, 70], [3, 64, 33]])
    func transposeSwapsTheLastTwoAxes(_ shape: [Int]) {
        let x = randomTensor(shape, seed: 50)
        let t = x.transposed()
        var outShape = shape
        outShape.swapAt(shape.count - 2, shape.count - 1)
        var expected = [Double](repeating: .nan, count: x.count)
        for (i, v) in x.scalars.enumerated() {
            var index = multiIndex(i, in: shape)
            index.swapAt(shape.count - 2, shape.count - 1)
            expected[flatOffset(index, in: outShape)] = Double(v)
        }
        expectClose(t, expected, shape: outShape, tolerance: 0, "transpose \(shape)")
        #expect(t.transposed().scalars == x.scalars)
    }

    @Test(arguments: [[3, 5], [1, 7], [7, 1], [2, 3, 4], [4, 3, 2, 5], [16, 64, 33]])
    func swappingLeadingAxesSwapsTheFirstTwo(_ shape: [Int]) {
        let x = randomTensor(shape, seed: 51)
        let t = x.swappingLeadingAxes()
        var outShape = shape
        outShape.swapAt(0, 1)
        var expected = [Double](repeating: .nan, count: x.count)
        for (i, v) in x.scalars.enumerated() {
            var index = multiIndex(i, in: shape)
            index.swapAt(0, 1)
            expected[flatOffset(index, in: outShape)] = Double(v)
        }
        expectClose(t, expected, shape: outShape, tolerance: 0, "swap \(shape)")
        #expect(t.swappingLeadingAxes().scalars == x.scalars)
    }

    // MARK: - Indexing

    @Test func gatherPicksOnePerRow() {
        let x = Tensor.arange(0, 24).reshaped([2, 3, 4])
        let picked = x.gather([3, 0, 2, 1, 1, 0])
        #expect(picked.shape == [2, 3])
        #expect(picked.scalars == [3, 4, 10, 13, 17, 20])
    }

    @Test func oneHot() {
        let h = Tensor.oneHot([2, 0, 1, 2], depth: 3)
        #expect(h.shape == [4, 3])
        #expect(h.scalars == [0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1])
        #expect(Tensor.oneHot([], depth: 5).shape == [0, 5])
    }

    @Test func whereChoosesByMask() {
        let mask = Tensor([1, 0, -2, 0, 0.5, 0], shape: [2, 3])
        let a = Tensor.arange(0, 6).reshaped([2, 3])
        let b = Tensor.arange(10, 16).reshaped([2, 3])
        #expect(Tensor.where(mask, a, b).scalars == [0, 11, 2, 13, 4, 15])
    }

    // MARK: - Comparison helpers

    @Test func closenessHelpers() {
        let a = Tensor([1, 2, 3]), b = Tensor([1, 2.5, 3])
        #expect(a.maxAbsDifference(b) == 0.5)
        #expect(a.isClose(to: a))
        #expect(!a.isClose(to: b))
        #expect(a.isClose(to: b, relative: 0, absolute: 0.5))
        #expect(!a.isClose(to: a.reshaped([3, 1])))
        #expect(!Tensor([.nan]).isClose(to: Tensor([.nan])))
    }

    /// `rewrite` updates in place when the tensor holds its storage alone, and
    /// into fresh storage when it is shared, leaving the other holder's values.
    @Test func rewriteIsInPlaceOnlyWhenUnshared() {
        var a = Tensor([1, 2, 3])
        let before = baseAddress(a)
        a.rewrite { old, new in for i in 0..<3 { new[i] = 2 * old[i] } }
        #expect(a.scalars == [2, 4, 6] && baseAddress(a) == before)
        let shared = a
        a.rewrite { old, new in for i in 0..<3 { new[i] = old[i] + 1 } }
        #expect(a.scalars == [3, 5, 7] && shared.scalars == [2, 4, 6])
        #expect(baseAddress(a) != baseAddress(shared))
    }
}
