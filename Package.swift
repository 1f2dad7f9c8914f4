// swift-tools-version:6.0
// Reverie — reinforcement learning with memory, in Swift.
// Layering (arrows point down only): see docs/DESIGN.md.
import Foundation
import PackageDescription

/// Reverie builds from source on the machine it trains on, so its kernels may
/// use that machine's vector units: on an x86-64 host with AVX2 and FMA, Swift
/// code is compiled for them (8 floats per instruction instead of SSE's 4).
/// REVERIE_PORTABLE=1 builds for any x86-64 instead.
let vectorSettings: [SwiftSetting] = {
    #if arch(x86_64) && os(Linux)
    let environment = ProcessInfo.processInfo.environment
    guard environment["REVERIE_PORTABLE"] != "1",
          let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let flags = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") })?.split(separator: " "),
          flags.contains("avx2"), flags.contains("fma")
    else { return [] }
    return [.unsafeFlags(["-target-cpu", "haswell"])]
    #else
    return []
    #endif
}()

let package = Package(
    name: "Reverie",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "reverie", targets: ["reverie"]),
        .library(name: "ReverieCore", targets: ["ReverieCore"]),
        .library(name: "ReverieNN", targets: ["ReverieNN"]),
        .library(name: "ReverieEnvs", targets: ["ReverieEnvs"]),
        .library(name: "ReverieRemote", targets: ["ReverieRemote"]),
        .library(name: "ReverieRecurrent", targets: ["ReverieRecurrent"]),
        .library(name: "ReverieAgents", targets: ["ReverieAgents"]),
        .library(name: "ReverieWorldModels", targets: ["ReverieWorldModels"]),
        .library(name: "ReverieTraining", targets: ["ReverieTraining"]),
        .library(name: "ReverieViewer", targets: ["ReverieViewer"]),
        .library(name: "ReverieCLI", targets: ["ReverieCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // MARK: - System libraries (module maps only)
        .systemLibrary(
            name: "CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]),
        .systemLibrary(
            name: "CZeroMQ", pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"]), .brew(["zeromq"])]),
        .systemLibrary(
            name: "CGLFW", pkgConfig: "glfw3",
            providers: [.apt(["libglfw3-dev", "libgl-dev"]), .brew(["glfw"])]),
        .systemLibrary(name: "CMalloc"),
        // The FMA-throughput probe `reverie bench gemm` measures the CPU's peak with (C: per-function vector targets).
        .target(name: "CFMAProbe", cSettings: [.unsafeFlags(["-O2"])]),
        // Reverie's own matrix-product kernel (C: AVX2/FMA micro-kernel, chosen at run time).
        .target(name: "CGemm", cSettings: [.unsafeFlags(["-O2"])]),

        // MARK: - Reverie modules
        .target(name: "ReverieCore", dependencies: ["CBLAS", "CGemm", "CMalloc"], swiftSettings: vectorSettings),
        .target(name: "ReverieNN", dependencies: ["ReverieCore"], swiftSettings: vectorSettings),
        .target(name: "ReverieEnvs", dependencies: ["ReverieCore"], swiftSettings: vectorSettings),
        .target(name: "ReverieRemote", dependencies: ["ReverieEnvs", "CZeroMQ"], swiftSettings: vectorSettings),
        .target(name: "ReverieRecurrent", dependencies: ["ReverieNN"], swiftSettings: vectorSettings),
        .target(name: "ReverieAgents", dependencies: ["ReverieNN", "ReverieRecurrent", "ReverieEnvs", "ReverieWorldModels"], swiftSettings: vectorSettings),
        .target(name: "ReverieWorldModels", dependencies: ["ReverieNN", "ReverieRecurrent"], swiftSettings: vectorSettings),
        .target(name: "ReverieTraining", dependencies: [
            "ReverieAgents", "ReverieWorldModels", "ReverieRemote", .product(name: "TOMLKit", package: "TOMLKit"),
        ], swiftSettings: vectorSettings),
        .target(name: "ReverieViewer", dependencies: ["ReverieTraining", "CGLFW"], swiftSettings: vectorSettings),
        .target(
            name: "ReverieCLI",
            dependencies: [
                "ReverieCore", "ReverieNN", "ReverieEnvs", "ReverieRemote", "ReverieAgents", "ReverieTraining", "ReverieWorldModels",
                "ReverieViewer",
                "CBLAS", "CZeroMQ", "CGLFW", "CFMAProbe",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: vectorSettings),
        .executableTarget(name: "reverie", dependencies: ["ReverieCLI"], swiftSettings: vectorSettings),

        // MARK: - Examples (built with the rest, run by the tests): Reverie as a library
        // An environment of your own, as your package would hold it.
        .target(name: "ExampleEnvs", dependencies: ["ReverieEnvs"], path: "Examples/ExampleEnvs"),
        // PPO on it through the library: register, train, evaluate by name.
        .executableTarget(name: "corridor-ppo", dependencies: ["ExampleEnvs", "ReverieTraining"], path: "Examples/CorridorPPO"),
        // The whole command line with it registered: `my-reverie train ppo-cartpole --env Corridor-v0`.
        .executableTarget(name: "my-reverie", dependencies: ["ExampleEnvs", "ReverieCLI"], path: "Examples/MyReverie"),

        // MARK: - Tests
        // What the test targets that start processes share: bounded waits, drained pipes.
        .target(name: "ReverieTestSupport", path: "Tests/Support"),
        .testTarget(name: "ReverieCoreTests", dependencies: ["ReverieCore"]),
        .testTarget(name: "ReverieNNTests", dependencies: ["ReverieCore", "ReverieNN", "ReverieTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ReverieRecurrentTests", dependencies: ["ReverieRecurrent"]),
        .testTarget(name: "ReverieAgentsTests", dependencies: ["ReverieAgents"]),
        .testTarget(name: "ReverieWorldModelsTests", dependencies: ["ReverieWorldModels"]),
        .testTarget(name: "ReverieTrainingTests", dependencies: ["ReverieTraining", "ReverieTestSupport"]),
        .testTarget(name: "ReverieRemoteTests", dependencies: ["ReverieRemote", "ReverieAgents", "ReverieTraining", "ReverieTestSupport"]),
        .testTarget(name: "ReverieViewerTests", dependencies: ["ReverieViewer", "ReverieTestSupport"]),
        .testTarget(name: "ReverieEnvsTests", dependencies: ["ReverieEnvs"], resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v6]
)
