import Foundation

/// One file holding everything needed to resume: a model's parameters, an
/// optimizer's state and any extra state (step counters, normalisation
/// statistics), as safetensors with prefixes: `model.<name>`,
/// `optimizer.<name>`, `<extra key>.<name>`.
public struct Checkpoint {
    public var tensors: [String: Tensor] = [:]
    /// State kept as bytes (U8 in the file), e.g. a replay's 8-bit frames.
    public var bytes: [String: ByteTensor] = [:]
    public var metadata: [String: String] = [:]

    public init() {}

    /// Reads a checkpoint and checks it: a file that cannot be read, or a
    /// tensor holding NaN or infinity, throws naming the file (and the first
    /// bad tensor), so a checkpoint that lies is never used.
    public init(contentsOf url: URL) throws {
        do {
            (tensors, bytes, metadata) = try SafeTensors.read(from: url, keepingU8: true)
        } catch let error as CheckpointError {
            throw CheckpointError.unreadable(file: url.path, reason: error.description)
        }
        for name in tensors.keys.sorted() {
            if let index = tensors[name]!.withUnsafeBufferPointer({ $0.firstIndex { !$0.isFinite } }) {
                throw CheckpointError.nonFinite(file: url.path, tensor: name, index: index)
            }
        }
    }

    /// Atomically writes the file (see `SafeTensors.write`).
    public func write(to url: URL) throws {
        try SafeTensors.write(tensors, bytes: bytes, metadata: metadata, to: url)
    }

    /// Stores `state` under `prefix.`.
    public mutating func store(_ state: [String: Tensor], as prefix: String) {
        for (name, t) in state { tensors["\(prefix).\(name)"] = t }
    }

    /// The tensors stored under `prefix.`, with the prefix removed.
    public func state(_ prefix: String) -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for (name, t) in tensors where name.hasPrefix(prefix + ".") { result[String(name.dropFirst(prefix.count + 1))] = t }
        return result
    }

    /// Stores every parameter of `module` under `prefix.`.
    public mutating func store(_ module: any Module, as prefix: String = "model") {
        store(module.parameterState, as: prefix)
    }

    /// Loads every parameter of `module` from `prefix.`; throws naming the
    /// first missing or mis-shaped tensor, and changes nothing in that case.
    public func load(into module: any Module, from prefix: String = "model") throws {
        try module.loadParameters(state(prefix))
    }
}

extension Module {
    /// Every parameter's value by name.
    public var parameterState: [String: Tensor] {
        Dictionary(uniqueKeysWithValues: namedParameters.map { ($0.name, $0.parameter.storedValue) })
    }

    /// Sets every parameter from `state`, after checking all of them: a
    /// missing or mis-shaped tensor throws naming it, and nothing is changed.
    public func loadParameters(_ state: [String: Tensor]) throws {
        let named = namedParameters
        for (name, parameter) in named {
            guard let t = state[name] else { throw CheckpointError.missingTensor(name) }
            guard t.shape == parameter.shape else { throw CheckpointError.shapeMismatch(name: name, expected: parameter.shape, found: t.shape) }
        }
        for (name, parameter) in named { parameter.storedValue = state[name]! }
    }
}
