#!/usr/bin/env bash
# Install the Debian packages pantomime needs, if any is missing.
# As root it runs apt-get; otherwise it names what is missing and fails.
set -euo pipefail

packages=(gcc libc6-dev make meson ninja-build pkg-config libdrm-dev python3)
# Optional extras for CI runs: sanitizer runtimes come with gcc (libasan, libubsan, libtsan).
if [ "${PANTOMIME_BOOTSTRAP_EXTRA:-}" != "" ]; then
	# shellcheck disable=SC2206
	packages+=(${PANTOMIME_BOOTSTRAP_EXTRA})
fi

# Optional: the aarch64 cross check (scripts/cross-aarch64.sh, test
# cross-aarch64) builds the arm64 user-copy loops and the shim with the cross
# compiler and runs them under qemu-user. .ci/run asks for it; without these
# packages that test is skipped. Best effort: never a reason to fail.
cross_packages=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)

# Optional: the fuzz build (fuzz/, meson -Dfuzz=true with CC=clang) needs
# clang and its libFuzzer runtime. .ci/run asks for it with
# PANTOMIME_BOOTSTRAP_FUZZ=1; without them its fuzz run is skipped. Best
# effort: never a reason to fail.
fuzz_packages=(clang libclang-rt-dev)

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

if [ "${PANTOMIME_BOOTSTRAP_CROSS:-0}" = 1 ] && [ "$(uname -m)" = x86_64 ]; then
	cross_missing=()
	for p in "${cross_packages[@]}"; do
		installed "$p" || cross_missing+=("$p")
	done
	if [ ${#cross_missing[@]} -gt 0 ]; then
		if [ "$(id -u)" -eq 0 ]; then
			echo "pantomime: installing ${cross_missing[*]} (aarch64 cross check)"
			export DEBIAN_FRONTEND=noninteractive
			{ apt-get update -qq && apt-get install -y -qq --no-install-recommends \
				"${cross_missing[@]}"; } >/dev/null ||
				echo "pantomime: could not install the cross tools; that check will be skipped" >&2
		else
			echo "pantomime: not root: the aarch64 cross check will be skipped" >&2
		fi
	fi
fi

if [ "${PANTOMIME_BOOTSTRAP_FUZZ:-0}" = 1 ]; then
	fuzz_missing=()
	for p in "${fuzz_packages[@]}"; do
		installed "$p" || fuzz_missing+=("$p")
	done
	if [ ${#fuzz_missing[@]} -gt 0 ]; then
		if [ "$(id -u)" -eq 0 ]; then
			echo "pantomime: installing ${fuzz_missing[*]} (fuzz build)"
			export DEBIAN_FRONTEND=noninteractive
			{ apt-get update -qq && apt-get install -y -qq --no-install-recommends \
				"${fuzz_missing[@]}"; } >/dev/null ||
				echo "pantomime: could not install the fuzz tools; the fuzz run will be skipped" >&2
		else
			echo "pantomime: not root: the fuzz run will be skipped" >&2
		fi
	fi
fi

# Optional: headless Chromium renders the HTML report in the cli suite
# (test cli-html-render, skipped without it). .ci/run asks for it. Best effort.
if [ "${PANTOMIME_BOOTSTRAP_CHROMIUM:-0}" = 1 ] && ! installed chromium; then
	if [ "$(id -u)" -eq 0 ]; then
		echo "pantomime: installing chromium (HTML report rendering test)"
		export DEBIAN_FRONTEND=noninteractive
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; } \
			>/dev/null || echo "pantomime: could not install chromium; that test will be skipped" >&2
	else
		echo "pantomime: not root: the HTML rendering test will be skipped" >&2
	fi
fi

missing=()
for p in "${packages[@]}"; do
	installed "$p" || missing+=("$p")
done

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "pantomime: missing Debian packages: ${missing[*]}" >&2
	echo "pantomime: run as root, or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi

echo "pantomime: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
