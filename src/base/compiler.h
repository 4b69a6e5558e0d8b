// Small compiler hints shared by every layer: branch weights, prefetch, inlining.
#pragma once

#define GALE_LIKELY(x) __builtin_expect(!!(x), 1)
#define GALE_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define GALE_ALWAYS_INLINE inline __attribute__((always_inline))

namespace gale {

// Prefetch for reading into all cache levels. On x86-64 in inline
// assembly: g++ 12 left __builtin_prefetch out of the worker's inlined lookup loop (the
// flow entry prefetch never reached the binary), and a volatile asm is never dropped.
inline void prefetch(const void* p) {
#if defined(__x86_64__)
  asm volatile("prefetcht0 %0" : : "m"(*static_cast<const char*>(p)));
#else
  __builtin_prefetch(p, 0, 3);
#endif
}

}  // namespace gale
