import CGLFW
import Foundation
import ReverieAgents
import ReverieEnvs
import ReverieTraining

/// `reverie view`: an agent (or a random policy) acting in its env, live in
/// a window — the env's frame scaled crisply, and a heads-up display with
/// episode, step, return, the critic's value and π(a|s) as bars. A
/// world-model agent on an image env gets two more panels: its model's
/// reconstruction of the frame, and an open-loop dream from a recent state
/// that runs `dreamSteps` ahead and is compared with reality as it unfolds
/// (D starts a new dream from now). Envs without pixels get strip charts of
/// the observation's components (with the model's reconstruction and the
/// dream's prediction beside them for a world-model agent), the value and
/// the reward over the last few hundred steps.
///
/// Frames are paced at the display's refresh rate and composed only when
/// something changed; between them the simulation takes the steps that
/// `stepsPerSecond` owes it by wall time. Decoding the model's pictures
/// happens while composing, so its cost follows the display, not the speed.
/// Keys: space pauses, → single-steps while paused, + and − double and
/// halve the speed, R restarts the episode, S saves a screenshot, D dreams,
/// Esc closes.
public final class Viewer {
    public let environment: WatchedEnvironment
    /// The acting policy, or nil for uniformly random actions.
    public let policy: (any ActingPolicy)?
    public private(set) var readout = AgentReadout()
    public let layout: ViewerLayout
    /// The strip charts' data (envs without pixels).
    public private(set) var plots: PlotHistory?
    /// How far ahead a dream runs.
    public let dreamSteps: Int
    private let dreamer: DreamerNetwork?
    private let isImage: Bool
    /// Observation components plotted (the first eight).
    private let plottedComponents: Int
    private var rng: RandomGenerator
    private var seed: UInt64
    /// The policy's reading of the current observation x_t (memory holds s_t once the policy has seen x_t).
    private var memory = RecurrentState.none
    private var distribution: PolicyDistribution?
    /// Observations seen since the viewer started; the current one's index is `seen − 1`.
    private var seen = 0
    /// The dream's imagined features (row k predicts observation `dreamStart + k`)
    /// and the episode it belongs to; a new one starts when it runs out, with a
    /// new episode, or on D. For vector observations all rows are decoded at
    /// once (`dreamVectors`, cheap); for images only the row on show.
    private var dreamFeatures = Tensor.zeros([0, 1])
    private var dreamVectors: [[Float]] = []
    private var dreamShown: (index: Int, frame: Frame?) = (-1, nil)
    private var dreamStart = 0, dreamEpisode = 0
    private var dreamRequested = false
    /// The reconstruction of observation `reconstructed.index`, decoded for display.
    private var reconstructed: (index: Int, frame: Frame?) = (-1, nil)

    /// Watches `environment` in-process.
    public convenience init(environment: any Environment, policy: (any ActingPolicy)?, seed: UInt64, dreamSteps: Int = 30) throws {
        try self.init(watching: .single(environment), policy: policy, seed: seed, dreamSteps: dreamSteps)
    }

    /// - Throws: what the env throws when it is first reset (a remote server that does not answer).
    public init(watching environment: WatchedEnvironment, policy: (any ActingPolicy)?, seed: UInt64, dreamSteps: Int = 30) throws {
        precondition(dreamSteps >= 1, "a dream needs at least one step, got \(dreamSteps)")
        (self.environment, self.policy, self.seed, self.dreamSteps) = (environment, policy, seed, dreamSteps)
        rng = RandomGenerator(seed: seed)
        dreamer = policy as? DreamerNetwork
        let shape = environment.observationSpace.shape
        isImage = shape.count == 3
        plottedComponents = isImage ? 0 : min(environment.observationSpace.flatCount, 8)
        if !isImage {
            let components = (0..<plottedComponents).map { "obs[\($0)]" }
            plots = PlotHistory(titles: components + (policy == nil ? [] : ["value"]) + ["reward"],
                                modelled: dreamer == nil ? 0 : plottedComponents)
        }
        let panels = dreamer != nil && isImage ? 3 : 1
        layout = ViewerLayout(panelCount: panels, panelSize: panels == 3 ? 320 : 400, plotCount: plots?.series.count ?? 0,
                              dreams: dreamer != nil)
        try restart()
    }

