// The kernels, written once. Each kernels_<set>.c includes this file inside a `#pragma clang attribute` region that
// gives every function here that set's `target`, and defines:
//   VK_TABLE  the name of the table to emit;
//   VK_NAME   the set's name;
//   VK_FUSED  1 when a*b+c may be one fused instruction (every SIMD set has FMA; the portable set only when the
//             baseline does, since a libm fmaf per lane would be slower than anything it saves);
//   VK_HALF   how half_to_float converts: 512 (16 lanes of F16C), 256 (8 lanes) or 0 (vecdb_half_to_float).
//
// The 16-lane vector type is the unit everywhere, whatever the register width: the compiler splits it into two ymm
// or four xmm registers, and the results stay identical across sets because nothing below depends on how a vector is
// split. Rounding is written down, not left to the compiler: contraction is off, so a product is fused into an add
// only where vk_fma says so, and horizontal sums run lane by lane from lane 0, as Swift's SIMD `sum()` did before
// these kernels moved here (the stored MiniLM vectors stay bit for bit what they were).

#include <math.h>
#include <string.h>
#include "ckernels.h"

#pragma clang fp contract(off)
// The helpers below take and return 64-byte vectors; all are inlined, so the calling convention they would have as
// real calls (and clang's warning about it for sets narrower than AVX-512) never applies.
#pragma clang diagnostic ignored "-Wpsabi"
#define VK_INLINE static inline __attribute__((always_inline))

typedef float vk_f __attribute__((vector_size(64)));
typedef int32_t vk_i __attribute__((vector_size(64)));
typedef uint32_t vk_u __attribute__((vector_size(64)));
#define VK_W 16

/// Untyped, so that a vector at a 2-byte-aligned address (LMDB's) is loaded without claiming float alignment.
VK_INLINE vk_f vk_load(const void *p) {
    vk_f v;
    memcpy(&v, p, sizeof v);
    return v;
}

VK_INLINE void vk_store(float *p, vk_f v) { memcpy(p, &v, sizeof v); }

VK_INLINE vk_f vk_splat(float x) { return (vk_f){x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x}; }

/// Lanes of `a` where `mask` is set, of `b` elsewhere (bitwise, so signed zeros and NaNs pass through untouched).
VK_INLINE vk_f vk_select(vk_i mask, vk_f a, vk_f b) { return (vk_f)(((vk_i)a & mask) | ((vk_i)b & ~mask)); }

VK_INLINE vk_f vk_fma(vk_f a, vk_f b, vk_f c) {
#if VK_FUSED
    return __builtin_elementwise_fma(a, b, c);
#else
    return a * b + c;
#endif
}

/// Lane 0 first, one at a time: a fixed order, so every set rounds alike.
VK_INLINE float vk_sum(vk_f v) {
    float s = -0.0f;
    for (int i = 0; i < VK_W; i++) s += v[i];
    return s;
}

/// The first `n` (< 16) values at `p`, the other lanes `fill`: lets a row's tail go through the vector code, so a value
/// comes out the same whichever lane it sits in.
VK_INLINE vk_f vk_load_partial(const float *p, size_t n, float fill) {
    vk_f v = vk_splat(fill);
    for (size_t k = 0; k < n; k++) v[k] = p[k];
    return v;
}

VK_INLINE void vk_store_partial(float *p, vk_f v, size_t n) {
    for (size_t k = 0; k < n; k++) p[k] = v[k];
}

