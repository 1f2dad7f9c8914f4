/// How to build one named environment: a factory taking the options parsed
/// from the name (`"TMaze?length=40"` → `["length": "40"]`) and Gymnasium's
/// registered time limit, applied by `make`.
public struct Registration: Sendable {
    public let name: String
    public let summary: String
    /// Gymnasium's `max_episode_steps`; nil for no time limit.
    public let maxEpisodeSteps: Int?
    public let make: @Sendable (EnvironmentOptions) throws -> any Environment

    public init(_ name: String, summary: String, maxEpisodeSteps: Int?,
                make: @escaping @Sendable (EnvironmentOptions) throws -> any Environment) {
        (self.name, self.summary, self.maxEpisodeSteps, self.make) = (name, summary, maxEpisodeSteps, make)
    }
}

/// The options given after `?` in an environment name, with typed access that
/// reports bad or unknown options by name.
public struct EnvironmentOptions: Sendable {
    public let environment: String
    private var values: [String: String]

    public init(environment: String, values: [String: String] = [:]) {
        self.environment = environment
        self.values = values
    }

    /// An integer option in `range`, or `default` when absent.
    public mutating func int(_ key: String, default value: Int, in range: ClosedRange<Int> = Int.min...Int.max) throws -> Int {
        guard let text = values.removeValue(forKey: key) else { return value }
        guard let parsed = Int(text), range.contains(parsed) else {
            throw EnvironmentError.invalidOption(environment: environment, option: key,
                                                 reason: "must be an integer in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
        }
        return parsed
    }

    /// A real option in `range`, or `default` when absent.
    public mutating func float(_ key: String, default value: Float, in range: ClosedRange<Float> = -.infinity...(.infinity)) throws -> Float {
        try real(key, default: value, in: range)
    }

    /// A real option in `range` kept in double precision (physical constants
    /// such as Pendulum's `g`), or `default` when absent.
    public mutating func double(_ key: String, default value: Double, in range: ClosedRange<Double> = -.infinity...(.infinity)) throws -> Double {
        try real(key, default: value, in: range)
    }

    private mutating func real<T: BinaryFloatingPoint & LosslessStringConvertible>(_ key: String, default value: T, in range: ClosedRange<T>) throws -> T {
        guard let text = values.removeValue(forKey: key) else { return value }
        guard let parsed = T(text), range.contains(parsed) else {
            throw EnvironmentError.invalidOption(environment: environment, option: key,
                                                 reason: "must be a number in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
        }
        return parsed
    }

    /// One of `choices`, or `default` when absent.
    public mutating func choice(_ key: String, default value: String, from choices: [String]) throws -> String {
        guard let text = values.removeValue(forKey: key) else { return value }
        guard choices.contains(text) else {
            throw EnvironmentError.invalidOption(environment: environment, option: key,
                                                 reason: "must be one of \(choices.joined(separator: ", ")), got '\(text)'")
        }
        return text
    }

    /// Throws if any option was given that the environment did not read.
    public func finish() throws {
        if let key = values.keys.sorted().first {
            throw EnvironmentError.invalidOption(environment: environment, option: key, reason: "is not an option of this environment")
        }
    }
}

/// Every built-in environment, by name.
public enum Registry {
    public static let registrations: [Registration] =
        ClassicControl.registrations + MemoryTasks.registrations + PixelWorlds.registrations + MinAtarGames.registrations

    public static var names: [String] { registrations.map(\.name) }

    /// Builds `spec` — a name with optional `?key=value&…` options — wrapped in
    /// its registered time limit (unless `maxEpisodeSteps` overrides it; 0
    /// removes it) and in `EpisodeStatistics`.
    public static func make(_ spec: String, maxEpisodeSteps: Int? = nil) throws -> any Environment {
        let parts = spec.split(separator: "?", maxSplits: 1).map(String.init)
        let name = parts.first ?? ""
        guard let registration = registrations.first(where: { $0.name == name }) else {
            throw EnvironmentError.unknownEnvironment(name: name, known: names)
        }
        var values: [String: String] = [:]
        for pair in (parts.count > 1 ? parts[1] : "").split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, !kv[0].isEmpty else {
                throw EnvironmentError.invalidOption(environment: name, option: String(pair), reason: "is not of the form key=value")
            }
            values[kv[0]] = kv[1]
        }
        var env = try registration.make(EnvironmentOptions(environment: spec, values: values))
        if let limit = maxEpisodeSteps ?? registration.maxEpisodeSteps, limit > 0 {
            env = TimeLimit(env, maxEpisodeSteps: limit)
        }
        return EpisodeStatistics(env)
    }
}
