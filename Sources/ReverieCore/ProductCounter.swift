import CGemm

/// Counts the FLOPs of every matrix product (2·m·n·k each, convolutions and
/// backward rules included) while `isCounting`, for benches that report
/// model FLOP utilisation: FLOPs per step × steps/s ÷ the machine's peak.
/// Products are nearly all of a network's FLOPs; element-wise work is not
/// counted, so the figure is a floor.
public enum ProductCounter {
    /// Off by default: counting costs one atomic add per product.
    nonisolated(unsafe) public static var isCounting = false

    /// FLOPs counted since the process started.
    public static var flops: Int64 { Int64(reverie_product_flops()) }

    @inline(__always)
    static func add(m: Int, n: Int, k: Int) {
        if isCounting { reverie_product_flops_add(Int64(2 &* m &* n &* k)) }
    }

    /// FLOPs of the products `body` runs (with counting on while it runs).
    public static func counting<T>(_ body: () throws -> T) rethrows -> (result: T, flops: Int64) {
        let was = isCounting, start = flops
        isCounting = true
        defer { isCounting = was }
        let result = try body()
        return (result, flops - start)
    }
}
