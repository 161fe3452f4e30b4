#!/usr/bin/env bash
# Run the ioctl fuzzer for a bounded time and report it as one TAP case.
# Usage: run-fuzz.sh FUZZER CORPUS_DIR WORK_DIR
# PANTOMIME_FUZZ_SECONDS (default 120) bounds the run. The committed corpus
# is read, never written: new inputs go to a scratch corpus under WORK_DIR.
# Any crash, sanitizer report, leak, timeout or invariant violation fails
# the case; the input that caused it is kept under WORK_DIR/artifacts and
# printed in base64, so it can be added to fuzz/regressions/.
set -uo pipefail
fuzzer=$1 corpus=$2 work=$3
seconds=${PANTOMIME_FUZZ_SECONDS:-120}

echo "TAP version 13"
echo "1..1"
scratch=$(mktemp -d "$work/corpus.XXXXXX")
mkdir -p "$work/artifacts"
log="$work/fuzz.log"
# One process, one job: the machine has two cores and other work to do.
# A 512 MiB arena: freed frames stay resident in the arena's memfd, so over
# tens of thousands of inputs a larger arena grows the RSS towards the limit.
# -timeout: an input running 20 s is a hang; -rss_limit_mb: a leak.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
PANTOMIME_ARENA=512M \
	"$fuzzer" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -max_len=2048 \
	-print_final_stats=1 -artifact_prefix="$work/artifacts/" "$scratch" "$corpus" >"$log" 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
rm -rf "$scratch"
if [ $rc -eq 0 ] && [ -n "$execs" ]; then
	echo "ok 1 - fuzz/ioctl: ${execs} executions in ${seconds} s"
	echo "# fuzz executions: ${execs}"
	exit 0
fi
echo "not ok 1 - fuzz/ioctl (exit $rc)"
tail -n 60 "$log" | sed 's/^/# /'
for f in "$work"/artifacts/*; do
	[ -f "$f" ] || continue
	echo "# reproducer $f (base64):"
	base64 -w 76 "$f" | sed 's/^/#   /'
done
exit 1
