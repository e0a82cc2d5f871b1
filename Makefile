# Aurum Edge: the commands a user runs. `make demo` and `make test` do everything on a fresh machine.
PRESET ?= release
BUILD := build/$(PRESET)
AURUM := $(BUILD)/bin/aurum
JOBS ?= $(shell nproc)
HOME_DIR ?= workspace
SYMBOL ?= BTC/USDT
TIMEFRAME ?= 1h
AURUM_RUN := $(AURUM) --home $(HOME_DIR)

.PHONY: setup configure build build-cli test test-asan bench fuzz demo validate-data clean

setup:
	bash scripts/setup

$(BUILD)/build.ninja:
	cmake --preset $(PRESET)

configure: $(BUILD)/build.ninja

build: setup configure
	cmake --build $(BUILD) -j $(JOBS)

# Only what the demo and the dashboard run: the CLI and the dashboard's front end (no tests or
# benchmarks), so a fresh `make demo` is not held up by the test suite's build.
build-cli: setup configure
	cmake --build $(BUILD) -j $(JOBS) --target aurum aurum-fake-exchange

test: build
	bash scripts/fuzz-smoke
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

test-asan:
	$(MAKE) test PRESET=asan

bench: build
	bash scripts/run-benchmarks

demo: build-cli
	bash scripts/demo

validate-data: build
	$(AURUM_RUN) data validate

clean:
	rm -rf build

# --- Features, labels and regimes (features helper; docs/features.md) ---------------------------
# build-dataset imports the real candles from ../shared/data when they are there (real gaps, spreads
# and volatility); on a clone without them it generates the seeded synthetic market instead.
SHARED_DATA ?= ../shared/data
FEATURE_SET ?= default
LABEL_METHOD ?= triple-barrier
.PHONY: build-dataset build-features build-labels

build-dataset: build
	@if [ -d "$(SHARED_DATA)/crypto/binance" ]; then \
	  echo "build-dataset: importing the real data in $(SHARED_DATA)"; \
	  $(AURUM_RUN) data import --symbol BTC/USDT --timeframe 4h $(SHARED_DATA)/crypto/binance/BTCUSDT_4h.csv && \
	  $(AURUM_RUN) data import --symbol BTC/USDT --timeframe 1d $(SHARED_DATA)/crypto/binance/BTCUSDT_1d.csv && \
	  $(AURUM_RUN) data import --symbol ETH/USDT --timeframe 4h $(SHARED_DATA)/crypto/binance/ETHUSDT_4h.csv && \
	  $(AURUM_RUN) data import --symbol ETH/USDT --timeframe 1d $(SHARED_DATA)/crypto/binance/ETHUSDT_1d.csv && \
	  $(AURUM_RUN) data import --symbol XAUUSD --timeframe 1h --format mt5 --tz-offset +02:00 \
	    $(SHARED_DATA)/mt5/XAUUSD_H1_201501020900_202512221100.csv; \
	else \
	  echo "build-dataset: $(SHARED_DATA) not found, generating the synthetic market"; \
	  $(AURUM_RUN) data synth --symbols BTC/USDT,ETH/USDT,XAUUSD --timeframe 1h --days 730 --seed 42; \
	fi

build-features: build
	$(AURUM_RUN) features build --all --set $(FEATURE_SET)

build-labels: build
	$(AURUM_RUN) labels build --all --method $(LABEL_METHOD)
	$(AURUM_RUN) regimes build --all

# --- Market data import (data-import helper; docs/importing.md) ---------------------------------
# `make import FILES="a.csv BTC_USDT-5m.json" IMPORT_ARGS="--skip-invalid"` imports files into the
# workspace (symbol/timeframe from the file names or IMPORT_ARGS="--symbol S --timeframe T").
# `make import-shared` loads the real files in ../shared/data: Binance BTC/ETH 1d and 4h, and the
# MT5 XAUUSD H1 export with its broker time converted by MT5_TZ.
SHARED_DATA ?= ../shared/data
FILES ?=
IMPORT_ARGS ?=
MT5_TZ ?= +02:00
.PHONY: import import-shared
import: build
	$(AURUM_RUN) data import $(FILES) $(IMPORT_ARGS)

import-shared: build
	$(AURUM_RUN) data import $(SHARED_DATA)/crypto/binance/BTCUSDT_1d.csv \
	  $(SHARED_DATA)/crypto/binance/BTCUSDT_4h.csv $(SHARED_DATA)/crypto/binance/ETHUSDT_1d.csv \
	  $(SHARED_DATA)/crypto/binance/ETHUSDT_4h.csv $(IMPORT_ARGS)
	$(AURUM_RUN) data import $(SHARED_DATA)/mt5/XAUUSD_H1_201501020900_202512221100.csv \
	  --tz-offset $(MT5_TZ) $(IMPORT_ARGS)

