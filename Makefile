# socketio-rs developer commands. `make help` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# Bounded fuzzing time in `make test` (seconds), and the cargo-fuzz release it installs.
FUZZ_SECONDS ?= 60
CARGO_FUZZ_VERSION := 0.13.2
# Other Python versions the abi3 wheel is installed on and smoke-tested with.
WHEEL_PYTHONS ?= python3.9 python3.13
# A Python with eager asyncio tasks (3.12+), which the server uses there: the server tests run on it too.
EAGER_PYTHON ?= python3.13

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# The development environment comes from the lock (exact versions with hashes), never from
# what the registry serves today: `make lock` refreshes it (docs/development.md).
$(VENV)/.deps: requirements/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --require-hashes -r requirements/dev.txt
	touch $@

.PHONY: venv
venv: $(VENV)/.deps ## create .venv with maturin and the test, bench and lint tools

.PHONY: lock
lock: venv ## re-resolve requirements/*.txt from pyproject.toml (UPGRADE=1: newest of everything)
	$(PY) tools/lock.py $(if $(UPGRADE),--upgrade)

.PHONY: dev
dev: venv ## build the extension in release mode into .venv (maturin develop)
	VIRTUAL_ENV=$(abspath $(VENV)) $(VENV)/bin/maturin develop --release --quiet

.PHONY: lint
lint: dev ## rustfmt, clippy (plain and with the bindings), ruff, mypy, stubtest
	cargo fmt --check
	cargo fmt --check --manifest-path benches/e2e/socketioxide/Cargo.toml
	cargo clippy --all-targets -- -D warnings
	cargo clippy --all-targets --features python -- -D warnings
	$(VENV)/bin/ruff format --check python tests benches examples fuzz tools
	$(VENV)/bin/ruff check python tests benches examples fuzz tools
	$(VENV)/bin/mypy
	$(PY) -m mypy.stubtest socketio_rs._core

.PHONY: test
test: lint ## every test: lint, cargo test, pytest, wheel check, the server tests on serve() on 3.13 and on the oldest dependencies, bounded fuzzing
	cargo test
	cargo test --release --lib json::parse::tests::the_depth_ceiling
	tools/ensure-redis.sh
	tools/ensure-chromium.sh
	$(VENV)/bin/pytest tests
	$(MAKE) wheel-check test-eager test-oldest
	$(MAKE) fuzz

# The server tests that run again on socketio_rs.serve's WebSocket protocol: in `make test` from
# the wheel on Python 3.13 (test-eager) and on the oldest dependencies (test-oldest); test-serve
# runs them in .venv.
SERVE_TESTS := test_engine test_dropin test_docs test_admin test_interop_connect \
	test_interop_events test_interop_msgpack test_interop_node test_interop_robustness \
	test_interop_upgrade test_interop_server_api test_namespaces test_middleware test_socket_api \
	test_examples_namespaces test_examples_fastapi test_server_connect test_server_dispatch \
	test_server_limits test_recovery test_interop_eio3 test_server_backpressure test_engine_hooks

.PHONY: test-serve
test-serve: dev ## the server tests again with WebSockets on socketio_rs.serve's own protocol
	SOCKETIO_RS_SERVE=1 $(VENV)/bin/pytest -q $(SERVE_TESTS:%=tests/%.py)

.PHONY: wheel
wheel: venv ## build the abi3 wheel into target/wheels
	rm -rf target/wheels
	$(VENV)/bin/maturin build --release --quiet

