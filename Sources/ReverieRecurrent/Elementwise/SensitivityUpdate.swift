import ReverieCore

extension DiagonalRTRL {
    /// One step's sensitivity update, S_t = a_t ⊙ S_{t−1} + d_t ⊗ v_t part by
    /// part, decided by the step and carried out when S_t is first needed.
    ///
    /// An online learner takes the gradient right after the step: ∂L/∂s_t
    /// contracted with S_t. Done then, the update and the contraction are one
    /// pass over S (`contract` reads S_{t−1}, writes S_t, and adds e·S_t into
    /// the gradient), where an update made at the step would read and write S
    /// and the contraction read it again: a fifth less memory traffic in the
    /// largest loop of the learning step. Whatever needs S_t before that (the
    /// next step, a checkpoint, a tape that backpropagates later) settles the
    /// part first (`values`), and the contraction then only reads it.
    ///
    /// The same floats either way: both paths compute S_t[b, r, j] with the
    /// same expression and contract it in the same order.
    ///
    /// Shared by copies of a `Sensitivities` and by the tape's backward rule;
    /// settling changes how S_t is held, never what it is. A part is updated
    /// in place only where nothing outside this update holds its storage
    /// (`Tensor.rewrite`), so a tape that still contracts S_{t−1} keeps it.
    final class Update {
        /// One part's local term: coefficients d (B·R) and the input v (B, J),
        /// or none (v = 1, a bias-like parameter).
        struct Term {
            let coefficients: [Float]
            let input: Tensor?
        }

        /// N, the number of units.
        let units: Int
        /// a_t, B·N values.
        let decay: [Float]
        let terms: [Term]
        /// S_{t−1} for the parts not yet updated, S_t for the others.
        private var parts: [Tensor]
        private var isUpdated: [Bool]

        init(units: Int, decay: [Float], terms: [Term], previous: [Tensor]) {
            precondition(terms.count == previous.count, "\(terms.count) local terms for \(previous.count) sensitivities")
            self.units = units
            self.decay = decay
            self.terms = terms
            parts = previous
            isUpdated = Array(repeating: false, count: previous.count)
        }

        /// B, the number of sequences.
        var batch: Int { parts.first?.shape[0] ?? 0 }

        /// S_t, every part.
        func values() -> [Tensor] {
            for k in parts.indices { settle(k) }
            return parts
        }

        /// Updates part k now if it is still pending.
        private func settle(_ k: Int) {
            guard !isUpdated[k] else { return }
            let layout = layout(k)
            rewrite(k) { old, out in
                update(k, layout, old: old, out: out) { _, _, _ in }
            }
        }

        /// g[r, j…] (+)= Σ_b e[b, r mod N] · S_t[b, r, j…]: the gradient of a
        /// loss with ∂L/∂s_t = e (B, N) for part k's parameter, written into g
        /// when `isEmpty`, else added to it. A part still pending is updated in
        /// the same pass. Over B > 1 each row's sum over the sequences is formed
        /// first and then added, so the result is the same floats as adding a
        /// separately computed gradient.
        func contract(_ k: Int, _ e: UnsafeBufferPointer<Float>, into g: UnsafeMutableBufferPointer<Float>, isEmpty: Bool) {
            let layout = layout(k), (batch, rows, width) = layout
            let units = units, g = g.baseAddress!
            // For B > 1, row r's sum over the sequences, formed before it reaches g.
            let sum = batch > 1 ? UnsafeMutablePointer<Float>.allocate(capacity: width) : nil
            defer { sum?.deallocate() }
            // Called with each S_t[b, r, :] in order of r, then b.
            func visit(_ b: Int, _ r: Int, _ row: UnsafePointer<Float>) {
                let scale = e[b * units + r % units], out = g + r * width
                if let sum {
                    if b == 0 {
                        for j in 0..<width { sum[j] = scale * row[j] }
                    } else if scale != 0 {
                        for j in 0..<width { sum[j] += scale * row[j] }
                    }
                    guard b == batch - 1 else { return }
                    if isEmpty { out.update(from: sum, count: width) } else { for j in 0..<width { out[j] += sum[j] } }
                } else if isEmpty {
                    for j in 0..<width { out[j] = scale * row[j] }
                } else {
                    for j in 0..<width { out[j] += scale * row[j] }
                }
            }
            if isUpdated[k] {
                parts[k].withUnsafeBufferPointer { s in
                    let s = s.baseAddress!
                    for r in 0..<rows { for b in 0..<batch { visit(b, r, s + (b * rows + r) * width) } }
                }
            } else if batch == 1 {
                // One sequence: each element of S_t is written and contracted in
                // the same loop. (Writing a row and then reading it back stalls:
                // S and g are page-aligned, and the loads from g alias the
                // pending stores to S.)
                let local = terms[k].coefficients
                rewrite(k) { old, out in
                    withInput(k) { v in
                        let inPlace = old == UnsafePointer(out)
                        for r in 0..<rows {
                            let a = decay[r % units], d = local[r], scale = e[r % units]
                            let o = out + r * width, p = old + r * width, gr = g + r * width
                            // In place is its own loop: the vectoriser's overlap check would refuse o == p.
                            switch (v, inPlace) {
                            case let (v?, true): Self.write(width, o, gr, scale, isEmpty) { a * o[$0] + d * v[$0] }
                            case let (v?, false): Self.write(width, o, gr, scale, isEmpty) { a * p[$0] + d * v[$0] }
                            case (nil, true): Self.write(width, o, gr, scale, isEmpty) { a * o[$0] + d }
                            case (nil, false): Self.write(width, o, gr, scale, isEmpty) { a * p[$0] + d }
                            }
                        }
                    }
                }
            } else {
                rewrite(k) { old, out in update(k, layout, old: old, out: out, then: visit) }
            }
        }

