// Reduced-precision matrix products for the embedding models' linear layers: y += x · Wᵀ with W converted once at
// load (int8 per output channel, bf16, or float32 in panels) and x converted per call (int8 per row, bf16; float32 is
// read as it is). One function per
// instruction set and format; the portable ones are the oracles of the others.
//
// Packed layout (docs/KERNELS.md): output channels in panels of 16; inside a panel, for each group of G input
// positions (G = 4 int8 bytes, or 2 bf16 values) the 16 channels' G values side by side — 64 bytes, one vector load
// that VPDPBUSD / VDPBF16PS consume as sixteen 32-bit lanes, one lane per channel. A row of x is read G values at a
// time and broadcast to all lanes, so one instruction advances sixteen dot products by G terms.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ckernels.h"
#include "ccpuid.h"
#if defined(__x86_64__)
#include <immintrin.h>
#endif

enum { PANEL = 16, MAX_ROWS = 6, MAX_PANELS = 4 };

// ---- conversions (portable C: they touch each element once, the products touch it n times) ----

void vecdb_pack_int8_weights(const float *w, size_t n, size_t k, int8_t *packed, float *scale, int32_t *sum) {
    size_t groups = (k + 3) / 4, panels = (n + PANEL - 1) / PANEL;
    memset(packed, 0, panels * PANEL * groups * 4);
    for (size_t c = 0; c < panels * PANEL; c++) {
        scale[c] = 0;
        sum[c] = 0;
        if (c >= n) continue;
        const float *row = w + c * k;
        float largest = 0;
        for (size_t i = 0; i < k; i++) largest = fmaxf(largest, fabsf(row[i]));
        if (largest == 0) continue;
        // Symmetric codes −127…127: the scale maps the channel's largest magnitude to 127, and −128 is never used so
        // that the code range is symmetric like the weights'.
        float s = largest / 127, inverse = 127 / largest;
        int8_t *panel = packed + (c / PANEL) * PANEL * groups * 4;
        int32_t total = 0;
        for (size_t i = 0; i < k; i++) {
            long code = lrintf(row[i] * inverse);
            if (code > 127) code = 127;
            if (code < -127) code = -127;
            panel[(i / 4) * PANEL * 4 + (c % PANEL) * 4 + i % 4] = (int8_t)code;
            total += (int32_t)code;
        }
        scale[c] = s;
        sum[c] = total;
    }
}

