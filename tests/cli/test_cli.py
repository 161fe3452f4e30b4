#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The `pantomime` command, end to end (TAP).

Usage: test_cli.py PANTOMIME [render|shim-trace]

Every subcommand and option, bad usage (a message naming the problem and
exit 2), a short stress run that must pass (with --trace, --report, --dump
and --json checked), the same run with fault injection that must end with
correct data and counted injected errors, and `run` on a small program.
PANTOMIME_CLI_SECONDS shortens the stress runs (the sanitizer builds set it).

With "render", only loads the HTML report in headless Chromium and checks
the screenshot is not blank (a skipped TAP plan when chromium is absent).
With "shim-trace", only runs the client PANTOMIME_CLI_CLIENT with the shim
(PANTOMIME_CLI_PRELOAD) and PANTOMIME_TRACE_FILE, and checks its trace.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

EXE = os.path.abspath(sys.argv[1])
MODE = sys.argv[2] if len(sys.argv) > 2 else "all"
SECONDS = os.environ.get("PANTOMIME_CLI_SECONDS", "12")
SANITIZED = bool(os.environ.get("PANTOMIME_CLI_SANITIZER"))
# Sanitized builds run the model several times slower: one client keeps the GPU executors
# from being descheduled past the driver's 100 ms hardware timeouts on a 2-core machine.
CLIENTS = "1" if SANITIZED else "2"
OPS = "300" if SANITIZED else "2000"
TMP = tempfile.mkdtemp(prefix="pantomime-cli-")
results = []


def run(args, timeout=300, env=None, cwd=None):
    e = dict(os.environ)
    e.setdefault("PANTOMIME_LOG", "error")
    if env:
        e.update(env)
    p = subprocess.run([EXE] + args, capture_output=True, text=True, timeout=timeout, env=e,
                       cwd=cwd)
    return p.returncode, p.stdout, p.stderr


def case(name, fn):
    try:
        fn()
        results.append((True, name, ""))
    except Skip as ex:
        results.append((True, name + " # SKIP " + str(ex), ""))
    except AssertionError as ex:
        results.append((False, name, str(ex)))
    except Exception as ex:  # a crash of the test itself is a failure too
        results.append((False, name, "%s: %s" % (type(ex).__name__, ex)))


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def last_json(out):
    lines = [l for l in out.strip().splitlines() if l.strip()]
    check(lines, "no output")
    return json.loads(lines[-1])


# ---- usage ------------------------------------------------------------------------------

def t_help():
    for sub in ([], ["stress"], ["run"], ["bench"]):
        rc, out, err = run(sub + ["--help"])
        check(rc == 0, "%s --help: exit %d" % (sub, rc))
        check("Usage: pantomime" in out, "%s --help prints no usage" % sub)
    rc, out, _ = run(["stress", "--help"])
    for opt in ("--seconds", "--clients", "--memory", "--swap", "--seed", "--fault",
                "--gpu-nice", "--trace", "--report", "--dump", "--json"):
        check(opt in out, "stress --help does not mention " + opt)
    rc, out, _ = run(["run", "--help"])
    for opt in ("--memory", "--swap", "--checker", "--fault", "--tlb", "--trace", "--report",
                "--dump", "--json"):
        check(opt in out, "run --help does not mention " + opt)


