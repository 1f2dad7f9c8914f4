/// Gymnasium's `AtariPreprocessing` (Machado et al. 2018, "Revisiting the
/// Arcade Learning Environment") for N pixel envs stepped as one batch,
/// served (the Gymnasium bridge) or in process:
///
/// - **No-op reset**: after every reset, k no-op actions (action 0), k drawn
///   uniformly from 1…`noopMax` (0: none).
/// - **Frame skip**: each action is repeated `frameSkip` times, the rewards
///   summed; an env stops repeating where its episode ends.
/// - **Max-pooling** over the last two frames of the skip (Atari flickers).
/// - **Grayscale** (ALE's own when the server sends grayscale frames, as
///   `gymnasium:ALE/…` does; else ITU-R 601 luma, OpenCV's `COLOR_RGB2GRAY`).
/// - **Resize** by pixel area to `screen` (84×84; 64×64 for world models),
///   byte for byte OpenCV's `INTER_AREA` (`AreaResize`).
/// - **Terminal on life loss** (optional), as CleanRL's `EpisodicLifeEnv`
///   rather than Gymnasium's: a lost life ends the learner's episode
///   (`terminated`, no bootstrap) but not the game, which goes on after one
///   no-op step; that step's `info["life_loss"]` is 1. `episode_return` and
///   `episode_length` in `infos` still report whole games, so curves read as
///   everyone's Atari curves.
///
/// Where Gymnasium's wrapper and this one part: the no-op counts come from
/// this wrapper's generator (seeded by `reset(seed:)`), not the env's; and
/// life loss as above. Everything else is step for step Gymnasium's,
/// including the final observation of an episode that ends mid-skip (the
/// pool of the previous step's frames, as Gymnasium leaves its buffers).
/// Reward clipping belongs to the learner (`ppo.clip_rewards`), frame
/// stacking to `VectorFrameStack`.
///
/// Each env is stepped on its own course within the batch (the protocol's
/// `active`), so an env whose episode ends mid-skip waits for the others.
/// Observations: (N, H, W) grayscale or (N, H, W, 3), uint8 values 0…255.
public final class AtariPreprocessing: VectorEnvironmentWrapper {
    public struct Settings: Sendable, Equatable {
        /// Most no-ops after a reset (Gymnasium's `noop_max`); 0 for none.
        public var noopMax = 30
        /// Frames per action (`frame_skip`); the inner env must not skip itself.
        public var frameSkip = 4
        /// Output size (height, width).
        public var screen = Size(height: 84, width: 84)
        /// A lost life ends the learner's episode, not the game (CleanRL's `EpisodicLifeEnv`).
        public var terminalOnLifeLoss = false
        /// One luminance channel, else RGB.
        public var grayscale = true

        public struct Size: Sendable, Equatable {
            public var height: Int, width: Int
            public init(height: Int, width: Int) { (self.height, self.width) = (height, width) }
        }

        public init(noopMax: Int = 30, frameSkip: Int = 4, screen: Size = Size(height: 84, width: 84),
                    terminalOnLifeLoss: Bool = false, grayscale: Bool = true) {
            (self.noopMax, self.frameSkip, self.screen) = (noopMax, frameSkip, screen)
            (self.terminalOnLifeLoss, self.grayscale) = (terminalOnLifeLoss, grayscale)
        }
    }

    public let inner: any SubsetStepping
    public let settings: Settings
    public let singleObservationSpace: Space
    public var singleActionSpace: Space { inner.singleActionSpace }
    public var count: Int { inner.count }
    public var wrapped: any VectorEnvironment { inner }

    /// Channels of the inner frames and of ours (1 or 3); bytes of one inner frame after grayscale.
    private let innerChannels: Int, channels: Int, frameSize: Int
    private let resize: AreaResize
    /// N frames each: every env's latest frame, and Gymnasium's two pooling
    /// buffers (`obs_buffer[0]`, pooled in place, and `obs_buffer[1]`).
    private var latest: [UInt8], pooled: [UInt8], previous: [UInt8]
    /// (N) lives as last reported (ALE's `info["lives"]`); nil where none was
    /// (an in-process env's reset reports none): the next report is taken as is.
    private var lives: [Float?]
    /// (N) the running game's raw return and length in agent steps.
    private var gameReturns: [Double], gameLengths: [Int]
    /// Draws the no-op counts.
    private var rng = RandomGenerator(seed: 0)
    /// (N) how many no-ops each env took after its latest reset.
    public private(set) var noopCounts: [Int]

