#ifndef CCPUID_H
#define CCPUID_H
#include <stdbool.h>

/// Instruction-set features that decide which OpenBLAS kernel (core) and which vecdb kernel set fit this CPU.
/// Each flag is true only when the CPU has the feature *and* the OS saves its register state.
typedef struct {
    bool sse3, avx, avx2, fma;
    bool avx512f, avx512dq, avx512cd, avx512bw, avx512vl;
    bool avx512bf16, avx512vnni, amx_tile;
    /// AVX-VNNI: the VEX (256-bit) form of the int8 dot-product instructions, on CPUs without AVX-512 VNNI too.
    bool avxvnni;
    bool f16c;
} vecdb_cpu_features;

vecdb_cpu_features vecdb_cpu_detect(void);

#endif
