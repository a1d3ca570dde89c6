#!/usr/bin/env bash
# `make check`: build everything needed, run the selected tests (all, or
# T=<name> / T=<name@driver>) in one boot of the test VM, and summarize.
set -euo pipefail
. "$(dirname "$0")/env.sh"

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
for v in NESTED_APPEND NESTED_TIMEOUT; do
	[ -n "${!v:-}" ] && printf '%s=%q\n' "$v" "${!v}"
done > "$OUT/env"

if [ -s "$OUT/plan" ]; then
	log "running $(wc -l < "$OUT/plan") tests in the test VM"
	"$TOP/scripts/vm.sh" "$TOP/scripts/vm-tests.sh $OUT" 2>&1 | tee "$OUT/console.log" |
		grep --line-buffered '^rust-mdev:' >&2 || true
else
	touch "$OUT/no-vm"
fi
t_end=$(date +%s)

rc=0
python3 "$TOP/scripts/summarize.py" "$OUT" "$OUT/expected" | tee "$OUT/summary.tap" || rc=$?
echo "# times: build/prepare $((t_built - t_start)) s, test VM $((t_end - t_built)) s" \
	"(booted to the test runner in $(cat "$OUT/boot-seconds" 2>/dev/null || echo '?') s of guest uptime)"
exit $rc
