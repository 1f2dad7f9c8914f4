#ifndef REVERIE_FMA_PROBE_H
#define REVERIE_FMA_PROBE_H

/// The single-precision rate one thread of this CPU reaches on fused
/// multiply-adds alone, in GFLOP/s (2 FLOPs per lane per FMA): the peak that
/// matrix products are measured against. Uses the widest vectors the CPU
/// supports (AVX-512, AVX2 with FMA, else SSE multiply and add), 12
/// independent accumulators to hide the FMA latency, for about `seconds`.
/// `width` receives the vector width used, in floats.
double reverie_fma_peak_gflops(double seconds, int *width);

#endif
