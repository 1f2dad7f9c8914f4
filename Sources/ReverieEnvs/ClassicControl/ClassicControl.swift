/// The classic control (Gymnasium's dynamics), as registry entries.
///
/// Names, time limits and options are Gymnasium's
/// (gymnasium/envs/__init__.py, the `register` calls under "Classic"; the
/// options are the environments' constructor arguments):
///
/// | name                       | steps | options                                   |
/// |----------------------------|-------|-------------------------------------------|
/// | `CartPole-v1`              | 500   | `sutton_barto_reward` (`true` / `false`)  |
/// | `Acrobot-v1`               | 500   |                                           |
/// | `MountainCar-v0`           | 200   | `goal_velocity` (default 0, in −1…1)      |
/// | `MountainCarContinuous-v0` | 999   | `goal_velocity` (default 0, in −1…1)      |
/// | `Pendulum-v1`              | 200   | `g` (gravity, default 10, ≥ 0)           |
public enum ClassicControl {
    public static let registrations: [Registration] = [
        Registration("CartPole-v1", summary: "balance a pole on a cart pushed left or right (Discrete(2))",
                     maxEpisodeSteps: 500) { options in
            var options = options
            let suttonBarto = try options.choice("sutton_barto_reward", default: "false", from: ["false", "true"])
            try options.finish()
            return CartPole(suttonBartoReward: suttonBarto == "true")
        },
        Registration("Acrobot-v1", summary: "swing a two-link chain's tip above a line by torquing its middle joint (Discrete(3))",
                     maxEpisodeSteps: 500) { options in
            try options.finish()
            return Acrobot()
        },
        Registration("MountainCar-v0", summary: "drive an underpowered car up a hill by rocking it (Discrete(3))",
                     maxEpisodeSteps: 200) { options in
            var options = options
            let goalVelocity = try options.double("goal_velocity", default: 0, in: -1...1)
            try options.finish()
            return MountainCar(goalVelocity: goalVelocity)
        },
        Registration("MountainCarContinuous-v0", summary: "mountain car with a continuous force and an energy penalty (Box(1))",
                     maxEpisodeSteps: 999) { options in
            var options = options
            let goalVelocity = try options.double("goal_velocity", default: 0, in: -1...1)
            try options.finish()
            return MountainCarContinuous(goalVelocity: goalVelocity)
        },
        Registration("Pendulum-v1", summary: "swing up and hold an inverted pendulum with a bounded torque (Box(1))",
                     maxEpisodeSteps: 200) { options in
            var options = options
            let g = try options.double("g", default: 10, in: 0...Double.greatestFiniteMagnitude)
            try options.finish()
            return Pendulum(g: g)
        },
    ]

    // MARK: - Randomness shared by the environments

    /// The generator of an environment not yet seeded: seeded from the
    /// system's entropy, as Gymnasium's `np_random` is until `reset(seed=…)`.
    static func unseededGenerator() -> RandomGenerator {
        RandomGenerator(seed: .random(in: .min ... .max))
    }

    /// Uniform in [low, high) with 53 random bits (numpy's float64 `uniform`;
    /// the same distribution, not the same stream).
    static func uniform(_ rng: inout RandomGenerator, _ low: Double, _ high: Double) -> Double {
        low + (high - low) * (Double(rng.next() >> 11) * 0x1p-53)
    }

    /// `id`, followed by `?key=value` when a parameter differs from Gymnasium's
    /// default: the environment's name as `Registry.make` would accept it.
    static func name(_ id: String, _ key: String, _ value: Double, default defaultValue: Double) -> String {
        value == defaultValue ? id : "\(id)?\(key)=\(value)"
    }
}
