import CBLAS
import CGemm

// MARK: - Matrix products (our kernel or cblas_sgemm, see ProductKernel)
//
// Transposes are BLAS flags, never copies. The backward rules are themselves
// GEMMs with flags: for C = op(A)·op(B),
//   ∂A = ∂C·op(B)ᵀ (or op(B)·∂Cᵀ when A is transposed), and likewise for B.

/// C (m×n) = α·op(A)·op(B) + β·C over raw row-major buffers.
@inline(__always)
func sgemm(
    _ a: UnsafePointer<Float>, transposeA: Bool, _ b: UnsafePointer<Float>, transposeB: Bool,
    _ c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0
) {
    cblasGemm(a, lda: transposeA ? m : k, transposeA: transposeA, b, ldb: transposeB ? k : n, transposeB: transposeB,
              c, ldc: n, m: m, n: n, k: k, alpha: alpha, beta: beta)
}

/// `sgemm` with explicit row strides (leading dimensions), for operands that
/// are column blocks of wider rows. Products of at least
/// `Parallel.productThreshold` multiply-adds are split over the workers by
/// rows of C (or columns, when C is wider than tall), each piece one
/// single-threaded call of the `ProductKernel` in use.
@inline(__always)
func cblasGemm(
    _ a: UnsafePointer<Float>, lda: Int, transposeA: Bool, _ b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
    _ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0,
    oneRowThroughGemv: Bool = ProductKernel.oneRowThroughGemv
) {
    func product(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, m: Int, n: Int) {
        if ProductKernel.current == .reverie,
           reverie_sgemm(transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) != 0 {
            return
        }
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
    ProductCounter.add(m: m, n: n, k: k)
    // Read first: it stops OpenBLAS's own threads, which would otherwise spin in sgemv.
    let workers = Parallel.workers
    if m == 1 && oneRowThroughGemv {
        // One row of C is a matrix-vector product: sgemm would repack op(B)
        // for it, which for a (K, N) weight costs more than the product.
        if beta == 0 { c.update(repeating: 0, count: n) }  // sgemv may scale what C holds, NaN included
        if transposeB {  // C = x·Bᵀ with B (N, K): C = B·x
            cblas_sgemv(CblasRowMajor, CblasNoTrans, blasint(n), blasint(k), alpha, b, blasint(ldb),
                        a, blasint(transposeA ? lda : 1), beta, c, 1)
        } else {  // C = x·B with B (K, N): C = Bᵀ·x
            cblas_sgemv(CblasRowMajor, CblasTrans, blasint(k), blasint(n), alpha, b, blasint(ldb),
                        a, blasint(transposeA ? lda : 1), beta, c, 1)
        }
        return
    }
    if k == 1 {
        // An outer product: C[i, j] = α·a_i·b_j + β·C[i, j], written directly
        // (sgemm would make a pass of its own over C for β first).
        let incA = transposeA ? 1 : lda, incB = transposeB ? ldb : 1
        for i in 0..<m {
            let row = c + i * ldc, ai = alpha * a[i * incA]
            if beta == 0 {
                for j in 0..<n { row[j] = ai * b[j * incB] }
            } else if beta == 1 {
                for j in 0..<n { row[j] += ai * b[j * incB] }
            } else {
                for j in 0..<n { row[j] = ai * b[j * incB] + beta * row[j] }
            }
        }
        return
    }
    guard workers > 1, m &* n &* k >= Parallel.productThreshold else {
        return product(a, b, c, m: m, n: n)
    }
    if m >= n {
        // Rows i of C read row i of op(A): row i of A, or column i of a transposed A.
        Parallel.chunks(m) { _, rows in
            let i = rows.lowerBound
            product(transposeA ? a + i : a + i * lda, b, c + i * ldc, m: rows.count, n: n)
        }
    } else {
        // Columns j of C read column j of op(B): column j of B, or row j of a transposed B.
        Parallel.chunks(n) { _, columns in
            let j = columns.lowerBound
            product(a, transposeB ? b + j * ldb : b + j, c + j, m: m, n: columns.count)
        }
    }
}

extension Tensor {
    /// Matrix product of the last two axes: (…, M, K) · (…, K, N) → (…, M, N).
    ///
    /// `self` is (M, K) or (B, M, K); `other` is (K, N) or (B, K, N). A 2-D
    /// `other` is shared by every batch entry (a linear layer); a 3-D `self`
    /// with a 2-D `other` is one GEMM over all B·M rows. The transpose flags
    /// read an operand's last two axes swapped, without copying.
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) -> Tensor {
        precondition(rank == 2 || rank == 3, "matmul needs a 2-D or 3-D left operand, got \(shape)")
        precondition(other.rank == 2 || other.rank == 3, "matmul needs a 2-D or 3-D right operand, got \(other.shape)")
        let batch = rank == 3 ? shape[0] : 1
        if other.rank == 3 {
            precondition(rank == 3 && other.shape[0] == batch, "batched matmul needs equal batches: \(shape) · \(other.shape)")
        }
        precondition(
            !(transposeSelf && rank == 3 && other.rank == 2),
            "a transposed 3-D left operand needs a 3-D right operand")
        let (r0, r1) = (shape[rank - 2], shape[rank - 1])
        let (s0, s1) = (other.shape[other.rank - 2], other.shape[other.rank - 1])
        let (m, k) = transposeSelf ? (r1, r0) : (r0, r1)
        let (k2, n) = transposeOther ? (s1, s0) : (s0, s1)
        precondition(k == k2, "matmul inner extents differ: \(shape)\(transposeSelf ? "ᵀ" : "") · \(other.shape)\(transposeOther ? "ᵀ" : "")")

        let pa = storage.pointer, pb = other.storage.pointer
        let outShape = rank == 3 ? [batch, m, n] : [m, n]
        let out: Tensor
        if other.rank == 2 && !transposeSelf {
            // One GEMM over all batch·M rows.
            out = Tensor(shape: outShape) { c in
                sgemm(pa, transposeA: false, pb, transposeB: transposeOther, c.baseAddress!, m: batch * m, n: n, k: k)
            }
        } else {
            let strideB = other.rank == 3 ? k * n : 0
            out = Tensor(shape: outShape) { c in
                for i in 0..<batch {
                    sgemm(pa + i * m * k, transposeA: transposeSelf, pb + i * strideB, transposeB: transposeOther,
                          c.baseAddress! + i * m * n, m: m, n: n, k: k)
                }
            }
        }
        return recorded(rank == 3 ? .batchedMatmul : .matmul, out, self, other, backward: { [self, other] g in
            // C = A·B:    ∂A = G·Bᵀ,     ∂B = Aᵀ·G
            // C = Aᵀ·B:   ∂A = B·Gᵀ,     ∂B = A·G
            // C = A·Bᵀ:   ∂A = G·B,      ∂B = Gᵀ·A
            // C = Aᵀ·Bᵀ:  ∂A = Bᵀ·Gᵀ,    ∂B = Gᵀ·Aᵀ
            let a = self.detached, b = other.detached
            let ga = transposeSelf
                ? b.matmul(g, transposeSelf: transposeOther, transposeOther: true)
                : g.matmul(b, transposeSelf: false, transposeOther: !transposeOther)
            let gb: Tensor
            if other.rank == 2 && a.rank == 3 {
                // A weight shared by the batch: one GEMM over all batch·M rows.
                let a2 = a.reshaped([batch * m, k]), g2 = g.reshaped([batch * m, n])
                gb = transposeOther ? g2.matmul(a2, transposeSelf: true) : a2.matmul(g2, transposeSelf: true)
            } else {
                gb = transposeOther
                    ? g.matmul(a, transposeSelf: true, transposeOther: transposeSelf)
                    : a.matmul(g, transposeSelf: !transposeSelf, transposeOther: false)
            }
            return [ga, gb]
        })
    }
}

