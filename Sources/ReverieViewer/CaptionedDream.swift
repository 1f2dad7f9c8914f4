import ReverieAgents
import ReverieEnvs

extension DreamRecordingStep {
    /// The step as one captioned picture, as `reverie eval --record` writes
    /// it: the three panels side by side on the viewer's background, each
    /// under its title — "real", "reconstruction", and "dream +k" once the
    /// dream runs open-loop (before that the third panel is the
    /// reconstruction and is titled so). Panels narrower than `minimumWidth`
    /// are enlarged by a whole factor (nearest neighbour), so a 64×64 frame
    /// has room for its title and every model pixel stays a crisp square.
    public func captionedFrame(minimumWidth: Int = 128) -> Frame {
        let scale = max(1, (minimumWidth + real.width - 1) / real.width)
        let (width, height) = (real.width * scale, real.height * scale)
        let (margin, titleHeight) = (4, 12)
        var raster = Raster(width: margin + 3 * (width + margin), height: margin + titleHeight + height + margin,
                            fill: ViewerLayout.background)
        let titles = ["real", "reconstruction", dreamedSteps > 0 ? "dream +\(dreamedSteps)" : "reconstruction"]
        for (k, (title, frame)) in zip(titles, [real, reconstruction, dream]).enumerated() {
            let x = margin + k * (width + margin)
            raster.text(title, x: x, y: margin, k == 2 && dreamedSteps > 0 ? ViewerLayout.dream : ViewerLayout.dim)
            raster.draw(frame, x: x, y: margin + titleHeight, width: width, height: height)
        }
        return raster.frame
    }
}
