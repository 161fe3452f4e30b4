# The front door. `make check` and `make demo` each do all the set-up a fresh
# Debian 12 machine needs (as root: missing packages are installed).

BUILD ?= build
MESON_OPTS ?=

.PHONY: all deps build check demo bench clean

all: build

deps:
	@scripts/bootstrap.sh

build: deps
	@if [ ! -f $(BUILD)/build.ninja ]; then meson setup $(BUILD) $(MESON_OPTS); fi
	@ninja -C $(BUILD)

check: build
	meson test -C $(BUILD) --print-errorlogs

demo: build
	$(BUILD)/bench/pantomime-bench pgtable

bench: build
	$(BUILD)/bench/pantomime-bench
	LD_PRELOAD=$(abspath $(BUILD))/src/shim/libpantomime-shim.so PANTOMIME_LOG=error \
		$(BUILD)/bench/pantomime-bench-uapi-shim

clean:
	rm -rf $(BUILD)
