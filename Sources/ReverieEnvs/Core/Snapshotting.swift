/// An environment whose complete state — physics, counters, its random
/// generator — can be saved and put back, so a checkpointed training run
/// resumes exactly where it stopped: after `restore(snapshot)`, the same
/// actions give the same steps as they would have without the interruption.
///
/// State travels as 64-bit words (a Double or a generator word each, by bit
/// pattern) so nothing is rounded.
public protocol Snapshotting: AnyObject {
    /// The state as words, or nil when part of it cannot be saved (a wrapped
    /// environment that is not `Snapshotting`).
    var snapshot: [UInt64]? { get }
    /// Puts back state taken by `snapshot` from an environment built the same
    /// way, consuming its words from the front of `words`.
    func restore(_ words: inout ArraySlice<UInt64>) throws
}

extension Snapshotting {
    /// Restores from a whole snapshot, which must be used up exactly.
    public func restore(_ snapshot: [UInt64]) throws {
        var words = snapshot[...]
        try restore(&words)
        guard words.isEmpty else { throw SnapshotError.mismatch(String(describing: Self.self), "\(words.count) words left over") }
    }
}

/// A snapshot that does not fit the environment it is restored into.
public enum SnapshotError: Error, Equatable, CustomStringConvertible {
    case mismatch(String, String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .mismatch(let env, let why): "snapshot does not fit \(env): \(why)"
        case .unsupported(let env): "\(env) cannot save its state"
        }
    }
}

extension ArraySlice where Element == UInt64 {
    /// The next `n` words, or an error naming `environment`.
    mutating func take(_ n: Int, for environment: String) throws -> [UInt64] {
        guard count >= n else { throw SnapshotError.mismatch(environment, "needs \(n) more words, has \(count)") }
        defer { self = dropFirst(n) }
        return Array(prefix(n))
    }
}
