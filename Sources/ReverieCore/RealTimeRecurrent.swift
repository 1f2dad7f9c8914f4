/// Forward-mode gradients on a reverse-mode tape.
///
/// Real-time recurrent learning (Williams & Zipser 1989) carries, next to a
/// recurrent state s_t, its total derivative with respect to the parameters,
/// S_t = ds_t/dθ, updated every step. The gradient of a loss that reads s_t is
/// then ∂L/∂s_t · S_t: nothing of the past is stored or walked back. The tape
/// cannot compute this (it would need the whole history); the recurrent cell
/// computes it and hands the tape the rule.
extension Tensor {
    /// `value` recorded as computed from `inputs` by a rule whose gradients the
    /// caller supplies. The cell passes its parameters' tape values and the
    /// step's input among `inputs`, and `backward` maps ∂L/∂value to each
    /// input's gradient: for a parameter, ∂L/∂value contracted with the carried
    /// sensitivity S_t; for the input x_t, the gradient through this step only
    /// (RTRL truncates what lies below the recurrence to the current step).
    ///
    /// The previous state is not an input: RTRL never differentiates through it.
    /// - Parameter backward: returns one gradient per input, in order (nil for none).
    public static func realTimeRecurrent(_ value: Tensor, inputs: [Tensor],
                                         backward: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        recorded(.realTimeRecurrent, value, inputs: inputs, backward: backward)
    }

    /// `realTimeRecurrent` with a backward rule that adds each input's gradient
    /// into its slot in place (see `GradientSlots`): the contraction with S_t
    /// then writes straight into a parameter's gradient, or into an online
    /// learner's running sum (`Tape.accumulateGradients`).
    public static func realTimeRecurrent(_ value: Tensor, inputs: [Tensor],
                                         backwardInPlace: @escaping (Tensor, inout GradientSlots) -> Void) -> Tensor {
        recordedInPlace(.realTimeRecurrent, value, inputs: inputs, backward: backwardInPlace)
    }
}
