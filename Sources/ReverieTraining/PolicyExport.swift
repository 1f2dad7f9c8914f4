import Foundation
import ReverieAgents
import ReverieEnvs
import ReverieNN
import ReverieRemote

/// A trained policy as a file any tool reads (`reverie export RUN OUT`): the
/// acting network's parameters as safetensors (float32, PyTorch's layouts,
/// named as in the checkpoint without its `model.` prefix), the observation
/// normaliser's statistics as plain tensors, and in the file's metadata,
/// under `reverie_policy`, a JSON description of how to act with them —
/// enough to run the policy in numpy (`reverie_envs.load_policy`):
///
///     x = obs                                                   (D) as the env gives it
///     x = clip((x − mean) / √(variance + ε), ±clip)              if "observation_normalization"
///     x = concat(one_hot(x_j, n_j))                              if "one_hot_sizes"
///     h = x; for each actor layer but the last: h = act(h·Wᵀ + b); out = h·Wᵀ + b
///     action = argmax(out)                                       "categorical"
///            = clip(out, low, high)                              "gaussian" (out is the mean)
///            = low + (tanh(out) + 1)·(high − low)/2              "squashed"
///
/// Covers the feedforward MLP actor-critics (PPO and the online actor-critic
/// without memory); other networks are a clear error naming theirs.
public enum PolicyExport {
    public static let format = "reverie-policy-1"

    public static func write(_ saved: SavedPolicy, to url: URL) throws {
        guard let network = saved.policy as? ActorCritic else {
            throw ConfigError("reverie export writes feedforward MLP policies (PPO and the online actor-critic without "
                              + "memory); \(saved.checkpoint.lastPathComponent) holds a \(type(of: saved.policy)) "
                              + "(\(saved.config.algorithm))")
        }
        if let encoder = network.encoder, !(encoder is OneHotEncoder) {
            throw ConfigError("reverie export writes MLPs over vectors or one-hot features; this policy reads its "
                              + "observations through a \(type(of: encoder))")
        }
        var file = Checkpoint()
        for (name, parameter) in network.namedParameters { file.tensors[name] = parameter.storedValue }
        let layers = { (mlp: MLP, prefix: String) -> JSON in
            .array(mlp.layers.indices.map { i in
                ["weight": .string("\(prefix).layers.\(i).weight"),
                 "bias": mlp.layers[i].bias == nil ? .null : .string("\(prefix).layers.\(i).bias")]
            })
        }
        var description: JSONObject = [
            "format": .string(format), "algorithm": .string(saved.config.algorithm), "env": .string(saved.config.env),
            "env_steps": .int(saved.environmentSteps),
            "observation_space": saved.observationSpace.wireObject, "activation": .string(network.actor.activation.rawValue),
            "actor": layers(network.actor, "actor"), "critic": layers(network.critic, "critic"),
            "head": head(network.head),
        ]
        if network.logStd != nil { description["log_std"] = "logStd" }
        if let oneHot = network.encoder as? OneHotEncoder { description["one_hot_sizes"] = JSON(oneHot.sizes) }
        if let statistics = saved.normalization.observations {
            let state = statistics.state
            file.tensors["observation_normalization.mean"] = state["mean"]
            file.tensors["observation_normalization.variance"] = state["variance"]
            description["observation_normalization"] = [
                "mean": "observation_normalization.mean", "variance": "observation_normalization.variance",
                "epsilon": .double(1e-8), "clip": .double(10),
            ]
        }
        file.metadata = ["reverie_policy": JSON.object(description).description]
        try file.write(to: url)
    }

    private static func numbers(_ values: [Float]) -> JSON { .array(values.map { .double(Double($0)) }) }

    private static func head(_ head: ActionHead) -> JSON {
        switch head {
        case .categorical(let n): ["kind": "categorical", "n": .int(n)]
        case .gaussian(let low, let high): ["kind": "gaussian", "low": numbers(low), "high": numbers(high)]
        case .squashed(let low, let high): ["kind": "squashed", "low": numbers(low), "high": numbers(high)]
        }
    }
}
