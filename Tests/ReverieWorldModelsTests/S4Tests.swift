import Foundation
import Testing
@testable import ReverieWorldModels

/// The S4 block's zero-order-hold discretisation against the closed form.
struct S4Tests {
    @Test func zeroOrderHoldMatchesTheClosedForm() {
        var rng = RandomGenerator(seed: 1)
        let block = S4Block(width: 2, stateSize: 2, rng: &rng)
        let (a, b) = block.discretized()
        let bRe = block.inputWeightReal.storedValue.scalars, bIm = block.inputWeightImaginary.storedValue.scalars
        let steps = block.logStep.storedValue.scalars.map { Double(Foundation.exp($0)) }
        for n in 0..<2 {
            // Λ = −1/2 + iπn (S4D-Lin), Λ̄ = exp(ΛΔ), g = (Λ̄ − 1)/Λ.
            let lambda = (re: -0.5, im: Double.pi * Double(n)), delta = steps[n]
            let modulus = Foundation.exp(lambda.re * delta)
            let bar = (re: modulus * Foundation.cos(lambda.im * delta), im: modulus * Foundation.sin(lambda.im * delta))
            #expect(abs(Double(a.0.scalars[n]) - bar.re) < 1e-6 && abs(Double(a.1.scalars[n]) - bar.im) < 1e-6)
            let denominator = lambda.re * lambda.re + lambda.im * lambda.im
            let g = (re: ((bar.re - 1) * lambda.re + bar.im * lambda.im) / denominator,
                     im: (bar.im * lambda.re - (bar.re - 1) * lambda.im) / denominator)
            for h in 0..<2 {
                let k = n * 2 + h
                let expected = (re: g.re * Double(bRe[k]) - g.im * Double(bIm[k]), im: g.re * Double(bIm[k]) + g.im * Double(bRe[k]))
                #expect(abs(Double(b.0.scalars[k]) - expected.re) < 1e-5 && abs(Double(b.1.scalars[k]) - expected.im) < 1e-5)
            }
            // As Δ → 0, B̄ ≈ Δ·B: the hold integrates the input over the step.
            #expect(abs(g.re - delta) < delta * delta * 4 && abs(g.im) < delta * delta * 4)
        }
    }
}
