# Aurum Edge: the commands a user runs. `make demo` and `make test` do everything on a fresh machine.
PRESET ?= release
BUILD := build/$(PRESET)
AURUM := $(BUILD)/bin/aurum
JOBS ?= $(shell nproc)
HOME_DIR ?= workspace
SYMBOL ?= BTC/USDT
TIMEFRAME ?= 1h
AURUM_RUN := $(AURUM) --home $(HOME_DIR)

.PHONY: setup configure build test test-asan bench fuzz demo validate-data clean

setup:
	bash scripts/setup

$(BUILD)/build.ninja:
	cmake --preset $(PRESET)

configure: $(BUILD)/build.ninja

build: setup configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	bash scripts/fuzz-smoke
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

test-asan:
	$(MAKE) test PRESET=asan

bench: build
	bash scripts/run-benchmarks

demo: build
	bash scripts/demo

validate-data: build
	$(AURUM_RUN) data validate

clean:
	rm -rf build
