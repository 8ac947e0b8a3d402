// The portable set: the compiler's baseline for the target (SSE2 on x86-64, NEON on arm64), for any CPU and for
// `VECDB_KERNELS=portable`. Multiply-adds are fused only where the baseline has FMA, so on x86-64 this set rounds
// differently from the others by design (the tests bound the difference).
#if defined(__FMA__) || defined(__aarch64__)
#define VK_FUSED 1
#else
#define VK_FUSED 0
#endif
#define VK_TABLE vecdb_kernels_portable
#define VK_NAME "portable"
#define VK_HALF 0
#include "kernel_bodies.h"