/// float → bf16, rounding to nearest even (finite inputs; NaN stays NaN).
static inline uint16_t bf16_from_float(float f) {
    uint32_t bits;
    memcpy(&bits, &f, 4);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x40u);
    return (uint16_t)((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

static inline float float_from_bf16(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

void vecdb_pack_bf16_weights(const float *w, size_t n, size_t k, uint16_t *packed) {
    size_t pairs = (k + 1) / 2, panels = (n + PANEL - 1) / PANEL;
    memset(packed, 0, panels * PANEL * pairs * 2 * sizeof(uint16_t));
    for (size_t c = 0; c < n; c++) {
        uint16_t *panel = packed + (c / PANEL) * PANEL * pairs * 2;
        for (size_t i = 0; i < k; i++) panel[(i / 2) * PANEL * 2 + (c % PANEL) * 2 + i % 2] = bf16_from_float(w[c * k + i]);
    }
}

void vecdb_pack_f32_weights(const float *w, size_t n, size_t k, float *packed) {
    size_t panels = (n + PANEL - 1) / PANEL;
    memset(packed, 0, panels * PANEL * k * sizeof(float));
    for (size_t c = 0; c < n; c++) {
        float *panel = packed + (c / PANEL) * PANEL * k;
        for (size_t i = 0; i < k; i++) panel[i * PANEL + c % PANEL] = w[c * k + i];
    }
}

/// Row r's scale, inverse scale and zero point from its range [low, high] (which holds 0). Shared by every variant of
/// the row quantiser, so that all of them produce the same codes.
static inline void row_quantizer(float low, float high, float *scale, float *inverse, int32_t *zero) {
    float s = (high - low) / 255;
    if (!(s > 0)) {
        *scale = 0;
        *inverse = 0;
        *zero = 0;
        return;
    }
    long z = lrintf(-low * (1 / s));
    *scale = s;
    *inverse = 1 / s;
    *zero = (int32_t)(z > 255 ? 255 : z);
}

static void quantize_rows_u8_portable(const float *x, size_t rows, size_t k, size_t x_stride, void *q, size_t q_stride,
                                      float *scale, int32_t *zero) {
    for (size_t r = 0; r < rows; r++) {
        const float *row = x + r * x_stride;
        uint8_t *out = (uint8_t *)q + r * q_stride;
        // The range always holds 0, so the zero point is a code and padding with it adds nothing.
        float low = 0, high = 0;
        for (size_t i = 0; i < k; i++) {
            low = row[i] < low ? row[i] : low;
            high = row[i] > high ? row[i] : high;
        }
        float inverse;
        row_quantizer(low, high, &scale[r], &inverse, &zero[r]);
        for (size_t i = 0; i < k; i++) {
            long code = lrintf(row[i] * inverse) + zero[r];
            out[i] = (uint8_t)(code < 0 ? 0 : code > 255 ? 255 : code);
        }
        for (size_t i = k; i < q_stride; i++) out[i] = (uint8_t)zero[r];
    }
}

static void rows_to_bf16_portable(const float *x, size_t rows, size_t k, size_t x_stride, void *out, size_t out_stride,
                                  float *scale, int32_t *zero) {
    (void)scale;
    (void)zero;
    uint16_t *o = out;
    for (size_t r = 0; r < rows; r++) {
        for (size_t i = 0; i < k; i++) o[r * out_stride + i] = bf16_from_float(x[r * x_stride + i]);
        for (size_t i = k; i < out_stride; i++) o[r * out_stride + i] = 0;
    }
}

// ---- portable products: the oracles ----

static void int8_gemm_portable(const vecdb_packed_gemm *g, size_t panel_begin, size_t panel_end) {
    const uint8_t *x = g->x;
    const int8_t *w = g->weights;
    for (size_t p = panel_begin; p < panel_end; p++) {
        const int8_t *panel = w + p * PANEL * g->groups * 4;
        for (size_t r = 0; r < g->rows; r++) {
            const uint8_t *row = x + r * g->x_stride;
            float *y = g->y + r * g->y_stride;
            for (size_t lane = 0; lane < PANEL; lane++) {
                size_t c = p * PANEL + lane;
                if (c >= g->columns) break;
                int32_t total = 0;
                for (size_t i = 0; i < g->groups; i++)
                    for (size_t j = 0; j < 4; j++) total += (int32_t)row[i * 4 + j] * (int32_t)panel[i * PANEL * 4 + lane * 4 + j];
                int32_t exact = total - g->x_zero[r] * g->w_sum[c];
                // The same operations, in the same order, as the SIMD epilogue: the results are equal bit for bit.
                y[c] = fmaf((float)exact, g->x_scale[r] * g->w_scale[c], y[c]);
            }
        }
    }
}

static void bf16_gemm_portable(const vecdb_packed_gemm *g, size_t panel_begin, size_t panel_end) {
    const uint16_t *x = g->x, *w = g->weights;
    for (size_t p = panel_begin; p < panel_end; p++) {
        const uint16_t *panel = w + p * PANEL * g->groups * 2;
        for (size_t r = 0; r < g->rows; r++) {
            const uint16_t *row = x + r * g->x_stride;
            float *y = g->y + r * g->y_stride;
            for (size_t lane = 0; lane < PANEL; lane++) {
                size_t c = p * PANEL + lane;
                if (c >= g->columns) break;
                float total = 0;
                for (size_t i = 0; i < g->groups; i++) {
                    // A product of two bf16 values is exact in float32, so this equals a fused multiply-add — without
                    // fmaf, which is a slow libm call on the baseline x86-64 target.
                    total += float_from_bf16(row[2 * i]) * float_from_bf16(panel[i * PANEL * 2 + lane * 2]);
                    total += float_from_bf16(row[2 * i + 1]) * float_from_bf16(panel[i * PANEL * 2 + lane * 2 + 1]);
                }
                y[c] += total;
            }
        }
    }
}

static void f32_gemm_portable(const vecdb_packed_gemm *g, size_t panel_begin, size_t panel_end) {
    const float *x = g->x, *w = g->weights;
    for (size_t p = panel_begin; p < panel_end; p++) {
        const float *panel = w + p * PANEL * g->groups;
        for (size_t r = 0; r < g->rows; r++) {
            const float *row = x + r * g->x_stride;
            float *y = g->y + r * g->y_stride;
            for (size_t lane = 0; lane < PANEL; lane++) {
                size_t c = p * PANEL + lane;
                if (c >= g->columns) break;
                float total = 0;
                for (size_t i = 0; i < g->groups; i++) total += row[i] * panel[i * PANEL + lane];  // no fmaf: see bf16
                y[c] += total;
            }
        }
    }
}

#if defined(__x86_64__)
// ---- AVX-512: a tile of up to MAX_ROWS rows × MAX_PANELS panels (24 accumulators) per pass over k ----
//
// `rows` and `panels` are constants at every call site (see the dispatch macros), so the accumulator arrays live in
// registers and the loops unroll. Weights of the tile's panels are reused by every row; a broadcast of x by every panel.

#define TILE_TARGET_INT8 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"), always_inline)) static inline
#define TILE_TARGET_F32 __attribute__((target("avx512f,avx512bw,avx512vl"), always_inline)) static inline
#define TILE_TARGET_BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"), always_inline)) static inline

/// Lanes of panel `p` that are real channels (the last panel may be partial).
static inline __mmask16 channel_mask(size_t columns, size_t p) {
    size_t left = columns - p * PANEL;
    return left >= PANEL ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
}

TILE_TARGET_INT8 void int8_tile_avx512(const vecdb_packed_gemm *g, size_t row, size_t panel, const int rows,
                                       const int panels) {
    __m512i acc[MAX_ROWS][MAX_PANELS];
    for (int r = 0; r < rows; r++)
        for (int p = 0; p < panels; p++) acc[r][p] = _mm512_setzero_si512();
    const uint8_t *x = (const uint8_t *)g->x + row * g->x_stride;
    size_t panel_bytes = PANEL * g->groups * 4;
    const int8_t *w = (const int8_t *)g->weights + panel * panel_bytes;
    for (size_t i = 0; i < g->groups; i++) {
        __m512i wv[MAX_PANELS];
        for (int p = 0; p < panels; p++) wv[p] = _mm512_loadu_si512(w + p * panel_bytes + i * 64);
        for (int r = 0; r < rows; r++) {
            int32_t four;
            memcpy(&four, x + r * g->x_stride + i * 4, 4);
            __m512i xv = _mm512_set1_epi32(four);
            for (int p = 0; p < panels; p++) acc[r][p] = _mm512_dpbusd_epi32(acc[r][p], xv, wv[p]);
        }
    }
    for (int p = 0; p < panels; p++) {
        size_t c = (panel + p) * PANEL;
        __mmask16 mask = channel_mask(g->columns, panel + p);
        __m512i sums = _mm512_loadu_si512(g->w_sum + c);
        __m512 wscale = _mm512_loadu_ps(g->w_scale + c);
        for (int r = 0; r < rows; r++) {
            __m512i exact = _mm512_sub_epi32(acc[r][p], _mm512_mullo_epi32(_mm512_set1_epi32(g->x_zero[row + r]), sums));
            __m512 scale = _mm512_mul_ps(_mm512_set1_ps(g->x_scale[row + r]), wscale);
            float *y = g->y + (row + r) * g->y_stride + c;
            __m512 old = _mm512_maskz_loadu_ps(mask, y);
            _mm512_mask_storeu_ps(y, mask, _mm512_fmadd_ps(_mm512_cvtepi32_ps(exact), scale, old));
        }
    }
}

TILE_TARGET_BF16 void bf16_tile_avx512(const vecdb_packed_gemm *g, size_t row, size_t panel, const int rows,
                                       const int panels) {
    __m512 acc[MAX_ROWS][MAX_PANELS];
    for (int r = 0; r < rows; r++)
        for (int p = 0; p < panels; p++) acc[r][p] = _mm512_setzero_ps();
    const uint16_t *x = (const uint16_t *)g->x + row * g->x_stride;
    size_t panel_values = PANEL * g->groups * 2;
    const uint16_t *w = (const uint16_t *)g->weights + panel * panel_values;
    for (size_t i = 0; i < g->groups; i++) {
        __m512i wv[MAX_PANELS];
        for (int p = 0; p < panels; p++) wv[p] = _mm512_loadu_si512(w + p * panel_values + i * 32);
        for (int r = 0; r < rows; r++) {
            int32_t pair;
            memcpy(&pair, x + r * g->x_stride + i * 2, 4);
            __m512i xv = _mm512_set1_epi32(pair);
            for (int p = 0; p < panels; p++) acc[r][p] = _mm512_dpbf16_ps(acc[r][p], (__m512bh)xv, (__m512bh)wv[p]);
        }
    }
    for (int p = 0; p < panels; p++) {
        size_t c = (panel + p) * PANEL;
        __mmask16 mask = channel_mask(g->columns, panel + p);
        for (int r = 0; r < rows; r++) {
            float *y = g->y + (row + r) * g->y_stride + c;
            _mm512_mask_storeu_ps(y, mask, _mm512_add_ps(_mm512_maskz_loadu_ps(mask, y), acc[r][p]));
        }
    }
}

TILE_TARGET_F32 void f32_tile_avx512(const vecdb_packed_gemm *g, size_t row, size_t panel, const int rows,
                                     const int panels) {
    __m512 acc[MAX_ROWS][MAX_PANELS];
    for (int r = 0; r < rows; r++)
        for (int p = 0; p < panels; p++) acc[r][p] = _mm512_setzero_ps();
    const float *x = (const float *)g->x + row * g->x_stride;
    size_t panel_values = PANEL * g->groups;
    const float *w = (const float *)g->weights + panel * panel_values;
    for (size_t i = 0; i < g->groups; i++) {
        __m512 wv[MAX_PANELS];
        for (int p = 0; p < panels; p++) wv[p] = _mm512_loadu_ps(w + p * panel_values + i * PANEL);
        for (int r = 0; r < rows; r++) {
            __m512 xv = _mm512_set1_ps(x[r * g->x_stride + i]);
            for (int p = 0; p < panels; p++) acc[r][p] = _mm512_fmadd_ps(xv, wv[p], acc[r][p]);
        }
    }
    for (int p = 0; p < panels; p++) {
        size_t c = (panel + p) * PANEL;
        __mmask16 mask = channel_mask(g->columns, panel + p);
        for (int r = 0; r < rows; r++) {
            float *y = g->y + (row + r) * g->y_stride + c;
            _mm512_mask_storeu_ps(y, mask, _mm512_add_ps(_mm512_maskz_loadu_ps(mask, y), acc[r][p]));
        }
    }
}

// One specialised copy of the tile per (rows, panels) pair: the switch turns run-time sizes into constants.
#define TILE_CASES(tile, g, row, panel, rows, panels)                                       \
    switch ((rows) * 8 + (panels)) {                                                        \
    case 6 * 8 + 4: tile(g, row, panel, 6, 4); break;                                       \
    case 6 * 8 + 3: tile(g, row, panel, 6, 3); break;                                       \
    case 6 * 8 + 2: tile(g, row, panel, 6, 2); break;                                       \
    case 6 * 8 + 1: tile(g, row, panel, 6, 1); break;                                       \
    case 5 * 8 + 4: tile(g, row, panel, 5, 4); break;                                       \
    case 5 * 8 + 3: tile(g, row, panel, 5, 3); break;                                       \
    case 5 * 8 + 2: tile(g, row, panel, 5, 2); break;                                       \
    case 5 * 8 + 1: tile(g, row, panel, 5, 1); break;                                       \
    case 4 * 8 + 4: tile(g, row, panel, 4, 4); break;                                       \
    case 4 * 8 + 3: tile(g, row, panel, 4, 3); break;                                       \
    case 4 * 8 + 2: tile(g, row, panel, 4, 2); break;                                       \
    case 4 * 8 + 1: tile(g, row, panel, 4, 1); break;                                       \
    case 3 * 8 + 4: tile(g, row, panel, 3, 4); break;                                       \
    case 3 * 8 + 3: tile(g, row, panel, 3, 3); break;                                       \
    case 3 * 8 + 2: tile(g, row, panel, 3, 2); break;                                       \
    case 3 * 8 + 1: tile(g, row, panel, 3, 1); break;                                       \
    case 2 * 8 + 4: tile(g, row, panel, 2, 4); break;                                       \
    case 2 * 8 + 3: tile(g, row, panel, 2, 3); break;                                       \
    case 2 * 8 + 2: tile(g, row, panel, 2, 2); break;                                       \
    case 2 * 8 + 1: tile(g, row, panel, 2, 1); break;                                       \
    case 1 * 8 + 4: tile(g, row, panel, 1, 4); break;                                       \
    case 1 * 8 + 3: tile(g, row, panel, 1, 3); break;                                       \
    case 1 * 8 + 2: tile(g, row, panel, 1, 2); break;                                       \
    default: tile(g, row, panel, 1, 1); break;                                              \
    }

// Panels outer, rows inner: a block of MAX_PANELS panels' weights (24 KB at k = 384) stays in L1 while every row
// tile streams past it.
#define TILED_GEMM(name, tile, isa)                                                       \
    __attribute__((target(isa))) static void name(const vecdb_packed_gemm *g, size_t panel_begin, \
                                                      size_t panel_end) {                      \
        for (size_t p = panel_begin; p < panel_end; p += MAX_PANELS) {                         \
            size_t panels = panel_end - p < MAX_PANELS ? panel_end - p : MAX_PANELS;           \
            for (size_t r = 0; r < g->rows; r += MAX_ROWS) {                                   \
                size_t rows = g->rows - r < MAX_ROWS ? g->rows - r : MAX_ROWS;                 \
                TILE_CASES(tile, g, r, p, rows, panels)                                        \
            }                                                                                  \
        }                                                                                      \
    }

__attribute__((target("avx512f,avx512bw,avx512vl")))
static void quantize_rows_u8_avx512(const float *x, size_t rows, size_t k, size_t x_stride, void *q, size_t q_stride,
                                    float *scale, int32_t *zero) {
    for (size_t r = 0; r < rows; r++) {
        const float *row = x + r * x_stride;
        uint8_t *out = (uint8_t *)q + r * q_stride;
        __m512 low = _mm512_setzero_ps(), high = _mm512_setzero_ps();
        size_t i = 0;
        for (; i + 16 <= k; i += 16) {
            __m512 v = _mm512_loadu_ps(row + i);
            low = _mm512_min_ps(low, v);
            high = _mm512_max_ps(high, v);
        }
        __mmask16 tail = (__mmask16)((1u << (k - i)) - 1);
        __m512 last = _mm512_maskz_loadu_ps(tail, row + i);  // zeros beyond k: the range holds 0 anyway
        low = _mm512_min_ps(low, last);
        high = _mm512_max_ps(high, last);
        float inverse;
        row_quantizer(_mm512_reduce_min_ps(low), _mm512_reduce_max_ps(high), &scale[r], &inverse, &zero[r]);
        __m512 inv = _mm512_set1_ps(inverse);
        __m512i z = _mm512_set1_epi32(zero[r]), lowest = _mm512_setzero_si512(), highest = _mm512_set1_epi32(255);
        for (i = 0; i < k; i += 16) {
            __mmask16 m = k - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (k - i)) - 1);
            // cvtps rounds to nearest even, as lrintf does in the default rounding mode.
            __m512i code = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, row + i), inv)), z);
            code = _mm512_min_epi32(_mm512_max_epi32(code, lowest), highest);
            _mm512_mask_cvtepi32_storeu_epi8(out + i, m, code);
        }
        for (i = k; i < q_stride; i++) out[i] = (uint8_t)zero[r];
    }
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
static void rows_to_bf16_avx512(const float *x, size_t rows, size_t k, size_t x_stride, void *out, size_t out_stride,
                                float *scale, int32_t *zero) {
    (void)scale;
    (void)zero;
    uint16_t *o = out;
    for (size_t r = 0; r < rows; r++) {
        const float *row = x + r * x_stride;
        uint16_t *dst = o + r * out_stride;
        for (size_t i = 0; i < out_stride; i += 16) {
            size_t left = out_stride - i;
            __mmask16 store = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
            size_t real = i < k ? k - i : 0;
            __mmask16 load = real >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << real) - 1);
            __m256bh h = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(load, row + i));
            _mm256_mask_storeu_epi16(dst + i, store, (__m256i)h);
        }
    }
}

