import CGLFW
import Foundation
import Synchronization
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
/// In `run`, the simulation has a thread of its own, taking the steps that
/// `stepsPerSecond` owes it by wall time. The display, on the main thread,
/// copies what a frame shows under a lock once per refresh (a `Scene`) and
/// composes and draws from that copy — decoding the model's pictures
/// included — while the simulation goes on: with a core to spare, watching
/// costs the agent nothing, whatever the speed.
/// Keys: space pauses, → single-steps while paused, + and − double and
/// halve the speed, R restarts the episode, S saves a screenshot, D dreams,
/// Esc closes.
public final class Viewer: @unchecked Sendable {
    public let environment: WatchedEnvironment
    /// The acting policy, or nil for uniformly random actions.
    public let policy: (any ActingPolicy)?
    public let layout: ViewerLayout
    /// How far ahead a dream runs.
    public let dreamSteps: Int
    private let dreamer: DreamerNetwork?
    private let isImage: Bool
    /// Observation components plotted (the first eight).
    private let plottedComponents: Int

    // MARK: Simulation state (guarded by `lock`)

    /// Guards everything below it until the display's caches: the simulation
    /// thread writes it, the display reads it (and starts dreams in it).
    private let lock = NSLock()
    /// Threads other than the simulation's waiting for the lock: the
    /// simulation steps aside for them (a mutex is not fair, and a
    /// simulation flat out would take it back between every two steps).
    private let waiting = Atomic<Int>(0)
    private var current = AgentReadout()
    /// The strip charts' data (envs without pixels).
    private var history: PlotHistory?
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
    /// once (`dreamVectors`, the plotted components of each row, charted as the
    /// simulation reaches them).
    private var dreamFeatures = Tensor.zeros([0, 1])
    private var dreamVectors: [[Float]] = []
    private var dreamStart = 0, dreamEpisode = 0
    private var dreamRequested = false
    /// Steps the simulation thread took, and what stopped it.
    private var simulatedSteps = 0
    private var simulationError: (any Error)?
    private var simulating = false

    // MARK: Display caches (main thread only)

    /// The reconstruction of observation `index`, and the dream frame shown, decoded for display.
    private var reconstructed: (index: Int, frame: Frame?) = (-1, nil)
    private var dreamShown: (start: Int, index: Int, frame: Frame?) = (-1, -1, nil)