/// e^x: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-7 Taylor polynomial (relative error below 1e-8 before
/// rounding), 2^n built in the exponent bits. Inputs are clamped to [-87, 88] so the result stays a normal float;
/// below -87 it is ~1e-38 rather than 0, which softmax, SiLU and erf treat as zero anyway.
VK_INLINE vk_f vk_exp(vk_f x) {
    const vk_f low = vk_splat(-87.0f), high = vk_splat(88.0f);
    vk_f c = vk_select(x < low, low, x);
    c = vk_select(x > high, high, c);
    // n = round(x / ln2) by adding 1.5·2²³: the fraction leaves the mantissa, whose low bits then hold n, ready to
    // become the exponent of 2ⁿ without a float→int conversion.
    const vk_f magic = vk_splat(12582912.0f);
    vk_f shifted = vk_fma(c, vk_splat(1.44269504f), magic);
    vk_f n = shifted - magic;
    // r = x − n·ln2 in two steps (Cody–Waite): ln2's high part has trailing zeros, so n·ln2hi is exact.
    vk_f r = vk_fma(n, vk_splat(-0.693145751953125f), c);
    r = vk_fma(n, vk_splat(-1.428606765330187e-6f), r);
    vk_f p = vk_splat(1.0f / 5040.0f);
    p = vk_fma(p, r, vk_splat(1.0f / 720.0f));
    p = vk_fma(p, r, vk_splat(1.0f / 120.0f));
    p = vk_fma(p, r, vk_splat(1.0f / 24.0f));
    p = vk_fma(p, r, vk_splat(1.0f / 6.0f));
    p = vk_fma(p, r, vk_splat(0.5f));
    p = vk_fma(p, r, vk_splat(1.0f));
    p = vk_fma(p, r, vk_splat(1.0f));
    vk_u bits = ((vk_u)shifted - 0x4B400000u + 127u) << 23;
    return p * (vk_f)bits;
}

/// erf by Abramowitz & Stegun 7.1.26 (absolute error ≤ 1.5e-7 exactly, ≤ 5e-7 in float):
/// erf(x) = 1 − (a₁t + … + a₅t⁵)·e^(−x²), t = 1/(1 + p|x|), with the sign of x restored afterwards.
VK_INLINE vk_f vk_erf(vk_f x) {
    vk_f a = (vk_f)((vk_u)x & 0x7FFFFFFFu);
    vk_f t = vk_splat(1.0f) / vk_fma(a, vk_splat(0.3275911f), vk_splat(1.0f));
    vk_f poly = vk_splat(1.061405429f);
    poly = vk_fma(poly, t, vk_splat(-1.453152027f));
    poly = vk_fma(poly, t, vk_splat(1.421413741f));
    poly = vk_fma(poly, t, vk_splat(-0.284496736f));
    poly = vk_fma(poly, t, vk_splat(0.254829592f));
    poly = poly * t;
    vk_f y = vk_splat(1.0f) - poly * vk_exp(vk_splat(0.0f) - a * a);
    return vk_select(x < vk_splat(0.0f), -y, y);
}

/// Exact (erf) GELU, BERT's `gelu`: ½·v·(1 + erf(v/√2)).
VK_INLINE vk_f vk_gelu(vk_f v) {
    return vk_splat(0.5f) * v * (vk_splat(1.0f) + vk_erf(v * vk_splat(0.7071067811865475f)));
}

/// SiLU(gate)·up = gate / (1 + e^-gate) · up, Llama's SwiGLU.
VK_INLINE vk_f vk_swiglu(vk_f g, vk_f u) { return g / (vk_splat(1.0f) + vk_exp(-g)) * u; }

/// Four accumulators over 64-value blocks keep four FMA chains in flight: one chain would wait on its own latency.
/// Takes untyped pointers because its inputs come straight from the memory map, 2-byte aligned.
static float dot(const void *a, const void *b, size_t count) {
    const unsigned char *pa = a, *pb = b;
    vk_f s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
    size_t i = 0;
    for (; i + 4 * VK_W <= count; i += 4 * VK_W) {
        s0 = vk_fma(vk_load(pa + 4 * i), vk_load(pb + 4 * i), s0);
        s1 = vk_fma(vk_load(pa + 4 * (i + VK_W)), vk_load(pb + 4 * (i + VK_W)), s1);
        s2 = vk_fma(vk_load(pa + 4 * (i + 2 * VK_W)), vk_load(pb + 4 * (i + 2 * VK_W)), s2);
        s3 = vk_fma(vk_load(pa + 4 * (i + 3 * VK_W)), vk_load(pb + 4 * (i + 3 * VK_W)), s3);
    }
    for (; i + VK_W <= count; i += VK_W) s0 = vk_fma(vk_load(pa + 4 * i), vk_load(pb + 4 * i), s0);
    float sum = vk_sum((s0 + s1) + (s2 + s3));
    for (; i < count; i++) {
        float x, y;
        memcpy(&x, pa + 4 * i, 4);
        memcpy(&y, pb + 4 * i, 4);
        sum += x * y;
    }
    return sum;
}

