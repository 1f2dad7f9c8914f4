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
}