    /// Starts episode `readout.episode` from `reset(seed: seed + episode − 1)`.
    private func restart() throws {
        memory = policy?.initialMemory(batch: 1) ?? .none
        dreamEpisode = -1
        (readout.step, readout.episodeReturn) = (0, 0)
        see(try environment.reset(seed: seed &+ UInt64(readout.episode - 1)), reward: .nan)  // no reward comes with x_0: a gap in its chart
    }

    /// Takes in observation x_t and the reward that came with it (NaN at a
    /// reset): the policy reads it (π(·|s_t), V(s_t)) and the charts record it.
    private func see(_ observation: [Float], reward: Float) {
        seen += 1
        if let policy {
            let (pi, value, next) = policy.step(Tensor(observation, shape: [1, observation.count]), memory: memory)
            (distribution, memory) = (pi, next)
            readout.value = value.scalars.first
            if case .categorical(let c) = pi { readout.actionProbabilities = c.probabilities.scalars } else { readout.actionProbabilities = [] }
        }
        guard plots != nil else { return }
        let components = Array(observation.prefix(plottedComponents))
        var values = components + (policy == nil ? [] : [readout.value ?? .nan]) + [reward]
        values = values.map { $0.isFinite ? $0 : .nan }
        var reconstruction: [Float] = [], dream: [Float] = []
        if let dreamer {
            reconstruction = Array(dreamer.reconstruction(of: memory).prefix(plottedComponents))
            if let k = dreamIndex(seen - 1) { dream = Array(dreamVectors[k].prefix(plottedComponents)) }
        }
        plots!.append(values, reconstruction: reconstruction, dream: dream)
    }

    /// The dream frame predicting observation `index`, if the current dream covers it.
    private func dreamIndex(_ index: Int) -> Int? {
        let k = index - dreamStart
        return dreamEpisode == readout.episode && k >= 0 && k < dreamFeatures.shape[0] ? k : nil
    }

    /// Starts a new dream from now (the D key).
    public func requestDream() { dreamRequested = true }

    /// One env step with the policy's most likely action (random: a uniform draw).
    public func step() throws {
        var action: [Float]
        if let policy, let distribution {
            let raw = distribution.mode
            memory = policy.remember(actions: raw, in: memory)
            action = policy.head.envActions(raw)
        } else {
            action = environment.actionSpace.sample(using: &rng)
        }
        readout.action = action.count == 1 ? String(format: action[0] == action[0].rounded() ? "%.0f" : "%.2f", action[0])
            : "[" + action.map { String(format: "%.2f", $0) }.joined(separator: ", ") + "]"
        let result = try environment.step(action)
        readout.step += 1
        readout.episodeReturn += result.reward
        if result.isDone {
            readout.episode += 1
            try restart()
        } else {
            see(result.observation, reward: result.reward)
        }
    }

    /// The window's picture now. For a world-model agent this is where its
    /// reconstruction is decoded and a due dream imagined, once per display frame.
    public func picture() throws -> Raster {
        var panels: [(title: String, frame: Frame?)] = [(environment.name, try environment.render())]
        if let dreamer {
            let now = seen - 1
            if dreamRequested || dreamIndex(now) == nil {
                dreamFeatures = dreamer.dream(from: memory, steps: dreamSteps)
                (dreamStart, dreamEpisode, dreamRequested, dreamShown) = (now, readout.episode, false, (-1, nil))
                if !isImage {
                    let decoded = dreamer.worldModel.reconstruction(dreamFeatures), size = decoded.shape[1]
                    dreamVectors = (0...dreamSteps).map { Array(decoded.scalars[($0 * size)..<(($0 + 1) * size)]) }
                    plots?.replaceLastDream(Array(dreamVectors[0].prefix(plottedComponents)))
                }
            }
            if isImage {
                if reconstructed.index != now { reconstructed = (now, image(dreamer.reconstruction(of: memory))) }
                let k = dreamIndex(now)!
                if dreamShown.index != k {
                    dreamShown = (k, image(dreamer.worldModel.reconstruction(dreamFeatures.slice(k..<(k + 1))).scalars))
                }
                panels += [("reconstruction", reconstructed.frame), ("dream +\(k) of \(dreamSteps)", dreamShown.frame)]
            }
        }
        return layout.draw(panels: panels, plots: plots, readout: readout)
    }

    /// An H×W×3 observation (values 0…255) as a frame.
    private func image(_ values: [Float]) -> Frame {
        let shape = environment.observationSpace.shape
        return Frame(width: shape[1], height: shape[0], pixels: values.map { UInt8(min(max($0.rounded(), 0), 255)) })
    }

