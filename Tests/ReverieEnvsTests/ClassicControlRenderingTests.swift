import Testing
import ReverieEnvs

/// The classic-control pictures have Gymnasium's sizes, are not blank, show the
/// state, and put Gymnasium's shapes where Gymnasium draws them.
struct ClassicControlRenderingTests {
    /// Two states per env that must look different.
    static let states: [(id: String, size: (Int, Int), states: ([Double], [Double]))] = [
        ("CartPole-v1", (600, 400), ([0, 0, 0, 0], [1, 0, 0.15, 0])),
        ("Acrobot-v1", (500, 500), ([0, 0, 0, 0], [1, 0.5, 0, 0])),
        ("MountainCar-v0", (600, 400), ([-0.5, 0], [0.3, 0])),
        ("MountainCarContinuous-v0", (600, 400), ([-0.5, 0], [0.3, 0])),
        ("Pendulum-v1", (500, 500), ([0, 0], [2, 0])),
    ]

    @Test(arguments: states.indices)
    func framesShowTheState(index: Int) throws {
        let (id, size, (first, second)) = Self.states[index]
        let env = try #require(ClassicControlFixture.makeStateful(id))
        env.state = first
        let a = try #require(env.render())
        #expect(a.width == size.0 && a.height == size.1)
        let drawn = a.pixels.count { $0 != 255 }
        #expect(drawn > 3 * 300, "\(id) draws \(drawn) non-white bytes")
        env.state = second
        let b = try #require(env.render())
        #expect(a != b)
    }

    private func pixel(_ frame: Frame, _ x: Int, _ y: Int) -> [UInt8] {
        let o = 3 * (y * frame.width + x)
        return Array(frame.pixels[o..<o + 3])
    }

    /// CartPole at rest in the middle (cartpole.py's numbers, y flipped): the
    /// cart spans rows 285–314 around x = 300, the pole rises from the axle at
    /// row 292 to row 173, the track is row 299.
    @Test func cartPoleLayoutIsGymnasiums() throws {
        let env = CartPole()
        env.state = [0, 0, 0, 0]
        let frame = try #require(env.render())
        #expect(pixel(frame, 280, 310) == [0, 0, 0])
        #expect(pixel(frame, 300, 200) == [202, 152, 101])
        #expect(pixel(frame, 300, 292) == [129, 132, 203])
        #expect(pixel(frame, 10, 299) == [0, 0, 0] && pixel(frame, 10, 298) == [255, 255, 255])
        #expect(pixel(frame, 300, 160) == [255, 255, 255])
        env.state = [0, 0, 0.2, 0]
        #expect(pixel(try #require(env.render()), 300, 180) == [255, 255, 255], "the pole leans right")
    }

    /// Pendulum upright (θ = 0): the rod points up from the pivot at (250, 250).
    @Test func pendulumPointsUpAtThetaZero() throws {
        let env = Pendulum()
        env.state = [0, 0]
        let frame = try #require(env.render())
        #expect(pixel(frame, 250, 250) == [0, 0, 0])
        #expect(pixel(frame, 250, 180) == [204, 77, 77])
        #expect(pixel(frame, 250, 320) == [255, 255, 255])
    }

    /// An observation drawn (`ObservationDrawing`, what a dream recording
    /// uses) is the env's own picture of the state behind it — up to edge
    /// pixels where Float observations round the angles.
    @Test(arguments: states.map(\.id) + ["CartPoleNoVel-v1"])
    func anObservationIsDrawnAsItsState(id: String) throws {
        let env = try Registry.make(id)
        let drawing = try #require(env.observationDrawing, "\(id) through its registry wrappers")
        var rng = RandomGenerator(seed: 5)
        var observation = env.reset(seed: 5)
        for _ in 0..<7 { observation = try env.step(env.actionSpace.sample(using: &rng)).observation }
        let drawn = drawing.draw(observation: observation), rendered = try #require(env.render())
        #expect(drawn.width == rendered.width && drawn.height == rendered.height)
        let differing = zip(drawn.pixels, rendered.pixels).count { $0 != $1 }
        #expect(differing <= rendered.pixels.count / 1000, "\(id): \(differing) bytes differ")
    }

    /// Wrappers that change observations hide the drawing; others pass it on.
    @Test func onlyWrappersThatKeepObservationsPassTheDrawingOn() throws {
        #expect(TimeLimit(EpisodeStatistics(CartPole()), maxEpisodeSteps: 10).observationDrawing != nil)
        #expect(NormalizeObservation(CartPole()).observationDrawing == nil)
        #expect(try Registry.make("RepeatFirst").observationDrawing == nil)
    }
}
