/// One environment with Gymnasium's semantics.
///
/// `terminated` (the MDP reached a terminal state: do not bootstrap) and
/// `truncated` (a time limit or other outside cut: bootstrap from the final
/// observation) are never merged. Time limits are wrappers (`TimeLimit`), as
/// in Gymnasium's registry, so `make("CartPole-v1")` truncates at 500 steps
/// while `CartPole()` alone never does.
public protocol Environment: AnyObject {
    /// The registry name with its options, e.g. `"CartPole-v1"`, `"TMaze?length=40"`.
    var name: String { get }
    var observationSpace: Space { get }
    var actionSpace: Space { get }

    /// Starts an episode and returns its first observation. A seed re-seeds
    /// the environment's generator (Gymnasium's `reset(seed=…)`); `nil`
    /// continues from the current generator state.
    func reset(seed: UInt64?) -> [Float]

    /// Advances one step. Throws `EnvironmentError.invalidAction` for an
    /// action outside `actionSpace`, and `.stepAfterEnd` when called on an
    /// ended episode without `reset`.
    func step(_ action: [Float]) throws -> Step

    /// The current state drawn as RGB pixels, or nil if this environment
    /// cannot draw itself.
    func render() -> Frame?
}

extension Environment {
    /// Starts an episode, continuing the generator's state.
    public func reset() -> [Float] { reset(seed: nil) }

    /// Throws `invalidAction` unless `action` lies in `actionSpace`; every
    /// environment calls this first thing in `step`.
    public func validate(_ action: [Float]) throws {
        guard actionSpace.contains(action) else {
            throw EnvironmentError.invalidAction(environment: name, space: actionSpace, action: action)
        }
    }
}

/// What one step returns (Gymnasium's `(obs, reward, terminated, truncated, info)`).
public struct Step: Sendable, Equatable {
    /// The observation after the step, flat, laid out as `observationSpace`.
    public var observation: [Float]
    public var reward: Float
    /// The MDP ended in a terminal state: its value is 0, do not bootstrap.
    public var terminated: Bool
    /// The episode was cut short (time limit): bootstrap from `observation`.
    public var truncated: Bool
    /// Extra numbers, as Gymnasium's `info` (e.g. `"episode_return"`,
    /// `"episode_length"` from `EpisodeStatistics` when an episode ends).
    public var info: [String: Float]

    public init(observation: [Float], reward: Float, terminated: Bool, truncated: Bool = false, info: [String: Float] = [:]) {
        self.observation = observation
        self.reward = reward
        self.terminated = terminated
        self.truncated = truncated
        self.info = info
    }

    /// The episode is over, for either reason.
    public var isDone: Bool { terminated || truncated }
}

/// An RGB8 image, row-major, 3 bytes per pixel, top row first.
public struct Frame: Sendable, Equatable {
    public let width: Int, height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3, "a \(width)×\(height) RGB frame needs \(width * height * 3) bytes")
        (self.width, self.height, self.pixels) = (width, height, pixels)
    }

    /// A frame filled with one colour.
    public init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8) = (255, 255, 255)) {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) { pixels[3 * i] = fill.0; pixels[3 * i + 1] = fill.1; pixels[3 * i + 2] = fill.2 }
        self.init(width: width, height: height, pixels: pixels)
    }

    /// An H×W×C image observation (Gymnasium's HWC layout, values 0…255,
    /// rounded and clamped) as a picture: 3 channels as RGB, any other
    /// number as grey from the last channel (the newest frame of a stack).
    public init(image values: [Float], shape: [Int]) {
        precondition(shape.count == 3 && values.count == shape.reduce(1, *), "an H×W×C image of shape \(shape), got \(values.count) values")
        let (height, width, channels) = (shape[0], shape[1], shape[2])
        let byte = { (v: Float) in UInt8(Swift.min(Swift.max(v.rounded(), 0), 255)) }
        let pixels = channels == 3 ? values.map(byte)
            : (0..<(height * width)).flatMap { i in Array(repeating: byte(values[i * channels + channels - 1]), count: 3) }
        self.init(width: width, height: height, pixels: pixels)
    }
}

/// Errors an environment reports; each names the environment.
public enum EnvironmentError: Error, Equatable, CustomStringConvertible {
    case invalidAction(environment: String, space: Space, action: [Float])
    case stepAfterEnd(environment: String)
    case invalidObservation(environment: String, expected: Space, count: Int)
    case unknownEnvironment(name: String, known: [String])
    case invalidOption(environment: String, option: String, reason: String)

    /// A known name close to `name`, to suggest: the same letters and digits
    /// ignoring case, punctuation and a `-vN` version (`T-Maze` → `TMaze`,
    /// `CartPole-v0` → `CartPole-v1`); else the shortest that starts with
    /// them, given at least three (`pixel` → `PixelCatch`); else one within
    /// two edits (`CartPoel` → `CartPole-v1`); names with the version asked
    /// for first.
    static func closestName(to name: String, in known: [String]) -> String? {
        func key(_ s: String) -> String {
            var s = Substring(s.lowercased())
            if let dash = s.lastIndex(of: "-") {
                let version = s[s.index(after: dash)...]
                if version.count > 1 && version.first == "v" && version.dropFirst().allSatisfy(\.isNumber) { s = s[..<dash] }
            }
            return String(s.filter { $0.isLetter || $0.isNumber })
        }
        let wanted = key(name)
        guard !wanted.isEmpty else { return nil }
        // Names with the version asked for come first (`Breakot-v1` → `Breakout-v1`, not `-v0`).
        let suffix = name.lastIndex(of: "-").map { String(name[$0...]) } ?? ""
        let version = suffix.count > 2 && suffix.dropFirst().first == "v" && suffix.dropFirst(2).allSatisfy(\.isNumber) ? suffix : ""
        let sameVersion = { (known: String) in !version.isEmpty && known.hasSuffix(version) }
        let keys = (known.filter(sameVersion) + known.filter { !sameVersion($0) }).map { (name: $0, key: key($0)) }
        if let same = keys.first(where: { $0.key == wanted }) { return same.name }
        if wanted.count >= 3, let longer = keys.filter({ $0.key.starts(with: wanted) }).min(by: { $0.key.count < $1.key.count }) {
            return longer.name
        }
        let near = keys.map { (name: $0.name, distance: editDistance($0.key, wanted)) }.min { $0.distance < $1.distance }
        return near.flatMap { $0.distance <= 2 ? $0.name : nil }
    }

    /// Whether the error is in how the env was named (an unknown name, a bad
    /// option), a mistake in a config or a command line rather than a failure.
    public var isInTheName: Bool {
        switch self {
        case .unknownEnvironment, .invalidOption: true
        case .invalidAction, .invalidObservation, .stepAfterEnd: false
        }
    }

    public var description: String {
        switch self {
        case .invalidAction(let env, let space, let action):
            "\(env): action \(action) is not in the action space \(space)"
        case .invalidObservation(let env, let space, let count):
            "\(env): returned an observation of \(count) values; its observation space \(space) holds \(space.flatCount)"
        case .stepAfterEnd(let env):
            "\(env): step called after the episode ended; call reset first"
        case .unknownEnvironment(let name, let known):
            "unknown environment '\(name)'"
                + (Self.closestName(to: name, in: known).map { "; did you mean '\($0)'?" } ?? ".")
                + " Known: \(known.joined(separator: ", "))"
        case .invalidOption(let env, let option, let reason):
            "\(env): option '\(option)' \(reason)"
        }
    }
}