/// Σ (a[i] − b[i])², with `dot`'s four accumulators and untyped pointers: the Euclidean metric's distance, squared
/// (the square root is monotone, so ranking needs none).
static float l2_squared(const void *a, const void *b, size_t count) {
    const unsigned char *pa = a, *pb = b;
    vk_f s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
    size_t i = 0;
    for (; i + 4 * VK_W <= count; i += 4 * VK_W) {
        vk_f d0 = vk_load(pa + 4 * i) - vk_load(pb + 4 * i);
        vk_f d1 = vk_load(pa + 4 * (i + VK_W)) - vk_load(pb + 4 * (i + VK_W));
        vk_f d2 = vk_load(pa + 4 * (i + 2 * VK_W)) - vk_load(pb + 4 * (i + 2 * VK_W));
        vk_f d3 = vk_load(pa + 4 * (i + 3 * VK_W)) - vk_load(pb + 4 * (i + 3 * VK_W));
        s0 = vk_fma(d0, d0, s0);
        s1 = vk_fma(d1, d1, s1);
        s2 = vk_fma(d2, d2, s2);
        s3 = vk_fma(d3, d3, s3);
    }
    for (; i + VK_W <= count; i += VK_W) {
        vk_f d = vk_load(pa + 4 * i) - vk_load(pb + 4 * i);
        s0 = vk_fma(d, d, s0);
    }
    float sum = vk_sum((s0 + s1) + (s2 + s3));
    for (; i < count; i++) {
        float x, y;
        memcpy(&x, pa + 4 * i, 4);
        memcpy(&y, pb + 4 * i, 4);
        sum += (x - y) * (x - y);
    }
    return sum;
}

static void exp_values(const float *x, float *y, size_t count) {
    size_t i = 0;
    for (; i + VK_W <= count; i += VK_W) vk_store(y + i, vk_exp(vk_load(x + i)));
    if (i < count) vk_store_partial(y + i, vk_exp(vk_load_partial(x + i, count - i, 0.0f)), count - i);
}

static void erf_values(const float *x, float *y, size_t count) {
    size_t i = 0;
    for (; i + VK_W <= count; i += VK_W) vk_store(y + i, vk_erf(vk_load(x + i)));
    if (i < count) vk_store_partial(y + i, vk_erf(vk_load_partial(x + i, count - i, 0.0f)), count - i);
}

static void gelu(float *x, size_t count) {
    size_t i = 0;
    for (; i + VK_W <= count; i += VK_W) vk_store(x + i, vk_gelu(vk_load(x + i)));
    if (i < count) vk_store_partial(x + i, vk_gelu(vk_load_partial(x + i, count - i, 0.0f)), count - i);
}

/// Post-norm residual step: row = LayerNorm(row + residual + bias) with PyTorch's biased variance; residual and bias
/// may be NULL. Two passes (mean, then squared deviations) avoid the cancellation of E[x²] − E[x]².
static void layer_norm(float *row, const float *residual, const float *bias, const float *gamma, const float *beta,
                       size_t count, float epsilon) {
    vk_f sum = {0};
    float tail_sum = 0;
    size_t i = 0;
    for (; i + VK_W <= count; i += VK_W) {
        vk_f v = vk_load(row + i);
        if (residual) v += vk_load(residual + i);
        if (bias) v += vk_load(bias + i);
        vk_store(row + i, v);
        sum += v;
    }
    for (; i < count; i++) {
        row[i] += (residual ? residual[i] : 0.0f) + (bias ? bias[i] : 0.0f);
        tail_sum += row[i];
    }
    const float mean = (vk_sum(sum) + tail_sum) / (float)count;
    vk_f squares = {0};
    float tail_squares = 0;
    for (i = 0; i + VK_W <= count; i += VK_W) {
        vk_f d = vk_load(row + i) - vk_splat(mean);
        squares = vk_fma(d, d, squares);
    }
    for (; i < count; i++) tail_squares += (row[i] - mean) * (row[i] - mean);
    const float inverse = 1.0f / sqrtf(((vk_sum(squares) + tail_squares) / (float)count) + epsilon);
    for (i = 0; i + VK_W <= count; i += VK_W) {
        vk_f v = vk_load(row + i);
        vk_store(row + i, vk_fma((v - vk_splat(mean)) * vk_splat(inverse), vk_load(gamma + i), vk_load(beta + i)));
    }
    for (; i < count; i++) row[i] = (row[i] - mean) * inverse * gamma[i] + beta[i];
}

