import Synchronization

/// How to build one named environment: a factory taking the options parsed
/// from the name (`"TMaze?length=40"` → `["length": "40"]`) and Gymnasium's
/// registered time limit, applied by `make`.
public struct Registration: Sendable {
    public let name: String
    public let summary: String
    /// Gymnasium's `max_episode_steps`; nil for no time limit.
    public let maxEpisodeSteps: Int?
    public let make: @Sendable (EnvironmentOptions) throws -> any Environment
    /// Builds N envs as one batch (`count`, then the time limit, 0 for none),
    /// stepping exactly as a `SyncVectorEnvironment` of `make`'s envs wrapped
    /// as `Registry.make` wraps them; nil where there is no batched version.
    public let makeVector: (@Sendable (EnvironmentOptions, Int, Int) throws -> any VectorEnvironment)?

    public init(_ name: String, summary: String, maxEpisodeSteps: Int?,
                make: @escaping @Sendable (EnvironmentOptions) throws -> any Environment,
                makeVector: (@Sendable (EnvironmentOptions, Int, Int) throws -> any VectorEnvironment)? = nil) {
        (self.name, self.summary, self.maxEpisodeSteps, self.make) = (name, summary, maxEpisodeSteps, make)
        self.makeVector = makeVector
    }
}

/// The options given after `?` in an environment name, with typed access that
/// reports bad or unknown options by name.
public struct EnvironmentOptions: Sendable {
    public let environment: String
    private var values: [String: String]
    /// Where the options read are noted (`Registration.options`), if anywhere.
    private let notes: OptionNotes?

    public init(environment: String, values: [String: String] = [:]) {
        self.environment = environment
        self.values = values
        notes = nil
    }

    /// Options that note every option the env reads, with its default and range.
    init(notingFor environment: String, into notes: OptionNotes) {
        (self.environment, values, self.notes) = (environment, [:], notes)
    }

