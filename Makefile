# gale's front door. `make demo` and `make test` are the two commands of the README's
# quick start; the rest are for developers.
#
#   make build    release build (RelWithDebInfo) in build/
#   make test     install deps, build, run every test (unit, golden, tshark, fuzz smoke,
#                 sanitizers, style) -- what CI runs
#   make demo     build, then run the main job and print what happened
#   make bench    build and run the benchmarks; writes docs/benchmarks.md
#   make format   reformat the sources with clang-format

JOBS ?= $(shell nproc)
CMAKE_GEN := -G Ninja
BUILD := build
ASAN_BUILD := build-asan
FUZZ_BUILD := build-fuzz

.PHONY: all deps build build-asan build-fuzz test demo bench format clean

all: build

deps:
	@scripts/install-deps

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	@cmake -S . -B $(ASAN_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DGALE_SANITIZE=ON \
	  -DGALE_BENCH=OFF >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

build-fuzz: deps
	@CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DGALE_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)

# Sanitizer runs of the unit and golden tests, and the fuzz smoke runs, are ctest runs of
# their own build trees; the summary line of each is printed.
test: build build-asan build-fuzz
	@echo "== tests (release build)"
	@cd $(BUILD) && ctest --output-on-failure -j 2
	@echo "== tests under ASan + UBSan"
	@cd $(ASAN_BUILD) && ctest --output-on-failure -j 2 -L unit
	@echo "== fuzz smoke runs"
	@cd $(FUZZ_BUILD) && ctest --output-on-failure

demo: build
	@lab/demo $(BUILD)

bench: build
	@bench/run $(BUILD)

format:
	@git ls-files '*.h' '*.cc' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
