// Small compiler hints shared by every layer: branch weights, prefetch, inlining.
#pragma once

#define GALE_LIKELY(x) __builtin_expect(!!(x), 1)
#define GALE_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define GALE_ALWAYS_INLINE inline __attribute__((always_inline))

namespace gale {

// Prefetch for reading (or writing) into all cache levels.
inline void prefetch(const void* p) {
  __builtin_prefetch(p, 0, 3);
}
inline void prefetch_write(const void* p) {
  __builtin_prefetch(p, 1, 3);
}

}  // namespace gale