def t_bad_usage():
    bad = [
        ([], "Usage"),
        (["frobnicate"], "unknown command 'frobnicate'"),
        (["stress", "--frob"], "unknown option '--frob'"),
        (["stress", "--seconds", "0"], "--seconds"),
        (["stress", "--seconds"], "needs a value"),
        (["stress", "--clients", "zero"], "--clients"),
        (["stress", "--memory", "lots"], "--memory"),
        (["stress", "--memory", "1M"], "at least 32M"),
        (["stress", "--swap", "-1"], "--swap"),
        (["stress", "--seed", "x1"], "--seed"),
        (["stress", "--checker", "sometimes"], "--checker"),
        (["stress", "--dump", "everything"], "--dump"),
        (["stress", "--fault", "often"], "--fault: bad spec"),
        (["stress", "extra"], "unexpected argument"),
        (["stress", "--ops", "0"], "--ops"),
        (["stress", "--gpu-nice", "20"], "--gpu-nice"),
        (["stress", "--gpu-nice", "-1"], "--gpu-nice"),
        (["run"], "no command given"),
        (["run", "--memory", "1K", "--", "true"], "--memory"),
        (["run", "--frob", "--", "true"], "unknown option"),
        (["run", "true"], "put '--' before the command"),
        (["run", "--dump", "x", "--", "true"], "--dump"),
        (["run", "--trace=", "--", "true"], "--trace: empty file name"),
        (["run", "--trace", os.path.join(TMP, "no-such-dir", "t.json"), "--", "true"],
         "--trace: cannot write"),
        (["bench", "--frob"], "unknown option"),
        (["bench", "--repeat", "0"], "--repeat"),
        (["bench", "nosuchsuite"], "unknown suite 'nosuchsuite'"),
    ]
    for args, msg in bad:
        rc, out, err = run(args)
        check(rc == 2, "%s: exit %d, not 2" % (args, rc))
        check(msg in err, "%s: stderr %r does not say %r" % (args, err.strip()[-200:], msg))


# ---- bench -------------------------------------------------------------------------------

def t_bench():
    rc, out, _ = run(["bench", "--list"])
    check(rc == 0 and "pgtable" in out and "vm" in out, "bench --list: %d %r" % (rc, out[-200:]))
    rc, out, _ = run(["bench", "--json", "--repeat", "1", "pgtable"])
    check(rc == 0, "bench pgtable: exit %d" % rc)
    rows = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    check(rows, "bench --json printed no rows")
    for r in rows:
        for k in ("suite", "name", "value", "unit", "baseline", "ratio"):
            check(k in r, "bench row without %s: %r" % (k, r))
        check(r["suite"] == "pgtable", "a row of another suite: %r" % r)
    rc, out, _ = run(["bench", "--repeat=1", "pgtable"])
    check(rc == 0 and "ratio" in out.splitlines()[0], "bench table has no header")


# ---- stress ------------------------------------------------------------------------------

REQUIRED = ("binds_per_s", "gpu_accesses_per_s", "evictions", "restores", "checker_reports",
            "unexpected_faults", "corrupted_bytes", "bytes_verified")


def t_stress():
    trace = os.path.join(TMP, "trace.json")
    html = os.path.join(TMP, "report.html")
    rc, out, err = run(["stress", "--seconds", SECONDS, "--clients", CLIENTS, "--seed", "7", "--json",
                        "--trace", trace, "--report", html, "--dump", "vms,gems"])
    check(rc == 0, "stress failed (exit %d):\n%s\n%s" % (rc, out[-3000:], err[-2000:]))
    j = last_json(out)
    for k in REQUIRED:
        check(k in j, "JSON report lacks " + k)
    check(j["ok"] and j["corrupted_bytes"] == 0 and j["unexpected_faults"] == 0 and
          j["checker_reports"] == 0, "report not clean: %r" % j)
    check(j["binds"] > (100 if SANITIZED else 1000), "too few binds: %d" % j["binds"])
    check(j["bytes_verified_cpu"] > 0, "nothing verified")
    check(j["peak_resident_bytes"] <= j["memory_bytes"], "peak residency beyond the budget")
    # Sanitized builds are several times slower: their short run may not get past the
    # initial fill, so only correctness is required there.
    if not SANITIZED:
        check(j["evictions"] > 0 and j["restores"] > 0, "the shrinker never ran: %r" % j)
        for k in ("bo_create", "bo_close", "cpu_write", "vm_map", "vm_unmap", "vm_remap",
                  "sparse_bind", "syncobj_wait"):
            check(j["ops"][k] > 0, "no %s operations" % k)
    check("== pantomime report: stress" in out and "result                     PASS" in out,
          "human report missing")
    check("file 0 vm" in out, "--dump vms printed no VM")
    check("resident-size" in out, "--dump gems printed no gems table")
    check("[" in err and "binds" in err, "no progress line on stderr")
    # Sanitized runs may end inside the initial fill, before any GPU job.
    check(SANITIZED or j["ops"]["gpu_submit"] > 0, "no GPU job ran")
    t_trace_file(trace, j["ops"]["gpu_submit"])
    t_html_file(html, j)


