/// The partially observable memory tasks (POPGym, T-Maze), as registry entries.
/// POPGym's tasks take `difficulty=easy|medium|hard`; the T-Maze takes `length`.
public enum MemoryTasks {
    public static let registrations: [Registration] = [
        Registration("RepeatPrevious", summary: "name the suit seen k−1 cards ago (POPGym)", maxEpisodeSteps: nil) { o in
            var o = o
            let difficulty = try Difficulty.parse(&o)
            try o.finish()
            return RepeatPrevious(difficulty: difficulty)
        },
        Registration("RepeatFirst", summary: "name the suit of the first card (POPGym)", maxEpisodeSteps: nil) { o in
            var o = o
            let difficulty = try Difficulty.parse(&o)
            try o.finish()
            return RepeatFirst(difficulty: difficulty)
        },
        Registration("CountRecall", summary: "count the cards dealt of the queried kind (POPGym)", maxEpisodeSteps: nil) { o in
            var o = o
            let difficulty = try Difficulty.parse(&o)
            try o.finish()
            return CountRecall(difficulty: difficulty)
        },
        Registration("Autoencode", summary: "watch a deck, recite its suits in reverse (POPGym)", maxEpisodeSteps: nil) { o in
            var o = o
            let difficulty = try Difficulty.parse(&o)
            try o.finish()
            return Autoencode(difficulty: difficulty)
        },
        Registration("StatelessCartPole", summary: "CartPole seeing positions only (POPGym)", maxEpisodeSteps: nil) { o in
            var o = o
            let difficulty = try Difficulty.parse(&o)
            try o.finish()
            let env = PositionOnlyCartPole(difficulty: difficulty)
            return TimeLimit(env, maxEpisodeSteps: env.maxEpisodeSteps)
        },
        Registration("CartPoleNoVel-v1", summary: "CartPole-v1 seeing positions only (rl-zoo), returns up to 500",
                     maxEpisodeSteps: 500) { o in
            var o = o
            try o.finish()
            return PositionOnlyCartPole(unscaledNamed: "CartPoleNoVel-v1")
        },
        Registration("TMaze", summary: "remember a cue along a corridor, turn at its end", maxEpisodeSteps: nil) { o in
            var o = o
            let length = try o.int("length", default: 10, in: 1...100_000)
            let penalty = try o.float("penalty", default: 0, in: 0...1)
            try o.finish()
            return TimeLimit(TMaze(length: length, penalty: penalty), maxEpisodeSteps: 2 * length + 10)
        },
    ]
}
