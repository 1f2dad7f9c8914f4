@_exported import ReverieCore

/// A piece of a model that owns parameters, directly or through submodules.
///
/// Parameters are found by reflection over stored properties, so a module
/// only declares them: a `Parameter` property named `weight` in a submodule
/// stored as `encoder` is `"encoder.weight"`; arrays of modules are numbered
/// (`"layers.0.weight"`). Checkpoints, optimizers and gradient checks all see
/// this one flat, named, deterministic list.
public protocol Module: AnyObject {}

extension Module {
    /// Every parameter with its dotted path, in declaration order.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        var result: [(String, Parameter)] = []
        collectParameters(of: self, prefix: "", into: &result)
        return result
    }

    /// Every parameter, in the order of `namedParameters`.
    public var parameters: [Parameter] { namedParameters.map(\.parameter) }

    /// Total number of scalar parameters.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }
}

private func collectParameters(of value: Any, prefix: String, into result: inout [(String, Parameter)]) {
    var mirror: Mirror? = Mirror(reflecting: value)
    var children: [(String, Any)] = []
    // Superclass properties first, so inherited parameters keep a stable order.
    var chain: [Mirror] = []
    while let m = mirror { chain.append(m); mirror = m.superclassMirror }
    for m in chain.reversed() {
        for child in m.children { if let label = child.label { children.append((label, child.value)) } }
    }
    for (label, child) in children { collect(child, name: prefix + label, into: &result) }
}

private func collect(_ value: Any, name: String, into result: inout [(String, Parameter)]) {
    switch value {
    case let parameter as Parameter:
        result.append((name, parameter))
    case let module as any Module:
        collectParameters(of: module, prefix: name + ".", into: &result)
    default:
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            if let wrapped = mirror.children.first { collect(wrapped.value, name: name, into: &result) }
        case .collection:
            for (i, element) in mirror.children.enumerated() { collect(element.value, name: "\(name).\(i)", into: &result) }
        default:
            break
        }
    }
}
