// glibc's allocator tuning (mallopt); see ReverieCore/MemoryPolicy.swift.
#if defined(__GLIBC__) || defined(__linux__)
#include <malloc.h>
#endif
