#include "gemm.h"

#include <stdatomic.h>

/* The process-wide count behind `ProductCounter` (see gemm.h). */
static atomic_llong product_flops;

void reverie_product_flops_add(long long flops) { atomic_fetch_add_explicit(&product_flops, flops, memory_order_relaxed); }

long long reverie_product_flops(void) { return atomic_load_explicit(&product_flops, memory_order_relaxed); }
