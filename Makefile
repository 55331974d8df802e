# Two entry points on a fresh Debian 12 machine (as root):
#   make demo   install what is missing, build, run vigil's main job on bundled sample data
#   make check  install what is missing, build, run the whole test suite
BUILD ?= build
ASAN_BUILD ?= build-asan

.PHONY: all deps build demo check check-asan clean

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

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