    /// An integer option in `range`, or `default` when absent.
    public mutating func int(_ key: String, default value: Int, in range: ClosedRange<Int> = Int.min...Int.max) throws -> Int {
        notes?.add(key, value, range.upperBound == .max ? "≥ \(range.lowerBound)" : "\(range.lowerBound)…\(range.upperBound)")
        guard let text = values.removeValue(forKey: key) else { return value }
        guard let parsed = Int(text), range.contains(parsed) else {
            throw EnvironmentError.invalidOption(environment: environment, option: key,
                                                 reason: "must be an integer \(range.upperBound == .max ? "≥ \(range.lowerBound)" : "in \(range.lowerBound)...\(range.upperBound)"), got '\(text)'")
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
        notes?.add(key, value, range.upperBound.isInfinite ? "≥ \(range.lowerBound)" : "\(range.lowerBound)…\(range.upperBound)")
        guard let text = values.removeValue(forKey: key) else { return value }
        guard let parsed = T(text), range.contains(parsed) else {
            throw EnvironmentError.invalidOption(environment: environment, option: key,
                                                 reason: "must be a number in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
        }
        return parsed
    }

    /// One of `choices`, or `default` when absent.
    public mutating func choice(_ key: String, default value: String, from choices: [String]) throws -> String {
        notes?.add(key, value, choices.joined(separator: "|"))
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

/// An option an env reads after `?` in its name, as `reverie envs` lists it.
public struct OptionDescription: Sendable, Equatable, CustomStringConvertible {
    public let name: String
    public let defaultValue: String
    /// The values it takes: `1…100000`, `easy|medium|hard`.
    public let allowed: String
    public var description: String { "\(name)=\(defaultValue) (\(allowed))" }
}

/// The options an env read while being made, in the order it read them.
final class OptionNotes: @unchecked Sendable {  // used by one thread, while one env is made
    private(set) var options: [OptionDescription] = []

    func add(_ name: String, _ value: some CustomStringConvertible, _ allowed: String) {
        if !options.contains(where: { $0.name == name }) {
            options.append(OptionDescription(name: name, defaultValue: "\(value)", allowed: allowed))
        }
    }
}

extension Registration {
    /// The options this env reads, found by making it once with none given:
    /// the list cannot drift from what the env accepts.
    public func options() throws -> [OptionDescription] {
        let notes = OptionNotes()
        _ = try make(EnvironmentOptions(notingFor: name, into: notes))
        return notes.options
    }
}

/// Every environment `make` knows by name: the built-in ones, then those a
/// program using Reverie as a library registered.
public enum Registry {
    public static let builtIn: [Registration] =
        ClassicControl.registrations + MemoryTasks.registrations + PixelWorlds.registrations + MinAtarGames.registrations

    /// The built-in envs, then the registered ones, in the order they were registered.
    public static var registrations: [Registration] { builtIn + registered.withLock { $0 } }

    public static var names: [String] { registrations.map(\.name) }

    private static let registered = Mutex<[Registration]>([])

    /// Adds an environment of your own under `registration.name`, so that
    /// everything that makes envs by name finds it: `make`, a `TrainConfig`'s
    /// `env` (and so `Trainer` and presets), `SavedPolicy` (`reverie eval`),
    /// the viewer, `EnvironmentServer` (`reverie serve`). Options after `?` in
    /// a name reach `make` as `EnvironmentOptions`.
    ///
    ///     try Registry.register(Registration("Corridor-v0", summary: "walk right to the goal",
    ///                                        maxEpisodeSteps: 32) { options in Corridor() })
    ///
    /// - Throws: `EnvironmentError.invalidOption` if the name is taken, empty or holds `?`.
    public static func register(_ registration: Registration) throws {
        let name = registration.name
        guard !name.isEmpty, !name.contains("?"), !name.contains("://") else {
            throw EnvironmentError.invalidOption(environment: name, option: "name",
                                                 reason: "must be non-empty, without '?' or '://' (options follow a name; addresses are served envs)")
        }
        try registered.withLock { list in
            guard !builtIn.contains(where: { $0.name == name }) && !list.contains(where: { $0.name == name }) else {
                throw EnvironmentError.invalidOption(environment: name, option: "name", reason: "is already registered")
            }
            list.append(registration)
        }
    }

    /// Builds `spec` — a name with optional `?key=value&…` options — wrapped in
    /// its registered time limit (unless `maxEpisodeSteps`, or the option
    /// `max_episode_steps` every env takes, overrides it; 0 removes it) and in
    /// `EpisodeStatistics`. `maxEpisodeSteps` wins over the option.
    public static func make(_ spec: String, maxEpisodeSteps: Int? = nil) throws -> any Environment {
        let (registration, options, limit) = try parse(spec, maxEpisodeSteps: maxEpisodeSteps)
        var env = try registration.make(options)
        if limit > 0 { env = TimeLimit(env, maxEpisodeSteps: limit) }
        return EpisodeStatistics(env)
    }

    /// `count` envs of `spec` as one vector: the env's batched version where
    /// it has one (MinAtar's games), else a `SyncVectorEnvironment` of
    /// `make(spec)`; either steps the same. Env i is seeded s + i.
    public static func makeVector(_ spec: String, count: Int, maxEpisodeSteps: Int? = nil) throws -> any VectorEnvironment {
        guard count >= 1 else {
            throw EnvironmentError.invalidOption(environment: spec, option: "count", reason: "must be at least 1, got \(count)")
        }
        let (registration, options, limit) = try parse(spec, maxEpisodeSteps: maxEpisodeSteps)
        if let makeVector = registration.makeVector { return try makeVector(options, count, limit) }
        return try SyncVectorEnvironment(count: count) { _ in try make(spec, maxEpisodeSteps: maxEpisodeSteps) }
    }

    /// The registration `spec` names, its options (`max_episode_steps` taken
    /// out) and the time limit that applies (0 for none).
    private static func parse(_ spec: String, maxEpisodeSteps: Int?) throws -> (Registration, EnvironmentOptions, Int) {
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
        // Every env takes `max_episode_steps` (Gymnasium's `make` argument) as an option too: a cap such
        // as gymnax's 1,000 steps for MinAtar is then part of the name a config or a server gives.
        var options = EnvironmentOptions(environment: spec, values: values)
        var optionLimit: Int?
        if values["max_episode_steps"] != nil { optionLimit = try options.int("max_episode_steps", default: 0, in: 0...Int.max) }
        return (registration, options, maxEpisodeSteps ?? optionLimit ?? registration.maxEpisodeSteps ?? 0)
    }
}
