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

    /// Carries the sensitivities one step and records the state on the tape.
    /// The update to S_t is left pending in `sensitivities` (`Update`): the
    /// tape's contraction carries it out in the same pass when the gradient is
    /// taken before anything else needs S_t, as an online learner does.
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
        let batch = previous.shape[0], rows = local.count / batch
        let xv = x.detached
        // Each role's local term: coefficients per row, times an input per column (none for a bias-like role).
        let terms = roles.map { role -> Update.Term in
            switch role {
            case .inputWeight: Update.Term(coefficients: local, input: xv)
            case .hiddenWeight: Update.Term(coefficients: hiddenLocal ?? local, input: previous)
            case .hiddenBias: Update.Term(coefficients: hiddenLocal ?? local, input: nil)
            case .bias: Update.Term(coefficients: local, input: nil)
            case .stateWeight:
                Update.Term(coefficients: previous.withUnsafeBufferPointer { c in
                    (0..<local.count).map { k in local[k] * c[unit(ofRow: k, rows: rows)] }
                }, input: nil)
            }
        }
        let update = Update(units: units, decay: decay, terms: terms, previous: sensitivities.take())
        sensitivities = Sensitivities(pending: update)
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
                for k in terms.indices {
                    gradients.add(into: k + 1, shape: Array(parameters[k].shape)) { g, isEmpty in
                        update.contract(k, e, into: g, isEmpty: isEmpty)
                    }
                }
            }
        })
    }

    /// The (B, N) index of the unit that row k of a (B, R) array of row values feeds: sequence k / R, unit (k mod R) mod N.
    private func unit(ofRow k: Int, rows: Int) -> Int { (k / rows) * units + (k % rows) % units }
}