TILED_GEMM(int8_gemm_avx512vnni, int8_tile_avx512, "avx512f,avx512bw,avx512vl,avx512vnni")
TILED_GEMM(bf16_gemm_avx512bf16, bf16_tile_avx512, "avx512f,avx512bw,avx512vl,avx512bf16")
TILED_GEMM(f32_gemm_avx512, f32_tile_avx512, "avx512f,avx512bw,avx512vl")
#endif

const vecdb_packed_gemm_kernel vecdb_packed_gemm_kernels[] = {
#if defined(__x86_64__)
    {"avx512vnni", VECDB_PACKED_INT8, quantize_rows_u8_avx512, int8_gemm_avx512vnni},
    {"avx512bf16", VECDB_PACKED_BF16, rows_to_bf16_avx512, bf16_gemm_avx512bf16},
    {"avx512", VECDB_PACKED_F32, NULL, f32_gemm_avx512},
#endif
    {"portable", VECDB_PACKED_INT8, quantize_rows_u8_portable, int8_gemm_portable},
    {"portable", VECDB_PACKED_BF16, rows_to_bf16_portable, bf16_gemm_portable},
    {"portable", VECDB_PACKED_F32, NULL, f32_gemm_portable},
};
const int vecdb_packed_gemm_kernel_count = (int)(sizeof vecdb_packed_gemm_kernels / sizeof vecdb_packed_gemm_kernels[0]);

