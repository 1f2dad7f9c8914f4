/// Stacks the last k observations along a new leading axis: shape (k, …)
/// (Gymnasium's `FrameStackObservation`). At reset the stack is filled with
/// the first observation (Gymnasium's `padding_type="reset"`).
public final class FrameStack: EnvironmentWrapper {
    public let frames: Int
    private var stack: [Float] = []

    public init(_ inner: any Environment, frames: Int) {
        precondition(frames >= 1, "FrameStack needs at least one frame")
        self.frames = frames
        super.init(inner)
    }

    public override var observationSpace: Space {
        switch inner.observationSpace {
        case .box(let low, let high, let shape, let dtype):
            return .box(low: Array([[Float]](repeating: low, count: frames).joined()),
                        high: Array([[Float]](repeating: high, count: frames).joined()),
                        shape: [frames] + shape, dtype: dtype)
        case let space:
            return .box(low: 0, high: .infinity, shape: [frames] + space.shape)
        }
    }

    public override func reset(seed: UInt64?) -> [Float] {
        let first = inner.reset(seed: seed)
        stack = Array([[Float]](repeating: first, count: frames).joined())
        return stack
    }

    public override func step(_ action: [Float]) throws -> Step {
        var step = try inner.step(action)
        let n = step.observation.count
        stack.removeFirst(n)
        stack.append(contentsOf: step.observation)
        step.observation = stack
        return step
    }
}