/// y = x / sqrt(mean(x²) + eps) · w, row by row.
static void rms_norm(const float *x, const float *weight, float *y, size_t rows, size_t dim, float epsilon) {
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * dim;
        float *yr = y + r * dim;
        vk_f acc = {0};
        size_t i = 0;
        for (; i + VK_W <= dim; i += VK_W) {
            vk_f v = vk_load(xr + i);
            acc += v * v;
        }
        float ss = vk_sum(acc);
        for (; i < dim; i++) ss += xr[i] * xr[i];
        const float scale = 1.0f / sqrtf(ss / (float)dim + epsilon);
        for (i = 0; i + VK_W <= dim; i += VK_W) vk_store(yr + i, vk_load(xr + i) * vk_splat(scale) * vk_load(weight + i));
        for (; i < dim; i++) yr[i] = xr[i] * scale * weight[i];
    }
}

/// In-place softmax, shifted by the maximum so large scores cannot overflow. When `log_sum_exp` is given it receives
/// log Σ e^x (what a cross-entropy needs), computed from the same sum.
static void softmax(float *x, size_t count, float *log_sum_exp) {
    if (count == 0) {
        if (log_sum_exp) *log_sum_exp = -INFINITY;
        return;
    }
    // The maximum lane by lane, then across lanes: a scalar loop would be one dependent comparison per score, the
    // slowest part of attention over long sequences.
    vk_f lanes = vk_splat(-INFINITY);
    size_t j = 0;
    for (; j + VK_W <= count; j += VK_W) {
        vk_f v = vk_load(x + j);
        lanes = vk_select(v > lanes, v, lanes);
    }
    float maximum = -INFINITY;
    for (int lane = 0; lane < VK_W; lane++) maximum = lanes[lane] > maximum ? lanes[lane] : maximum;
    for (; j < count; j++) maximum = x[j] >= maximum ? x[j] : maximum;
    vk_f sum = {0};
    size_t i = 0;
    for (; i + VK_W <= count; i += VK_W) {
        vk_f e = vk_exp(vk_load(x + i) - vk_splat(maximum));
        vk_store(x + i, e);
        sum += e;
    }
    float total = vk_sum(sum);
    if (i < count) {
        // The unused lanes hold e^-100, never added.
        vk_f v = vk_splat(-100.0f);
        for (size_t k = i; k < count; k++) v[k - i] = x[k] - maximum;
        vk_f e = vk_exp(v);
        for (size_t k = i; k < count; k++) {
            x[k] = e[k - i];
            total += e[k - i];
        }
    }
    const float inverse = 1.0f / total;
    for (size_t k = 0; k < count; k++) x[k] *= inverse;
    if (log_sum_exp) *log_sum_exp = maximum + logf(total);
}

static void swiglu(const float *gate, const float *up, float *out, size_t count) {
    size_t i = 0;
    for (; i + VK_W <= count; i += VK_W) vk_store(out + i, vk_swiglu(vk_load(gate + i), vk_load(up + i)));
    if (i < count) {
        size_t n = count - i;
        vk_store_partial(out + i, vk_swiglu(vk_load_partial(gate + i, n, 0.0f), vk_load_partial(up + i, n, 0.0f)), n);
    }
}

