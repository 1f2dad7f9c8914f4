// MARK: - Finite-difference gradient checking
//
// tinygrad's `helper_test_op` idea: one call checks an operation's backward
// rule against central differences of its forward pass. The output is
// projected on fixed random weights w, L = Σ w⊙f(x), so every output element's
// gradient is exercised; L is accumulated in Double.

/// The outcome of `checkGradients`: the worst disagreement between the
/// tape's gradient and the central-difference estimate.
public struct GradientCheckReport: Sendable, CustomStringConvertible {
    /// Largest |analytic − numeric| over all checked elements.
    public var maxAbsoluteError: Double
    /// That error relative to max(1, |numeric|) at the same element.
    public var maxRelativeError: Double
    /// Which input and flat element the worst error was found at.
    public var worstInput: Int, worstElement: Int
    public var analytic: Double, numeric: Double

    public var description: String {
        "max |Δ| \(maxAbsoluteError) (relative \(maxRelativeError)) at input \(worstInput)[\(worstElement)]: "
            + "tape \(analytic), finite difference \(numeric)"
    }
}

/// Compares the tape's gradients of `f` at `inputs` with central differences.
///
/// - Parameters:
///   - inputs: the points to differentiate at; every element of each is perturbed.
///   - step: the finite-difference step h (Float32 forward passes want ~1e-2…1e-3).
///   - f: the function under test; it may use parameters, which are held fixed.
public func checkGradients(
    at inputs: [Tensor], step: Float = 1e-2, seed: UInt64 = 7, _ f: ([Tensor]) -> Tensor
) -> GradientCheckReport {
    let tape = Tape()
    let leaves = inputs.map { tape.watch($0) }
    let output = f(leaves)
    var rng = RandomGenerator(seed: seed)
    let weights = Tensor.uniform(output.shape, low: -1, high: 1, using: &rng)
    let analytic = tape.gradients(of: output, seed: weights, wrt: leaves)

    func projected(_ y: Tensor) -> Double {
        precondition(y.shape == weights.shape, "f changed its output shape under perturbation")
        var total = 0.0
        y.withUnsafeBufferPointer { py in
            weights.withUnsafeBufferPointer { pw in
                for i in 0..<py.count { total += Double(py[i]) * Double(pw[i]) }
            }
        }
        return total
    }

    var report = GradientCheckReport(
        maxAbsoluteError: 0, maxRelativeError: 0, worstInput: -1, worstElement: -1, analytic: 0, numeric: 0)
    var point = inputs.map(\.detached)
    for (k, input) in inputs.enumerated() {
        for i in 0..<input.count {
            let original = input.storage.pointer[i]
            point[k].withUnsafeMutableBufferPointer { $0[i] = original + step }
            let plus = projected(f(point))
            point[k].withUnsafeMutableBufferPointer { $0[i] = original - step }
            let minus = projected(f(point))
            point[k].withUnsafeMutableBufferPointer { $0[i] = original }
            let numeric = (plus - minus) / (2 * Double(step))
            let exact = Double(analytic[k].storage.pointer[i])
            let absolute = Swift.abs(exact - numeric)
            let relative = absolute / Swift.max(1, Swift.abs(numeric))
            if relative > report.maxRelativeError || report.worstInput < 0 {
                report = GradientCheckReport(
                    maxAbsoluteError: Swift.max(report.maxAbsoluteError, absolute), maxRelativeError: relative,
                    worstInput: k, worstElement: i, analytic: exact, numeric: numeric)
            } else {
                report.maxAbsoluteError = Swift.max(report.maxAbsoluteError, absolute)
            }
        }
    }
    return report
}

/// One parameter element of `checkParameterGradients`.
public struct ParameterGradientCheck: Sendable, CustomStringConvertible {
    public var name: String
    public var element: Int
    public var analytic: Float
    public var numeric: Float
    /// |analytic − numeric| / max(1, |numeric|).
    public var relativeError: Float { Swift.abs(analytic - numeric) / Swift.max(1, Swift.abs(numeric)) }

    public var description: String { "\(name)[\(element)]: tape \(analytic), numeric \(numeric)" }
}

/// The tape's gradient of the scalar `loss` with respect to every element
/// of every parameter, beside the central difference (each element nudged
/// by ±`step` in place and put back).
public func checkParameterGradients(_ parameters: [(name: String, parameter: Parameter)], step: Float = 1e-2,
                                    _ loss: () -> Tensor) -> [ParameterGradientCheck] {
    let (_, gradients) = valueWithGradients(wrt: parameters.map(\.parameter)) { loss() }
    var checks: [ParameterGradientCheck] = []
    for ((name, parameter), gradient) in zip(parameters, gradients) {
        let values = parameter.storedValue.scalars, analytic = gradient.scalars
        for i in 0..<parameter.count {
            parameter.update { $0[i] = values[i] + step }
            let plus = loss().item
            parameter.update { $0[i] = values[i] - step }
            let minus = loss().item
            parameter.update { $0[i] = values[i] }
            checks.append(ParameterGradientCheck(name: name, element: i, analytic: analytic[i], numeric: (plus - minus) / (2 * step)))
        }
    }
    return checks
}
