import Foundation
import Testing
import ReverieAgents
import ReverieEnvs
import ReverieTraining
import ReverieWorldModels
@testable import ReverieViewer

/// A world-model agent in the viewer, without a window: its model's
/// reconstruction and dream as panels (image envs) or beside the
/// observation's charts (vector envs). Untrained tiny agents are enough to
/// check the wiring; what a trained one shows is in the screenshots of the README and docs/results.md.
@Suite struct WorldModelViewerTests {
    /// A tiny untrained world-model agent for `environment`.
    static func agent(for environment: any Environment) throws -> DreamerNetwork {
        var config = DreamerConfig()
        config.worldModel.backbone = BackboneConfig(kind: .gru, width: 16, layers: 1, stateSize: 4)
        (config.worldModel.latentGroups, config.worldModel.latentClasses, config.worldModel.units) = (4, 4, 16)
        (config.worldModel.layers, config.worldModel.cnnDepth, config.actorCriticHidden) = (1, 4, [16])
        var rng = RandomGenerator(seed: 7)
        return try DreamerNetwork(config, observationSpace: environment.observationSpace, actionSpace: environment.actionSpace, rng: &rng)
    }

    @Test func anImageAgentShowsRealReconstructedAndDreamedPanels() throws {
        let env = try Registry.make("PixelCatch")
        let network = try Self.agent(for: env)
        let viewer = try Viewer(environment: env, policy: network, seed: 3, dreamSteps: 5)
        #expect(viewer.layout.panelCount == 3 && viewer.layout.plotCount == 0 && viewer.layout.keys.contains("D dream"))
        var pictures = [try viewer.picture()]
        for _ in 0..<7 {
            try viewer.step()
            pictures.append(try viewer.picture())
        }
        // The dream panel's title row, as drawn.
        let title = { (raster: Raster) -> [UInt8] in
            let (x, _, side) = viewer.layout.panel(2)
            return (0..<ViewerLayout.titleHeight).flatMap { row in
                (0..<side).flatMap { column -> [UInt8] in
                    let p = raster.pixel(x + column, ViewerLayout.margin + row)
                    return [p.0, p.1, p.2]
                }
            }
        }
        // The dream runs 5 steps ahead, then a new one starts: frames 0 and 6 show "dream +0 of 5".
        #expect(title(pictures[0]) == title(pictures[6]) && title(pictures[0]) != title(pictures[3]))
        // The reconstruction panel is the decoder's picture of the model's state, drawn over the panel's square.
        let last = pictures.last!
        for k in 1...2 {
            let (x, y, side) = viewer.layout.panel(k)
            let colours = Set((0..<side).map { i -> [UInt8] in let p = last.pixel(x + i, y + i); return [p.0, p.1, p.2] })
            #expect(!colours.contains([24, 24, 32]), "panel \(k) has background pixels on its diagonal")
        }
        // D starts a new dream from now: the next picture shows "dream +0".
        try viewer.step()
        viewer.requestDream()
        #expect(title(try viewer.picture()) == title(pictures[0]))
    }

    @Test func aVectorAgentChartsTheModelsReconstructionAndDreamBesideTheObservation() throws {
        let env = try Registry.make("CartPole-v1")
        let network = try Self.agent(for: env)
        let viewer = try Viewer(environment: env, policy: network, seed: 3, dreamSteps: 4)
        #expect(viewer.layout.panelCount == 1 && viewer.layout.plotCount == 4 + 2)
        _ = try viewer.picture()
        for _ in 0..<12 {
            try viewer.step()
            _ = try viewer.picture()
        }
        let plots = try #require(viewer.plots)
        #expect(plots.series.map(\.title) == ["obs[0]", "obs[1]", "obs[2]", "obs[3]", "value", "reward"])
        // The model's reconstruction of each observation is the decoder's output for the state that read it.
        let position = plots.series[0]
        #expect(position.values.count == 13 && position.reconstruction!.count == 13 && position.reconstruction!.allSatisfy { $0.isFinite })
        // Every step is covered by a dream (one starts each time the last runs out); its first frame is the reconstruction.
        #expect(position.dream!.allSatisfy { $0.isFinite })
        #expect(abs(position.dream![0] - position.reconstruction![0]) < 1e-5, "a batched decode may differ in the last bits")
        #expect(plots.series[5].values[0].isNaN && plots.series[5].values[1] == 1, "no reward comes with a reset; CartPole pays 1 a step")
        #expect(plots.series[4].reconstruction == nil && plots.series[4].values.allSatisfy { $0.isFinite })
    }

    /// `reverie eval --record`'s picture of a dream-recording step: three
    /// panels enlarged to a whole factor under their titles, the dream's in
    /// the dream colour once it runs open-loop.
    @Test func aRecordedDreamStepIsCaptionedPanelByPanel() throws {
        // Three distinguishable 64×64 frames: red, green, blue.
        let frames = [(200, 0, 0), (0, 200, 0), (0, 0, 200)].map { Frame(width: 64, height: 64, fill: (UInt8($0.0), UInt8($0.1), UInt8($0.2))) }
        let observing = DreamRecordingStep(real: frames[0], reconstruction: frames[1], dream: frames[2], dreamedSteps: 0)
        let dreaming = DreamRecordingStep(real: frames[0], reconstruction: frames[1], dream: frames[2], dreamedSteps: 12)
        let (a, b) = (observing.captionedFrame(), dreaming.captionedFrame())
        // 64 pixels are enlarged twice to reach 128: 4 + 3 × (128 + 4) wide, 4 + 12 title + 128 + 4 high.
        #expect(a.width == 400 && a.height == 148 && b.width == 400 && b.height == 148)
        let pixel = { (frame: Frame, x: Int, y: Int) -> [UInt8] in Array(frame.pixels[((y * frame.width + x) * 3)..<((y * frame.width + x) * 3 + 3)]) }
        // Each panel holds its frame, corner to corner.
        for (k, colour) in [[200, 0, 0], [0, 200, 0], [0, 0, 200]].enumerated() {
            let x = 4 + k * 132
            for (dx, dy) in [(0, 0), (127, 127), (64, 40)] { #expect(pixel(a, x + dx, 16 + dy) == colour.map(UInt8.init)) }
            #expect(pixel(a, x + 128, 16 + 5) == [24, 24, 32], "the margin after panel \(k) is background")
        }
        // Titles: ink in each title row; the third differs once the dream runs, and is drawn in the dream colour.
        let titleRow = { (frame: Frame, k: Int) -> [[UInt8]] in
            (4..<11).flatMap { y in (0..<128).map { pixel(frame, 4 + k * 132 + $0, y) } }
        }
        for k in 0..<3 { #expect(titleRow(a, k).contains { $0 != [24, 24, 32] }, "panel \(k) has a title") }
        #expect(titleRow(a, 1) == titleRow(a, 2), "before the dream starts, the third panel is the reconstruction and says so")
        #expect(titleRow(b, 0) == titleRow(a, 0) && titleRow(b, 2) != titleRow(a, 2))
        #expect(titleRow(b, 2).contains([255, 160, 60]) && !titleRow(a, 2).contains([255, 160, 60]))
    }
}
