// The AVX-512 set: 16-lane vectors are single zmm registers. Compiled for these features by attribute, not by flag;
// dispatch.c runs it only where cpuid reports all of them.
#if defined(__x86_64__)
#include <immintrin.h>
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c"))), apply_to = function)
#define VK_TABLE vecdb_kernels_avx512
#define VK_NAME "avx512"
#define VK_FUSED 1
#define VK_HALF 512
#include "kernel_bodies.h"
#pragma clang attribute pop
#endif
