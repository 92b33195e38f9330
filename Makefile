# Thin wrapper over CMake. The two commands that matter: `make run`, `make test`.
BUILD     ?= build
# The same suite under AddressSanitizer + UndefinedBehaviorSanitizer.
ASAN_BUILD ?= build-asan
# The Open MPI build (-DDN_MPI=ON), for its own tests.
MPI_BUILD ?= build-mpi
# libFuzzer targets (clang); seconds per target for `make fuzz`.
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
BLAS      ?= openblas
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
RUN_ARGS  ?=
CMAKE_OPTS ?=

.PHONY: all deps configure build run test test-asan test-mpi fuzz bench bench-compare bench-scaling bench-jobs install clean

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DDN_BLAS=$(BLAS) $(CMAKE_OPTS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# Train the d2l model (dropout 0.2/0.5, lr 0.5, batch 256, 10 epochs).
run: build
	$(BUILD)/dropnet train $(RUN_ARGS)

# Serial: the tests use every core themselves (BLIS busy-waits when oversubscribed).
# Then the whole suite again under the sanitizers, then the MPI tests in the
# MPI build.
test: build
	cd $(BUILD) && ctest --output-on-failure
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory test-mpi

# The build with Open MPI, in a directory of its own, and only the tests
# labelled mpi (mpirun -np 2 and 3 on this machine; the rest of the suite is
# the plain build's).
test-mpi: deps
	@cmake -S . -B $(MPI_BUILD) -DCMAKE_BUILD_TYPE=Release -DDN_BLAS=$(BLAS) -DDN_MPI=ON \
	  $(CMAKE_OPTS) >/dev/null
	@cmake --build $(MPI_BUILD) -j $(JOBS)
	cd $(MPI_BUILD) && ctest -L mpi --output-on-failure

# The suite built with -fsanitize=address,undefined (leaks included), in a
# build directory of its own; the 10-epoch end-to-end runs are left to the
# plain build (they check accuracy, not memory, and take minutes there).
test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDN_BLAS=$(BLAS) \
	  -DDN_SANITIZE=ON $(CMAKE_OPTS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure

# Each fuzz target for FUZZ_SECONDS (one after another); findings land in
# fuzz/regressions/<target>/ and make the command fail.
fuzz:
	@scripts/install-deps.sh fuzz
	@CC=$${CLANG:-$$(command -v clang-14 || command -v clang)} cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDN_BLAS=$(BLAS) \
	  -DDN_FUZZ=ON $(CMAKE_OPTS) >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz-targets
	fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# Seconds per epoch next to the SGEMM rate of the same shapes (not a test).
bench: build
	$(BUILD)/dropnet-bench

# dropnet and the PyTorch reference side by side (needs python3-torch).
bench-compare: build
	bench/compare.sh $(BUILD)/dropnet-bench

# Hidden widths 256, 1024, 4096 by batch sizes 64, 256, 1024 (several minutes).
bench-scaling: build
	$(BUILD)/dropnet-bench --scaling

# Trainings per minute side by side, as compare and sweep run them:
# processes against threads of one process (about two minutes).
bench-jobs: build
	$(BUILD)/dropnet-bench-jobs $(BUILD)/dropnet

# The library (shared and static), headers, dropnet.pc, the CMake package,
# the tool and its man page under PREFIX.
PREFIX    ?= /usr/local
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(MPI_BUILD)
