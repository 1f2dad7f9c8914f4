/// The classic control (Gymnasium's dynamics), as registry entries.
public enum ClassicControl {
    public static let registrations: [Registration] = []
}
