import CGLFW
import Foundation
import ReverieAgents
import ReverieEnvs
import ReverieTraining

/// `reverie view`: an agent (or a random policy) acting in its env, live in
/// a window — the env's frame scaled crisply, and a heads-up display with
/// episode, step, return, the critic's value and π(a|s) as bars.
///
/// The window redraws at the display's rate; the simulation advances by
/// wall time at `stepsPerSecond`, so drawing neither slows nor speeds it.
/// Keys: space pauses, → single-steps while paused, + and − double and
/// halve the speed, R restarts the episode, S saves a screenshot, Esc closes.
public final class Viewer {
    public let environment: any Environment
    /// The acting policy, or nil for uniformly random actions.
    public let policy: (any ActingPolicy)?
    public private(set) var readout = AgentReadout()
    public let layout: ViewerLayout
    private var rng: RandomGenerator
    private var seed: UInt64
    private var observation: [Float] = []
    private var memory = RecurrentState.none

    public init(environment: any Environment, policy: (any ActingPolicy)?, seed: UInt64) {
        (self.environment, self.policy, self.seed) = (environment, policy, seed)
        rng = RandomGenerator(seed: seed)
        layout = ViewerLayout(panelCount: 1, panelSize: 400)
        restart()
    }

    /// Starts episode `readout.episode` from `reset(seed: seed + episode − 1)`.
    private func restart() {
        observation = environment.reset(seed: seed &+ UInt64(readout.episode - 1))
        memory = policy?.initialMemory(batch: 1) ?? .none
        (readout.step, readout.episodeReturn, readout.value, readout.actionProbabilities) = (0, 0, nil, [])
    }

    /// One env step with the policy's most likely action (random: a uniform draw).
    public func step() throws {
        var action: [Float]
        if let policy {
            let (pi, value, next) = policy.step(Tensor(observation, shape: [1, observation.count]), memory: memory)
            let raw = pi.mode
            memory = policy.remember(actions: raw, in: next)
            readout.value = value.scalars.first
            if case .categorical(let c) = pi { readout.actionProbabilities = c.probabilities.scalars }
            action = policy.head.envActions(raw)
        } else {
            action = environment.actionSpace.sample(using: &rng)
        }
        readout.action = action.count == 1 ? String(format: action[0] == action[0].rounded() ? "%.0f" : "%.2f", action[0])
            : "[" + action.map { String(format: "%.2f", $0) }.joined(separator: ", ") + "]"
        let result = try environment.step(action)
        readout.step += 1
        readout.episodeReturn += result.reward
        observation = result.observation
        if result.isDone {
            readout.episode += 1
            restart()
        }
    }

    /// The window's picture now.
    public func picture() -> Raster {
        layout.draw(panels: [(environment.name, environment.render())], readout: readout)
    }

    /// Opens the window and runs until Esc or the window closes; with
    /// `frames`, runs that many display frames, one env step each (so the
    /// result does not depend on timing), then writes `screenshot` if given.
    /// - Parameter visible: false opens a hidden window (screenshots only).
    /// - Returns: the last picture shown.
    @discardableResult
    public func run(frames: Int? = nil, screenshot: URL? = nil, visible: Bool = true) throws -> Raster {
        let window = try Window(title: "Reverie — \(environment.name)", width: layout.width, height: layout.height, visible: visible)
        window.readBack = screenshot != nil
        var last = picture(), owed = 0.0, clock = window.time, shown = 0
        while !window.shouldClose {
            for key in window.pollKeys() {
                switch key {
                case GLFW_KEY_SPACE: readout.paused.toggle()
                case GLFW_KEY_RIGHT where readout.paused: try step()
                case GLFW_KEY_EQUAL, GLFW_KEY_KP_ADD: readout.stepsPerSecond = min(readout.stepsPerSecond * 2, 7680)
                case GLFW_KEY_MINUS, GLFW_KEY_KP_SUBTRACT: readout.stepsPerSecond = max(readout.stepsPerSecond / 2, 0.25)
                case GLFW_KEY_R: restart()
                case GLFW_KEY_S: try save(last.frame, to: URL(fileURLWithPath: "reverie-\(Int(Date().timeIntervalSince1970)).png"))
                case GLFW_KEY_ESCAPE: window.close()
                default: break
                }
            }
            let now = window.time
            if frames != nil {
                if !readout.paused { try step() }
            } else if !readout.paused {
                owed = min(owed + (now - clock) * readout.stepsPerSecond, 1000)
                while owed >= 1 { try step(); owed -= 1 }
            }
            clock = now
            last = picture()
            window.show(last)
            shown += 1
            if let frames, shown >= frames { break }
        }
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
