#!/usr/bin/env bash
# Build the aarch64 user-copy loops and the shim with the Debian cross
# compiler and run their tests under qemu-user: the x86-64 CI machine's check
# of src/util/u_uaccess_aarch64.S and of the shim's arm64 paths (ucontext PC,
# stat layouts). Needs gcc-aarch64-linux-gnu, libc6-dev-arm64-cross and
# qemu-user (PANTOMIME_BOOTSTRAP_CROSS=1 scripts/bootstrap.sh installs them);
# exits 77 (skip) without them. libdrm's own test is not run (no arm64 libdrm).
#
# Usage: cross-aarch64.sh SOURCE_ROOT WORK_DIR
set -uo pipefail
src=${1:?source root}
work=${2:?work dir}
CC=aarch64-linux-gnu-gcc
SYSROOT=/usr/aarch64-linux-gnu
if ! command -v $CC >/dev/null || ! command -v qemu-aarch64 >/dev/null || [ ! -d $SYSROOT ]; then
	echo "cross-aarch64: no $CC / qemu-aarch64 / $SYSROOT: skipped"
	exit 77
fi
mkdir -p "$work"
CFLAGS=(-std=gnu11 -O2 -g -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -DPANTOMIME_LOCKDEP=1 -pthread
	-Wall -Wextra -Werror -Wno-unused-parameter
	-I"$src/include" -I"$src/src" -I"$src/tests/lib" -I"$src/tests/shim" -I/usr/include/libdrm)
util=("$src"/src/util/*.c "$src/src/util/u_uaccess_aarch64.S")
run() { qemu-aarch64 -L $SYSROOT "$@"; }
export PANTOMIME_TEST_EXEC_WRAPPER="qemu-aarch64 -L $SYSROOT"
export PANTOMIME_LOG=error
status=0

echo "== util/uaccess (aarch64)"
$CC "${CFLAGS[@]}" -o "$work/test-uaccess" "$src/tests/unit/util/test_uaccess.c" \
	"$src/tests/lib/t_harness.c" "${util[@]}" || exit 1
run "$work/test-uaccess" || status=1

echo "== shim (aarch64)"
$CC "${CFLAGS[@]}" -shared -fPIC -fvisibility=hidden -fno-delete-null-pointer-checks \
	-Wl,-z,nodelete -o "$work/libpantomime-shim-mock.so" \
	"$src"/src/shim/*.c "$src/src/ctrace/ctrace.c" "$src/tests/shim/mock_backend.c" \
	"${util[@]}" -ldl || exit 1
for t in discovery fds ioctl passthrough; do
	$CC "${CFLAGS[@]}" -o "$work/test-shim-$t" "$src/tests/shim/test_shim_$t.c" \
		"$src/tests/lib/t_harness.c" "${util[@]}" || exit 1
	# The shim re-executes tests for its scenarios: through qemu as well.
	run -E LD_PRELOAD="$work/libpantomime-shim-mock.so" "$work/test-shim-$t" || status=1
done
exit $status
