#if os(Linux)
import CMalloc
#endif

/// How the process's allocator treats the memory tensors free.
///
/// Training allocates and frees the same few hundred tensor sizes thousands
/// of times a second. By default glibc hands freed blocks above 128 KiB back
/// to the kernel (its mmap threshold and heap trimming), so the next tensor
/// of that size page-faults all its memory in again: 15% of an LSTM PPO run
/// went to page faults. Keeping freed memory for reuse — what PyTorch's
/// caching allocator does — removes them, at the cost of the process keeping
/// its peak footprint until it exits.
public enum MemoryPolicy {
    /// Keeps freed memory in the heap for reuse (glibc: mmap threshold 256 MiB,
    /// no trimming below 1 GiB). Call once, early; the `reverie` tool does.
    public static func keepFreedMemoryForReuse() {
        #if os(Linux)
        _ = mallopt(M_MMAP_THRESHOLD, 256 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 1 << 30)
        _ = mallopt(M_TOP_PAD, 64 << 20)
        #endif
    }
}