# --- Data quality (data-quality helper; docs/data-quality.md) -----------------------------------
# `make synth` writes the offline synthetic market (BTC/USDT, ETH/USDT, SOL/USDT, XAUUSD, 1h, one
# year, seed 42) into the workspace; SYNTH_ARGS="--days 730 --seed 7 --noise" changes it.
# `make validate-data` (above) then checks every stored series (exit 1: Validation FAILED).
SYNTH_ARGS ?=
.PHONY: synth
synth: build
	$(AURUM_RUN) data synth $(SYNTH_ARGS)

# --- Backtesting engine: rule-based backtests (backtest helper; docs/backtesting.md) ------------
# `make backtest-rules` runs STRATEGY (default sma-cross 10/30) on SYMBOL TIMEFRAME from the
# workspace store with 0.1 % fees and 2 bps slippage; the report lands in reports/backtests/<id>/.
# (`make backtest` is the models' walk-forward.) BT_ARGS adds flags, e.g. BT_ARGS="--grid fast=5:50:5,slow=20:200:10".
STRATEGY ?= sma-cross
BT_ARGS ?=
.PHONY: backtest-rules
backtest-rules: build
	$(AURUM_RUN) backtest --strategy $(STRATEGY) --symbol $(SYMBOL) --timeframe $(TIMEFRAME) \
	  --fee 0.001 --slippage 2bps $(BT_ARGS)

# --- Models: training, walk-forward validation, gating (models helper; docs/models.md) ----------
# `make train` trains MODEL on each SYMBOL:TIMEFRAME in TRAIN_SETS with purged walk-forward
# validation and registers a candidate (reports/experiments/latest/summary.txt). `make backtest`
# re-runs the walk-forward of each latest candidate (reports/walkforward/summary.md) and promotes it
# only when gating passes; a failed gate keeps the previous production model (not an error).
MODEL ?= gbdt
TRAIN_SETS ?= BTC/USDT:4h ETH/USDT:4h XAUUSD:1h
.PHONY: train backtest

