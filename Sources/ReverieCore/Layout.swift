// MARK: - Shape and layout: reshape, transpose, slices, concatenation

extension Tensor {
    /// The same elements under a new shape (no copy). One extent may be −1 and
    /// is inferred.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var newShape = newShape
        if let hole = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != hole }.map(\.element).reduce(1, *)
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            newShape[hole] = count / known
        }
        precondition(newShape.reduce(1, *) == count, "cannot reshape \(shape) (\(count) elements) to \(newShape)")
        if newShape == shape { return self }
        let out = Tensor(shape: newShape, storage: storage)
        return recorded(.reshape, out, self, backward: { [shape] g in [g.reshaped(shape)] })
    }

    /// Swaps the last two axes: (…, M, N) → (…, N, M). Copies; matmul takes
    /// transpose flags instead.
    public func transposed() -> Tensor {
        precondition(rank >= 2, "transposed needs at least 2 axes, got \(shape)")
        let m = shape[rank - 2], n = shape[rank - 1]
        let batch = count / Swift.max(m * n, 1)
        var outShape = shape
        outShape.swapAt(rank - 2, rank - 1)
        let src = storage.pointer
        let out = Tensor(shape: outShape) { dst in
            for b in 0..<batch {
                let s = src + b * m * n, d = dst.baseAddress! + b * m * n
                // Blocked so both reads and writes stay in cache.
                let block = 32
                for i0 in stride(from: 0, to: m, by: block) {
                    for j0 in stride(from: 0, to: n, by: block) {
                        for i in i0..<min(i0 + block, m) {
                            for j in j0..<min(j0 + block, n) { d[j * m + i] = s[i * n + j] }
                        }
                    }
                }
            }
        }
        return recorded(.transpose, out, self, backward: { g in [g.transposed()] })
    }

    /// Swaps the first two axes: (A, B, …) → (B, A, …), e.g. batch-major
    /// sequences to time-major. Each trailing block is copied whole.
    public func swappingLeadingAxes() -> Tensor {
        precondition(rank >= 2, "swappingLeadingAxes needs at least 2 axes, got \(shape)")
        let (a, b) = (shape[0], shape[1]), block = count / Swift.max(a * b, 1)
        var outShape = shape
        outShape.swapAt(0, 1)
        let src = storage.pointer
        let out = Tensor(shape: outShape) { dst in
            for i in 0..<a {
                for j in 0..<b { (dst.baseAddress! + (j * a + i) * block).update(from: src + (i * b + j) * block, count: block) }
            }
        }
        return recorded(.swapLeadingAxes, out, self, backward: { g in [g.swappingLeadingAxes()] })
    }

    /// Entries `range` of `axis` (the first by default; negative counts from
    /// the end): `x.slice(0..<h, axis: -1)` is the first h columns.
    public func slice(_ range: Range<Int>, axis: Int = 0) -> Tensor {
        let axis = axis < 0 ? axis + rank : axis
        precondition(axis >= 0 && axis < rank && range.lowerBound >= 0 && range.upperBound <= shape[axis],
                     "slice \(range) along axis \(axis) out of bounds for shape \(shape)")
        // The tensor as (outer, extent, inner): a slice copies `outer` runs of range.count·inner.
        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
        let extent = shape[axis], run = range.count * inner, skip = range.lowerBound * inner
        var outShape = shape
        outShape[axis] = range.count
        let src = storage.pointer
        let out = Tensor(shape: outShape) { dst in
            for o in 0..<outer {
                (dst.baseAddress! + o * run).update(from: src + o * extent * inner + skip, count: run)
            }
        }
        // Leading rows are one contiguous block: the tape adds their gradient in place.
        if outer == 1 { return recordedBlock(.slice, out, of: self, elements: skip..<(skip + run)) }
        return recorded(.slice, out, self, backward: { [shape] g in
            var full = Tensor.zeros(shape)
            full.withUnsafeMutableBufferPointer { d in
                let pg = g.storage.pointer
                for o in 0..<outer {
                    (d.baseAddress! + o * extent * inner + skip).update(from: pg + o * run, count: run)
                }
            }
            return [full]
        })
    }

    /// Consecutive pieces of `axis` with the given extents, which must add up
    /// to the axis (a fused gate pre-activation split into its gates).
    public func split(_ extents: [Int], axis: Int = -1) -> [Tensor] {
        let a = axis < 0 ? axis + rank : axis
        precondition(extents.reduce(0, +) == shape[a], "split \(extents) does not add up to axis \(a) of \(shape)")
        var start = 0
        return extents.map { e in
            defer { start += e }
            return slice(start..<(start + e), axis: a)
        }
    }

    /// Entry `index` of the first axis, with that axis removed.
    public func select(_ index: Int) -> Tensor {
        slice(index..<(index + 1)).reshaped(Array(shape.dropFirst()))
    }

    /// Joins tensors along `axis`; all other extents must agree.
    public static func concatenate(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        precondition(!tensors.isEmpty, "concatenate needs at least one tensor")
        let first = tensors[0].shape
        let axis = axis < 0 ? axis + first.count : axis
        precondition(axis >= 0 && axis < first.count, "axis \(axis) out of range for shape \(first)")
        for t in tensors {
            precondition(
                t.rank == first.count && zip(t.shape, first).enumerated().allSatisfy { $0.offset == axis || $0.element.0 == $0.element.1 },
                "cannot concatenate shapes \(tensors.map(\.shape)) along axis \(axis)")
        }
        let outer = first[..<axis].reduce(1, *)
        let inner = first[(axis + 1)...].reduce(1, *)
        let extents = tensors.map { $0.shape[axis] }
        var outShape = first
        outShape[axis] = extents.reduce(0, +)
        let total = outShape[axis]
        let out = Tensor(shape: outShape) { dst in
            var offset = 0
            for (t, e) in zip(tensors, extents) {
                let src = t.storage.pointer, chunk = e * inner
                for o in 0..<outer {
                    (dst.baseAddress! + (o * total + offset) * inner).update(from: src + o * chunk, count: chunk)
                }
                offset += e
            }
        }
        return recorded(.concatenate, out, inputs: tensors, backward: { g in
            var offset = 0
            return zip(tensors, extents).map { t, e in
                let src = g.storage.pointer, chunk = e * inner
                let piece = Tensor(shape: t.shape) { dst in
                    for o in 0..<outer {
                        (dst.baseAddress! + o * chunk).update(from: src + (o * total + offset) * inner, count: chunk)
                    }
                }
                offset += e
                return piece
            }
        })
    }
}
