// The AVX2 set (Haswell and later, Zen): each 16-lane vector is two ymm registers.
#if defined(__x86_64__)
#include <immintrin.h>
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#define VK_TABLE vecdb_kernels_avx2
#define VK_NAME "avx2"
#define VK_FUSED 1
#define VK_HALF 256
#include "kernel_bodies.h"
#pragma clang attribute pop
#endif
