// Picks the kernel set once, before main, so that every call after that is a plain indirect call through a table that
// never changes again.
#include <stdlib.h>
#include <string.h>
#include "ckernels.h"
#include "ccpuid.h"

extern const vecdb_kernel_table vecdb_kernels_portable;
#if defined(__x86_64__)
extern const vecdb_kernel_table vecdb_kernels_avx512, vecdb_kernels_avx2;
#endif

const vecdb_kernel_table *const vecdb_kernel_tables[] = {
#if defined(__x86_64__)
    &vecdb_kernels_avx512,
    &vecdb_kernels_avx2,
#endif
    &vecdb_kernels_portable,
};
const int vecdb_kernel_table_count = (int)(sizeof vecdb_kernel_tables / sizeof vecdb_kernel_tables[0]);

// Portable until the constructor has run, so that even a call from another constructor is safe.
int vecdb_kernels_active_index_value = (int)(sizeof vecdb_kernel_tables / sizeof vecdb_kernel_tables[0]) - 1;

static const char *requested;

bool vecdb_kernels_supported(int index) {
    if (index < 0 || index >= vecdb_kernel_table_count) return false;
    const vecdb_kernel_table *t = vecdb_kernel_tables[index];
#if defined(__x86_64__)
    vecdb_cpu_features f = vecdb_cpu_detect();
    if (t == &vecdb_kernels_avx512)
        return f.avx512f && f.avx512bw && f.avx512dq && f.avx512vl && f.avx2 && f.fma && f.f16c;
    if (t == &vecdb_kernels_avx2) return f.avx2 && f.fma && f.f16c;
#endif
    return t == &vecdb_kernels_portable;
}

const char *vecdb_kernels_requested(void) { return requested; }

int vecdb_kernels_choose(const char *name) {
    int chosen = vecdb_kernel_table_count - 1;
    bool found_fastest = false;
    for (int i = 0; i < vecdb_kernel_table_count; i++) {
        if (!vecdb_kernels_supported(i)) continue;
        if (!found_fastest) {
            chosen = i;
            found_fastest = true;
        }
        if (name && strcmp(name, vecdb_kernel_tables[i]->name) == 0) return i;
    }
    return chosen;
}

__attribute__((constructor)) static void vecdb_kernels_start(void) {
    requested = getenv("VECDB_KERNELS");
    vecdb_kernels_active_index_value = vecdb_kernels_choose(requested);
}
