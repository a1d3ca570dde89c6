#!/usr/bin/env bash
# `make check`: build everything needed, run the selected tests (all, or
# T=<name> / T=<name@driver>) in one boot of the test VM, and summarize.
set -euo pipefail
. "$(dirname "$0")/env.sh"

t_start=$(date +%s)
OUT=$BUILD/check
rm -rf "$OUT" && mkdir -p "$OUT"
rm -f "$BUILD/times"

# The plan: one line "name driver command" per selected test.  A name
# marked "?" in TESTS is a test that runs only when T names it; without T
# it is reported as skipped, with the reason TESTS gives.
T=${T:-}
optional=$OUT/optional
: > "$optional"
while read -r name drivers cmd; do
	case $name in ''|'#'*) continue ;; esac
	opt=
	case $name in '?'*) name=${name#?} opt=yes ;; esac
	for d in ${drivers//,/ }; do
		[ "$d" = - ] && full=$name || full=$name@$d
		if [ -n "$opt" ] && [ -z "$T" ]; then
			echo "$full" >> "$optional"
			continue
		fi
		for t in ${T:-$full}; do
			if [ "$t" = "$full" ] || [ "$t" = "$name" ]; then
				echo "$full $d $cmd"
				break
			fi
		done
	done
done < "$TOP/selftests/TESTS" > "$OUT/plan"
cut -d' ' -f1 "$OUT/plan" > "$OUT/expected"
mkdir -p "$OUT/tap"
while read -r full; do
	echo "ok 1 $full # SKIP only with T=$full: see selftests/TESTS" > "$OUT/tap/$full.tap"
	echo 0 > "$OUT/tap/$full.rc"
	echo 0 > "$OUT/tap/$full.secs"
	echo "$full" >> "$OUT/expected"
done < "$optional"

# The device models' unit tests run on the host: no kernel needed.
model=$TOP/samples/rust_mtty/model-tests
if [ -f "$model/Cargo.toml" ] && { [ -z "$T" ] || [[ " $T " == *" model "* ]]; }; then
	log "running the device models' unit tests on the host"
	mkdir -p "$OUT/tap"
	s=$(date +%s)
	set +e
	# rust_mtty's, then rust_mshm's (with the config space of rust/).
	(cd "$model" && cargo test -- --format=pretty --test-threads=2 2>&1 &&
		cd "$TOP/samples/rust_mshm/model-tests" &&
		cargo test -- --format=pretty --test-threads=2 2>&1) > "$OUT/model.log"
	echo $? > "$OUT/tap/model.rc"
	set -e
	echo $(($(date +%s) - s)) > "$OUT/tap/model.secs"
	sed -n -E 's/^test (.*) \.\.\. ok$/ok \1/p; s/^test (.*) \.\.\. FAILED$/not ok \1/p; s/^test (.*) \.\.\. ignored$/ok \1 # SKIP ignored/p' \
		"$OUT/model.log" > "$OUT/tap/model.tap"
	sed -i '1i model' "$OUT/expected"; [ -s "$OUT/expected" ] || echo model > "$OUT/expected"
fi
# The kernel's own gates (scripts/gates.sh) run on the host too, after the
# build: they need the kernel tree.
gates=
if [ -z "$T" ] || [[ " $T " == *" gates "* ]]; then
	gates=yes
	sed -i '1i gates' "$OUT/expected"; [ -s "$OUT/expected" ] || echo gates > "$OUT/expected"
fi
# That `make bench` runs (host side, booting its own VM on the production
# kernel): a short run, whose figures are not checked (benchmarks never
# gate make check).
bench=
if [ -z "$T" ] || [[ " $T " == *" bench "* ]]; then
	bench=yes
	echo bench >> "$OUT/expected"
fi
[ -s "$OUT/expected" ] || die "no test matches T=$T (see selftests/TESTS)"

# Build what the plan needs: the debug kernel, the module and the selftests
# for every test; the production kernel for the tests of vm-n (below); and
# the nested guest's kernel and initramfs for the nested guest tests
# (nested_guest, nested_migration@<driver>, and libvirt@<driver>, whose
# domain is a nested guest).
nested='^(nested_(guest|migration)|libvirt)(@[^ ]*)? '
# The tests of the production kernel's VM: the nested guests; the
# tools' tests (mdevctl, libvirt's node devices, DKMS), which test the
# tools' view of the driver, not its code: every path of the driver they
# take (create, open with a VM, a loopback, remove, unload) runs under
# KASAN and lockdep in vm-a and vm-b.  On the debug kernel they took 420 s
# (mdevctl), 250 s (dkms) and over 10 minutes (libvirtd's start) each;
# and the concurrency soak at its full 10,000 rounds, which did not end in
# 18 minutes on the debug kernel (vm-a and vm-b soak 1,000 rounds there).
prod='^(nested_(guest|migration)|libvirt|libvirt_nodedev|mdevctl|dkms|vfio_mdev_soak_long)(@[^ ]*)? '
[ "${VMS:-3}" = 1 ] && prod='^$'
steps=(tests)
grep -Eq "$prod" "$OUT/plan" && steps+=(module-prod)
grep -Eq "$nested" "$OUT/plan" && steps+=(nested)
# DKMS builds and installs the module on the host (scripts/dkms.sh), for
# the kernel of the VM that runs the test dkms, which loads it.
if grep -q '^dkms ' "$OUT/plan"; then
	steps+=(dkms)
	# dkms runs in vm-n (production kernel), or with VMS=1 in the one
	# debug VM.
	if [ "${VMS:-3}" = 1 ]; then
		export DKMS_KERNEL=debug
	else
		export DKMS_KERNEL=prod
	fi
fi
"$TOP/scripts/prepare.sh" "${steps[@]}"
t_built=$(date +%s)

if [ -n "$gates" ]; then
	log "running the gates on the host: formatting, clippy, the series, checkpatch, the docs"
	mkdir -p "$OUT/tap"
	s=$(date +%s)
	rc=0
	"$TOP/scripts/gates.sh" > "$OUT/tap/gates.tap" 2>&1 || rc=$?
	echo $rc > "$OUT/tap/gates.rc"
	echo $(($(date +%s) - s)) > "$OUT/tap/gates.secs"
fi
if [ -n "$bench" ]; then
	log "running make bench, a short run (1 round of 25 operations)"
	mkdir -p "$OUT/tap"
	s=$(date +%s)
	rc=0
	# Single-threaded TCG, as every test VM: the figures are not used, and
	# multi-threaded TCG is where vm.sh's cross-vCPU race lives.
	BENCH_ARGS="1 25" BENCH_OUT=$OUT/bench VM_TCG_THREAD=single \
		"$TOP/scripts/bench.sh" > "$OUT/bench.log" 2>&1 || rc=$?
	{
		if [ $rc = 0 ]; then
			echo "ok 1 make bench runs (1 round of 25 operations; figures not checked)"
		else
			echo "not ok 1 make bench runs: exit $rc (its output: $OUT/bench.log)"
		fi
		# The bench VM's kernel log is held to the same standard.
		bad=$(cat "$OUT"/bench/*/console.log 2>/dev/null | tr -d '\r' | grep -E -f "$TOP/scripts/splat.ere" || true)
		if [ -z "$bad" ]; then
			echo "ok 2 the bench VM's kernel log is clean"
		else
			echo "not ok 2 the bench VM's kernel log has reports"
			sed 's/^/# /' <<< "$bad"
			rc=1
		fi
		grep '^bench: summary' "$OUT/bench.log" | sed 's/^/# /'
		echo "1..2"
	} > "$OUT/tap/bench.tap"
	echo $rc > "$OUT/tap/bench.rc"
	echo $(($(date +%s) - s)) > "$OUT/tap/bench.secs"
fi
t_gated=$(date +%s)

# Settings passed into the VM (its environment is not the host's).
# The concurrency soak's rounds per driver (selftests/vfio_mdev_soak.c):
# its 10,000 took 125 s on the production kernel but did not end in 18
# minutes on the debug kernel, where 2,000 took 578 s; so
# vfio_mdev_soak_long (production kernel) runs SOAK_LONG_ROUNDS, 10,000
# (selftests/smoke/soak_long.sh), and vfio_mdev_soak (debug kernel, where
# KASAN, lockdep and kmemleak watch the same races) SOAK_ROUNDS, 1,000.
export SOAK_ROUNDS=${SOAK_ROUNDS:-1000} SOAK_LONG_ROUNDS=${SOAK_LONG_ROUNDS:-10000}
vm_settings > "$OUT/env"

# The test VMs.  TCG runs each VM on one host thread (vm.sh), so VM_SLOTS
# (default: the number of cores) VMs run side by side, the next starting
# when one ends.  The debug kernel's tests are split in two VMs, by driver:
# vm-a runs the C sample's, modules and rust_mshm's (to even out the two
# slots: vm-b's rust_mtty tests took the longest), vm-b rust_mtty's.  vm-n
# boots the production kernel and runs the nested guest and its live
# migration (for each driver), whose QEMU the debug options slowed
# tenfold (KASAN), and the tools' tests (above), while the driver and the
# series are tested under the debug options in vm-a and vm-b.  vm-p boots
# the production kernel too, with two vCPUs (vm-n has one, for the nested
# guest), for the long soak.  They start in the order a, b, n, p: the two
# debug VMs, which take the longest, start at once, and vm-n and vm-p,
# which take a few minutes, run when the first of them ends, so that they
# do not add to the longer one's time.  VMS=1 runs everything in one VM on
# the debug kernel.
#
# The debug VMs have two vCPUs (VM_CPUS), so that the tests' threads and
# the kernel's cross-CPU paths (IPIs, per-CPU data, a lock contended from
# the other CPU) run on two CPUs, if in turns: TCG runs both vCPUs of a VM
# on one host thread.  One vCPU was tried (2026-12-07): the debug kernel
# booted faster alone, but the tests of make check took as long
# (Documentation/testing.rst, "One vCPU or two").
if [ "${VMS:-3}" = 1 ]; then
	cp "$OUT/plan" "$OUT/plan.a"
else
	awk -v prod="$prod" -v out="$OUT" '
		$1 ~ /^vfio_mdev_soak_long@/ { print > (out "/plan.p"); next }
		$0 ~ prod { print > (out "/plan.n"); next }
		$2 == "mtty" || $1 == "modules" || $1 ~ /^vfio_mshm@/ { print > (out "/plan.a"); next }
		{ print > (out "/plan.b") }' "$OUT/plan"
fi

# How long a VM may run: VM_TIMEOUT (s) guards against a hang, and
# CHECK_DEADLINE (an epoch time, set by .ci/run from CI's own limit) makes
# sure the summary is still printed in time.  A VM that is killed says by
# which of the two, after how long; its tests then count as not run.
# A debug VM's tests took 50-76 minutes on the project's machine
# (2026-12-07: vm-b was killed by the old 3,600 s with two tests to go),
# so the hang guard is three hours; under CI the deadline comes first.
VM_TIMEOUT=${VM_TIMEOUT:-10800}
vm_limit() {
	local t=$VM_TIMEOUT why="VM_TIMEOUT=$VM_TIMEOUT s"
	if [ -n "${CHECK_DEADLINE:-}" ] && [ $((CHECK_DEADLINE - $(date +%s))) -lt "$t" ]; then
		t=$((CHECK_DEADLINE - $(date +%s)))
		[ "$t" -gt 60 ] || t=60
		why="CHECK_DEADLINE, $t s after the VM started"
	fi
	echo "$t $why"
}

vms=()
for v in a b n p; do
	p=$OUT/plan.$v
	[ -s "$p" ] || continue
	mkdir -p "$OUT/vm-$v"
	mv "$p" "$OUT/vm-$v/plan"
	vms+=("vm-$v")
done
run_vm() {	# VM: boot it, run its plan; record why it was killed, if it was
	local v=$1 kdir=$KDIR ko=$MODULE_KO cpus=${VM_CPUS:-2} limit why rc s
	if grep -Eq "$nested" "$OUT/$v/plan"; then
		# The nested guest's VM has NESTED_VM_CPUS vCPUs (vm.sh says
		# why one).
		cpus=${NESTED_VM_CPUS:-1}
	fi
	if grep -Eq "$prod" "$OUT/$v/plan"; then
		kdir=$KDIR_PROD ko=$MODULE_KO_PROD
	fi
	printf 'RUST_MTTY_KO=%q\n' "$ko" > "$OUT/$v/env"
	echo "$kdir" > "$OUT/$v/kernel"
	read -r limit why <<< "$(vm_limit)"
	s=$(date +%s)
	rc=0
	VM_KDIR=$kdir VM_CPUS=$cpus "$TOP/scripts/vm-watch.sh" "$limit" "$OUT/$v" \
		"$TOP/scripts/vm-tests.sh $OUT $OUT/$v" || rc=$?
	s=$(($(date +%s) - s))
	echo $s > "$OUT/$v/secs"
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		echo "killed after $s s by $why" > "$OUT/$v/killed"
		log "$v: killed after $s s by $why"
	fi
}
if [ ${#vms[@]} -gt 0 ]; then
	slots=${VM_SLOTS:-$(nproc)}
	log "running $(wc -l < "$OUT/plan") tests in ${#vms[@]} test VM(s), $slots at a time"
	pids=()
	for v in "${vms[@]}"; do
		# A free slot: wait for one of the running VMs (not for the
		# console followers) to end.
		while [ ${#pids[@]} -ge "$slots" ]; do
			wait -n "${pids[@]}" || true
			alive=()
			for p in "${pids[@]}"; do
				kill -0 "$p" 2>/dev/null && alive+=("$p")
			done
			pids=("${alive[@]}")
		done
		: > "$OUT/$v/console.log"
		run_vm "$v" &
		pids+=($!)
		tail -s 2 --pid=$! -f "$OUT/$v/console.log" 2>/dev/null |
			sed -n --unbuffered "s/^rust-mdev: />>> $v: /p" >&2 &
	done
	wait
else
	touch "$OUT/no-vm"
fi
t_end=$(date +%s)

rc=0
python3 "$TOP/scripts/summarize.py" "$OUT" "$OUT/expected" | tee "$OUT/summary.tap" || rc=$?

# Where the time went, for the next person to see a regression.
{
	echo "# times: total $((t_end - t_start)) s: build and prepare $((t_built - t_start)) s, gates and the short bench $((t_gated - t_built)) s, test VMs $((t_end - t_gated)) s"
	[ -f "$BUILD/times" ] && awk '{ printf "#   prepare: %s %s s\n", $1, $2 }' "$BUILD/times"
	for v in "${vms[@]}"; do
		echo "#   $v: $(basename "$(cat "$OUT/$v/kernel")"), $(cat "$OUT/$v/secs" 2>/dev/null || echo '?') s, booted to the test runner in $(cat "$OUT/$v/boot-seconds" 2>/dev/null || echo '?') s of guest uptime"
	done
	for f in "$OUT"/tap/*.secs; do
		[ -f "$f" ] && echo "#   test: $(basename "$f" .secs) $(cat "$f") s"
	done
} | tee "$OUT/times.txt"
# The summary line stays the last line.
tail -n 1 "$OUT/summary.tap"
exit $rc
