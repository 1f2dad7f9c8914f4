import CBLAS
import Dispatch

/// Independent work split over the machine's cores, matrix products
/// included: as many workers as OpenBLAS would start threads
/// (OPENBLAS_NUM_THREADS, else the cores).
///
/// OpenBLAS itself is kept on one thread, its own workers stopped. They spin
/// (yielding) between products — on some machines without end — and on a
/// small machine that spinning takes the cores from everything that runs
/// between products (a fused scan, an environment step); Dispatch's idle
/// workers sleep instead.
/// Large products are split into single-threaded OpenBLAS calls here
/// (`cblasGemm`), and products below `productThreshold` stay on the calling
/// thread: an RL update is thousands of products of a few million
/// multiply-adds, where a hand-off costs more than a second core gives back
/// (PPO on CartPole trains ~25% faster without it).
public enum Parallel {
    /// Workers a split uses.
    public static let workers: Int = {
        let threads = max(1, Int(openblas_get_num_threads()))
        stopOpenBLASThreads()
        return threads
    }()

    /// Puts OpenBLAS on one thread and stops its workers (OpenBLAS starts
    /// them again by itself if a caller later asks it for more threads).
    public static func stopOpenBLASThreads() {
        openblas_set_num_threads(1)
        _ = blas_thread_shutdown_()
    }

    /// m·n·k from which a matrix product is split over the workers: 2²⁴
    /// (256³). Set it before any math runs.
    nonisolated(unsafe) public static var productThreshold = 1 << 24

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
