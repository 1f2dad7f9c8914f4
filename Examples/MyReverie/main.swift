// `reverie` with an environment of your own: every command knows it by name.
//
//     my-reverie envs                                   # lists Corridor-v0 and its options
//     my-reverie train ppo-cartpole --env Corridor-v0 --set total_steps=20000
//     my-reverie eval runs/Corridor-v0__ppo-cartpole__1__…
import ExampleEnvs
import ReverieCLI
import ReverieEnvs

do {
    try Registry.register(Corridor.registration)
} catch {
    fatalError("\(error)")
}
Reverie.main()
