#!/usr/bin/env python3
"""Fold the per-test TAP files written inside the test VM into one TAP
stream, add the kernel-log checks, and end with 'N passed, N failed,
N skipped'.  Exit status 1 if anything failed.

usage: summarize.py OUT_DIR EXPECTED_TESTS_FILE
"""
import re
import sys
from pathlib import Path

# A line of the kernel log matching scripts/splat.ere (one extended
# regular expression, also read by vm-run.sh for `make run`) is a report,
# and fails the run.  WARNING and BUG reports (WARN(), lockdep, KASAN's
# "BUG: KASAN: ...", sleeping-in-atomic) start the message; anchoring them
# skips boot notices such as "Speculative Return Stack Overflow: WARNING:
# ..." about the CPU model.
SPLAT = re.compile((Path(__file__).parent / "splat.ere").read_text().strip())

out = Path(sys.argv[1])
expected = [l.strip() for l in Path(sys.argv[2]).read_text().splitlines() if l.strip()]
n = passed = failed = skipped = xfail = 0


def result(ok, desc, directive=""):
    global n, passed, failed, skipped, xfail
    n += 1
    d = directive.upper()
    if ok and ("SKIP" in d or "XFAIL" in d):
        skipped += 1
        xfail += "XFAIL" in d or "KNOWN DIFFERENCE" in d
    elif ok:
        passed += 1
    else:
        failed += 1
    print(f"{'ok' if ok else 'not ok'} {n} {desc}{' # ' + directive if directive else ''}")


def killed_vm(name):
    """Why the test VM that was to run test `name` was killed, if it was
    (check.sh writes vm-*/killed; a VM's plan lists its tests)."""
    for k in sorted(out.glob("vm-*/killed")):
        plan = k.parent / "plan"
        if not plan.exists() or name in (l.split()[0] for l in plan.read_text().splitlines() if l.strip()):
            return f"{k.parent.name} {k.read_text().strip()}"
    return None


def harness_timeouts(text):
    """The timeouts mdev_harness.h prints ("harness-timeout NAME N s"): the
    default, and each test's own, keyed by the test's name alone, as the
    harness names a test in its messages."""
    default = None
    own = {}
    for m in re.finditer(r"^# harness-timeout (\S+) (\d+) s$", text, re.M):
        if m.group(1) == "default":
            default = int(m.group(2))
        else:
            own[m.group(1).rsplit(".", 1)[-1]] = int(m.group(2))
    return default, own


def timeout_notes(text, default, own):
    """The harness says only "Test terminated by timeout": say which timeout
    it was and how long it waited."""
    return [f"{m.group(1)}: killed by the kselftest harness's per-test timeout after "
            f"{own.get(m.group(1), default or '?')} s"
            for m in re.finditer(r"^# (\S+): Test terminated by timeout$", text, re.M)]


def slowest_test(text, default, own):
    """The slowest test of a kselftest program against its harness timeout,
    from the "test-time" lines of mdev_harness.h."""
    times = [(int(m.group(2)), m.group(1))
             for m in re.finditer(r"^# test-time (\S+) (\d+) ms$", text, re.M)]
    if not times:
        return None
    ms, test = max(times)
    limit = own.get(test, default)
    margin = f", {limit * 1000 / max(ms, 1):.0f}x under its {limit} s timeout" if limit else ""
    return f"{test} {ms} ms{margin}"


print("TAP version 13")
for name in expected:
    tap = out / "tap" / f"{name}.tap"
    rcf = out / "tap" / f"{name}.rc"
    if not tap.exists() or not rcf.exists():
        why = killed_vm(name) or "the test VM stopped early?"
        result(False, f"{name}: did not run ({why})")
        continue
    rc = int(rcf.read_text().strip() or "1")
    secs = (out / "tap" / f"{name}.secs").read_text().strip()
    print(f"# {name}: exit {rc}, {secs} s")
    limit = (out / "tap" / f"{name}.limit")
    if rc in (124, 137) and limit.exists():
        print(f"# {name}: killed by TEST_TIMEOUT after {limit.read_text().strip()} s")
    text = tap.read_text(errors="replace")
    default, own = harness_timeouts(text)
    for note in timeout_notes(text, default, own):
        print(f"# {note}")
    slowest = slowest_test(text, default, own)
    if slowest:
        print(f"# {name}: slowest test {slowest}")
    results = 0
    nfail = 0
    for line in text.splitlines():
        m = re.match(r"^(not ok|ok)\b\s*\d*\s*-?\s*(.*?)(?:\s+#\s*(.*))?$", line)
        if m:
            results += 1
            ok = m.group(1) == "ok"
            nfail += not ok
            result(ok, f"{name}: {m.group(2)}", m.group(3) or "")
        elif line.startswith("#") or line.startswith("TAP version") or re.match(r"^\d+\.\.\d+", line):
            print(f"#   {line.lstrip('# ')}" if line.startswith("#") else f"#   {line}")
        else:
            print(f"#   {line}")
    if results == 0:
        result(False, f"{name}: produced no TAP results (exit {rc})")
    elif rc not in (0, 4) and nfail == 0:
        # 4 is KSFT_SKIP: the whole program skipped, with its reason above
        result(False, f"{name}: exited with status {rc}")

def splats(path):
    return [l for l in path.read_text(errors="replace").splitlines() if SPLAT.search(l)]


def empty_report(path, prefix, desc):
    """A result that passes when the report file at path is empty."""
    text = path.read_text(errors="replace")
    for l in text.splitlines()[:40]:
        print(f"#   {prefix}{l}")
    result(not text.strip(), desc)


# One kernel log and one kmemleak report per test VM (vm-a, vm-b, ...).
for vm in ([] if (out / "no-vm").exists() else sorted(out.glob("vm-*"))):
    dmesg = vm / "dmesg.txt"
    console = vm / "console.log"
    if dmesg.exists():
        bad = splats(dmesg)
        for l in bad[:40]:
            print(f"#   {l}")
        result(not bad, f"{vm.name}: kernel log: no WARNING, BUG, Oops, KASAN, lockdep or leak report ({len(bad)} lines)")
    else:
        # The console has the log from KERN_NOTICE up: enough to say why.
        bad = splats(console) if console.exists() else []
        for l in bad[:40]:
            print(f"#   console: {l}")
        for l in (console.read_text(errors="replace").splitlines()[-15:] if console.exists() else []):
            print(f"#   console tail: {l}")
        result(False, f"{vm.name}: kernel log: not saved, the test VM stopped early or was killed ({len(bad)} report lines on the console)")
        hang = vm / "hang.txt"
        if hang.exists():
            for l in hang.read_text(errors="replace").splitlines()[:60]:
                print(f"#   {vm.name} before it was killed: {l}")
    left = vm / "leftover.txt"
    if left.exists():
        empty_report(left, "left behind: ", f"{vm.name}: no process left behind by the tests")
    leaks = vm / "kmemleak.txt"
    if leaks.exists():
        empty_report(leaks, "", f"{vm.name}: kmemleak: no unreferenced objects after the tests")
    elif (vm / "kmemleak.unavailable").exists():
        result(True, f"{vm.name}: kmemleak: no unreferenced objects after the tests", "SKIP kmemleak not available in this kernel")
    else:
        result(False, f"{vm.name}: kmemleak: not scanned, the test VM stopped early")

print(f"1..{n}")
if xfail:
    print(f"# {xfail} of the skipped are known differences of the C mtty sample")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
