# gale's front door. `make demo` and `make test` are the two commands of the README's
# quick start; the rest are for developers.
#
#   make build    release build (RelWithDebInfo) in build/
#   make test     install deps, build, run every test (unit, golden, tshark, fuzz smoke,
#                 sanitizers, style), and build galed the default CMake way -- what CI runs
#   make demo     build, then run the main job and print what happened
#   make bench    build and run the benchmarks; writes docs/benchmarks.md
#   make format   reformat the sources with clang-format

JOBS ?= $(shell nproc)
CMAKE_GEN := -G Ninja
BUILD := build
ASAN_BUILD := build-asan
FUZZ_BUILD := build-fuzz
# The build a newcomer tries first: CMake's default generator (Unix Makefiles) at
# Release (-O3). The other trees use Ninja at -O2 and Debug, so this one catches what
# only the other generator or -O3 breaks; it builds the daemon only, to stay cheap.
PLAIN_BUILD := build-plain

.PHONY: all deps build build-asan build-fuzz build-plain test demo bench format clean

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

build-plain: deps
	@cmake -S . -B $(PLAIN_BUILD) -G "Unix Makefiles" -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(PLAIN_BUILD) -j $(JOBS) --target galed
	@echo "== galed builds with Unix Makefiles at Release"

# Sanitizer runs of the unit and golden tests, and the fuzz smoke runs, are ctest runs of
# their own build trees; the summary line of each is printed.
test: build build-asan build-fuzz build-plain
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
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(PLAIN_BUILD)
