import Foundation
import ReverieAgents
import ReverieEnvs
import ReverieViewer
import ReverieWorldModels

/// What watching costs the agent: the same agent stepped bare (the peer)
/// and inside `reverie view`'s window at the top speed setting (ours), in
/// steps per second; the ratio is the share of the agent's speed the viewer
/// leaves it. At lower speed settings the achieved step rate should equal
/// the setting and frames stay at the display's rate — both are reported,
/// with the wall time per frame spent drawing (of which composing the
/// picture; the rest is OpenGL, software-rendered under Xvfb). Needs a display (run under
/// `xvfb-run -a`; Xvfb has no vsync, so frames are paced by the viewer at 60 Hz).
///
/// Agents: a random policy on CartPole-v1 (charts), and an untrained
/// `size = "tiny"` world-model agent on PixelCatch (three panels: its
/// reconstruction and dream are decoded once per frame).
struct ViewerBench {
    var seconds = 3.0
    var speeds = [30.0, 480.0, Viewer.maximumSpeed]

    func run() throws -> BenchResult {
        var rows: [[String: Any]] = [], lines = ["reverie view: the agent's env steps per second bare and in the window (speed setting → achieved)"]
        lines.append("agent                       bare st/s  setting  achieved st/s  frames/s  draw ms/frame (composing)  share left")
        var worstShare = Double.infinity, ours = 0.0, peer = 0.0
        for (name, makeViewer) in agents() {
            // Bare: the viewer's own step (policy and env), no window, no drawing.
            let bare = try makeViewer()
            let stepsBare = 2000
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<stepsBare { try bare.step() }
            let bareRate = Double(stepsBare) / (Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
            for speed in speeds {
                let viewer = try makeViewer()
                viewer.setSpeed(speed)
                try viewer.run(seconds: seconds, visible: false)
                let s = viewer.statistics
                let achieved = Double(s.steps) / s.seconds, drawMs = s.drawingSeconds / Double(s.frames) * 1000
                let composeMs = s.composingSeconds / Double(s.frames) * 1000
                let share = achieved / min(speed, bareRate)
                if speed == speeds.last! {
                    if share < worstShare { (worstShare, ours, peer) = (share, achieved, bareRate) }
                }
                rows.append(["agent": name, "bare_steps_per_second": rounded(bareRate), "speed_setting": speed,
                             "steps_per_second": rounded(achieved), "frames_per_second": rounded(Double(s.frames) / s.seconds),
                             "draw_ms_per_frame": rounded(drawMs), "compose_ms_per_frame": rounded(composeMs)])
                lines.append(name.padding(toLength: 28, withPad: " ", startingAt: 0)
                             + String(format: "%9.0f  %7.0f  %13.1f  %8.1f  %13.2f (%5.2f)  %13.1f%%", bareRate, speed, achieved,
                                      Double(s.frames) / s.seconds, drawMs, composeMs, 100 * share))
            }
        }
        return BenchResult(workload: "viewer", ours: ours, peer: peer,
                           unit: "env steps/s of the agent in the window at top speed (peer: the same agent stepped bare)",
                           details: ["runs": rows, "seconds_per_run": seconds], table: lines.joined(separator: "\n"))
    }

    private func agents() -> [(String, () throws -> Viewer)] {
        [
            ("random CartPole-v1", { try Viewer(environment: try Registry.make("CartPole-v1"), policy: nil, seed: 1) }),
            ("tiny world model PixelCatch", {
                let env = try Registry.make("PixelCatch")
                var config = DreamerConfig()
                config.apply(.tiny)
                var rng = RandomGenerator(seed: 1)
                let agent = try DreamerNetwork(config, observationSpace: env.observationSpace, actionSpace: env.actionSpace, rng: &rng)
                return try Viewer(environment: env, policy: agent, seed: 1)
            }),
        ]
    }
}