    /// - Throws: `EnvironmentError.invalidOption` unless the inner envs
    ///   observe frames (H, W), (H, W, 1) or (H, W, 3) at least as large as
    ///   `settings.screen`, or if a setting is out of range.
    public init(_ inner: any SubsetStepping, settings: Settings = Settings()) throws {
        func refuse(_ option: String, _ reason: String) -> EnvironmentError {
            .invalidOption(environment: "AtariPreprocessing", option: option, reason: reason)
        }
        guard inner.stepsSubsets else {
            throw refuse("env", "must step a subset of its envs (each on its own course); its servers do not say they can: update them")
        }
        guard settings.frameSkip >= 1 else { throw refuse("frame_skip", "must be at least 1, got \(settings.frameSkip)") }
        guard settings.noopMax >= 0 else { throw refuse("noop_max", "must be ≥ 0, got \(settings.noopMax)") }
        let shape = inner.singleObservationSpace.shape
        guard case .box = inner.singleObservationSpace, shape.count == 2 || (shape.count == 3 && [1, 3].contains(shape[2])) else {
            throw refuse("observations", "must be frames (H, W), (H, W, 1) or (H, W, 3); the env observes \(inner.singleObservationSpace)")
        }
        let (height, width) = (shape[0], shape[1])
        guard settings.screen.height >= 1, settings.screen.width >= 1,
              settings.screen.height <= height, settings.screen.width <= width else {
            throw refuse("screen_size", "must fit in the env's \(height)×\(width) frames, got \(settings.screen.height)×\(settings.screen.width)")
        }
        innerChannels = shape.count == 3 ? shape[2] : 1
        channels = settings.grayscale ? 1 : innerChannels
        guard settings.grayscale || innerChannels == 3 else {
            throw refuse("grayscale", "is off, but the env's frames are not RGB: \(inner.singleObservationSpace)")
        }
        (self.inner, self.settings) = (inner, settings)
        frameSize = height * width * channels
        resize = AreaResize(source: (height, width), destination: (settings.screen.height, settings.screen.width), channels: channels)
        let screen = [settings.screen.height, settings.screen.width] + (settings.grayscale ? [] : [3])
        singleObservationSpace = .box(low: 0, high: 255, shape: screen, dtype: .uint8)
        let n = inner.count
        (latest, pooled, previous) = ([UInt8](repeating: 0, count: n * frameSize), [UInt8](repeating: 0, count: n * frameSize),
                                      [UInt8](repeating: 0, count: n * frameSize))
        lives = Array(repeating: nil, count: n)
        noopCounts = Array(repeating: 0, count: n)
        (gameReturns, gameLengths) = (Array(repeating: 0, count: n), Array(repeating: 0, count: n))
    }

    // MARK: - Reset and step

    public func reset(seed: UInt64?) throws -> Tensor {
        if let seed { rng = RandomGenerator(seed: seed) }
        store(try inner.reset(seed: seed), envs: Array(0..<count))
        try noopReset(Array(0..<count))
        (gameReturns, gameLengths) = (Array(repeating: 0, count: count), Array(repeating: 0, count: count))
        return observe(Array(0..<count))
    }