    /// What a `run` did: display frames, env steps, and the wall time spent
    /// drawing frames (the viewer's own cost): composing the picture (with a
    /// world model's decoding) and showing it (OpenGL).
    public struct Statistics: Sendable {
        public var frames = 0, steps = 0
        public var seconds = 0.0, composingSeconds = 0.0, drawingSeconds = 0.0
    }
    public private(set) var statistics = Statistics()

    /// Sets the simulation speed (the + and − keys double and halve it).
    public func setSpeed(_ stepsPerSecond: Double) {
        readout.stepsPerSecond = min(max(stepsPerSecond, 0.25), Self.maximumSpeed)
    }
    public static let maximumSpeed = 7680.0

    /// Opens the window and runs until Esc or the window closes (or for
    /// `seconds` of wall time); with `frames`, runs that many display frames,
    /// one env step each (so the result does not depend on timing), then
    /// writes `screenshot` if given.
    ///
    /// Frames are paced at the monitor's refresh rate (vsync on top where the
    /// display has it); between frames the simulation takes the steps the
    /// speed setting owes it by wall time, and otherwise sleeps. So drawing
    /// costs a fixed share of time per second, whatever the speed.
    /// - Parameter visible: false opens a hidden window (screenshots only).
    /// - Returns: the last picture shown.
    @discardableResult
    public func run(frames: Int? = nil, seconds: Double? = nil, screenshot: URL? = nil, visible: Bool = true) throws -> Raster {
        let window = try Window(title: "Reverie — \(environment.name)", width: layout.width, height: layout.height, visible: visible)
        window.readBack = screenshot != nil
        let interval = 1 / window.refreshRate, start = window.time
        var last = try picture(), owed = 0.0, clock = start, nextFrame = start
        var drawnFor: (seen: Int, readout: AgentReadout)? = (seen, readout)
        statistics = Statistics()
        while !window.shouldClose {
            for key in window.pollKeys() {
                switch key {
                case GLFW_KEY_SPACE: readout.paused.toggle()
                case GLFW_KEY_RIGHT where readout.paused: try step()
                case GLFW_KEY_EQUAL, GLFW_KEY_KP_ADD: setSpeed(readout.stepsPerSecond * 2)
                case GLFW_KEY_MINUS, GLFW_KEY_KP_SUBTRACT: setSpeed(readout.stepsPerSecond / 2)
                case GLFW_KEY_R: try restart()
                case GLFW_KEY_D: requestDream()
                case GLFW_KEY_S: try save(last.frame, to: URL(fileURLWithPath: "reverie-\(Int(Date().timeIntervalSince1970)).png"))
                case GLFW_KEY_ESCAPE: window.close()
                default: break
                }
            }
            if frames != nil {
                if !readout.paused { try step(); statistics.steps += 1 }
            } else {
                // Until the next frame is due: the steps owed by wall time, else sleep.
                nextFrame += interval
                while true {
                    let now = window.time
                    if !readout.paused { owed = min(owed + (now - clock) * readout.stepsPerSecond, 1000) }
                    clock = now
                    if now >= nextFrame { break }
                    if owed >= 1 {
                        try step()
                        (owed, statistics.steps) = (owed - 1, statistics.steps + 1)
                    } else {
                        Thread.sleep(forTimeInterval: min(nextFrame - now, 0.001))
                    }
                }
                nextFrame = max(nextFrame, clock - interval)   // after a stall, do not rush to catch up
            }
            let drawing = window.time
            // Compose only when something changed (a step, a reset, a key); show every frame.
            if drawnFor?.seen != seen || drawnFor?.readout != readout || dreamRequested {
                last = try picture()
                drawnFor = (seen, readout)
                statistics.composingSeconds += window.time - drawing
            }
            window.show(last)
            statistics.drawingSeconds += window.time - drawing
            statistics.frames += 1
            if let frames, statistics.frames >= frames { break }
            if let seconds, window.time - start >= seconds { break }
        }
        statistics.seconds = window.time - start
        if let screenshot {
            // What the window shows, read back from OpenGL; the composed picture if the sizes differ (HiDPI).
            let shown = window.lastShown.map { Frame(width: last.width, height: last.height, pixels: $0) }
            try save(shown ?? last.frame, to: screenshot)
        }
        return last
    }

    private func save(_ frame: Frame, to url: URL) throws {
        try PNGWriter.write(frame, to: url)
        FileHandle.standardError.write(Data("wrote \(url.path)\n".utf8))
    }
}