def t_trace_file(path, gpu_jobs):
    with open(path) as f:
        d = json.load(f)
    ev = d["traceEvents"]
    tracks = {e["tid"]: e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "thread_name"}
    names = set(tracks.values())
    check(any(re.fullmatch(r"vm\d+", n) for n in names), "no VM track in %s" % names)
    check("shrinker" in names or SANITIZED, "no shrinker track in %s" % names)
    vm_tids = {t for t, n in tracks.items() if n.startswith("vm")}
    binds = [e for e in ev if e["ph"] == "X" and e["tid"] in vm_tids and e["name"] in ("map", "unmap")]
    check(binds, "no bind spans on the VM tracks")
    check(all(e["dur"] >= 0 and "va" in e["args"] for e in binds[:100]), "bind spans lack va/dur")
    check(any(e["name"] == "lock_region" and e["tid"] in vm_tids for e in ev), "no locked regions")
    shr = {t for t, n in tracks.items() if n == "shrinker"}
    if not SANITIZED:
        check(any(e["name"] == "evict" and e["tid"] in shr for e in ev),
              "no evictions on the shrinker track")
    counters = {e["name"] for e in ev if e["ph"] == "C"}
    for c in ("resident MiB", "free MiB", "swap used MiB"):
        check(c in counters, "no counter " + c)
    ts = [e["ts"] for e in ev if "ts" in e]
    check(min(ts) >= 0, "negative timestamps")
    if gpu_jobs:
        t_executor_tracks(tracks, ev)


def t_executor_tracks(tracks, ev, min_jobs=1):
    """Each hardware queue slot that ran a job has its track gpu-csN: the driver's "job" spans
    (vm, group, queue, seqno, ret), each holding the model's "stream" span of the run."""
    cs = {t: n for t, n in tracks.items() if re.fullmatch(r"gpu-cs\d+", n)}
    check(cs, "no executor (gpu-csN) track in %s" % sorted(set(tracks.values())))
    jobs = [e for e in ev if e["ph"] == "X" and e["tid"] in cs and e["name"] == "job"]
    streams = [e for e in ev if e["ph"] == "X" and e["tid"] in cs and e["name"] == "stream"]
    check(len(jobs) >= min_jobs, "%d job spans on the executor tracks" % len(jobs))
    for e in jobs[:200]:
        for k in ("vm", "group", "queue", "seqno", "ret"):
            check(k in e["args"], "job span without %s: %r" % (k, e))
    vm_ids = {int(n[2:]) for n in tracks.values() if re.fullmatch(r"vm\d+", n)}
    check(any(e["args"]["vm"] in vm_ids for e in jobs), "no job names a traced VM")
    check(len(streams) >= len([j for j in jobs if j["args"]["ret"] == 0]),
          "fewer stream runs than completed jobs")
    for s in streams[:200]:
        for k in ("as", "base", "size", "status", "instructions", "accesses", "stalls"):
            check(k in s["args"], "stream span without %s: %r" % (k, s))
        # The run nests in the job of the same slot that started it.
        check(any(j["tid"] == s["tid"] and j["ts"] <= s["ts"] and
                  s["ts"] + s["dur"] <= j["ts"] + j["dur"] + 0.002 for j in jobs),
              "stream span outside every job span: %r" % s)
    check(any(s["args"]["status"] == 2 and s["args"]["accesses"] > 0 for s in streams),
          "no stream ran to DONE with accesses")