extension Tensor {
    /// x·Wᵀ + b in one GEMM (PyTorch's `F.linear`): the bias is written into
    /// the output first and the product added onto it (β = 1).
    /// - Parameters:
    ///   - self: (…, in) with any number of leading axes.
    ///   - weight: (out, in).
    ///   - bias: (out), or nil.
    /// - Returns: (…, out).
    public func linear(_ weight: Tensor, bias: Tensor? = nil) -> Tensor {
        Tensor.linear(of: [self], weight, bias: bias, operation: .linear)
    }

    /// [x₁ … xₙ]·Wᵀ + b as one operation: the same floats as concatenating
    /// and then `linear`, but the backward computes the gradient of only the
    /// inputs on the tape, each from its block of W's columns, so a layer that
    /// reads an observation beside a state (eLSTM's output gate, an RSSM's
    /// [z, a]) pays nothing for the observation's.
    /// - Parameters:
    ///   - inputs: (…, d_k) each, with the same leading axes.
    ///   - weight: (out, Σ d_k), its columns in the order of `inputs`.
    ///   - bias: (out), or nil.
    /// - Returns: (…, out), as `Tensor.concatenate(inputs, axis: -1).linear(weight, bias: bias)`.
    public static func linear(concatenating inputs: [Tensor], _ weight: Tensor, bias: Tensor? = nil) -> Tensor {
        linear(of: inputs, weight, bias: bias, operation: .concatenatedLinear)
    }

