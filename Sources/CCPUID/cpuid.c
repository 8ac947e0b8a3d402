#include "ccpuid.h"
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static unsigned long long read_xcr0(void) {
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

vecdb_cpu_features vecdb_cpu_detect(void) {
    vecdb_cpu_features f = {0};
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
    f.sse3 = ecx & 1u;
    bool osxsave = (ecx >> 27) & 1u;
    bool cpu_avx = (ecx >> 28) & 1u, cpu_fma = (ecx >> 12) & 1u;
    unsigned long long xcr0 = osxsave ? read_xcr0() : 0;
    bool os_ymm = (xcr0 & 0x6) == 0x6;        /* XMM and YMM state */
    bool os_zmm = (xcr0 & 0xe6) == 0xe6;      /* plus opmask and both ZMM halves */
    f.avx = cpu_avx && os_ymm;
    f.fma = cpu_fma && os_ymm;
    f.f16c = f.avx && ((ecx >> 29) & 1u);
    if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
        f.avx2 = f.avx && ((ebx >> 5) & 1u);
        f.avx512f = os_zmm && ((ebx >> 16) & 1u);
        f.avx512dq = f.avx512f && ((ebx >> 17) & 1u);
        f.avx512cd = f.avx512f && ((ebx >> 28) & 1u);
        f.avx512bw = f.avx512f && ((ebx >> 30) & 1u);
        f.avx512vl = f.avx512f && ((ebx >> 31) & 1u);
        f.avx512vnni = f.avx512f && ((ecx >> 11) & 1u);
        f.amx_tile = (edx >> 24) & 1u;
        if (__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) {
            f.avx512bf16 = f.avx512f && ((eax >> 5) & 1u);
            f.avxvnni = f.avx2 && ((eax >> 4) & 1u);
        }
    }
    return f;
}
#else
vecdb_cpu_features vecdb_cpu_detect(void) { vecdb_cpu_features f = {0}; return f; }
#endif
