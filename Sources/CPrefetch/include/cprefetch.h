#ifndef CPREFETCH_H
#define CPREFETCH_H

/// Asks the CPU to start loading the cache line holding `address` (into all cache levels) without waiting for it.
/// Swift has no prefetch intrinsic; this static inline function is compiled by Clang into the calling Swift
/// module and becomes one `prefetcht0` instruction. A prefetch never faults, whatever the address.
static inline __attribute__((always_inline)) void vecdb_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