# Trains on the labels `make build-labels` stored (LABEL_METHOD); all the sets of one `make train`
# are one experiment, so reports/experiments/latest/summary.txt lists every model trained.
train: build
	@exp=make-train-$$(date -u +%Y%m%d-%H%M%S); for s in $(TRAIN_SETS); do \
	  $(AURUM_RUN) train --model $(MODEL) --symbols $${s%:*} --timeframe $${s##*:} \
	    --labels $(LABEL_METHOD) --experiment $$exp || exit $$?; \
	done
	@echo "report: $(HOME_DIR)/reports/experiments/latest/summary.txt"

backtest: build
	@rc=0; for s in $(TRAIN_SETS); do \
	  $(AURUM_RUN) walkforward --model $(MODEL) --symbols $${s%:*} --timeframe $${s##*:} --promote; \
	  r=$$?; [ $$r -gt $$rc ] && rc=$$r; \
	done; \
	echo "report: $(HOME_DIR)/reports/walkforward/summary.md"; \
	[ $$rc -le 1 ] || exit $$rc

# --- Paper trading (live helper; docs/operations.md) --------------------------------------------
# `make paper` replays BTC/USDT + ETH/USDT 4h bars through the paper daemon (real Binance data from
# ../shared/data when the workspace lacks it, else a synthetic 4h market) and keeps serving the
# control API: try `aurum --home workspace status|summary|health|pause|trade ...` meanwhile.
PAPER_FROM ?= 2025-01-01
PAPER_TO ?= 2025-12-31
PAPER_SPEED ?= 14400
PAPER_ARGS ?=
.PHONY: paper
paper: build
	@if ! $(AURUM_RUN) data list 2>/dev/null | grep -q "ETH/USDT *| *4h"; then \
	  if [ -f $(SHARED_DATA)/crypto/binance/ETHUSDT_4h.csv ]; then \
	    $(AURUM_RUN) data import $(SHARED_DATA)/crypto/binance/BTCUSDT_4h.csv \
	      $(SHARED_DATA)/crypto/binance/ETHUSDT_4h.csv; \
	  else \
	    $(AURUM_RUN) data synth --symbols BTC/USDT,ETH/USDT --timeframe 4h --days 730 --start 2024-01-01; \
	  fi; \
	fi
	$(AURUM_RUN) run --mode paper --capital 10000 --symbols BTC/USDT,ETH/USDT --timeframe 4h \
	  --replay-from $(PAPER_FROM) --replay-to $(PAPER_TO) --speed $(PAPER_SPEED) --serve $(PAPER_ARGS)

# --- The production model in the daemon (modelslive helper; docs/operations.md) ---------------
# `make paper PAPER_ARGS="--strategy model"` trades the registry's production models instead of
# the rule strategy (symbols without one are not traded). `make retrain REASON="..."` retrains,
# gates and (when promoted) hot-swaps the running daemon's models.
RETRAIN_MODEL ?= all
REASON ?=
.PHONY: retrain
retrain: build
	$(AURUM_RUN) retrain --model $(RETRAIN_MODEL) --reason "$(REASON)"

# --- Web dashboard front end (dash-web helper; docs/dashboard.md) --------------------------------
# `make web` builds web/ (npm ci when the lock changed, vite build) and installs it next to the
# binary; `make web-bench` measures the Overview's first render in Chromium.
.PHONY: web web-bench
web: configure
	cmake --build $(BUILD) --target aurum_web

web-bench: web
	cd web && node test/bench-render.mjs --dist ../$(BUILD)/share/aurum/web

# --- Web dashboard (dash-server helper; docs/dashboard.md) --------------------------------------
# `make dashboard`: the demo workspace (make demo) replayed at a visible speed with the dashboard,
# until Ctrl-C; prints the sign-in link. DASHBOARD_SPEED=3600 is one 1h bar per second.
.PHONY: dashboard
dashboard: build-cli
	bash scripts/dashboard
# --- Python module and notebooks (python helper; docs/python.md) --------------------------------
# `make notebooks` opens the notebooks in Debian's Jupyter Notebook on 127.0.0.1 (the notebooks
# read AURUM_HOME when set, else a demo workspace prepared on first use); `make notebooks-test`
# executes them headless as `make test` does; `make notebooks-generate` rewrites the .ipynb files
# from notebooks/make_notebooks.py. `make python-shell` is /usr/bin/python3 with `import aurum`.
NOTEBOOK_PORT ?= 8888
PY_ENV := PYTHONPATH=$(CURDIR)/$(BUILD)/python:$(CURDIR)/notebooks AURUM_BIN=$(CURDIR)/$(AURUM)
.PHONY: notebooks notebooks-test notebooks-generate python-shell
notebooks: build
	cd notebooks && $(PY_ENV) /usr/bin/python3 -m notebook --ip=127.0.0.1 --port=$(NOTEBOOK_PORT) \
	  --no-browser --notebook-dir=$(CURDIR)/notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

notebooks-test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L notebooks

notebooks-generate:
	/usr/bin/python3 notebooks/make_notebooks.py

python-shell: build
	$(PY_ENV) /usr/bin/python3

# --- Alerts without accounts (alerts helper; docs/alerts.md "Try it without accounts") ----------
# Terminal 1: `make fake-channels` (a fake Telegram Bot API on 127.0.0.1:8081 and SMTP server on
# 127.0.0.1:2525 that print what arrives). Terminal 2: `make paper-phone` (the paper daemon in
# workspace-phone/, approval on, alerts to those fakes). Terminal 3, the phone:
# `make phone PRESS=Approve`, `make phone SAY="/stop walk-through"`, `make phone PRESS=Confirm`.
PHONE_HOME ?= workspace-phone
FAKE_CHANNELS := $(BUILD)/bin/aurum-fake-channels
SAY ?=
PRESS ?=
.PHONY: fake-channels paper-phone phone live-sim
# Live mode without an account: a fake Binance spot exchange on 127.0.0.1 and the live daemon
# trading it (workspace-live/; docs/live-trading.md "Try it without an account").
live-sim: build-cli
	AURUM=$(AURUM) bash scripts/live-sim
fake-channels: setup configure
	cmake --build $(BUILD) -j $(JOBS) --target aurum-fake-channels
	$(FAKE_CHANNELS) serve --mail-dir $(PHONE_HOME)/fake-mail

paper-phone: setup configure
	cmake --build $(BUILD) -j $(JOBS) --target aurum aurum-fake-channels
	AURUM=$(AURUM) PHONE_HOME=$(PHONE_HOME) SHARED_DATA=$(SHARED_DATA) bash scripts/paper-phone

phone:
	@if [ -n "$(SAY)" ]; then $(FAKE_CHANNELS) phone say "$(SAY)"; \
	elif [ -n "$(PRESS)" ]; then $(FAKE_CHANNELS) phone press "$(PRESS)"; \
	else $(FAKE_CHANNELS) phone messages; fi
