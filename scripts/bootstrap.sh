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

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
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
