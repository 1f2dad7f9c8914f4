import ReverieCLI

// The command line lives in ReverieCLI, so that a program of your own can be `reverie` with its envs registered.
Reverie.main()
