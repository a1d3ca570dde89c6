# SPDX-License-Identifier: GPL-2.0
# gdb script of scripts/bench-insns.sh: counts, by single-stepping the
# test VM through QEMU's gdbstub, the instructions of each call of VFIO's
# file operations (read, write, ioctl) from its entry in vfio.ko to its
# return, by function.  Single-stepping under TCG delivers no interrupt
# (QEMU's default single-step flags), so a count is the path's own.
#
# A call that reschedules (cond_resched() in mutex_lock(), say) would
# also count whatever else the VM runs until the task is back: the
# instructions inside the scheduler's entry points (SCHED below) are
# stepped through but counted apart, as "scheduler".
#
# Environment: INSNS_DIR (the directory the guest shares: kallsyms,
# armed, results), INSNS_GDB (the gdbstub's address), INSNS_HITS (how
# many calls to count), INSNS_LIMIT (the most instructions of a call).
import bisect
import os

import gdb

d = os.environ["INSNS_DIR"]
hits = int(os.environ["INSNS_HITS"])
limit = int(os.environ.get("INSNS_LIMIT", "200000"))
entries = ("vfio_device_fops_read", "vfio_device_fops_write",
           "vfio_device_fops_unl_ioctl")
SCHED = ("__cond_resched", "preempt_schedule", "preempt_schedule_notrace",
         "schedule", "__schedule", "preempt_schedule_irq")

# The guest's symbols (KASLR: its addresses, read in the guest).
addrs, names, entry, sched = [], [], {}, set()
with open(os.path.join(d, "kallsyms")) as f:
    for line in f:
        parts = line.split()
        if len(parts) < 3 or parts[1].lower() not in "tw":
            continue
        a = int(parts[0], 16)
        if a == 0:
            continue
        name = parts[2] + (" " + parts[3] if len(parts) > 3 else "")
        addrs.append(a)
        names.append(name)
        if parts[2] in entries:
            entry[parts[2]] = a
        if parts[2] in SCHED:
            sched.add(a)
order = sorted(range(len(addrs)), key=lambda i: addrs[i])
addrs = [addrs[i] for i in order]
names = [names[i] for i in order]
missing = [e for e in entries if e not in entry]
if missing:
    raise gdb.GdbError("not in the guest's kallsyms: " + ", ".join(missing))


def sym(pc):
    i = bisect.bisect_right(addrs, pc) - 1
    return names[i] if i >= 0 else hex(pc)


def reg(name):
    return int(gdb.parse_and_eval("$" + name)) & 0xffffffffffffffff


gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("target remote " + os.environ["INSNS_GDB"])
for name, a in entry.items():
    gdb.execute("break *0x%x" % a, to_string=True)
open(os.path.join(d, "armed"), "w").close()

inferior = gdb.selected_inferior()
# INSNS_TRACE=1: every counted instruction's address, in trace.txt.
trace = open(os.path.join(d, "trace.txt"), "w") if os.environ.get("INSNS_TRACE") else None
with open(os.path.join(d, "counts.txt"), "w") as out:
    for n in range(hits):
        gdb.execute("continue", to_string=True)
        pc = reg("pc")
        rsp = reg("rsp")
        ret = int.from_bytes(inferior.read_memory(rsp, 8).tobytes(), "little")
        count, steps, skipped, skip, by_fn = 0, 0, 0, None, {}
        while True:
            now, sp = reg("pc"), reg("rsp")
            if skip and now == skip[0] and sp > skip[1]:
                skip = None
            if not skip and now == ret and sp > rsp:
                break
            if not skip and now in sched:
                ra = int.from_bytes(inferior.read_memory(sp, 8).tobytes(), "little")
                skip = (ra, sp)
            if skip:
                skipped += 1
            else:
                fn = sym(now)
                by_fn[fn] = by_fn.get(fn, 0) + 1
                count += 1
                if trace:
                    trace.write("%d %x %s\n" % (n, now, fn))
            steps += 1
            if steps > limit:
                raise gdb.GdbError("call %d: no return after %d instructions" % (n, limit))
            gdb.execute("stepi", to_string=True)
        top = sorted(by_fn.items(), key=lambda kv: -kv[1])
        out.write("call %d %s %d\n" % (n, sym(pc), count))
        if skipped:
            out.write("  %6d (scheduler, not counted)\n" % skipped)
        for fn, c in top:
            out.write("  %6d %s\n" % (c, fn))
        out.flush()
gdb.execute("delete")
gdb.execute("detach")
