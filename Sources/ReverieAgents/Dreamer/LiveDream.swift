import ReverieWorldModels

/// A world-model agent's picture of the world at one moment, for watching it
/// live (`reverie view`): what its model makes of the latest observation, and
/// what it imagines will happen next if it keeps acting.
extension DreamerNetwork {
    /// The world-model state s_t an acting memory holds (its layout: `DreamerNetwork`).
    public func worldModelState(in memory: RecurrentState) -> WorldModel.State { unpack(memory).0 }

    /// (O) x̂_t: the decoder's reconstruction of the observation the memory
    /// last took in, decoded from its posterior state [h_t, z_t], in the
    /// observations' units (HWC values 0…255 for images).
    public func reconstruction(of memory: RecurrentState) -> [Float] {
        worldModel.reconstruction(worldModelState(in: memory).features).scalars
    }

    /// An open-loop dream from the memory's state s_t: row 0 is f_t =
    /// [h_t, z_t]; then, for k = 1…`steps`, the actor picks its most likely
    /// action in s_{t+k−1}, the world model's prior imagines s_{t+k} from it,
    /// and row k is f_{t+k}. No observation enters after t: the
    /// imagination the actor-critic learns from (DreamerV3 §2), here with
    /// the most likely action and latent where training samples both; decode a row
    /// with `worldModel.reconstruction` to see it (the viewer decodes only
    /// the rows it shows).
    /// - Returns: (steps + 1, F) imagined features.
    public func dream(from memory: RecurrentState, steps: Int) -> Tensor {
        precondition(steps >= 0, "a dream needs steps ≥ 0, got \(steps)")
        var state = worldModelState(in: memory)
        var noSampling: RandomGenerator? = nil
        var features = [state.features]
        for _ in 0..<steps {
            let action = modelActions(policy(state.features).mode)
            state = worldModel.imagineStep(state, action: action, using: &noSampling)
            features.append(state.features)
        }
        return Tensor.concatenate(features)
    }
}