bool vecdb_packed_gemm_kernel_supported(int index) {
    if (index < 0 || index >= vecdb_packed_gemm_kernel_count) return false;
    const char *name = vecdb_packed_gemm_kernels[index].name;
#if defined(__x86_64__)
    vecdb_cpu_features f = vecdb_cpu_detect();
    if (strcmp(name, "avx512vnni") == 0) return f.avx512f && f.avx512bw && f.avx512vl && f.avx512vnni;
    if (strcmp(name, "avx512bf16") == 0) return f.avx512f && f.avx512bw && f.avx512vl && f.avx512bf16;
    if (strcmp(name, "avx512") == 0) return f.avx512f && f.avx512bw && f.avx512vl;
#endif
    return strcmp(name, "portable") == 0;
}

int vecdb_packed_gemm_kernel_choose(vecdb_packed_format format, const char *requested) {
    int portable = -1;
    for (int i = 0; i < vecdb_packed_gemm_kernel_count; i++) {
        const vecdb_packed_gemm_kernel *k = &vecdb_packed_gemm_kernels[i];
        if (k->format != format || !vecdb_packed_gemm_kernel_supported(i)) continue;
        if (strcmp(k->name, "portable") == 0) {
            portable = i;
            continue;
        }
        // Forcing the portable or AVX2 float set (VECDB_KERNELS) forces the portable products too: there is no AVX2
        // variant, and a forced set must never run wider instructions than it names.
        if (requested && (strcmp(requested, "portable") == 0 || strcmp(requested, "avx2") == 0)) continue;
        return i;
    }
    return portable;
}