.PHONY: wheel-check
wheel-check: wheel ## smoke-test the abi3 wheel's codec and server on other Python versions
	@set -e; found=0; for name in $(PYTHON) $(WHEEL_PYTHONS); do \
	  py=$$(tools/find-python.sh $$name) || { echo "wheel-check: $$name not found, skipped"; continue; }; \
	  d=$$(mktemp -d); $$py -m venv $$d; \
	  $$d/bin/pip install --quiet --require-hashes -r requirements/smoke.txt; \
	  $$d/bin/pip install --quiet --no-deps target/wheels/*.whl; $$d/bin/pip check >/dev/null; \
	  $$d/bin/python examples/codec_demo.py >/dev/null; \
	  $$d/bin/python examples/server_smoke.py; \
	  echo "wheel-check: $$($$d/bin/python -V) ok"; rm -rf $$d; found=$$((found+1)); \
	done; [ $$found -ge 2 ] || echo "wheel-check: fewer than two Python versions on this machine"

# The release artifacts (docs/releasing.md). Not part of `make test`, which they would take past
# its thirty minutes: `make test-wheels` is a release step.
.PHONY: wheels
wheels: venv ## the sdist and the abi3 wheels (manylinux2014, musllinux_1_2; x86_64, aarch64) into target/dist, each checked
	nice tools/wheels.sh

.PHONY: test-wheels
test-wheels: wheels ## the manylinux wheels without Rust against the official JS client: x86_64 on every CPython 3.9+ here, aarch64 under qemu
	tools/ensure-arm64-python.sh >/dev/null
	SOCKETIO_RS_WHEELS=1 $(VENV)/bin/pytest -q tests/test_wheel_install.py

# The serve() tests from the installed wheel, with the test tools' (newest) dependencies, on
# Python 3.12+ where asyncio can start tasks eagerly; without such a Python, on $(PYTHON).
.PHONY: test-eager
test-eager: wheel ## the server tests on serve() again on Python 3.12+ (EAGER_PYTHON, from the wheel): eager asyncio tasks
	@set -e; py=$$(tools/find-python.sh $(EAGER_PYTHON)) || { echo "test-eager: $(EAGER_PYTHON) not found, $(PYTHON) instead"; py=$(PYTHON); }; \
	d=$$(mktemp -d); trap 'rm -rf '$$d EXIT; $$py -m venv $$d; \
	$$d/bin/pip install --quiet --require-hashes -r requirements/dev.txt; \
	$$d/bin/pip install --quiet --no-deps target/wheels/*.whl; \
	echo "test-eager: $$($$d/bin/python -V)"; \
	SOCKETIO_RS_SERVE=1 $$d/bin/python -m pytest -q -p no:cacheprovider \
	  $(SERVE_TESTS:%=tests/%.py) tests/test_websocket_protocol.py tests/test_event_lane.py tests/test_direct_emit.py

# The oldest-dependencies run serves WebSockets with socketio_rs.serve, for which the `serve`
# extra's uvicorn is a dependency; under ASGI the user's own server carries them.
.PHONY: test-oldest
test-oldest: wheel ## the server tests on the lowest runtime dependency versions pyproject.toml allows
	@set -e; d=$$(mktemp -d); trap 'rm -rf '$$d EXIT; $(PYTHON) -m venv $$d; \
	$$d/bin/pip install --quiet --require-hashes -r requirements/oldest.txt; \
	$$d/bin/pip install --quiet --no-deps target/wheels/*.whl; $$d/bin/pip check; \
	echo "test-oldest: $$($$d/bin/pip freeze | grep -iE '^(python-engineio|redis|msgpack|uvicorn|httptools|uvloop)==' | tr '\n' ' ')"; \
	SOCKETIO_RS_SERVE=1 $$d/bin/python -m pytest -q -p no:cacheprovider \
	  $(SERVE_TESTS:%=tests/%.py) tests/test_websocket_protocol.py tests/test_event_lane.py tests/test_direct_emit.py \
	  tests/test_redis_manager.py

.PHONY: fuzz
fuzz: venv ## fuzz the decoder for FUZZ_SECONDS (cargo-fuzz on nightly, else the stable harness)
	@set -eo pipefail; \
	if cargo +nightly --version >/dev/null 2>&1; then \
	  command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked --quiet cargo-fuzz --version $(CARGO_FUZZ_VERSION); \
	  $(PY) fuzz/seed_corpus.py; \
	  cargo +nightly fuzz run decode fuzz/corpus/decode -- -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 2>&1 | tail -n 20; \
	else \
	  echo "no nightly toolchain: running the stable randomized harness"; \
	  FUZZ_SECONDS=$(FUZZ_SECONDS) cargo test --release --lib fuzzing::tests::fuzz_random_frames -- --ignored --nocapture; \
	fi

.PHONY: conformance
conformance: dev ## run the public Socket.IO v5 protocol test-suite: make conformance SUITE=<extracted v5-test-suite dir>
	@[ -n "$(SUITE)" ] || { echo "usage: make conformance SUITE=<dir> (see docs/server.md)"; exit 2; }
	tools/conformance.sh "$(SUITE)"

.PHONY: bench
bench: dev ## codec benchmarks against python-socketio and orjson, the namespace router against re, the WebSocket frame codec against wsproto, with ratio tables
	mkdir -p target/bench
	$(VENV)/bin/pytest benches --benchmark-only --benchmark-json=target/bench/codec.json -q -p no:randomly
	$(PY) benches/report.py target/bench/codec.json
	$(PY) benches/router_bench.py
	$(PY) benches/ws_bench.py

.PHONY: bench-layer
bench-layer: dev ## the Python layer's instructions per event, Node-style event and connect (callgrind; BASELINE=<other python/ tree> for a ratio)
	tools/ensure-valgrind.sh
	$(PY) benches/layer_bench.py $(if $(BASELINE),--baseline $(BASELINE))

.PHONY: bench-delivery
bench-delivery: dev benches/e2e/node_modules/.package-lock.json ## serve()'s instructions per broadcast delivery, per echo and per emit back over real sockets (callgrind; BASELINE=<other python/ tree> for a ratio)
	tools/ensure-valgrind.sh
	$(PY) benches/delivery_bench.py $(if $(BASELINE),--baseline $(BASELINE))

.PHONY: bench-connect
bench-connect: dev ## the server's instructions per connect through uvicorn (ASGIApp) and serve(), against python-socketio (callgrind; BASELINE=<other python/ tree> for a ratio)
	tools/ensure-valgrind.sh
	$(PY) benches/connect_bench.py $(if $(BASELINE),--baseline $(BASELINE))

.PHONY: bench-redis
bench-redis: dev ## broadcast deliveries/s across two processes through Redis, against python-socketio
	tools/ensure-redis.sh
	$(PY) benches/bench_redis.py --runs 3

# npm ci writes node_modules/.package-lock.json: it runs again only when the lockfile changes.
benches/e2e/node_modules/.package-lock.json: benches/e2e/package.json benches/e2e/package-lock.json
	npm ci --prefix benches/e2e --no-audit --no-fund

.PHONY: bench-e2e
bench-e2e: dev benches/e2e/node_modules/.package-lock.json ## socketio-rs vs python-socketio vs Node socket.io under socket.io-client load (E2E_ARGS="--repeats 1 ...")
	$(PY) benches/e2e/run.py $(E2E_ARGS)

DEMO_DIR := examples/demo

# The demo page's browser client, the official socket.io-client, and the official Admin UI (with
# the icon font its page would fetch from a CDN): from npm, pinned by the lock.
$(DEMO_DIR)/node_modules/.package-lock.json: $(DEMO_DIR)/package-lock.json
	npm ci --prefix $(DEMO_DIR) --no-audit --no-fund

.PHONY: demo
demo: dev $(DEMO_DIR)/node_modules/.package-lock.json ## the demo on http://127.0.0.1:8000 (chat rooms, /admin, workspaces, live sockets; the Admin UI at /admin-ui/); Ctrl-C stops it
	$(PY) $(DEMO_DIR)/app.py

.PHONY: clean
clean: ## remove build outputs and the virtualenv
	cargo clean
	rm -rf $(VENV) fuzz/target fuzz/corpus fuzz/artifacts target/wheels
