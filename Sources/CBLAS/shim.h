#include <cblas.h>

/* OpenBLAS stops its worker threads (exported, used by its fork handler;
   it starts them again itself when a product asks for threads). */
int blas_thread_shutdown_(void);
