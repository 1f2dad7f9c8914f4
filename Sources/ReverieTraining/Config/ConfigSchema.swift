import ReverieEnvs

/// One documented key of a config struct: how to read it, write it and say
/// what values it takes. A schema is a list of these, so the keys, their
/// docs, the errors and the resolved `config.toml` all come from one place.
public struct ConfigField<Root>: Sendable {
    /// Dotted key, `"ppo.gamma"`.
    public let key: String
    /// One line, with the paper's symbol where there is one.
    public let doc: String
    /// What values are allowed, for errors: `"a number in [0, 1]"`.
    public let allowed: String
    let read: @Sendable (Root) -> ConfigValue
    /// Nil when `value` is not allowed.
    let write: @Sendable (inout Root, ConfigValue) -> Bool?

    public static func int(_ key: String, _ doc: String, _ path: WritableKeyPath<Root, Int> & Sendable,
                           in range: ClosedRange<Int>) -> ConfigField {
        ConfigField(key: key, doc: doc, allowed: "an integer in \(describe(range))", read: { .int($0[keyPath: path]) }) { root, value in
            guard let i = value.integer, range.contains(i) else { return nil }
            root[keyPath: path] = i
            return true
        }
    }

    public static func float(_ key: String, _ doc: String, _ path: WritableKeyPath<Root, Float> & Sendable,
                             in range: ClosedRange<Float>) -> ConfigField {
        ConfigField(key: key, doc: doc, allowed: "a number in \(describe(range))", read: { .double(shortest($0[keyPath: path])) }) { root, value in
            guard let x = value.number, range.contains(Float(x)) else { return nil }
            root[keyPath: path] = Float(x)
            return true
        }
    }

    /// A number, or the string `"none"` for nil.
    public static func optionalFloat(_ key: String, _ doc: String, _ path: WritableKeyPath<Root, Float?> & Sendable,
                                     in range: ClosedRange<Float>) -> ConfigField {
        ConfigField(key: key, doc: doc, allowed: "a number in \(describe(range)) or \"none\"",
                    read: { $0[keyPath: path].map { .double(shortest($0)) } ?? .string("none") }) { root, value in
            if value == .string("none") { root[keyPath: path] = nil; return true }
            guard let x = value.number, range.contains(Float(x)) else { return nil }
            root[keyPath: path] = Float(x)
            return true
        }
    }

    public static func bool(_ key: String, _ doc: String, _ path: WritableKeyPath<Root, Bool> & Sendable) -> ConfigField {
        ConfigField(key: key, doc: doc, allowed: "true or false", read: { .bool($0[keyPath: path]) }) { root, value in
            guard case .bool(let b) = value else { return nil }
            root[keyPath: path] = b
            return true
        }
    }

    /// A string, from `choices` when given.
    public static func string(_ key: String, _ doc: String, _ path: WritableKeyPath<Root, String> & Sendable,
                              oneOf choices: [String]? = nil) -> ConfigField {
        let allowed = choices.map { "one of " + $0.map { "\"\($0)\"" }.joined(separator: ", ") } ?? "a string"
        return ConfigField(key: key, doc: doc, allowed: allowed, read: { .string($0[keyPath: path]) }) { root, value in
            guard case .string(let s) = value, choices?.contains(s) ?? !s.isEmpty else { return nil }
            root[keyPath: path] = s
            return true
        }
    }

    /// An array of integers, each in `range`.
    public static func ints(_ key: String, _ doc: String, _ path: WritableKeyPath<Root, [Int]> & Sendable,
                            in range: ClosedRange<Int>) -> ConfigField {
        ConfigField(key: key, doc: doc, allowed: "an array of integers in \(describe(range))",
                    read: { .array($0[keyPath: path].map(ConfigValue.int)) }) { root, value in
            guard case .array(let a) = value else { return nil }
            var ints: [Int] = []
            for element in a {
                guard let i = element.integer, range.contains(i) else { return nil }
                ints.append(i)
            }
            root[keyPath: path] = ints
            return true
        }
    }
}

/// The Double that prints like the Float (0.98, not 0.9800000190734863).
private func shortest(_ x: Float) -> Double { Double("\(x)") ?? Double(x) }

private func describe<T: Comparable & CustomStringConvertible>(_ range: ClosedRange<T>) -> String {
    "[\(range.lowerBound), \(range.upperBound)]"
}

extension ConfigValue {
    /// An integer, or a float that is a whole number (`1e6`, `2.5e6`, as
    /// budgets are written).
    var integer: Int? {
        switch self {
        case .int(let i): i
        case .double(let d) where d.rounded() == d && abs(d) < 0x1p62: Int(d)
        default: nil
        }
    }

    /// An integer or a float, as a Double.
    var number: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }
}

/// The documented keys of a config struct.
public struct ConfigSchema<Root>: Sendable {
    public let fields: [ConfigField<Root>]

    public init(_ fields: [ConfigField<Root>]) {
        self.fields = fields
    }

    /// Writes each pair into `root`, in order.
    /// - Throws: `ConfigError` naming the key: unknown (with the nearest known
    ///   key), or a value that is not allowed (with what is).
    public func apply(_ pairs: [(key: String, value: ConfigValue)], to root: inout Root, source: String) throws {
        for (key, value) in pairs {
            guard let field = fields.first(where: { $0.key == key }) else {
                let nearest = fields.map(\.key).min { editDistance($0, key) < editDistance($1, key) }
                let hint = nearest.map { " Did you mean \($0)?" } ?? ""
                throw ConfigError("\(source): unknown key \(key).\(hint) Known keys: \(fields.map(\.key).joined(separator: ", ")).")
            }
            guard field.write(&root, value) != nil else {
                throw ConfigError("\(source): \(key) = \(value) is not allowed; \(key) (\(field.doc)) takes \(field.allowed).")
            }
        }
    }

    /// `root` as a TOML document, one table per dotted prefix, each key with its doc as a comment.
    public func render(_ root: Root, header: String = "", including: (String) -> Bool = { _ in true }) -> String {
        var out = header.isEmpty ? "" : header.split(separator: "\n", omittingEmptySubsequences: false).map { "# \($0)" }.joined(separator: "\n") + "\n\n"
        var current = ""  // top-level keys come first, as TOML requires
        for field in fields where including(field.key) {
            let parts = field.key.split(separator: ".")
            let table = parts.dropLast().joined(separator: ".")
            if table != current {
                out += "\n[\(table)]\n"
                current = table
            }
            out += "\(parts.last!) = \(field.read(root))  # \(field.doc)\n"
        }
        return out
    }

    /// One line per key: `  key = value — doc; allowed values`, with the
    /// values `root` holds (a preset's, or the defaults).
    public func documentation(values root: Root) -> String {
        fields.map { "  \($0.key) = \($0.read(root)) — \($0.doc); \($0.allowed)" }.joined(separator: "\n")
    }
}
