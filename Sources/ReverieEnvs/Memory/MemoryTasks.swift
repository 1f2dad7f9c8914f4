/// The partially observable memory tasks (POPGym, T-Maze), as registry entries.
public enum MemoryTasks {
    public static let registrations: [Registration] = []
}
