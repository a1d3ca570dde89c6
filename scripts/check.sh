#!/usr/bin/env bash
# `make check`: build everything needed, run the selected tests (all, or
# T=<name> / T=<name@driver>) in one boot of the test VM, and summarize.
set -euo pipefail
. "$(dirname "$0")/env.sh"

VM_TIMEOUT=${VM_TIMEOUT:-2700}
t_start=$(date +%s)
"$TOP/scripts/prepare.sh" tests
t_built=$(date +%s)

OUT=$BUILD/check
rm -rf "$OUT" && mkdir -p "$OUT"

# The plan: one line "name driver command" per selected test.
T=${T:-}
while read -r name drivers cmd; do
	case $name in ''|'#'*) continue ;; esac
	for d in ${drivers//,/ }; do
		[ "$d" = - ] && full=$name || full=$name@$d
		for t in ${T:-$full}; do
			if [ "$t" = "$full" ] || [ "$t" = "$name" ]; then
				echo "$full $d $cmd"
				break
			fi
		done
	done
done < "$TOP/selftests/TESTS" > "$OUT/plan"
cut -d' ' -f1 "$OUT/plan" > "$OUT/expected"

# The device model's unit tests run on the host: no kernel needed.
model=$TOP/samples/rust_mtty/model-tests
if [ -f "$model/Cargo.toml" ] && { [ -z "$T" ] || [[ " $T " == *" model "* ]]; }; then
	log "running the device model's unit tests on the host"
	mkdir -p "$OUT/tap"
	s=$(date +%s)
	set +e
	(cd "$model" && cargo test -- --format=pretty --test-threads=2 2>&1) > "$OUT/model.log"
	echo $? > "$OUT/tap/model.rc"
	set -e
	echo $(($(date +%s) - s)) > "$OUT/tap/model.secs"
	sed -n -E 's/^test (.*) \.\.\. ok$/ok \1/p; s/^test (.*) \.\.\. FAILED$/not ok \1/p; s/^test (.*) \.\.\. ignored$/ok \1 # SKIP ignored/p' \
		"$OUT/model.log" > "$OUT/tap/model.tap"
	sed -i '1i model' "$OUT/expected"; [ -s "$OUT/expected" ] || echo model > "$OUT/expected"
fi
[ -s "$OUT/expected" ] || die "no test matches T=$T (see selftests/TESTS)"

# Settings passed into the VM (its environment is not the host's).
for v in NESTED_APPEND NESTED_TIMEOUT TEST_TIMEOUT; do
	[ -n "${!v:-}" ] && printf '%s=%q\n' "$v" "${!v}"
done > "$OUT/env"

# The nested guest test takes longest and runs in a test VM of its own,
# beside the one that runs the rest: TCG runs each VM on one host thread
# (vm.sh), so two VMs use both cores.  VMS=1 runs everything in one VM.
if [ "${VMS:-2}" = 1 ]; then
	cp "$OUT/plan" "$OUT/plan.a"
else
	grep -v '^nested_guest ' "$OUT/plan" > "$OUT/plan.a" || true
	grep '^nested_guest ' "$OUT/plan" > "$OUT/plan.b" || true
fi
vms=()
for p in "$OUT"/plan.?; do
	[ -s "$p" ] || continue
	v=vm-${p##*.}
	mkdir -p "$OUT/$v"
	mv "$p" "$OUT/$v/plan"
	vms+=("$v")
done
if [ ${#vms[@]} -gt 0 ]; then
	log "running $(wc -l < "$OUT/plan") tests in ${#vms[@]} test VM(s), at most $((VM_TIMEOUT / 60)) minutes"
	for v in "${vms[@]}"; do
		# The VM that runs the nested guest has one vCPU (vm.sh says why).
		cpus=${VM_CPUS:-2}
		grep -q '^nested_guest ' "$OUT/$v/plan" && cpus=1
		# A VM that outlives VM_TIMEOUT is killed: its tests then count
		# as not run and its kernel log as not saved.
		VM_CPUS=$cpus timeout -k 30 "$VM_TIMEOUT" "$TOP/scripts/vm.sh" \
			"$TOP/scripts/vm-tests.sh $OUT $OUT/$v" > "$OUT/$v/console.log" 2>&1 &
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
echo "# times: build/prepare $((t_built - t_start)) s, test VM $((t_end - t_built)) s" \
	"(booted to the test runner in$(for v in "${vms[@]}"; do printf ' %s: %s s' "$v" "$(cat "$OUT/$v/boot-seconds" 2>/dev/null || echo '?')"; done) of guest uptime)"
exit $rc
