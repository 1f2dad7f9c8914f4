import ArgumentParser
import Foundation
import ReverieRecurrent

/// What exact RTRL costs for an eLSTM of 256 units on 256 inputs, one
/// sequence (B = 1), against a forward step and against TBPTT:
///
/// - forward: `step` alone, no learning.
/// - carry: `realTimeStep` without a tape: the forward step and the
///   sensitivity update that RTRL performs at every step whatever the loss.
/// - rtrl: `realTimeStep` on a tape with a loss on its output and the
///   gradient taken every step and added into running sums
///   (`Tape.accumulateGradients`, as an online learner accumulates them):
///   online learning with nothing stored.
/// - tbptt: T steps recorded on a tape, one backward pass at the end.
///
/// Time per step at T = 100 and T = 10,000, and the peak memory each adds
/// over a process's baseline (measured in a child process per case, from
/// its resident-set high-water mark). Each case runs `repeats` times, the
/// cases interleaved so that a slow spell of a shared machine falls on all
/// of them; the median time is reported.
struct RTRLBench {
    var units = 256
    var inputs = 256
    var lengths = [100, 10_000]
    var repeats = 5

    enum Mode: String, CaseIterable { case forward, carry, rtrl, tbptt }

    func run() throws -> BenchResult {
        // Seconds per step of every run, and the largest peak memory, per case.
        var runs: [Mode: [Int: [Double]]] = [:], memory: [Mode: [Int: Double]] = [:]
        for _ in 0..<repeats {
            for length in lengths {
                for mode in Mode.allCases {
                    let probe = try Self.probe(mode: mode, length: length)
                    runs[mode, default: [:]][length, default: []].append(probe.seconds / Double(length))
                    memory[mode, default: [:]][length] = max(memory[mode]?[length] ?? 0, probe.peakBytes)
                }
            }
        }
        let perStep = runs.mapValues { $0.mapValues(median) }
        var rows: [[String: Any]] = []
        for length in lengths {
            for mode in Mode.allCases {
                let times = runs[mode]![length]!
                rows.append(["mode": mode.rawValue, "length": length, "microseconds_per_step": rounded(perStep[mode]![length]! * 1e6),
                             "fastest_microseconds_per_step": rounded(times.min()! * 1e6), "runs": times.count,
                             "peak_megabytes": rounded(memory[mode]![length]! / 1e6)])
            }
        }
        let longest = lengths.max()!
        var lines = ["eLSTM \(units) units, \(inputs) inputs, B = 1     µs/step, median of \(repeats) (T = \(lengths.map(String.init).joined(separator: ", ")))     "
                     + "added peak MB (same T)"]
        for mode in Mode.allCases {
            let times = lengths.map { String(format: "%.1f", perStep[mode]![$0]! * 1e6) }.joined(separator: ", ")
            let peaks = lengths.map { String(format: "%.1f", memory[mode]![$0]! / 1e6) }.joined(separator: ", ")
            lines.append("  " + mode.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0) + times.padding(toLength: 40, withPad: " ", startingAt: 0) + peaks)
        }
        let ratio = perStep[.rtrl]![longest]! / perStep[.forward]![longest]!
        let carry = perStep[.carry]![longest]! / perStep[.forward]![longest]!
        lines.append(String(format: "RTRL step learning every step / forward step: %.2f× (target ≤ 4×); forward + sensitivity update alone: %.2f×", ratio, carry))
        return BenchResult(workload: "rtrl", ours: 1 / perStep[.rtrl]![longest]!, peer: 1 / perStep[.forward]![longest]!,
                           unit: "steps/s at T = \(longest): RTRL learning every step (ours) vs forward only (peer)",
                           details: ["cases": rows, "units": units, "inputs": inputs, "peer_name": "eLSTM forward step",
                                     "rtrl_over_forward": rounded(ratio), "carry_over_forward": rounded(carry)],
                           table: lines.joined(separator: "\n"))
    }

    /// Runs one case in a child process (`reverie bench rtrl --probe MODE:T`).
    static func probe(mode: Mode, length: Int) throws -> (seconds: Double, peakBytes: Double) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["bench", "rtrl", "--probe", "\(mode.rawValue):\(length)"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Double],
              let seconds = object["seconds"], let peak = object["peak_bytes"] else {
            throw PythonPeer.Failure.failed("reverie bench rtrl --probe \(mode.rawValue):\(length)",
                                            status: process.terminationStatus, stderr: String(decoding: data, as: UTF8.self))
        }
        return (seconds, peak)
    }

    /// The child's side: one case, timed, with the resident-set growth it caused.
    /// - Returns: a JSON object with `seconds` (all T steps) and `peak_bytes`.
    func measure(_ spec: String) throws -> String {
        let parts = spec.split(separator: ":")
        guard parts.count == 2, let mode = Mode(rawValue: String(parts[0])), let length = Int(parts[1]), length > 0 else {
            throw ValidationError("--probe takes MODE:T with MODE one of \(Mode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var rng = RandomGenerator(seed: 1)
        let cell = ELSTMCell(inputSize: inputs, hiddenSize: units, forgetBias: 1, rng: &rng)
        let pool = (0..<64).map { _ in Tensor.uniform([1, inputs], low: -1, high: 1, using: &rng) }
        let readout = Tensor.uniform([1, units], low: -1, high: 1, using: &rng)
        let parameters = cell.parameters
        // Warm up allocators and BLAS, then take the baseline.
        var state = cell.initialState(batch: 1)
        for k in 0..<8 { state = cell.step(pool[k], state).state }
        let baseline = Self.residentBytes()
        state = cell.initialState(batch: 1)
        let start = DispatchTime.now().uptimeNanoseconds
        switch mode {
        case .forward:
            for t in 0..<length { state = cell.step(pool[t % pool.count], state).state }
        case .carry:
            var sensitivities = cell.initialSensitivities(batch: 1)
            for t in 0..<length { state = cell.realTimeStep(pool[t % pool.count], state, &sensitivities).state }
        case .rtrl:
            var sensitivities = cell.initialSensitivities(batch: 1)
            var sums = parameters.map { Tensor.zeros($0.shape) }
            for t in 0..<length {
                let tape = Tape()
                let loss = tape.recording {
                    let step = cell.realTimeStep(pool[t % pool.count], state, &sensitivities)
                    state = step.state
                    return (step.output * readout).sum()
                }
                // Added into the running sums, as an online learner's accumulator would.
                tape.accumulateGradients(of: loss, wrt: parameters, into: &sums)
            }
            withExtendedLifetime(sums) {}
        case .tbptt:
            let tape = Tape()
            let loss = tape.recording {
                var total = Tensor(scalar: 0)
                for t in 0..<length {
                    let step = cell.step(pool[t % pool.count], state)
                    state = step.state
                    total = total + (step.output * readout).sum()
                }
                return total
            }
            withExtendedLifetime(tape.gradients(of: loss, wrt: parameters)) {}
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        let peak = Double(max(0, Self.peakResidentBytes() - baseline))
        return "{\"seconds\": \(seconds), \"peak_bytes\": \(peak)}"
    }

    /// Current resident set (VmRSS) in bytes.
    static func residentBytes() -> Int { statusField("VmRSS:") }
    /// The resident set's high-water mark (VmHWM) in bytes.
    static func peakResidentBytes() -> Int { statusField("VmHWM:") }

    private static func statusField(_ name: String) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name) }),
              let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return 0 }
        return kilobytes * 1024
    }
}
