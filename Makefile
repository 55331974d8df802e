# Two entry points on a fresh Debian 12 machine (as root):
#   make demo   install what is missing, build, run vigil's main job on bundled sample data
#   make check  install what is missing, build, run the whole test suite
#   make check-tsan  the unit tests under ThreadSanitizer (docs/internals/LOCKING.md)
BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan

.PHONY: all deps build demo check check-asan check-tsan clean

all: build

deps:
	./scripts/install-deps

$(BUILD)/build.ninja:
	meson setup $(BUILD) -Dwerror=true

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

demo: build
	./scripts/demo $(BUILD)

check: build
	./scripts/run-tests $(BUILD)

# -Dfuzzing=true: the suite also runs every libFuzzer harness for VG_FUZZ_SECONDS (default 6)
# each (meson suite fuzz-run); new corpus entries stay in a temporary directory.
$(ASAN_BUILD)/build.ninja:
	CC=clang meson setup $(ASAN_BUILD) -Dwerror=true -Db_sanitize=address,undefined \
	  -Db_lundef=false -Dc_args=-fno-sanitize-recover=undefined -Dfuzzing=true

check-asan: deps $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ./scripts/run-tests $(ASAN_BUILD)

# ThreadSanitizer (not in CI: its time budget): the unit suite (Criterion tests and the
# stress_* programs), each test process stopping at its first race report (halt_on_error=1).
# Library-internal reports we cannot fix are in tests/tsan.supp, each with its reason.
# TSAN_E2E=tests/e2e/test_x.py ... also runs those end-to-end tests against the TSan binary.
TSAN_ENV = TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 report_signal_unsafe=0 \
  suppressions=$(CURDIR)/tests/tsan.supp"
$(TSAN_BUILD)/build.ninja:
	CC=clang meson setup $(TSAN_BUILD) -Dwerror=true -Db_sanitize=thread -Db_lundef=false

check-tsan: deps $(TSAN_BUILD)/build.ninja
	ninja -C $(TSAN_BUILD)
	$(TSAN_ENV) meson test -C $(TSAN_BUILD) --suite unit --num-processes 2 --print-errorlogs \
	  --timeout-multiplier 8
ifneq ($(TSAN_E2E),)
	$(TSAN_ENV) VIGIL_BIN=$(CURDIR)/$(TSAN_BUILD)/src/cli/vigil /usr/bin/python3 -m pytest -q \
	  $(TSAN_E2E)
endif

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD)
