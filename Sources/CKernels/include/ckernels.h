#ifndef CKERNELS_H
#define CKERNELS_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#pragma clang assume_nonnull begin

/// The numeric kernels of vecdb, compiled once per instruction set (see kernel_bodies.h) so that the package needs no
/// compiler flags: each set's functions carry their own `target` attribute, and the set in use is picked at load time
/// from cpuid (or from `VECDB_KERNELS`). Swift reaches them through the `Kernels` module; nothing else should.
///
/// Pointers need no alignment: vectors read from LMDB's memory map are only 2-byte aligned.
typedef struct vecdb_kernel_table {
    /// "avx512", "avx2" or "portable": what `VECDB_KERNELS` accepts and `vecdb info` reports.
    const char *name;
    float (*dot)(const void *a, const void *b, size_t count);
    float (*l2_squared)(const void *a, const void *b, size_t count);
    void (*exp)(const float *x, float *y, size_t count);
    void (*erf)(const float *x, float *y, size_t count);
    void (*gelu)(float *x, size_t count);
    void (*layer_norm)(float *row, const float *_Nullable residual, const float *_Nullable bias, const float *gamma, const float *beta,
                       size_t count, float epsilon);
    void (*rms_norm)(const float *x, const float *weight, float *y, size_t rows, size_t dim, float epsilon);
    void (*softmax)(float *x, size_t count, float *_Nullable log_sum_exp);
    void (*swiglu)(const float *gate, const float *up, float *out, size_t count);
    void (*weighted_sum)(const float *weights, size_t weights_stride, size_t queries, size_t count, const float *rows,
                         size_t row_stride, size_t dim, float *out, size_t out_stride);
    void (*scores_transposed)(const float *query, size_t query_stride, size_t queries, const float *keys_t, size_t dim,
                              size_t padded, float scale, float *scores, size_t scores_stride);
    void (*half_to_float)(const void *src, float *dst, size_t count);
} vecdb_kernel_table;

/// Every set compiled into this build, fastest first; the last is always "portable".
extern const vecdb_kernel_table *_Nonnull const vecdb_kernel_tables[];
extern const int vecdb_kernel_table_count;

/// Whether this CPU (and its OS) can run set `index`.
bool vecdb_kernels_supported(int index);

/// Index of the set in use: the fastest supported one, or the one `VECDB_KERNELS` names (when supported), chosen
/// by a constructor before `main`.
extern int vecdb_kernels_active_index_value;
static inline int vecdb_kernels_active_index(void) { return vecdb_kernels_active_index_value; }

/// The set for a `VECDB_KERNELS` value: the supported set of that name, else (unknown name, a set this CPU cannot
/// run, or NULL) the fastest supported one, since a kernel set must never stop the process with an illegal
/// instruction.
int vecdb_kernels_choose(const char *_Nullable name);

/// What `VECDB_KERNELS` asked for, or NULL when unset; lets `vecdb info` say why a slower set is active.
const char *_Nullable vecdb_kernels_requested(void);

static inline const vecdb_kernel_table *vecdb_kernels_at(int index) { return vecdb_kernel_tables[index]; }

/// One variant of the int8 dot product Σ a[i]·b[i] over `count` unsigned × signed bytes, exact in int32 (for
/// `count` ≤ 66,000: 255 · 127 · count stays below 2³¹). Any alignment, any count.
typedef struct vecdb_int8_kernel {
    /// "avx512vnni", "avxvnni", "avx2" or "portable".
    const char *name;
    int32_t (*dot)(const uint8_t *a, const int8_t *b, size_t count);
} vecdb_int8_kernel;

/// Every variant compiled into this build, fastest first; the last is always "portable".
extern const vecdb_int8_kernel vecdb_int8_kernels[];
extern const int vecdb_int8_kernel_count;
/// Whether this CPU (and its OS) can run variant `index`.
bool vecdb_int8_kernel_supported(int index);
/// The variant in use, chosen by a constructor before `main`: the fastest supported, kept within the family of the
/// float set `VECDB_KERNELS` forces.
extern int vecdb_int8_kernel_active_index_value;
static inline int vecdb_int8_kernel_active_index(void) { return vecdb_int8_kernel_active_index_value; }
static inline const vecdb_int8_kernel *vecdb_int8_kernel_at(int index) { return &vecdb_int8_kernels[index]; }

/// The two packed weight formats of the reduced-precision products (packed_gemm.c, docs/KERNELS.md).
typedef enum vecdb_packed_format { VECDB_PACKED_INT8 = 0, VECDB_PACKED_BF16 = 1, VECDB_PACKED_F32 = 2 } vecdb_packed_format;