def t_html_file(path, j):
    with open(path) as f:
        html = f.read()
    check(html.startswith("<!DOCTYPE html>"), "not an HTML page")
    check("http://" not in html.replace("http://www.w3.org/2000/svg", "") and "https://" not in html,
          "the page refers to the network")
    m = re.search(r'<script type="application/json" id="pantomime-data">(.*?)</script>', html, re.S)
    check(m, "no embedded data")
    data = json.loads(m.group(1))
    for k in REQUIRED:
        check(data["report"][k] == j[k], "embedded %s %r differs from --json %r" % (k, data["report"][k], j[k]))
    s = data["samples"]
    check(len(s) >= 5, "too few samples: %d" % len(s))
    check(all(s[i]["t"] <= s[i + 1]["t"] for i in range(len(s) - 1)), "samples not in time order")
    check(max(x["resident"] for x in s) > 0, "residency never above 0")
    check(html.count("<svg") >= 3 and html.count("<polyline") >= 4, "charts missing")
    check("PASS" in html, "result missing")


def t_stress_fault():
    rc, out, err = run(["stress", "--seconds", SECONDS, "--clients", CLIENTS, "--seed", "11",
                        "--json", "--quiet",
                        "--fault", "random=0.0005,seed=5"])
    check(rc == 0, "fault run failed (exit %d):\n%s\n%s" % (rc, out[-3000:], err[-2000:]))
    j = last_json(out)
    check(j["expected_faults"] > 0, "no injected failure was seen: %r" % j)
    check(j["failed_allocs"] > 0, "the device counted no failed allocation")
    check(j["corrupted_bytes"] == 0 and j["unexpected_faults"] == 0, "fault run not clean: %r" % j)
    check(j["bytes_verified"] > 0, "nothing verified")
    check(re.search(r"expected \(injected\) [1-9]", out), "the text report hides the injected count")


def t_stress_seed():
    # One client, a fixed number of operations: the same seed gives the same sequence.
    def ops(seed):
        rc, out, err = run(["stress", "--ops", OPS, "--clients", "1", "--seed", str(seed),
                            "--json", "--quiet"])
        check(rc == 0, "--ops run failed: %s" % (out[-1000:] + err[-500:]))
        j = last_json(out)
        return j["ops"], j["binds"]
    a, b, c = ops(9), ops(9), ops(10)
    check(a == b, "seed 9 twice gave different sequences: %r / %r" % (a, b))
    check(a != c, "seeds 9 and 10 gave the same sequence")
    # The seed is printed (so a run can be repeated); other options are accepted and honoured.
    rc, out, err = run(["stress", "--seconds", "1", "--clients", "1", "--seed", "42", "--json"])
    check(rc == 0, "1 s run failed: %s" % err[-500:])
    check("seed 42" in err, "the seed is not printed")
    # Sanitized builds on a loaded machine: fewer threads than cores + executors (with three
    # clients the model's executors can be descheduled past the driver's 100 ms AS timeout).
    clients = "1" if SANITIZED else "3"
    rc, out2, err2 = run(["stress", "--seconds", "1", "--clients", clients, "--memory", "192M",
                          "--swap", "512M", "--checker", "abort", "--seed=43", "--quiet"])
    check(rc == 0, "%s clients / 192M run failed: %s" % (clients, out2[-1500:] + err2[-500:]))
    check(err2.strip() == "" or "[" not in err2, "--quiet still printed progress")


# ---- run ---------------------------------------------------------------------------------

PROG = r"""
import os, fcntl, struct, sys
fd = os.open('/dev/dri/renderD128', os.O_RDWR)
req = (3 << 30) | (16 << 16) | (ord('d') << 8) | 0x41   # DRM_IOCTL_PANTHOR_VM_CREATE
b = bytearray(struct.pack('IIQ', 0, 0, 0))
fcntl.ioctl(fd, req, b)
print('vm', struct.unpack('IIQ', b)[1])
sys.exit(int(sys.argv[1]))
"""


class Skip(Exception):
    pass


