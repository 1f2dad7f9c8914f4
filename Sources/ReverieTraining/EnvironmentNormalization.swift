import ReverieEnvs

/// Observation and reward normalisation shared by the N envs of a training
/// vector, after Stable-Baselines3's `VecNormalize`: one set of running
/// statistics, saved in each checkpoint and frozen when a policy is evaluated
/// (observations still normalised, rewards raw). One difference: here each
/// env updates the statistics in turn as it steps (env i's observation and
/// reward see envs 0…i of the same step), where VecNormalize updates with the
/// whole batch first; with one env the two agree exactly.
///
/// Rewards are divided by the running standard deviation of the discounted
/// return (Engstrom et al. 2020) with SB3's arithmetic
/// (`NormalizeReward.Convention.vecNormalize`: the return is cleared at every
/// end, normalized rewards are clipped to ±10), which keeps value targets
/// near unit scale whatever the env's reward scale — what a recurrent policy
/// whose actor and critic share a cell needs, or the value loss swamps the
/// policy gradient.
public struct EnvironmentNormalization {
    /// Statistics of flat observations, or nil when they are not normalised.
    public let observations: RunningMeanStd?
    /// Statistics (size 1) of the discounted return, or nil.
    public let rewards: RunningMeanStd?
    /// γ of the discounted return whose scale divides rewards.
    public let gamma: Double

    public init(observations: Bool, rewards: Bool, observationSize: Int, gamma: Double) {
        self.observations = observations ? RunningMeanStd(size: observationSize) : nil
        self.rewards = rewards ? RunningMeanStd(size: 1) : nil
        self.gamma = gamma
    }

    /// One env of the training vector, wrapped to update and apply the shared statistics.
    public func training(_ env: any Environment) -> any Environment {
        var env = env
        if let observations { env = NormalizeObservation(env, statistics: observations) }
        if let rewards { env = NormalizeReward(env, gamma: gamma, convention: .vecNormalize, clip: 10, statistics: rewards) }
        return env
    }

    /// An env to evaluate in: observations normalised with frozen statistics, rewards raw.
    public func evaluation(_ env: any Environment) -> any Environment {
        guard let observations else { return env }
        let wrapped = NormalizeObservation(env, statistics: observations)
        wrapped.isUpdating = false
        return wrapped
    }

    /// A vector of envs — served ones too — wrapped to update and apply the
    /// shared statistics on this side (`VecNormalize`), stepping as a vector
    /// of envs wrapped by `training` would.
    public func training(vector: any VectorEnvironment) -> any VectorEnvironment {
        guard observations != nil || rewards != nil else { return vector }
        return VectorNormalize(vector, observations: observations, rewards: rewards, gamma: gamma)
    }

    /// A vector to evaluate in: observations normalised with frozen statistics, rewards raw.
    public func evaluation(vector: any VectorEnvironment) -> any VectorEnvironment {
        guard let observations else { return vector }
        return VectorNormalize(vector, observations: observations, rewards: nil, gamma: gamma, updating: false)
    }

    /// The statistics as plain float32 tensors, for other tools (numpy reads
    /// them from a checkpoint): `normalizer.observations.mean`, `.variance`,
    /// `.count`, the same for `rewards`. A resume reads the exact `metadata`.
    public var tensors: [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (name, statistics) in [("observations", observations), ("rewards", rewards)] {
            for (key, value) in statistics?.state ?? [:] { out["normalizer.\(name).\(key)"] = value }
        }
        return out
    }

    /// The statistics as checkpoint metadata (exact, as Double bit patterns).
    public var metadata: [String: String] {
        var entries: [String: String] = [:]
        if let observations { entries["normalizer.observations"] = observations.words.map(String.init).joined(separator: ",") }
        if let rewards { entries["normalizer.rewards"] = rewards.words.map(String.init).joined(separator: ",") }
        return entries
    }

    /// Restores statistics saved by `metadata`.
    /// - Throws: `ConfigError` when a checkpoint lacks statistics this run normalises with.
    public func restore(from metadata: [String: String], source: String) throws {
        for (key, statistics) in [("normalizer.observations", observations), ("normalizer.rewards", rewards)] {
            guard let statistics else { continue }
            guard let text = metadata[key] else { throw ConfigError("\(source) has no \(key) statistics to resume with") }
            let words = text.split(separator: ",").compactMap { UInt64($0) }
            do { try statistics.restore(words: words[...]) } catch {
                throw ConfigError("\(source): \(key) does not fit this env: \(error)")
            }
        }
    }
}