/// One product y += x · Wᵀ over packed operands: `rows` rows of converted activations `x` (u8 codes or bf16, `x_stride`
/// elements apart, each `groups`·G long, G = 4 for int8, 2 for bf16, 1 for float32) against `columns` output channels packed in
/// panels of 16. For int8, row r's value i is x_scale[r]·(code − x_zero[r]) and channel c's is w_scale[c]·code, and
/// w_sum[c] is Σ of channel c's codes (so the kernel can remove the zero point exactly); both arrays cover every
/// channel of every panel. bf16 and float32 leave the four scale arrays unused.
typedef struct vecdb_packed_gemm {
    size_t rows, columns, groups;
    const void *x;
    size_t x_stride;
    const void *weights;
    float *y;
    size_t y_stride;
    const float *_Nullable x_scale;
    const int32_t *_Nullable x_zero;
    const float *_Nullable w_scale;
    const int32_t *_Nullable w_sum;
} vecdb_packed_gemm;

/// One variant of one format's product, run over panels [panel_begin, panel_end) so callers can split the channels
/// between threads.
typedef struct vecdb_packed_gemm_kernel {
    /// "avx512vnni", "avx512bf16", "avx512" (float32) or "portable".
    const char *name;
    vecdb_packed_format format;
    /// Converts `rows` rows of `k` floats (`x_stride` apart) to this format's activations, padded to `out_stride`
    /// elements: int8 quantises each row to unsigned codes with its own scale and zero point (asymmetric over the
    /// row's range, 0 included; padding gets the zero point), bf16 rounds to nearest even (padding gets 0, and the
    /// scale and zero arrays are not touched). NULL for float32, whose rows are read where they are.
    void (*_Nullable convert)(const float *x, size_t rows, size_t k, size_t x_stride, void *out, size_t out_stride,
                    float *_Nullable scale, int32_t *_Nullable zero);
    void (*multiply_add)(const vecdb_packed_gemm *product, size_t panel_begin, size_t panel_end);
} vecdb_packed_gemm_kernel;

extern const vecdb_packed_gemm_kernel vecdb_packed_gemm_kernels[];
extern const int vecdb_packed_gemm_kernel_count;
bool vecdb_packed_gemm_kernel_supported(int index);
/// The fastest supported variant of `format`, or the portable one when `requested` (the value of `VECDB_KERNELS`)
/// names the portable or AVX2 float set.
int vecdb_packed_gemm_kernel_choose(vecdb_packed_format format, const char *_Nullable requested);
static inline const vecdb_packed_gemm_kernel *vecdb_packed_gemm_kernel_at(int index) { return &vecdb_packed_gemm_kernels[index]; }

/// Quantises the `n` × `k` row-major float matrix `w` per row (output channel) to codes −127…127 in the packed int8
/// layout (`packed`: ⌈n/16⌉·16 × ⌈k/4⌉·4 bytes), with each channel's scale and code sum (⌈n/16⌉·16 entries each;
/// padding channels get 0).
void vecdb_pack_int8_weights(const float *w, size_t n, size_t k, int8_t *packed, float *scale, int32_t *sum);
/// Rounds `w` (n × k) to bf16 in the packed bf16 layout (⌈n/16⌉·16 × ⌈k/2⌉·2 values).
void vecdb_pack_bf16_weights(const float *w, size_t n, size_t k, uint16_t *packed);
/// Copies `w` (n × k) into the packed float32 layout (⌈n/16⌉·16 × k values).
void vecdb_pack_f32_weights(const float *w, size_t n, size_t k, float *packed);


/// IEEE binary16 → binary32, exact for every input (subnormals, infinities and NaNs included). Bit arithmetic rather
/// than a conversion instruction: it is the same on every CPU, and callers use it for a few block scales per row.
static inline float vecdb_half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exponent = (h >> 10) & 0x1fu;
    uint32_t mantissa = h & 0x3ffu;
    uint32_t bits;
    if (exponent == 0) {
        if (mantissa == 0) {
            bits = sign;
        } else {
            // Subnormal: shift the mantissa up until its leading 1 reaches the implicit-bit position.
            int e = -1;
            do { mantissa <<= 1; e++; } while ((mantissa & 0x400u) == 0);
            bits = sign | (uint32_t)(127 - 15 - e) << 23 | (mantissa & 0x3ffu) << 13;
        }
    } else if (exponent == 31) {
        bits = sign | 0x7f800000u | mantissa << 13;
    } else {
        bits = sign | (exponent - 15 + 127) << 23 | mantissa << 13;
    }
    float f;
    __builtin_memcpy(&f, &bits, sizeof f);
    return f;
}

#pragma clang assume_nonnull end

#endif