def t_run():
    if os.environ.get("PANTOMIME_CLI_SANITIZER"):
        raise Skip("the sanitized shim cannot be preloaded into uninstrumented programs")
    prog = os.path.join(TMP, "prog.py")
    with open(prog, "w") as f:
        f.write(PROG)
    html = os.path.join(TMP, "run.html")
    rc, out, err = run(["run", "--memory", "64M", "--swap", "64M", "--checker", "count",
                        "--tlb", "16", "--dump", "vms", "--json", "--report", html, "--",
                        sys.executable, prog, "0"])
    check(rc == 0, "run failed (%d): %s %s" % (rc, out[-800:], err[-800:]))
    check("vm 1" in out, "the program did not get a VM: %r" % out)
    j = last_json(out)
    check(j["command"] == sys.executable and j["exit_status"] == 0, "bad run JSON %r" % j)
    check(j["memory_bytes"] == 64 << 20 and j["resident_bytes"] > 0, "device not as configured: %r" % j)
    check("file 0 vm 1" in err, "--dump vms printed nothing: %r" % err[-500:])
    check(os.path.getsize(html) > 0, "no HTML report")
    rc, out, err = run(["run", "--", sys.executable, prog, "3"])
    check(rc == 3, "the program's exit status was not passed on (%d)" % rc)
    rc, out, err = run(["run", "--", "true"])
    check(rc == 0 and "never opened a pantomime device" in out, "run true: %d %r" % (rc, out))
    rc, out, err = run(["run", "--", os.path.join(TMP, "no-such-program")])
    check(rc == 127 and "cannot run" in err, "missing program: %d %r" % (rc, err))


CLIENT = os.environ.get("PANTOMIME_CLI_CLIENT")


def check_client_trace(path):
    """The trace of the client (tests/uapi/test_uapi_shim_sched.c: one VM, BO binds, one
    GROUP_SUBMIT): valid JSON, a VM track with its bind spans, the executor track with the
    job and its stream run, and the memory counters."""
    with open(path) as f:
        d = json.load(f)
    ev = d["traceEvents"]
    tracks = {e["tid"]: e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "thread_name"}
    vm_tids = {t for t, n in tracks.items() if re.fullmatch(r"vm\d+", n)}
    check(vm_tids, "no VM track in %s" % sorted(tracks.values()))
    check(any(e["ph"] == "X" and e["name"] == "map" and e["tid"] in vm_tids for e in ev),
          "no map span on the VM tracks")
    t_executor_tracks(tracks, ev)
    counters = {e["name"] for e in ev if e["ph"] == "C"}
    for c in ("resident MiB", "free MiB", "swap used MiB"):
        check(c in counters, "no counter " + c)


def t_run_trace():
    if os.environ.get("PANTOMIME_CLI_SANITIZER"):
        raise Skip("the sanitized shim cannot be preloaded into uninstrumented programs "
                   "(cli-shim-trace covers the shim's writer there)")
    check(CLIENT and os.path.exists(CLIENT), "no client program (PANTOMIME_CLI_CLIENT)")
    trace = os.path.join(TMP, "run-trace.json")
    # A relative path, from another directory than the program's: the shim gets it absolute.
    rc, out, err = run(["run", "--memory", "256M", "--trace", os.path.basename(trace), "--", CLIENT],
                       cwd=TMP)
    check(rc == 0, "run --trace failed (%d): %s %s" % (rc, out[-800:], err[-800:]))
    check_client_trace(trace)
    # A program that never opens the device leaves a valid, empty trace.
    empty = os.path.join(TMP, "run-empty.json")
    rc, out, err = run(["run", "--trace", empty, "--", "true"])
    check(rc == 0, "run --trace -- true: %d %s" % (rc, err[-300:]))
    with open(empty) as f:
        ev = json.load(f)["traceEvents"]
    check(not [e for e in ev if e["ph"] != "M"], "events in the trace of 'true': %r" % ev[:5])