    public func step(_ actions: Tensor) throws -> VectorStep {
        let n = count, all = Array(0..<n)
        let outcomes = try repeatAction(actions, frames: Array(repeating: settings.frameSkip, count: n),
                                        stopAtEnd: true, detectLifeLoss: settings.terminalOnLifeLoss, pool: true)
        var observations = observe(all)
        var finals = [[Float]?](repeating: nil, count: n), infos = [[String: Float]](repeating: [:], count: n)
        var terminated = [Bool](repeating: false, count: n), truncated = [Bool](repeating: false, count: n)
        for i in all {
            gameReturns[i] += outcomes[i].reward
            gameLengths[i] += 1
            terminated[i] = outcomes[i].terminated || outcomes[i].lifeLost
            truncated[i] = outcomes[i].truncated && !terminated[i]
        }
        // A lost life: the game goes on after one no-op step (CleanRL's EpisodicLifeEnv.reset),
        // whose reward counts for the game but not for the learner.
        let lostLife = all.filter { outcomes[$0].lifeLost && !outcomes[$0].ended }
        var gameOver = all.filter { outcomes[$0].ended }
        if !lostLife.isEmpty {
            var frames = Array(repeating: 0, count: n)
            for i in lostLife { frames[i] = settings.frameSkip }
            let resumed = try repeatAction(Tensor(repeating: 0, shape: actions.shape), frames: frames,
                                           stopAtEnd: true, detectLifeLoss: false, pool: true)
            for i in lostLife {
                gameReturns[i] += resumed[i].reward
                gameLengths[i] += 1
                if resumed[i].ended { gameOver.append(i) }
            }
        }
        gameOver.sort()
        try noopReset(gameOver)
        let ending = Set(gameOver).union(lostLife).sorted()
        if !ending.isEmpty {
            let rows = observations.shape.dropFirst().reduce(1, *)
            let fresh = observe(ending)
            observations = Tensor(shape: observations.shape, unsafeUninitialized: { out in
                observations.withUnsafeBufferPointer { out.baseAddress!.update(from: $0.baseAddress!, count: $0.count) }
                fresh.withUnsafeBufferPointer { f in
                    for (k, i) in ending.enumerated() {
                        finals[i] = Array(out[(i * rows)..<((i + 1) * rows)])
                        (out.baseAddress! + i * rows).update(from: f.baseAddress! + k * rows, count: rows)
                    }
                }
            })
        }
        for i in lostLife where !gameOver.contains(i) { infos[i] = ["life_loss": 1] }
        for i in gameOver {
            infos[i] = ["episode_return": Float(gameReturns[i]), "episode_length": Float(gameLengths[i])]
            (gameReturns[i], gameLengths[i]) = (0, 0)
        }
        return VectorStep(observations: observations, rewards: outcomes.map { Float($0.reward) }, terminated: terminated,
                          truncated: truncated, finalObservations: finals, infos: infos)
    }

    public func render(index: Int) throws -> Frame? { try inner.render(index: index) }
    public func close() { inner.close() }

    // MARK: - Pieces

    /// How one env's repeated action went.
    private struct Outcome {
        var reward: Double = 0
        var terminated = false, truncated = false, lifeLost = false
        /// The game ended (the inner env reset it, same-step).
        var ended: Bool { terminated || truncated }
        var stopped: Bool { ended || lifeLost }
    }

    /// Repeats each env i's action `frames[i]` times (Gymnasium's frame-skip
    /// loop), all envs in lockstep, each left out once its frames are done
    /// or, with `stopAtEnd`, once its episode ended or it lost a life. With
    /// `pool`, the second-to-last and last frames go to the pooling buffers;
    /// an env that stops early leaves them as they were.
    private func repeatAction(_ actions: Tensor, frames: [Int], stopAtEnd: Bool, detectLifeLoss: Bool, pool: Bool) throws -> [Outcome] {
        var outcomes = [Outcome](repeating: Outcome(), count: count)
        for t in 0..<(frames.max() ?? 0) {
            let active = (0..<count).map { frames[$0] > t && !(stopAtEnd && outcomes[$0].stopped) }
            guard active.contains(true) else { break }
            let step = try inner.step(actions, active: active)
            // An env left out can still end: a served one whose server restarted (cut short, as truncated).
            let moved = (0..<count).filter { active[$0] || step.terminated[$0] || step.truncated[$0] }
            store(step.observations, envs: moved)
            let infos = inner.latestInfos
            for i in moved {
                outcomes[i].reward += Double(step.rewards[i])
                if step.terminated[i] { outcomes[i].terminated = true }
                if step.truncated[i] { outcomes[i].truncated = true }
                // CleanRL's EpisodicLifeEnv: a life is lost when 0 < lives < the lives before.
                let reported = infos[i]["lives"]
                if detectLifeLoss, !step.terminated[i], !step.truncated[i], let now = reported, let before = lives[i], now > 0, now < before {
                    outcomes[i].lifeLost = true
                }
                lives[i] = reported
                guard active[i] else { continue }
                guard pool, !(stopAtEnd && outcomes[i].stopped) else { continue }
                if t == frames[i] - 2 { copyFrame(of: i, from: latest, to: &previous) }
                if t == frames[i] - 1 { copyFrame(of: i, from: latest, to: &pooled) }
            }
        }
        return outcomes
    }

