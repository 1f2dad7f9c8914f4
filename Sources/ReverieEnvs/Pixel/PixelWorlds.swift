/// The 64×64 pixel worlds for world models, as registry entries.
public enum PixelWorlds {
    public static let registrations: [Registration] = []
}