    /// Both of the above: input k reads columns offset_k ..< offset_k + d_k of W.
    private static func linear(of parts: [Tensor], _ weight: Tensor, bias: Tensor?, operation: Operation) -> Tensor {
        precondition(!parts.isEmpty, "linear needs an input")
        let widths = parts.map { $0.shape.last ?? 1 }, inFeatures = widths.reduce(0, +)
        precondition(weight.rank == 2 && weight.shape[1] == inFeatures,
                     "linear: inputs \(parts.map(\.shape)) do not match weight (out, in) = \(weight.shape)")
        let leading = Array(parts[0].shape.dropLast())
        for part in parts {
            precondition(Array(part.shape.dropLast()) == leading, "linear: inputs \(parts.map(\.shape)) differ in leading axes")
        }
        let outFeatures = weight.shape[0]
        let rows = leading.reduce(1, *)
        let offsets = widths.indices.map { widths[..<$0].reduce(0, +) }
        if let bias { precondition(bias.shape == [outFeatures], "linear: bias \(bias.shape) for \(outFeatures) outputs") }
        // The inputs side by side, (rows, in): one product forward and one for ∂W
        // (a product per block would sum in a different order, and run slower).
        let joined = parts.count == 1 ? parts[0] : Tensor.concatenate(parts.map(\.detached), axis: -1)
        let px = joined.storage.pointer, pw = weight.storage.pointer
        let out = Tensor(shape: leading + [outFeatures]) { y in
            let py = y.baseAddress!
            if let bias {
                let pb = bias.storage.pointer
                for r in 0..<rows { (py + r * outFeatures).update(from: pb, count: outFeatures) }
            }
            sgemm(px, transposeA: false, pw, transposeB: true, py, m: rows, n: outFeatures, k: inFeatures,
                  beta: bias == nil ? 0 : 1)
        }
        let inputs = parts + [weight] + (bias.map { [$0] } ?? [])
        let w = parts.count, b = parts.count + 1
        // The closure holds the inputs and W themselves: their storage must outlive the
        // forward pass (an input may be a temporary, such as a recurrent cell's first state).
        // Inputs that are data (observations), not on the tape, need no gradient: skip their products.
        return recordedInPlace(operation, out, inputs: inputs, backward: { [joined, weight] g, gradients in
            let pg = g.storage.pointer, px = joined.storage.pointer, pw = weight.storage.pointer
            // ∂x_k = G·W[:, block k] (rows, d_k);  ∂W = Gᵀ·[x₁ … xₙ] (out, in);  ∂b = Σ_rows G
            for k in widths.indices where gradients.wants(k) {
                gradients.add(Tensor(shape: leading + [widths[k]]) { d in
                    guard widths[k] > 0 else { return }  // BLAS takes no zero-width output
                    cblasGemm(pg, lda: outFeatures, transposeA: false, pw + offsets[k], ldb: inFeatures, transposeB: false,
                              d.baseAddress!, ldc: widths[k], m: rows, n: widths[k], k: outFeatures)
                }, into: k)
            }
            // ∂W (β = 0 writes, β = 1 adds), over all rows.
            func weightGradient(_ d: UnsafeMutableBufferPointer<Float>, beta: Float) {
                sgemm(pg, transposeA: true, px, transposeB: false, d.baseAddress!, m: outFeatures, n: inFeatures, k: rows,
                      beta: beta)
            }
            func biasGradient(_ d: UnsafeMutableBufferPointer<Float>, isEmpty: Bool) {
                if isEmpty { d.initialize(repeating: 0) }
                for r in 0..<rows {
                    let row = pg + r * outFeatures
                    for j in 0..<outFeatures { d[j] += row[j] }
                }
            }
            // One row (online learning, one sequence): ∂W is an outer product,
            // added straight into W's gradient (β = 1) — the same floats as
            // adding a fresh product. Over many rows a GEMM may sum them in
            // blocks into C, which would reorder the additions: there ∂W is
            // formed first and then added.
            if gradients.wants(w) {
                if rows == 1 {
                    gradients.add(into: w, shape: [outFeatures, inFeatures]) { weightGradient($0, beta: $1 ? 0 : 1) }
                } else {
                    gradients.add(Tensor(shape: [outFeatures, inFeatures]) { weightGradient($0, beta: 0) }, into: w)
                }
            }
            guard bias != nil, gradients.wants(b) else { return }
            if rows == 1 {
                gradients.add(into: b, shape: [outFeatures]) { biasGradient($0, isEmpty: $1) }
            } else {
                gradients.add(Tensor(shape: [outFeatures]) { biasGradient($0, isEmpty: true) }, into: b)
            }
        })
    }
}