    /// What the heads-up display shows now.
    public var readout: AgentReadout { displayLock { current } }
    /// The strip charts' data now (envs without pixels).
    public var plots: PlotHistory? { displayLock { history } }

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
            history = PlotHistory(titles: components + (policy == nil ? [] : ["value"]) + ["reward"],
                                  modelled: dreamer == nil ? 0 : plottedComponents)
        }
        let panels = dreamer != nil && isImage ? 3 : 1
        layout = ViewerLayout(panelCount: panels, panelSize: panels == 3 ? 320 : 400, plotCount: history?.series.count ?? 0,
                              dreams: dreamer != nil)
        try restart()
    }

    // MARK: - Simulation (called with the lock held)

    /// Starts episode `current.episode` from `reset(seed: seed + episode − 1)`.
    private func restart() throws {
        memory = policy?.initialMemory(batch: 1) ?? .none
        dreamEpisode = -1
        (current.step, current.episodeReturn) = (0, 0)
        see(try environment.reset(seed: seed &+ UInt64(current.episode - 1)), reward: .nan)  // no reward comes with x_0: a gap in its chart
    }

    /// Takes in observation x_t and the reward that came with it (NaN at a
    /// reset): the policy reads it (π(·|s_t), V(s_t)) and the charts record it.
    private func see(_ observation: [Float], reward: Float) {
        seen += 1
        if let policy {
            let (pi, value, next) = policy.step(Tensor(observation, shape: [1, observation.count]), memory: memory)
            (distribution, memory) = (pi, next)
            current.value = value.scalars.first
            if case .categorical(let c) = pi { current.actionProbabilities = c.probabilities.scalars } else { current.actionProbabilities = [] }
        }
        guard history != nil else { return }
        let components = Array(observation.prefix(plottedComponents))
        var values = components + (policy == nil ? [] : [current.value ?? .nan]) + [reward]
        values = values.map { $0.isFinite ? $0 : .nan }
        var reconstruction: [Float] = [], dream: [Float] = []
        if let dreamer {
            reconstruction = Array(dreamer.reconstruction(of: memory).prefix(plottedComponents))
            if let k = dreamIndex(seen - 1) { dream = dreamVectors[k] }
        }
        history!.append(values, reconstruction: reconstruction, dream: dream)
    }

    /// The dream frame predicting observation `index`, if the current dream covers it.
    private func dreamIndex(_ index: Int) -> Int? {
        let k = index - dreamStart
        return dreamEpisode == current.episode && k >= 0 && k < dreamFeatures.shape[0] ? k : nil
    }

    /// One env step with the policy's most likely action (random: a uniform draw).
    private func advance() throws {
        var action: [Float]
        if let policy, let distribution {
            let raw = distribution.mode
            memory = policy.remember(actions: raw, in: memory)
            action = policy.head.envActions(raw)
        } else {
            action = environment.actionSpace.sample(using: &rng)
        }
        current.action = action.count == 1 ? String(format: action[0] == action[0].rounded() ? "%.0f" : "%.2f", action[0])
            : "[" + action.map { String(format: "%.2f", $0) }.joined(separator: ", ") + "]"
        let result = try environment.step(action)
        current.step += 1
        current.episodeReturn += result.reward
        if result.isDone {
            current.episode += 1
            try restart()
        } else {
            see(result.observation, reward: result.reward)
        }
    }

    // MARK: - Control

    /// One env step.
    public func step() throws { try displayLock { try advance() } }

    /// Starts a new dream from now (the D key).
    public func requestDream() { displayLock { dreamRequested = true } }

    /// Sets the simulation speed (the + and − keys double and halve it).
    public func setSpeed(_ stepsPerSecond: Double) {
        displayLock { current.stepsPerSecond = min(max(stepsPerSecond, 0.25), Self.maximumSpeed) }
    }
    public static let maximumSpeed = 7680.0

    // MARK: - Display

    /// What a frame shows, copied from the simulation under the lock.
    private struct Scene {
        var frame: Frame?
        var readout: AgentReadout
        var plots: PlotHistory?
        var memory: RecurrentState
        /// The index of the observation on show.
        var now: Int
        /// The dream running, or nil when a new one is due.
        var dream: (features: Tensor, start: Int)?
    }

    /// `lock.withLock` for anyone but the simulation thread (the display,
    /// keys, callers): the simulation lets them in at its next step.
    private func displayLock<R>(_ body: () throws -> R) rethrows -> R {
        waiting.wrappingAdd(1, ordering: .relaxed)
        lock.lock()
        waiting.wrappingSubtract(1, ordering: .relaxed)
        defer { lock.unlock() }
        return try body()
    }

    private func scene() throws -> Scene {
        try displayLock {
            let now = seen - 1
            let dream = dreamer != nil && !dreamRequested && dreamIndex(now) != nil ? (dreamFeatures, dreamStart) : nil
            return Scene(frame: try environment.render(), readout: current, plots: history, memory: memory, now: now, dream: dream)
        }
    }

    /// The window's picture now. For a world-model agent this is where its
    /// reconstruction is decoded and a due dream imagined, once per display frame.
    public func picture() throws -> Raster {
        var scene = try scene()
        var panels: [(title: String, frame: Frame?)] = [(environment.name, scene.frame)]
        if let dreamer {
            if scene.dream == nil {
                let features = dreamer.dream(from: scene.memory, steps: dreamSteps)
                var vectors: [[Float]] = []
                if !isImage {
                    let decoded = dreamer.worldModel.reconstruction(features), size = decoded.shape[1], values = decoded.scalars
                    vectors = (0...dreamSteps).map { Array(values[($0 * size)..<($0 * size + plottedComponents)]) }
                    scene.plots?.replaceDream(vectors[0])
                }
                startDream(features, vectors: vectors, at: scene.now, episode: scene.readout.episode)
                scene.dream = (features, scene.now)
            }
            if isImage, let (features, start) = scene.dream {
                if reconstructed.index != scene.now { reconstructed = (scene.now, image(dreamer.reconstruction(of: scene.memory))) }
                let k = scene.now - start
                if dreamShown.start != start || dreamShown.index != k {
                    dreamShown = (start, k, image(dreamer.worldModel.reconstruction(features.slice(k..<(k + 1))).scalars))
                }
                panels += [("reconstruction", reconstructed.frame), ("dream +\(k) of \(dreamSteps)", dreamShown.frame)]
            }
        }
        return layout.draw(panels: panels, plots: scene.plots, readout: scene.readout)
    }

    /// Makes `features` the running dream, imagined from observation `start`
    /// of `episode`; the steps the simulation took meanwhile get its
    /// predictions in the charts.
    private func startDream(_ features: Tensor, vectors: [[Float]], at start: Int, episode: Int) {
        displayLock {
            (dreamFeatures, dreamVectors, dreamStart, dreamEpisode, dreamRequested) = (features, vectors, start, episode, false)
            guard !vectors.isEmpty, episode == current.episode else { return }
            let newest = seen - 1
            for index in start...newest where index - start < vectors.count {
                history?.replaceDream(vectors[index - start], stepsAgo: newest - index)
            }
        }
    }

    /// An image observation, reconstructed or dreamed, as a frame: drawn by
    /// the env where it draws its observations (MinAtar's grids), else an
    /// H×W×C image (values 0…255) as it is.
    private func image(_ values: [Float]) -> Frame {
        if let drawing = environment.observationDrawing { return drawing.draw(observation: values) }
        return Frame(image: values, shape: environment.observationSpace.shape)
    }

    /// What a `run` did: display frames, env steps, and the wall time spent
    /// on the display: composing the picture (with a world model's decoding)
    /// and showing it (OpenGL).
    public struct Statistics: Sendable {
        public var frames = 0, steps = 0
        public var seconds = 0.0, composingSeconds = 0.0, drawingSeconds = 0.0
    }
    public private(set) var statistics = Statistics()

    // MARK: - Running

    /// The simulation thread's loop: the steps the speed setting owes by
    /// wall time, one at a time under the lock, sleeping when none is owed.
    private func simulate() {
        var owed = 0.0, clock = ProcessInfo.processInfo.systemUptime
        while true {
            let pause: Double? = lock.withLock {
                guard simulating else { return nil }
                let now = ProcessInfo.processInfo.systemUptime
                if !current.paused { owed = min(owed + (now - clock) * current.stepsPerSecond, 1000) }
                clock = now
                guard owed >= 1 else { return current.paused ? 0.001 : min((1 - owed) / current.stepsPerSecond, 0.001) }
                do {
                    try advance()
                    (owed, simulatedSteps) = (owed - 1, simulatedSteps + 1)
                } catch {
                    (simulationError, simulating) = (error, false)
                }
                return 0
            }
            guard let pause else { return }
            if pause > 0 { Thread.sleep(forTimeInterval: pause) }
            while waiting.load(ordering: .relaxed) > 0 { Thread.sleep(forTimeInterval: 0.00005) }
        }
    }

    /// Opens the window and runs until Esc or the window closes (or for
    /// `seconds` of wall time); with `frames`, runs that many display frames,
    /// one env step each on the main thread (so the result does not depend
    /// on timing), then writes `screenshot` if given.
    ///
    /// Otherwise the simulation runs on its own thread at the speed setting,
    /// and the display wakes at the monitor's refresh rate (vsync on top
    /// where the display has it), composing a new picture when the
    /// simulation moved.
    /// - Parameter visible: false opens a hidden window (screenshots only).
    /// - Returns: the last picture shown.
    @discardableResult
    public func run(frames: Int? = nil, seconds: Double? = nil, screenshot: URL? = nil, visible: Bool = true) throws -> Raster {
        let window = try Window(title: "Reverie — \(environment.name)", width: layout.width, height: layout.height, visible: visible)
        window.readBack = screenshot != nil
        let interval = 1 / window.refreshRate, start = window.time
        var last = try picture(), nextFrame = start
        var drawnFor = displayLock { (seen, current, dreamRequested) }
        statistics = Statistics()
        let simulation = DispatchSemaphore(value: 0)
        if frames == nil {
            displayLock { (simulating, simulatedSteps, simulationError) = (true, 0, nil) }
            Thread.detachNewThread { [self] in
                simulate()
                simulation.signal()
            }
        }
        defer {
            if frames == nil {
                displayLock { simulating = false }
                simulation.wait()
            }
        }
        while !window.shouldClose {
            for key in window.pollKeys() {
                switch key {
                case GLFW_KEY_SPACE: displayLock { current.paused.toggle() }
                case GLFW_KEY_RIGHT: try displayLock { if current.paused { try advance() } }
                case GLFW_KEY_EQUAL, GLFW_KEY_KP_ADD: setSpeed(readout.stepsPerSecond * 2)
                case GLFW_KEY_MINUS, GLFW_KEY_KP_SUBTRACT: setSpeed(readout.stepsPerSecond / 2)
                case GLFW_KEY_R: try displayLock { try restart() }
                case GLFW_KEY_D: requestDream()
                case GLFW_KEY_S: try save(last.frame, to: URL(fileURLWithPath: "reverie-\(Int(Date().timeIntervalSince1970)).png"))
                case GLFW_KEY_ESCAPE: window.close()
                default: break
                }
            }
            if frames != nil {
                if !readout.paused { try step(); statistics.steps += 1 }
            } else {
                if let error = displayLock({ simulationError }) { throw error }
                nextFrame += interval
                let now = window.time
                if nextFrame > now { Thread.sleep(forTimeInterval: nextFrame - now) }
                nextFrame = max(nextFrame, window.time - interval)   // after a stall, do not rush to catch up
            }
            let drawing = window.time
            // Compose only when something changed (a step, a reset, a key); show every frame.
            let state = displayLock { (seen, current, dreamRequested) }
            if state.0 != drawnFor.0 || state.1 != drawnFor.1 || state.2 {
                last = try picture()
                drawnFor = state
                statistics.composingSeconds += window.time - drawing
            }
            window.show(last)
            statistics.drawingSeconds += window.time - drawing
            statistics.frames += 1
            if let frames, statistics.frames >= frames { break }
            if let seconds, window.time - start >= seconds { break }
        }
        statistics.seconds = window.time - start
        if frames == nil { statistics.steps = displayLock { simulatedSteps } }
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
