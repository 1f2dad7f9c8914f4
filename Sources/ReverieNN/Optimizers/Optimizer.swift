/// Updates a fixed list of named parameters from their gradients.
///
///     let optimizer = Adam(model, learningRate: 3e-4)
///     let (loss, grads) = valueWithGradients(wrt: optimizer.parameters) { … }
///     optimizer.update(grads)
public protocol Optimizer: AnyObject {
    /// The parameters, in the order gradients are given.
    var parameters: [Parameter] { get }
    /// α, the step size; schedules set it before each update.
    var learningRate: Float { get set }
    /// Number of updates applied so far (t in the papers).
    var step: Int { get }
    /// Applies one update. `gradients[i]` belongs to `parameters[i]`.
    func update(_ gradients: [Tensor])
    /// Everything needed to resume, as named tensors (PyTorch's names:
    /// `exp_avg.<parameter>`, `exp_avg_sq.<parameter>`, `step`).
    var state: [String: Tensor] { get }
    /// Restores `state`; throws naming the first missing or mis-shaped tensor.
    func load(state: [String: Tensor]) throws
}

/// First and second moment estimates per parameter, shared by the Adam family.
/// A class so an update can write m, v and θ of one parameter at once
/// (exclusive access is then per property, not per whole struct).
final class MomentBuffers {
    let names: [String]
    let parameters: [Parameter]
    /// m, the EMA of gradients (or of normalised gradients, for LaProp).
    var first: [[Float]]
    /// v, the EMA of squared gradients.
    var second: [[Float]]
    var step = 0

    init(_ named: [(name: String, parameter: Parameter)]) {
        names = named.map(\.name)
        parameters = named.map(\.parameter)
        first = parameters.map { [Float](repeating: 0, count: $0.count) }
        second = first
    }

    func checkGradients(_ gradients: [Tensor]) {
        precondition(gradients.count == parameters.count,
                     "\(parameters.count) parameters but \(gradients.count) gradients")
        for (i, (g, p)) in zip(gradients, parameters).enumerated() {
            precondition(g.shape == p.shape, "gradient of \(names[i]) has shape \(g.shape), parameter \(p.shape)")
        }
    }

    var state: [String: Tensor] {
        var result: [String: Tensor] = ["step": Tensor([Float(step)])]
        for (i, name) in names.enumerated() {
            result["exp_avg.\(name)"] = Tensor(first[i], shape: parameters[i].shape)
            result["exp_avg_sq.\(name)"] = Tensor(second[i], shape: parameters[i].shape)
        }
        return result
    }

    func load(_ state: [String: Tensor]) throws {
        func tensor(_ key: String, _ shape: [Int]) throws -> Tensor {
            guard let t = state[key] else { throw OptimizerStateError.missing(key) }
            guard t.shape == shape else { throw OptimizerStateError.shape(key, expected: shape, found: t.shape) }
            return t
        }
        let loadedStep = try tensor("step", [1]).item
        var newFirst = first, newSecond = second
        for (i, name) in names.enumerated() {
            newFirst[i] = try tensor("exp_avg.\(name)", parameters[i].shape).scalars
            newSecond[i] = try tensor("exp_avg_sq.\(name)", parameters[i].shape).scalars
        }
        (first, second, step) = (newFirst, newSecond, Int(loadedStep))
    }
}

/// Why optimizer state could not be restored.
public enum OptimizerStateError: Error, Equatable, CustomStringConvertible {
    case missing(String)
    case shape(String, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case .missing(let key): "optimizer state '\(key)' is missing"
        case .shape(let key, let expected, let found): "optimizer state '\(key)' has shape \(found), expected \(expected)"
        }
    }
}