def shim_trace():
    """cli-shim-trace: the client under the shim with PANTOMIME_TRACE_FILE (and the sanitizer
    runtime first in sanitized builds); a second process finds the file taken."""
    def one():
        check(CLIENT and os.path.exists(CLIENT), "no client program (PANTOMIME_CLI_CLIENT)")
        trace = os.path.join(TMP, "shim-trace.json")
        e = dict(os.environ)
        e.update({"LD_PRELOAD": os.environ["PANTOMIME_CLI_PRELOAD"], "PANTOMIME_MEMORY": "256M",
                  "PANTOMIME_TRACE_FILE": trace, "PANTOMIME_LOG": "warn"})
        p = subprocess.run([CLIENT], capture_output=True, text=True, timeout=100, env=e)
        check(p.returncode == 0, "client failed (%d): %s %s" % (p.returncode, p.stdout[-800:],
                                                              p.stderr[-800:]))
        check_client_trace(trace)
        # The file is locked while a process writes it: a second writer is refused, with a
        # message, and the program still runs.
        import fcntl
        with open(trace, "r+") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            p = subprocess.run([CLIENT], capture_output=True, text=True, timeout=100, env=e)
            check(p.returncode == 0, "client with the trace file taken failed (%d): %s" %
                  (p.returncode, p.stderr[-800:]))
            check("being written by another process" in p.stderr,
                  "no message about the taken file: %r" % p.stderr[-500:])
        check_client_trace(trace)       # untouched by the second process
    case("cli/shim-trace", one)
    ok, n, msg = results[-1]
    print("1..1\n%s 1 - %s" % ("ok" if ok else "not ok", n))
    for l in msg.splitlines():
        print("# " + l)
    return 0 if ok else 1


# ---- render ------------------------------------------------------------------------------

def render():
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        print("1..0 # SKIP chromium is not installed (Debian package chromium; "
              "scripts/bootstrap.sh installs it with PANTOMIME_BOOTSTRAP_CHROMIUM=1)")
        return 0
    html = os.path.join(TMP, "render.html")
    rc, out, err = run(["stress", "--seconds", "2", "--clients", CLIENTS, "--quiet", "--report", html])
    if rc != 0:
        print("1..1\nnot ok 1 - cli/html-render # stress failed: %s" % err[-300:])
        return 1
    png = os.path.join(TMP, "shot.png")
    p = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                        "--screenshot=" + png, "--window-size=900,1400",
                        "file://" + html], capture_output=True, text=True, timeout=120)
    ok = os.path.exists(png) and os.path.getsize(png) > 0
    msg = ""
    if ok:
        ok, msg = png_not_blank(png)
    else:
        msg = "no screenshot: " + p.stderr[-300:]
    print("1..1\n%s 1 - cli/html-render%s" % ("ok" if ok else "not ok", "" if ok else " # " + msg))
    return 0 if ok else 1


def png_not_blank(path):
    """Decode the PNG (zlib, no filters needed for counting) and count distinct pixel rows."""
    import struct
    import zlib
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return False, "not a PNG"
    pos, idat, w, h, ct = 8, b"", 0, 0, 0
    while pos < len(data):
        ln, typ = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + ln]
        if typ == b"IHDR":
            w, h, _, ct = struct.unpack(">IIBB", body[:10])
        elif typ == b"IDAT":
            idat += body
        pos += 12 + ln
    raw = zlib.decompress(idat)
    bpp = {2: 3, 6: 4}.get(ct, 3)
    stride = 1 + w * bpp
    rows = set(raw[i * stride + 1:(i + 1) * stride] for i in range(h))
    # A blank page has one distinct row; text and charts give many.
    if len(rows) < 20:
        return False, "the screenshot looks blank (%d distinct rows)" % len(rows)
    return True, ""


def main():
    if MODE == "render":
        try:
            return render()
        finally:
            shutil.rmtree(TMP, ignore_errors=True)
    if MODE == "shim-trace":
        try:
            return shim_trace()
        finally:
            shutil.rmtree(TMP, ignore_errors=True)
    cases = [("cli/help", t_help), ("cli/bad-usage", t_bad_usage), ("cli/bench", t_bench),
             ("cli/run", t_run), ("cli/run-trace", t_run_trace),
             ("cli/stress-seed-and-options", t_stress_seed),
             ("cli/stress", t_stress), ("cli/stress-fault", t_stress_fault)]
    print("1..%d" % len(cases))
    sys.stdout.flush()
    for name, fn in cases:
        case(name, fn)
        ok, n, msg = results[-1]
        print("%s %d - %s" % ("ok" if ok else "not ok", len(results), n))
        if msg:
            for l in msg.splitlines():
                print("# " + l)
        sys.stdout.flush()
    shutil.rmtree(TMP, ignore_errors=True)
    return 0 if all(r[0] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
