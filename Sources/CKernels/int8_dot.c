// Integer dot products of int8-quantised vectors, one function per instruction set. The result is an exact int32, so
// every variant returns the same value and the portable one is the oracle of the others.
//
// The operands are unsigned × signed bytes because that is what the VNNI instruction (VPDPBUSD) multiplies: the index
// stores signed codes c and shifts the query's codes q by +128 once per search, so Σ (q+128)·c = Σ q·c + 128·Σ c, and
// the stored Σ c gives back Σ q·c (docs/INDEX.md, "Quantised vectors").
#include <stdlib.h>
#include <string.h>
#include "ckernels.h"
#include "ccpuid.h"
#if defined(__x86_64__)
#include <immintrin.h>
#endif

static int32_t dot_u8i8_portable(const uint8_t *a, const int8_t *b, size_t count) {
    int32_t sum = 0;
    for (size_t i = 0; i < count; i++) sum += (int32_t)a[i] * (int32_t)b[i];
    return sum;
}

#if defined(__x86_64__)
/// 64 byte pairs per VPDPBUSD; two accumulators so consecutive instructions do not wait on each other.
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static int32_t dot_u8i8_avx512vnni(const uint8_t *a, const int8_t *b, size_t count) {
    __m512i s0 = _mm512_setzero_si512(), s1 = _mm512_setzero_si512();
    size_t i = 0;
    for (; i + 128 <= count; i += 128) {
        s0 = _mm512_dpbusd_epi32(s0, _mm512_loadu_si512(a + i), _mm512_loadu_si512(b + i));
        s1 = _mm512_dpbusd_epi32(s1, _mm512_loadu_si512(a + i + 64), _mm512_loadu_si512(b + i + 64));
    }
    for (; i + 64 <= count; i += 64) s0 = _mm512_dpbusd_epi32(s0, _mm512_loadu_si512(a + i), _mm512_loadu_si512(b + i));
    if (i < count) {
        __mmask64 tail = (1ULL << (count - i)) - 1;  // count − i < 64
        s1 = _mm512_dpbusd_epi32(s1, _mm512_maskz_loadu_epi8(tail, a + i), _mm512_maskz_loadu_epi8(tail, b + i));
    }
    return _mm512_reduce_add_epi32(_mm512_add_epi32(s0, s1));
}

__attribute__((target("avx2,avxvnni")))
static int32_t dot_u8i8_avxvnni(const uint8_t *a, const int8_t *b, size_t count) {
    __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 64 <= count; i += 64) {
        s0 = _mm256_dpbusd_avx_epi32(s0, _mm256_loadu_si256((const void *)(a + i)), _mm256_loadu_si256((const void *)(b + i)));
        s1 = _mm256_dpbusd_avx_epi32(s1, _mm256_loadu_si256((const void *)(a + i + 32)),
                                     _mm256_loadu_si256((const void *)(b + i + 32)));
    }
    __m256i s = _mm256_add_epi32(s0, s1);
    __m128i h = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4e));
    h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xb1));
    return _mm_cvtsi128_si32(h) + dot_u8i8_portable(a + i, b + i, count - i);
}

/// Without VNNI: widen both to 16 bits and multiply-add pairs (VPMADDWD). VPMADDUBSW would take the bytes directly
/// but saturates its 16-bit pair sums (255·127·2 > 32767), so it would not be exact.
__attribute__((target("avx2")))
static int32_t dot_u8i8_avx2(const uint8_t *a, const int8_t *b, size_t count) {
    __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 32 <= count; i += 32) {
        __m256i x0 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const void *)(a + i)));
        __m256i y0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const void *)(b + i)));
        __m256i x1 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const void *)(a + i + 16)));
        __m256i y1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const void *)(b + i + 16)));
        s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(x0, y0));
        s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(x1, y1));
    }
    __m256i s = _mm256_add_epi32(s0, s1);
    __m128i h = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4e));
    h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xb1));
    return _mm_cvtsi128_si32(h) + dot_u8i8_portable(a + i, b + i, count - i);
}
#endif

const vecdb_int8_kernel vecdb_int8_kernels[] = {
#if defined(__x86_64__)
    {"avx512vnni", dot_u8i8_avx512vnni},
    {"avxvnni", dot_u8i8_avxvnni},
    {"avx2", dot_u8i8_avx2},
#endif
    {"portable", dot_u8i8_portable},
};
const int vecdb_int8_kernel_count = (int)(sizeof vecdb_int8_kernels / sizeof vecdb_int8_kernels[0]);

bool vecdb_int8_kernel_supported(int index) {
    if (index < 0 || index >= vecdb_int8_kernel_count) return false;
    const char *name = vecdb_int8_kernels[index].name;
#if defined(__x86_64__)
    vecdb_cpu_features f = vecdb_cpu_detect();
    if (strcmp(name, "avx512vnni") == 0) return f.avx512f && f.avx512bw && f.avx512vnni;
    if (strcmp(name, "avxvnni") == 0) return f.avxvnni;
    if (strcmp(name, "avx2") == 0) return f.avx2;
#endif
    return strcmp(name, "portable") == 0;
}

int vecdb_int8_kernel_active_index_value = (int)(sizeof vecdb_int8_kernels / sizeof vecdb_int8_kernels[0]) - 1;

/// The fastest supported variant, unless `VECDB_KERNELS` asked for the portable or AVX2 float set: then the same
/// family here, so that forcing the portable kernels (to test them, or on a suspect CPU) forces these too.
__attribute__((constructor)) static void vecdb_int8_kernel_start(void) {
    const char *requested = getenv("VECDB_KERNELS");
    int chosen = vecdb_int8_kernel_count - 1;
    for (int i = vecdb_int8_kernel_count - 1; i >= 0; i--) {
        if (!vecdb_int8_kernel_supported(i)) continue;
        const char *name = vecdb_int8_kernels[i].name;
        if (requested && strcmp(requested, "portable") == 0 && strcmp(name, "portable") != 0) continue;
        if (requested && strcmp(requested, "avx2") == 0 && strncmp(name, "avx512", 6) == 0) continue;
        chosen = i;
    }
    vecdb_int8_kernel_active_index_value = chosen;
}