        /// o[j] = s_j and g[j] (+)= scale · s_j for s_j = value(j), j < width.
        @inline(__always)
        private static func write(_ width: Int, _ o: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>,
                                  _ scale: Float, _ isEmpty: Bool, _ value: (Int) -> Float) {
            if isEmpty {
                for j in 0..<width { let s = value(j); o[j] = s; g[j] = scale * s }
            } else {
                for j in 0..<width { let s = value(j); o[j] = s; g[j] += scale * s }
            }
        }

        /// Calls `body` with part k's input v (nil for a bias-like part).
        private func withInput(_ k: Int, _ body: (UnsafePointer<Float>?) -> Void) {
            if let input = terms[k].input { input.withUnsafeBufferPointer { body($0.baseAddress) } } else { body(nil) }
        }

        /// Part k's (B, R, J) with J the product of its trailing axes.
        private func layout(_ k: Int) -> (batch: Int, rows: Int, width: Int) {
            let shape = parts[k].shape, batch = shape[0], rows = shape[1]
            return (batch, rows, parts[k].count / (batch * rows))
        }

        /// Writes S_t of part k over S_{t−1} (in place unless shared) and marks it updated.
        private func rewrite(_ k: Int, _ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
            parts[k].rewrite(body)
            isUpdated[k] = true
        }

        /// S_t[b, r, j] = a[b, r mod N] · S_{t−1}[b, r, j] + d[b, r] · v[b, j]
        /// (v = 1 without an input), row by row in order of r then b, handing
        /// each finished row to `then(b, r, row)`.
        private func update(_ k: Int, _ layout: (batch: Int, rows: Int, width: Int),
                            old: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                            then visit: (Int, Int, UnsafePointer<Float>) -> Void) {
            let (batch, rows, width) = layout, units = units, local = terms[k].coefficients
            let inPlace = old == UnsafePointer(out)
            func run(_ v: UnsafePointer<Float>?) {
                for r in 0..<rows {
                    for b in 0..<batch {
                        let a = decay[b * units + r % units], d = local[b * rows + r]
                        // Row pointers, so that the loops have no index arithmetic to check and vectorise.
                        let base = (b * rows + r) * width
                        let o = out + base, p = old + base
                        // In place is its own loop: the vectoriser's overlap check would refuse o == p.
                        switch (v, inPlace) {
                        case let (v?, true):
                            let v = v + b * width
                            for j in 0..<width { o[j] = a * o[j] + d * v[j] }
                        case let (v?, false):
                            let v = v + b * width
                            for j in 0..<width { o[j] = a * p[j] + d * v[j] }
                        case (nil, true):
                            for j in 0..<width { o[j] = a * o[j] + d }
                        case (nil, false):
                            for j in 0..<width { o[j] = a * p[j] + d }
                        }
                        visit(b, r, o)
                    }
                }
            }
            if let input = terms[k].input { input.withUnsafeBufferPointer { run($0.baseAddress) } } else { run(nil) }
        }
    }
}
