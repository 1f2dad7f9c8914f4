import Foundation
import TOMLKit

/// A value in a preset or a `--set` override, TOML's scalar types and arrays.
public enum ConfigValue: Equatable, Sendable, CustomStringConvertible {
    case int(Int)
    case double(Double)
    case bool(Bool)
    case string(String)
    case array([ConfigValue])

    /// As TOML writes it.
    public var description: String {
        switch self {
        case .int(let i): String(i)
        case .double(let d): d.isFinite ? "\(d)" : (d.isNaN ? "nan" : (d > 0 ? "inf" : "-inf"))
        case .bool(let b): String(b)
        case .string(let s): "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        case .array(let a): "[" + a.map(\.description).joined(separator: ", ") + "]"
        }
    }
}

/// A malformed preset or override, said so a user can fix it.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Flat `"section.key"` → value pairs of a TOML document, in document order
/// within each table.
/// - Parameter source: where the text came from, for error messages.
public func parseTOML(_ text: String, source: String) throws -> [(key: String, value: ConfigValue)] {
    let table: TOMLTable
    do {
        table = try TOMLTable(string: text)
    } catch let error as TOMLParseError {
        throw ConfigError("\(source):\(error.source.begin.line):\(error.source.begin.column): \(error.description)")
    }
    var result: [(String, ConfigValue)] = []
    try flatten(table, prefix: "", source: source, into: &result)
    return result
}

private func flatten(_ table: TOMLTable, prefix: String, source: String, into result: inout [(String, ConfigValue)]) throws {
    for key in table.keys {
        let name = prefix + key
        guard let value = table[key] else { continue }
        if let sub = value.table {
            try flatten(sub, prefix: name + ".", source: source, into: &result)
        } else {
            result.append((name, try convert(value, key: name, source: source)))
        }
    }
}

private func convert(_ value: any TOMLValueConvertible, key: String, source: String) throws -> ConfigValue {
    if let b = value.bool { return .bool(b) }
    if let i = value.int { return .int(i) }
    if let d = value.double { return .double(d) }
    if let s = value.string { return .string(s) }
    if let a = value.array { return .array(try a.map { try convert($0, key: key, source: source) }) }
    throw ConfigError("\(source): \(key) has a \(value.type) value; presets use numbers, booleans, strings and arrays")
}

/// `key=value` from the command line. The value is read as TOML
/// (`gamma=0.98`, `hidden=[64, 64]`, `env="CartPole-v1"`); a bare word that is
/// not TOML is taken as a string (`env=CartPole-v1`).
public func parseOverride(_ text: String) throws -> (key: String, value: ConfigValue) {
    guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
        throw ConfigError("--set \(text): expected key=value, for example --set ppo.gamma=0.98")
    }
    let key = String(text[..<equals]).trimmingCharacters(in: .whitespaces)
    let raw = String(text[text.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
    if let parsed = try? parseTOML("v = \(raw)", source: "--set"), let value = parsed.first?.value {
        return (key, value)
    }
    return (key, .string(raw))
}
