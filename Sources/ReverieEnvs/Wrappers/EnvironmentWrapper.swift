/// An environment that changes another one (Gymnasium's `Wrapper`): forwards
/// everything to `inner` unless a subclass overrides it.
open class EnvironmentWrapper: Environment {
    public let inner: any Environment

    public init(_ inner: any Environment) { self.inner = inner }

    open var name: String { inner.name }
    open var observationSpace: Space { inner.observationSpace }
    open var actionSpace: Space { inner.actionSpace }
    open func reset(seed: UInt64?) -> [Float] { inner.reset(seed: seed) }
    open func step(_ action: [Float]) throws -> Step { try inner.step(action) }
    open func render() -> Frame? { inner.render() }

    /// Whether observations pass through unchanged, so the inner env can
    /// draw them (`observationDrawing`). False unless a subclass says so.
    open var keepsObservations: Bool { false }

    // MARK: - Snapshots

    /// This wrapper's own state as words, or nil if it cannot be saved. A
    /// wrapper with state must override this and `restoreOwnState`; the
    /// default (nil) keeps a stateful wrapper that does not from being
    /// snapshotted wrongly.
    open var ownState: [UInt64]? { nil }
    open func restoreOwnState(_ words: inout ArraySlice<UInt64>) throws {
        throw SnapshotError.unsupported(String(describing: type(of: self)))
    }
}

extension EnvironmentWrapper: Snapshotting {
    public var snapshot: [UInt64]? {
        guard let own = ownState, let inner = (inner as? any Snapshotting)?.snapshot else { return nil }
        return own + inner
    }

    public func restore(_ words: inout ArraySlice<UInt64>) throws {
        try restoreOwnState(&words)
        guard let inner = inner as? any Snapshotting else { throw SnapshotError.unsupported(inner.name) }
        try inner.restore(&words)
    }
}