/// out[0..<dim] = Σ_j weights[j] · rows[j·row_stride ..< j·row_stride + dim]: attention's weighted sum of values.
/// Columns go 32 at a time with both accumulators held in registers across all rows (a 32-wide head, MiniLM's, is
/// one pass), then 16, then the rest as one partial vector.
static void weighted_sum_one(const float *weights, size_t count, const float *rows, size_t row_stride, size_t dim,
                             float *out) {
    size_t c = 0;
    for (; c + 2 * VK_W <= dim; c += 2 * VK_W) {
        // Two rows per step into separate accumulators: four independent FMA chains instead of two, so a long
        // sequence is not bound by the FMA latency.
        vk_f a0 = {0}, a1 = {0}, b0 = {0}, b1 = {0};
        size_t j = 0;
        for (; j + 2 <= count; j += 2) {
            const vk_f w = vk_splat(weights[j]), v = vk_splat(weights[j + 1]);
            const float *row = rows + j * row_stride + c, *next = row + row_stride;
            a0 = vk_fma(w, vk_load(row), a0);
            a1 = vk_fma(w, vk_load(row + VK_W), a1);
            b0 = vk_fma(v, vk_load(next), b0);
            b1 = vk_fma(v, vk_load(next + VK_W), b1);
        }
        if (j < count) {
            const vk_f w = vk_splat(weights[j]);
            const float *row = rows + j * row_stride + c;
            a0 = vk_fma(w, vk_load(row), a0);
            a1 = vk_fma(w, vk_load(row + VK_W), a1);
        }
        vk_store(out + c, a0 + b0);
        vk_store(out + c + VK_W, a1 + b1);
    }
    for (; c + VK_W <= dim; c += VK_W) {
        vk_f a = {0};
        for (size_t j = 0; j < count; j++) a = vk_fma(vk_splat(weights[j]), vk_load(rows + j * row_stride + c), a);
        vk_store(out + c, a);
    }
    if (c < dim) {
        const size_t n = dim - c;
        vk_f a = {0};
        for (size_t j = 0; j < count; j++) {
            a = vk_fma(vk_splat(weights[j]), vk_load_partial(rows + j * row_stride + c, n, 0.0f), a);
        }
        vk_store_partial(out + c, a, n);
    }
}

/// scores[0..<padded] = scale · (query · keys), the keys stored transposed (`keys_t[c·padded + j]` = key j's
/// component c) so that 16 keys' scores come out of one FMA per query component instead of one horizontal sum per
/// key. `padded` is a multiple of 16; keys past the real ones must be zero.
static void scores_one(const float *query, const float *keys_t, size_t dim, size_t padded, float scale, float *scores) {
    size_t block = 0;
    // Four blocks of keys at once: independent FMA chains, one broadcast of each query element for all four.
    for (; block + 4 * VK_W <= padded; block += 4 * VK_W) {
        vk_f a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
        for (size_t c = 0; c < dim; c++) {
            const vk_f q = vk_splat(query[c]);
            const float *k = keys_t + c * padded + block;
            a0 = vk_fma(q, vk_load(k), a0);
            a1 = vk_fma(q, vk_load(k + VK_W), a1);
            a2 = vk_fma(q, vk_load(k + 2 * VK_W), a2);
            a3 = vk_fma(q, vk_load(k + 3 * VK_W), a3);
        }
        vk_store(scores + block, a0 * vk_splat(scale));
        vk_store(scores + block + VK_W, a1 * vk_splat(scale));
        vk_store(scores + block + 2 * VK_W, a2 * vk_splat(scale));
        vk_store(scores + block + 3 * VK_W, a3 * vk_splat(scale));
    }
    for (; block < padded; block += VK_W) {
        vk_f acc = {0};
        for (size_t c = 0; c < dim; c++) acc = vk_fma(vk_splat(query[c]), vk_load(keys_t + c * padded + block), acc);
        vk_store(scores + block, acc * vk_splat(scale));
    }
}

