import ReverieEnvs
import ReverieWorldModels

/// One episode of a world-model agent on an image env, seen three ways side
/// by side per step: the observation, the world model's reconstruction of it
/// (decoded from its posterior state), and an open-loop dream — from step
/// `context` on, the model stops observing and imagines forward through its
/// prior, fed the actions the agent really took, so the dream can be compared
/// with reality frame by frame (S4WM's long-term imagination, in pictures).
/// Before `context` the third panel shows the reconstruction.
///
/// - Parameters:
///   - seed: the episode's reset seed.
///   - deterministic: act with the actor's mode (else sample with `seed`).
/// - Returns: the frames (3 panels of W×H, 2-pixel grey gaps) and the episode's return.
/// - Throws: `AgentError.unsupportedSpace` unless observations are H×W×3 images.
public func recordDream(_ network: DreamerNetwork, in environment: any Environment, seed: UInt64, context: Int = 10,
                        deterministic: Bool = true) throws -> (frames: [Frame], return: Float) {
    let shape = environment.observationSpace.shape
    guard shape.count == 3 && shape[2] == 3 else {
        throw AgentError.unsupportedSpace(environment.observationSpace, reason: "a dream recording needs H×W×3 image observations")
    }
    let (height, width) = (shape[0], shape[1])
    let model = network.worldModel
    var rng = RandomGenerator(seed: seed)
    var noSampling: RandomGenerator? = nil
    var observation = environment.reset(seed: seed)
    var state = model.initialState(batch: 1), dream = state
    var previousAction = Tensor.zeros([1, model.actionSize])
    var frames: [Frame] = [], total: Float = 0
    for t in 0... {
        state = model.observeStep(state, action: previousAction, observation: Tensor(observation, shape: [1, observation.count]),
                                  resets: [t == 0], using: &noSampling)
        if t < context { dream = state } else { dream = model.imagineStep(dream, action: previousAction, using: &noSampling) }
        let panels = [observation, model.reconstruction(state.features).scalars, model.reconstruction(dream.features).scalars]
        frames.append(sideBySide(panels, width: width, height: height))
        let pi = network.policy(state.features)
        let raw = deterministic ? pi.mode : pi.sample(using: &rng)
        previousAction = network.modelActions(raw)
        let step = try environment.step(network.head.envActions(raw))
        total += step.reward
        observation = step.observation
        if step.isDone { break }
    }
    return (frames, total)
}

/// HWC images (values 0…255) in a row, 2 grey pixels apart.
private func sideBySide(_ images: [[Float]], width: Int, height: Int) -> Frame {
    let gap = 2, total = images.count * width + (images.count - 1) * gap
    var pixels = [UInt8](repeating: 128, count: total * height * 3)
    for (k, image) in images.enumerated() {
        let left = k * (width + gap)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<3 {
                    pixels[(y * total + left + x) * 3 + c] = UInt8(Swift.min(Swift.max(image[(y * width + x) * 3 + c].rounded(), 0), 255))
                }
            }
        }
    }
    return Frame(width: total, height: height, pixels: pixels)
}
