/// Exact RTRL for a real cell with K gates per unit that read the input x
/// through stacked rows W (K·N, D) and bias b (K·N), and may read their own
/// unit's previous state through element-wise weights w (K·N): eLSTM (K = 2,
/// with w) and minGRU (K = 2, without). Row r of each parameter belongs to
/// unit i = r mod N, and only unit i's state depends on it.
///
/// With a_{t,i} = ∂s_{t,i}/∂s_{t−1,i} and d_{t,r} = ∂s_{t,i}/∂(pre-activation r),
/// the sensitivities follow (Irie et al. 2024, eqs. 8–13 for eLSTM)
///
///     S^W_t[r, j] = a_{t,i} · S^W_{t−1}[r, j] + d_{t,r} · x_{t,j}
///     S^w_t[r]    = a_{t,i} · S^w_{t−1}[r]    + d_{t,r} · s_{t−1,i}
///     S^b_t[r]    = a_{t,i} · S^b_{t−1}[r]    + d_{t,r}
///
/// and the gradient of a loss reading s_t is g^θ[r, …] = Σ_b e_{b,i} · S^θ_t[b, r, …],
/// e = ∂L/∂s_t. All (B, …) per sequence.
struct DiagonalRTRL {
    /// What a parameter is to the recurrence, which sets its local term.
    enum Role {
        /// W (K·N, D), local term d·x_j.
        case inputWeight
        /// A dense recurrent matrix (K·N, N) under SnAp-1, local term d'·s_{t−1, k}
        /// (d' = `hiddenLocal`: a GRU's candidate row reads W_h·h through its reset gate).
        case hiddenWeight
        /// The recurrent matrix's bias (K·N), local term d'.
        case hiddenBias
        /// w (K·N), local term d·s_{t−1, i}.
        case stateWeight
        /// b (K·N), local term d.
        case bias
    }

    let roles: [Role]
    /// N, the number of units (state width).
    let units: Int

    /// Carries the sensitivities one step (in place where nothing else holds
    /// them) and records the state on the tape.
    /// - Parameters:
    ///   - x: x_t (B, D), possibly on the tape (its gradient is this step's only).
    ///   - previous: s_{t−1} (B, N), a constant.
    ///   - next: s_t (B, N), computed by the cell.
    ///   - decay: a_t, B·N values.
    ///   - local: d_t, B·K·N values, rows as in W.
    ///   - hiddenLocal: d'_t for `.hiddenWeight` and `.hiddenBias` when it differs from d_t.
    ///   - inputWeight: W (K·N, D), its stored value, for the input's gradient.
    ///   - parameters: the tape values of the recurrent parameters, in the order of `roles`.
    ///   - sensitivities: S_{t−1} in, S_t out.
    /// - Returns: s_t on the tape, its backward rule contracting ∂L/∂s_t with S_t.
    func step(x: Tensor, previous: Tensor, next: Tensor, decay: [Float], local: [Float], hiddenLocal: [Float]? = nil,
              inputWeight: Tensor, parameters: [Tensor], sensitivities: inout Sensitivities) -> Tensor {
        let batch = previous.shape[0], rows = local.count / batch, units = units
        let xv = x.detached
        for (k, role) in roles.enumerated() {
            // Each role's local term: coefficients per row, times an input per column (none for a bias-like role).
            let (coefficients, input): ([Float], Tensor?) = switch role {
            case .inputWeight: (local, xv)
            case .hiddenWeight: (hiddenLocal ?? local, previous)
            case .hiddenBias: (hiddenLocal ?? local, nil)
            case .bias: (local, nil)
            case .stateWeight:
                (previous.withUnsafeBufferPointer { c in (0..<local.count).map { k in local[k] * c[unit(ofRow: k, rows: rows)] } },
                 nil)
            }
            propagate(&sensitivities.parts[k], decay: decay, local: coefficients, input: input)
        }
        let carried = sensitivities.parts
        return Tensor.realTimeRecurrent(next, inputs: [x] + parameters, backwardInPlace: { e, gradients in
            // ∂L/∂x_t through this step: Σ_r e_i · d_r · W[r, :].
            if gradients.wants(0) {
                let gates = e.withUnsafeBufferPointer { e in
                    Tensor((0..<local.count).map { k in e[unit(ofRow: k, rows: rows)] * local[k] }, shape: [batch, rows])
                }
                gradients.add(gates.matmul(inputWeight), into: 0)
            }
            // ∂L/∂θ = ∂L/∂s_t · S_t, added straight into θ's gradient.
            e.withUnsafeBufferPointer { e in
                for (k, s) in carried.enumerated() {
                    gradients.add(into: k + 1, shape: Array(s.shape.dropFirst())) { g, isEmpty in
                        Self.contract(e, s, units: units, into: g, isEmpty: isEmpty)
                    }
                }
            }
        })
    }