    /// Gymnasium's reset for the envs `envs` whose inner env just reset: k
    /// no-ops each (an episode that ends among them is reset and the no-ops
    /// go on), then the pooling buffers hold the frame reached and zeros.
    private func noopReset(_ envs: [Int]) throws {
        guard !envs.isEmpty else { return }
        var frames = Array(repeating: 0, count: count)
        if settings.noopMax > 0 { for i in envs { frames[i] = 1 + rng.int(below: settings.noopMax) } }
        let actionShape = [count] + singleActionSpace.shape
        _ = try repeatAction(Tensor(repeating: 0, shape: actionShape), frames: frames, stopAtEnd: false, detectLifeLoss: false, pool: false)
        let infos = inner.latestInfos
        for i in envs {
            noopCounts[i] = frames[i]
            lives[i] = infos[i]["lives"]
            copyFrame(of: i, from: latest, to: &pooled)
            previous.withUnsafeMutableBufferPointer { $0[(i * frameSize)..<((i + 1) * frameSize)].update(repeating: 0) }
        }
    }

    /// (K, screen…) observations of `envs`: each pools its buffers in place
    /// (`np.maximum(b0, b1, out=b0)`, when skipping frames) and shrinks the pool.
    private func observe(_ envs: [Int]) -> Tensor {
        let size = frameSize, out = settings.screen.height * settings.screen.width * channels
        let shape = [envs.count] + singleObservationSpace.shape
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: out) { small in
            Tensor(shape: shape, unsafeUninitialized: { result in
                pooled.withUnsafeMutableBufferPointer { pool in
                    previous.withUnsafeBufferPointer { prev in
                        for (k, i) in envs.enumerated() {
                            let frame = UnsafeMutableBufferPointer(rebasing: pool[(i * size)..<((i + 1) * size)])
                            if settings.frameSkip > 1 {
                                for j in 0..<size { frame[j] = max(frame[j], prev[i * size + j]) }
                            }
                            resize(UnsafeBufferPointer(frame), into: small)
                            for j in 0..<out { result[k * out + j] = Float(small[j]) }
                        }
                    }
                }
            })
        }
    }

    /// Keeps env i's frame of `observations` (rows in env order) for each i in `envs`, in grayscale if asked.
    private func store(_ observations: Tensor, envs: [Int]) {
        let pixels = frameSize / channels, inSize = pixels * innerChannels
        observations.withUnsafeBufferPointer { o in
            latest.withUnsafeMutableBufferPointer { frames in
                for i in envs {
                    let source = o.baseAddress! + i * inSize, frame = frames.baseAddress! + i * frameSize
                    if channels == innerChannels {
                        for j in 0..<frameSize { frame[j] = UInt8(clamping: Int(source[j])) }
                    } else {
                        for p in 0..<pixels { frame[p] = Self.luma(source[3 * p], source[3 * p + 1], source[3 * p + 2]) }
                    }
                }
            }
        }
    }

    /// ITU-R BT.601 luma in OpenCV's fixed point (`COLOR_RGB2GRAY`): (4899 R + 9617 G + 1868 B + 2¹³) >> 14.
    static func luma(_ r: Float, _ g: Float, _ b: Float) -> UInt8 {
        UInt8((4899 * Int(r) + 9617 * Int(g) + 1868 * Int(b) + 8192) >> 14)
    }

    private func copyFrame(of i: Int, from source: [UInt8], to destination: inout [UInt8]) {
        let range = (i * frameSize)..<((i + 1) * frameSize)
        destination.replaceSubrange(range, with: source[range])
    }
}
