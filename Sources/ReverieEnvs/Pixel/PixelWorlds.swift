/// The 64×64 pixel worlds for world models, as registry entries.
public enum PixelWorlds {
    public static let registrations: [Registration] = [
        Registration(
            "PixelCatch",
            summary: "catch falling, drifting balls with a paddle; +1 catch, −1 miss",
            // Episodes end after at most 16 balls of 54 steps; the limit is a safety net.
            maxEpisodeSteps: 1000
        ) { options in
            var options = options
            let env = PixelCatch(
                balls: try options.int("balls", default: 5, in: 1...16),
                fallSpeed: try options.int("fallSpeed", default: 2, in: 1...4),
                drift: try options.int("drift", default: 1, in: 0...3),
                paddleWidth: try options.int("paddleWidth", default: 12, in: 8...32),
                ballSize: try options.int("ballSize", default: 4, in: 2...8),
                name: options.environment)
            try options.finish()
            return env
        },
        Registration(
            "MemoryMaze",
            summary: "egocentric view of a maze of coloured rooms; +1 for reaching the indicated target",
            // Memory Maze's 9×9 episode length.
            maxEpisodeSteps: 1000
        ) { options in
            var options = options
            let rooms = try options.int("rooms", default: 3, in: 2...4)
            let env = MemoryMaze(
                rooms: rooms,
                roomSize: try options.int("roomSize", default: 3, in: 2...5),
                targets: try options.int("targets", default: 3, in: 2...min(6, rooms * rooms)),
                name: options.environment)
            try options.finish()
            return env
        },
    ]
}
