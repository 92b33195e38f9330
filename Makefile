# Thin wrapper over CMake. The two commands that matter: `make run`, `make test`.
BUILD     ?= build
BLAS      ?= openblas
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
RUN_ARGS  ?=
CMAKE_OPTS ?=

.PHONY: all deps configure build run test bench bench-compare bench-scaling bench-jobs clean

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
test: build
	cd $(BUILD) && ctest --output-on-failure

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

clean:
	rm -rf $(BUILD)