    /// The (B, N) index of the unit that row k of a (B, R) array of row values feeds: sequence k / R, unit (k mod R) mod N.
    private func unit(ofRow k: Int, rows: Int) -> Int { (k / rows) * units + (k % rows) % units }

    /// S[b, r, j] ← a[b, r mod N] · S[b, r, j] + d[b, r] · v[b, j] (v = 1 when nil),
    /// in place unless S is shared (then into fresh storage).
    /// - Parameter s: (B, R, J…), the previous sensitivities.
    /// - Parameter input: v (B, J), or nil.
    private func propagate(_ s: inout Tensor, decay: [Float], local: [Float], input: Tensor?) {
        let batch = s.shape[0], rows = s.shape[1], width = s.count / (batch * rows), units = units
        func update(_ v: UnsafePointer<Float>?) {
            s.rewrite { old, out in
                for b in 0..<batch {
                    for r in 0..<rows {
                        let a = decay[b * units + r % units], d = local[b * rows + r]
                        // Row pointers, so that the loops have no index arithmetic to check and vectorise.
                        let base = (b * rows + r) * width
                        let o = out + base, p = old + base
                        if let v {
                            let v = v + b * width
                            for j in 0..<width { o[j] = a * p[j] + d * v[j] }
                        } else {
                            for j in 0..<width { o[j] = a * p[j] + d }
                        }
                    }
                }
            }
        }
        if let input { input.withUnsafeBufferPointer { update($0.baseAddress) } } else { update(nil) }
    }

    /// g[r, j…] (+)= Σ_b e[b, r mod N] · S[b, r, j…]: the gradient of a loss with
    /// ∂L/∂s = e (B, N) for a parameter of shape S.shape.dropFirst(), written
    /// into g when `isEmpty`, else added to it. Over B > 1 each row's sum is
    /// formed first and then added, so the result is the same floats as adding
    /// a separately computed gradient.
    /// - Parameter s: (B, R, J…) sensitivities of real state units.
    static func contract(_ e: UnsafeBufferPointer<Float>, _ s: Tensor, units: Int,
                         into g: UnsafeMutableBufferPointer<Float>, isEmpty: Bool) {
        let batch = s.shape[0], rows = s.shape[1], width = s.count / (batch * rows)
        s.withUnsafeBufferPointer { s in
            let s = s.baseAddress!, g = g.baseAddress!
            if batch == 1 {
                for r in 0..<rows {
                    let scale = e[r % units], row = s + r * width, out = g + r * width
                    if isEmpty {
                        for j in 0..<width { out[j] = scale * row[j] }
                    } else {
                        for j in 0..<width { out[j] += scale * row[j] }
                    }
                }
                return
            }
            let sum = UnsafeMutablePointer<Float>.allocate(capacity: width)
            defer { sum.deallocate() }
            for r in 0..<rows {
                for b in 0..<batch {
                    let scale = e[b * units + r % units], row = s + (b * rows + r) * width
                    if b == 0 {
                        for j in 0..<width { sum[j] = scale * row[j] }
                    } else if scale != 0 {
                        for j in 0..<width { sum[j] += scale * row[j] }
                    }
                }
                let out = g + r * width
                if isEmpty {
                    out.update(from: sum, count: width)
                } else {
                    for j in 0..<width { out[j] += sum[j] }
                }
            }
        }
    }
}
