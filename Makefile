# casecoord developer entry points. `make run` and `make test` install what is missing first.
BUILD_DIR ?= build
ASAN_DIR  ?= build-asan
TSAN_DIR  ?= build-tsan
# The test binaries whose code shares state between threads of our own (storage, audit committer,
# gatekeeper, worker pool, hand-off and case locks, session table, metrics, backup schedule);
# gRPC's and RocksDB's threads are not instrumented (Debian builds them without TSan), so tests
# that run the server stay out.
TSAN_TESTS = common_test storage_test auth_test cases_test signin_test backup_test
FUZZ_DIR  ?= build-fuzz
# Seconds each fuzz target runs in `make fuzz`; FUZZ_TARGETS narrows the set.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= page_token filter csv keys rpc_requests connect
JOBS      ?= $(shell nproc)
DEV_DIR   ?= var/dev
CASESERVER = $(BUILD_DIR)/services/server/caseserver
CASECTL    = $(BUILD_DIR)/clients/cli/casectl

.PHONY: all deps build run test test-unit test-asan test-tsan fuzz fuzz-build bench lint format clean

all: build

deps:
	@deploy/install-deps.sh

build: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD_DIR) -j$(JOBS)

# Development server: local CA and certificates, a development key, an embedded RocksDB under
# $(DEV_DIR). Stop it with Ctrl-C (SIGINT: graceful shutdown).
run: build
	@deploy/dev-setup.sh $(DEV_DIR) $(CASESERVER)
	@echo "casecoord: the web console is at https://127.0.0.1:8444/ (trust the development CA"
	@echo "  $(DEV_DIR)/pki/ca.crt in the browser, or accept the warning); gRPC for casectl on 127.0.0.1:8443."
	@echo "  Sign in as coordinator / coordinator-dev-password with the code from deploy/dev-totp.sh coordinator"
	@echo "  (other demo users, same pattern: agency-staff, adviser, planner, auditor, admin; the server log"
	@echo "  shows each demo user's authenticator secret, to add it to an authenticator app instead)."
	@echo "  Metrics: curl http://127.0.0.1:9464/metrics; the access log (one JSON line per call) is on stdout."
	$(CASESERVER) serve --config deploy/dev.conf

# The unit and integration suite, the same suite under AddressSanitizer + UBSan, and the concurrent
# tests under ThreadSanitizer.
test: test-unit test-asan test-tsan

test-unit: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS) --timeout 300

test-asan: deps
	cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DCASECOORD_SANITIZE=ON \
	      -DCASECOORD_BUILD_BENCH=OFF -DCASECOORD_BUILD_CONSOLE=OFF
	cmake --build $(ASAN_DIR) -j$(JOBS)
	cd $(ASAN_DIR) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  ctest --output-on-failure -j$(JOBS) --timeout 600

test-tsan: deps
	cmake -S . -B $(TSAN_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCASECOORD_TSAN=ON \
	      -DCASECOORD_BUILD_BENCH=OFF -DCASECOORD_BUILD_CONSOLE=OFF
	cmake --build $(TSAN_DIR) -j$(JOBS) --target $(TSAN_TESTS)
	cd $(TSAN_DIR) && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/tests/tsan.supp \
	  ctest --output-on-failure -j$(JOBS) --timeout 900 \
	  -L '^($(shell echo $(TSAN_TESTS) | tr ' ' '|'))$$'

# libFuzzer (clang) on every target of tests/fuzz for FUZZ_SECONDS each (docs/fuzzing.md). Each
# starts from its seed corpus (read-only) and the working corpus $(FUZZ_DIR)/corpus/<target>,
# where the inputs it finds go; crashes land in $(FUZZ_DIR)/artifacts/<target>/ and stop the run.
fuzz: fuzz-build
	@failed=""; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/artifacts/$$t; \
	  echo "== $$t ($(FUZZ_SECONDS) s)"; \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	    $(FUZZ_DIR)/tests/fuzz/$${t}_fuzzer -max_total_time=$(FUZZ_SECONDS) -timeout=60 \
	    -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/artifacts/$$t/ \
	    $$(cat tests/fuzz/options/$$t 2>/dev/null) \
	    $(FUZZ_DIR)/corpus/$$t tests/fuzz/corpus/$$t || failed="$$failed $$t"; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: findings in:$$failed (see $(FUZZ_DIR)/artifacts/)"; exit 1; fi

fuzz-build: deps
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCASECOORD_FUZZ=ON -DCASECOORD_BUILD_BENCH=OFF -DCASECOORD_BUILD_CONSOLE=OFF
	cmake --build $(FUZZ_DIR) -j$(JOBS) --target fuzzers

# Every benchmark in bench/ (storage_bench, rpc_bench, audit_bench, ...); see docs/performance.md.
bench: build
	@set -e; for b in $(BUILD_DIR)/bench/*_bench; do echo "== $$b"; $$b; done
	@echo "== bench/console_bench.mjs"; CASECOORD_BUILD_DIR=$(BUILD_DIR) node bench/console_bench.mjs

# clang-tidy (.clang-tidy: bugprone, performance, function size and complexity) and clang's
# thread-safety analysis (services/common/thread_annotations.h) over every .cc of services/ and
# clients/, in parallel, with the compile commands of $(BUILD_DIR). Any finding fails. Not part of
# `make test`. It needs the generated protobuf headers, not a build.
lint: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD_DIR) --target casecoord_proto_generated
	run-clang-tidy -p $(BUILD_DIR) -j$(JOBS) -quiet \
	  -extra-arg=-Wthread-safety -extra-arg=-Wno-unknown-warning-option \
	  '^$(CURDIR)/(services|clients)/.*\.cc$$'

format:
	find services clients tests bench -name '*.h' -o -name '*.cc' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(TSAN_DIR) $(FUZZ_DIR)
