// The fuzz targets' assertion: a property that fails traps, so libFuzzer reports the
// input that broke it (assert() would vanish under NDEBUG).
#pragma once

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)