/// weighted_sum_one for `queries` rows of weights (`weights_stride` apart) into rows of `out` (`out_stride` apart). Four
/// queries share every load of a value row — the loads, not the multiply-adds, bound one query at a time.
static void weighted_sum(const float *weights, size_t weights_stride, size_t queries, size_t count, const float *rows,
                         size_t row_stride, size_t dim, float *out, size_t out_stride) {
    size_t q = 0;
    size_t wide = dim / (2 * VK_W) * (2 * VK_W);
    for (; q + 4 <= queries; q += 4) {
        const float *w = weights + q * weights_stride;
        for (size_t c = 0; c < wide; c += 2 * VK_W) {
            vk_f a[4][2] = {{{0}}};
            for (size_t j = 0; j < count; j++) {
                const float *row = rows + j * row_stride + c;
                const vk_f v0 = vk_load(row), v1 = vk_load(row + VK_W);
                for (int k = 0; k < 4; k++) {
                    const vk_f s = vk_splat(w[k * weights_stride + j]);
                    a[k][0] = vk_fma(s, v0, a[k][0]);
                    a[k][1] = vk_fma(s, v1, a[k][1]);
                }
            }
            for (int k = 0; k < 4; k++) {
                vk_store(out + (q + k) * out_stride + c, a[k][0]);
                vk_store(out + (q + k) * out_stride + c + VK_W, a[k][1]);
            }
        }
        if (wide < dim) {
            for (int k = 0; k < 4; k++)
                weighted_sum_one(w + k * weights_stride, count, rows + wide, row_stride, dim - wide, out + (q + k) * out_stride + wide);
        }
    }
    for (; q < queries; q++) weighted_sum_one(weights + q * weights_stride, count, rows, row_stride, dim, out + q * out_stride);
}

/// scores_one for `queries` query rows (`query_stride` apart) into score rows (`scores_stride` apart): four queries
/// share every load of the transposed keys.
static void scores_transposed(const float *query, size_t query_stride, size_t queries, const float *keys_t, size_t dim,
                              size_t padded, float scale, float *scores, size_t scores_stride) {
    size_t q = 0;
    for (; q + 4 <= queries; q += 4) {
        const float *x = query + q * query_stride;
        float *out = scores + q * scores_stride;
        size_t block = 0;
        for (; block + 2 * VK_W <= padded; block += 2 * VK_W) {
            vk_f a[4][2] = {{{0}}};
            for (size_t c = 0; c < dim; c++) {
                const float *k = keys_t + c * padded + block;
                const vk_f k0 = vk_load(k), k1 = vk_load(k + VK_W);
                for (int r = 0; r < 4; r++) {
                    const vk_f s = vk_splat(x[r * query_stride + c]);
                    a[r][0] = vk_fma(s, k0, a[r][0]);
                    a[r][1] = vk_fma(s, k1, a[r][1]);
                }
            }
            for (int r = 0; r < 4; r++) {
                vk_store(out + r * scores_stride + block, a[r][0] * vk_splat(scale));
                vk_store(out + r * scores_stride + block + VK_W, a[r][1] * vk_splat(scale));
            }
        }
        for (; block < padded; block += VK_W) {
            vk_f a[4] = {{0}};
            for (size_t c = 0; c < dim; c++) {
                const vk_f k0 = vk_load(keys_t + c * padded + block);
                for (int r = 0; r < 4; r++) a[r] = vk_fma(vk_splat(x[r * query_stride + c]), k0, a[r]);
            }
            for (int r = 0; r < 4; r++) vk_store(out + r * scores_stride + block, a[r] * vk_splat(scale));
        }
    }
    for (; q < queries; q++) scores_one(query + q * query_stride, keys_t, dim, padded, scale, scores + q * scores_stride);
}

/// Takes an untyped source because tensor data in a file need not be 2-byte aligned.
static void half_to_float(const void *source, float *dst, size_t count) {
    const unsigned char *src = source;
    size_t i = 0;
#if VK_HALF == 512
    for (; i + 16 <= count; i += 16) _mm512_storeu_ps(dst + i, _mm512_cvtph_ps(_mm256_loadu_si256((const void *)(src + 2 * i))));
#elif VK_HALF == 256
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const void *)(src + 2 * i))));
#endif
    for (; i < count; i++) {
        uint16_t h;
        memcpy(&h, src + 2 * i, 2);
        dst[i] = vecdb_half_to_float(h);
    }
}

const vecdb_kernel_table VK_TABLE = {
    .name = VK_NAME,
    .dot = dot,
    .l2_squared = l2_squared,
    .exp = exp_values,
    .erf = erf_values,
    .gelu = gelu,
    .layer_norm = layer_norm,
    .rms_norm = rms_norm,
    .softmax = softmax,
    .swiglu = swiglu,
    .weighted_sum = weighted_sum,
    .scores_transposed = scores_transposed,
    .half_to_float = half_to_float,
};
