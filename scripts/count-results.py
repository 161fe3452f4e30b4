#!/usr/bin/env python3
"""Count test cases across meson test logs.

Usage: count-results.py TESTLOG.json [TESTLOG.json ...]

Each TAP test binary contributes one result per "ok"/"not ok" line (skips
count as passed, as TAP does). A binary whose run failed although every case
it printed passed (a crash, a sanitizer report, a timeout) adds one failure.
A non-TAP test contributes its own result. Prints "P passed, F failed" and
exits 1 when anything failed.
"""
import json
import re
import sys

OK = re.compile(r"^ok \d+")
SKIP = re.compile(r"^ok \d+.*# SKIP", re.IGNORECASE)
NOT_OK = re.compile(r"^not ok \d+")


def main(paths):
    passed = failed = skipped = 0
    failures = []
    for path in paths:
        label = path
        try:
            lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
        except OSError as e:
            print(f"cannot read {path}: {e}", file=sys.stderr)
            failed += 1
            continue
        for line in lines:
            if not line.strip():
                continue
            t = json.loads(line)
            name = t["name"]
            res = t["result"]
            good = res in ("OK", "EXPECTEDFAIL", "SKIP")
            oks = nots = 0
            for out_line in (t.get("stdout") or "").splitlines():
                if NOT_OK.match(out_line):
                    nots += 1
                    failures.append(f"{label}: {name}: {out_line}")
                elif OK.match(out_line):
                    oks += 1
                    if SKIP.match(out_line):
                        skipped += 1
            if oks or nots:
                passed += oks
                failed += nots
                if not good and nots == 0:
                    failed += 1
                    failures.append(f"{label}: {name}: binary ended with {res} (rc {t.get('returncode')})")
            elif good:
                passed += 1
            else:
                failed += 1
                failures.append(f"{label}: {name}: {res}")
    for f in failures:
        print("FAILED " + f)
    # Skipped cases count among the passed (TAP's rule) and are also shown on their own.
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
