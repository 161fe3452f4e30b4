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

# The stress job with its defaults (about 30 s): what pantomime does, and
# whether it found anything (exit status 0 when every check held).
demo: build
	$(BUILD)/tools/pantomime/pantomime stress

bench: build
	$(BUILD)/tools/pantomime/pantomime bench

clean:
	rm -rf $(BUILD)
