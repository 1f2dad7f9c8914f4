/// UORO (Tallec & Ollivier 2018, "Unbiased Online Recurrent Optimization",
/// Alg. 1) for a cell whose parameters feed its units through rows: each
/// parameter θ is (R, J…) with R = K·N rows, row r feeding unit r mod N, and
/// its local derivative ∂h_{t,i}/∂θ[r, j] = c_{t,r}·v_{t,j} for row
/// coefficients c and an input v (x_t, h_{t−1}, or 1 for a bias).
///
/// The estimate s̃ ⊗ θ̃ of dh/dθ is refreshed each step with random signs
/// ν ∈ {±1}ᴺ:
///
///     s̃ ← ρ₀·(∂h_t/∂h_{t−1})·s̃ + ρ₁·ν
///     θ̃ ← θ̃/ρ₀ + (νᵀ ∂h_t/∂θ)/ρ₁
///
/// with ρ₀ = √(‖θ̃‖/‖(∂h/∂h₋)s̃‖) and ρ₁ = √(‖νᵀ∂h/∂θ‖/‖ν‖), per sequence:
/// the scales that minimise the estimate's variance. E[s̃ ⊗ θ̃] = dh/dθ.
/// The gradient of a loss with e = ∂L/∂h_t is (e·s̃)·θ̃.
struct RankOneRTRL {
    /// One parameter's local derivative: c (B, R) and v (B, J), or nil for v = 1.
    struct Block {
        let coefficients: [Float]
        let rows: Int
        let input: Tensor?
    }

    /// N, the state width.
    let units: Int

    /// - Parameters:
    ///   - tangent: (∂h_t/∂h_{t−1})·s̃ per sequence, B·N values.
    ///   - blocks: the recurrent parameters' local derivatives, in their order.
    ///   - inputLocal: ∂h_{t,i}/∂(input-weight row r), B·R values, for x's gradient through this step.
    ///   - inputWeight: the input weight (R, D).
    ///   - parameters: the recurrent parameters' tape values, in order.
    func step(x: Tensor, next: Tensor, tangent: [Float], blocks: [Block], inputLocal: [Float], inputWeight: Tensor,
              parameters: [Tensor], estimate: RankOneSensitivity, using rng: inout RandomGenerator)
        -> (state: Tensor, estimate: RankOneSensitivity)
    {
        let batch = next.shape[0], n = units, count = estimate.parameters.shape[1]
        let signs = (0..<(batch * n)).map { _ in Float(rng.int(below: 2) == 0 ? -1 : 1) }
        let inputs = blocks.map { $0.input?.scalars }
        let old = estimate.parameters.scalars
        var newState = [Float](repeating: 0, count: batch * n), newParameters = [Float](repeating: 0, count: batch * count)
        let epsilon: Float = 1e-7
        for b in 0..<batch {
            // νᵀ ∂h/∂θ, parameter after parameter.
            var local = [Float](), localNorm: Float = 0
            local.reserveCapacity(count)
            for (block, input) in zip(blocks, inputs) {
                let width = input.map { $0.count / batch } ?? 1
                for r in 0..<block.rows {
                    let c = signs[b * n + r % n] * block.coefficients[b * block.rows + r]
                    for j in 0..<width {
                        let value = c * (input?[b * width + j] ?? 1)
                        local.append(value)
                        localNorm += value * value
                    }
                }
            }
            precondition(local.count == count, "UORO blocks cover \(local.count) parameters, the estimate \(count)")
            let tangentNorm = (0..<n).reduce(Float(0)) { $0 + tangent[b * n + $1] * tangent[b * n + $1] }.squareRoot()
            let thetaNorm = ((b * count)..<((b + 1) * count)).reduce(Float(0)) { $0 + old[$1] * old[$1] }.squareRoot()
            let rho0 = (thetaNorm / (tangentNorm + epsilon)).squareRoot() + epsilon
            let rho1 = (localNorm.squareRoot() / (Float(n).squareRoot() + epsilon)).squareRoot() + epsilon
            for i in 0..<n { newState[b * n + i] = rho0 * tangent[b * n + i] + rho1 * signs[b * n + i] }
            for k in 0..<count { newParameters[b * count + k] = old[b * count + k] / rho0 + local[k] / rho1 }
        }
        let carried = RankOneSensitivity(state: Tensor(newState, shape: [batch, n]),
                                         parameters: Tensor(newParameters, shape: [batch, count]))
        let shapes = parameters.map(\.shape), rows = inputLocal.count / batch
        let state = Tensor.realTimeRecurrent(next, inputs: [x] + parameters) { e in
            let ev = e.scalars
            var flat = [Float](repeating: 0, count: count)
            for b in 0..<batch {
                let c = (0..<n).reduce(Float(0)) { $0 + ev[b * n + $1] * newState[b * n + $1] }  // e·s̃
                for k in 0..<count { flat[k] += c * newParameters[b * count + k] }
            }
            var offset = 0
            let gradients = shapes.map { shape -> Tensor in
                let size = shape.reduce(1, *)
                defer { offset += size }
                return Tensor(Array(flat[offset..<(offset + size)]), shape: shape)
            }
            let dx = x.isRecorded
                ? Tensor((0..<(batch * rows)).map { k in ev[(k / rows) * n + (k % rows) % n] * inputLocal[k] }, shape: [batch, rows])
                    .matmul(inputWeight)
                : nil
            return [dx] + gradients
        }
        return (state, carried)
    }
}
