/// Repeats each action `repeats` times, summing the rewards and stopping early
/// when the episode ends (DreamerV3's `action_repeat`, Atari's frame skip).
public final class ActionRepeat: EnvironmentWrapper {
    public override var keepsObservations: Bool { true }
    public let repeats: Int

    public init(_ inner: any Environment, repeats: Int) {
        precondition(repeats >= 1, "ActionRepeat needs at least one repeat")
        self.repeats = repeats
        super.init(inner)
    }

    public override func step(_ action: [Float]) throws -> Step {
        var step = try inner.step(action)
        var total = step.reward
        var info = step.info
        var k = 1
        while k < repeats && !step.isDone {
            step = try inner.step(action)
            total += step.reward
            info.merge(step.info) { _, new in new }
            k += 1
        }
        step.reward = total
        step.info = info
        return step
    }
}
