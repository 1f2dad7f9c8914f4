import ReverieEnvs
import ReverieWorldModels

/// One step of a dream recording: the env's picture of the observation, the
/// world model's reconstruction of it, and the dream's picture of the same
/// step.
public struct DreamRecordingStep: Sendable, Equatable {
    public let real: Frame, reconstruction: Frame, dream: Frame
    /// Steps the dream has imagined without observing (0 while the model
    /// still observes: then `dream` is the reconstruction).
    public let dreamedSteps: Int

    public init(real: Frame, reconstruction: Frame, dream: Frame, dreamedSteps: Int) {
        (self.real, self.reconstruction, self.dream, self.dreamedSteps) = (real, reconstruction, dream, dreamedSteps)
    }

    /// The three panels side by side, 2 grey pixels apart (no captions: the
    /// viewer's `captionedFrame` adds them).
    public var panels: Frame { sideBySide([real, reconstruction, dream]) }
}

/// One episode of a world-model agent seen three ways per step: the
/// observation, the world model's reconstruction of it (decoded from its
/// posterior state), and an open-loop dream — from step `context` on, the
/// model stops observing and imagines forward through its prior, fed the
/// actions the agent really took, so the dream can be compared with reality
/// frame by frame (S4WM's long-term imagination, in pictures). Before
/// `context` the dream is the reconstruction. The agent acts as `evaluate`
/// has it act (from its acting window, where it has one), so the episode
/// recorded is the first one `evaluate` plays with the same seed.
///
/// Observations the environment can draw are drawn by it
/// (`ObservationDrawing`: a reconstructed CartPole observation becomes a
/// cart and pole where the model puts them, a MinAtar grid its most likely
/// picture); other images are shown as they are.
///
/// - Parameters:
///   - seed: the episode's reset seed.
///   - deterministic: act with the actor's mode (else sample with `seed`).
/// - Returns: one `DreamRecordingStep` per env step, and the episode's return.
/// - Throws: `AgentError.unsupportedSpace` unless observations are H×W×C
///   images or the environment can draw its observations.
public func recordDream(_ network: DreamerNetwork, in environment: any Environment, seed: UInt64, context: Int = 10,
                        deterministic: Bool = true) throws -> (steps: [DreamRecordingStep], return: Float) {
    let draw = try panelDrawing(for: environment)
    let model = network.worldModel
    var rng = RandomGenerator(seed: seed)
    var noSampling: RandomGenerator? = nil
    var observation = environment.reset(seed: seed)
    var state = model.initialState(batch: 1), dream = state
    var previousAction = Tensor.zeros([1, model.actionSize])
    var memory = network.initialMemory(batch: 1)
    var steps: [DreamRecordingStep] = [], total: Float = 0
    for t in 0... {
        let x = Tensor(observation, shape: [1, observation.count])
        let (pi, _, next) = network.step(x, memory: memory)
        // Carried acting already observed x_t; a window's state is not the carried one the panels show.
        state = network.actingWindow == 0 ? network.worldModelState(in: next)
            : model.observeStep(state, action: previousAction, observation: x, resets: [t == 0], using: &noSampling)
        if t < context { dream = state } else { dream = model.imagineStep(dream, action: previousAction, using: &noSampling) }
        steps.append(DreamRecordingStep(real: draw(observation), reconstruction: draw(model.reconstruction(state.features).scalars),
                                        dream: draw(model.reconstruction(dream.features).scalars),
                                        dreamedSteps: max(0, t - context + 1)))
        let raw = deterministic ? pi.mode : pi.sample(using: &rng)
        memory = network.remember(actions: raw, in: next)
        previousAction = network.modelActions(raw)
        let step = try environment.step(network.head.envActions(raw))
        total += step.reward
        observation = step.observation
        if step.isDone { break }
    }
    return (steps, total)
}

/// Whether `recordDream` can show `environment`'s observations.
public func canRecordDream(in environment: any Environment) -> Bool { (try? panelDrawing(for: environment)) != nil }

/// How one observation becomes a panel: through the environment's
/// `ObservationDrawing` where it has one (classic control's vectors,
/// MinAtar's grids), else an H×W×C image (values 0…255) as it is.
private func panelDrawing(for environment: any Environment) throws -> ([Float]) -> Frame {
    if let drawing = environment.observationDrawing { return { drawing.draw(observation: $0) } }
    let shape = environment.observationSpace.shape
    if shape.count == 3 { return { Frame(image: $0, shape: shape) } }
    throw AgentError.unsupportedSpace(environment.observationSpace,
                                      reason: "a dream recording needs H×W×C image observations or an env that draws its observations")
}

/// Frames of one size in a row, 2 grey pixels apart.
private func sideBySide(_ panels: [Frame]) -> Frame {
    let (width, height) = (panels[0].width, panels[0].height)
    let gap = 2, total = panels.count * width + (panels.count - 1) * gap
    var pixels = [UInt8](repeating: 128, count: total * height * 3)
    for (k, panel) in panels.enumerated() {
        let left = k * (width + gap)
        for y in 0..<height {
            let row = (y * total + left) * 3
            pixels.replaceSubrange(row..<(row + width * 3), with: panel.pixels[(y * width * 3)..<((y + 1) * width * 3)])
        }
    }
    return Frame(width: total, height: height, pixels: pixels)
}
