import CBLAS
import Dispatch

/// Independent work split over the machine's cores: as many workers as
/// OpenBLAS has threads (OPENBLAS_NUM_THREADS), so fused kernels use the cores
/// that matrix products do and no more.
public enum Parallel {
    /// Workers a split uses.
    public static let workers = max(1, Int(openblas_get_num_threads()))

    /// Runs `body` on contiguous pieces of 0..<count, one per worker (fewer
    /// when count is small), and returns when all are done. Pieces must not
    /// write to the same memory; `body` gets its piece's index (0..<workers)
    /// for per-worker scratch.
    public static func chunks(_ count: Int, _ body: (_ piece: Int, _ range: Range<Int>) -> Void) {
        let pieces = min(workers, count)
        guard pieces > 1 else {
            if count > 0 { body(0, 0..<count) }
            return
        }
        // The pieces touch disjoint memory (the caller's promise above), which
        // the compiler cannot see through raw pointers.
        nonisolated(unsafe) let body = body
        DispatchQueue.concurrentPerform(iterations: pieces) { piece in
            body(piece, count * piece / pieces ..< count * (piece + 1) / pieces)
        }
    }
}
