/// The learning rate as a function of the update index (0-based).
public protocol LearningRateSchedule: Sendable {
    func learningRate(at update: Int) -> Float
}

/// The same rate throughout.
public struct ConstantSchedule: LearningRateSchedule {
    public let value: Float
    public init(_ value: Float) { self.value = value }
    public func learningRate(at update: Int) -> Float { value }
}

/// Linear interpolation from `from` at update 0 to `to` at update `steps`,
/// constant after (CleanRL's PPO annealing: α·(1 − update/numUpdates)).
public struct LinearDecay: LearningRateSchedule {
    public let from: Float, to: Float, steps: Int
    public init(from: Float, to: Float = 0, steps: Int) {
        precondition(steps > 0, "LinearDecay needs steps > 0")
        (self.from, self.to, self.steps) = (from, to, steps)
    }
    public func learningRate(at update: Int) -> Float {
        let fraction = Float(Swift.min(Swift.max(update, 0), steps)) / Float(steps)
        return from + (to - from) * fraction
    }
}

/// Linear warmup from 0 over `steps` updates, then `schedule` (shifted so it
/// starts where the warmup ends).
public struct Warmup<Then: LearningRateSchedule>: LearningRateSchedule {
    public let steps: Int
    public let then: Then
    public init(steps: Int, then: Then) {
        precondition(steps >= 0, "Warmup needs steps ≥ 0")
        (self.steps, self.then) = (steps, then)
    }
    public func learningRate(at update: Int) -> Float {
        if update < steps { return then.learningRate(at: 0) * Float(update + 1) / Float(steps) }
        return then.learningRate(at: update - steps)
    }
}
