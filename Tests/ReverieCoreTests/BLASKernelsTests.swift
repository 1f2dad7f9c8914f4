import Testing
@testable import ReverieCore

/// The choice of OpenBLAS kernels (`BLASKernels.upgrade`) and the self-test a
/// chosen set must pass. The re-execution itself is tested on the built
/// binary (ReverieTrainingTests.KernelSelectionTests).
@Suite struct BLASKernelsTests {
    static let avx512: Set<String> = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq"]
    static let avx2: Set<String> = ["sse3", "avx", "avx2", "fma"]

    @Test func aFallbackBelowTheCPUsFeaturesIsUpgradedToTheBestSetItSupports() {
        #expect(BLASKernels.upgrade(from: "Prescott", flags: Self.avx512, environment: [:]).candidate == "SkylakeX")
        #expect(BLASKernels.upgrade(from: "Prescott", flags: Self.avx2, environment: [:]).candidate == "Haswell")
        #expect(BLASKernels.upgrade(from: "Haswell", flags: Self.avx512, environment: [:]).candidate == "SkylakeX")
        #expect(BLASKernels.upgrade(from: "Nehalem", flags: ["sse3", "avx"], environment: [:]).candidate == "Sandybridge")
    }

    @Test func aGoodChoiceAnUnknownSetAndAPlainCPUAreLeftAlone() {
        for (core, flags) in [("Zen", Self.avx2), ("SkylakeX", Self.avx512), ("Cooperlake", Self.avx512), ("Haswell", Self.avx2),
                              ("Prescott", ["sse3"]), ("NEOVERSEN1", Self.avx2)] {
            #expect(BLASKernels.upgrade(from: core, flags: flags, environment: [:]).candidate == nil, "\(core)")
        }
    }

    @Test func theUsersCoretypeWinsAndRejectedSetsAreNotTriedAgain() {
        let user = BLASKernels.upgrade(from: "Prescott", flags: Self.avx512, environment: ["OPENBLAS_CORETYPE": "Prescott"])
        #expect(user.candidate == nil && user.reason.contains("set by the user"))
        #expect(BLASKernels.upgrade(from: "Prescott", flags: Self.avx512, environment: ["REVERIE_BLAS_AUTO": "0"]).candidate == nil)
        #expect(BLASKernels.upgrade(from: "Prescott", flags: Self.avx512, environment: ["REVERIE_BLAS_REJECTED": "SkylakeX"]).candidate == "Haswell")
        #expect(BLASKernels.upgrade(from: "Prescott", flags: Self.avx2, environment: ["REVERIE_BLAS_REJECTED": "Haswell"]).candidate == "Sandybridge")
        let none = BLASKernels.upgrade(from: "Prescott", flags: Self.avx2, environment: ["REVERIE_BLAS_REJECTED": "Haswell,Sandybridge"])
        #expect(none.candidate == nil && none.reason.contains("failed"))
    }

    /// The kernels this process runs pass the self-test (every routine, odd sizes, all transposes).
    @Test func theKernelsInUsePassTheSelfTest() {
        #expect(BLASKernels.selfTest() == nil)
    }
}
