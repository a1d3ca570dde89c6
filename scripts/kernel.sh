#!/usr/bin/env bash
# Build a patched test kernel in the cache:  kernel.sh [debug|prod]
#   debug  (default) $KTREE_DEBUG, kernel/rust-mdev.config: KASAN, lockdep,
#          kmemleak; every correctness test runs on it
#   prod   $KTREE_PROD, the same fragment with its debug block switched
#          off (generated, so that the two cannot drift apart)
#
#   1. extract Debian's 6.12 source once;
#   2. bring the applied patch series in line with kernel/patches/, undoing
#      and redoing only from the first patch that changed, so that make
#      rebuilds only what the changed patches touch;
#   3. configure from virtme-ng's base plus kernel/rust-mdev.config whenever
#      the fragment changes, and check that every line of it took effect;
#   4. build bzImage, modules and the uapi headers.
set -euo pipefail
. "$(dirname "$0")/env.sh"

[ -z "$KDIR_FROM_USER" ] ||
	die "KDIR=$KDIR is a tree of your own: scripts/kernel.sh only builds the cached trees"

flavor=${1:-debug}
case $flavor in
debug) KDIR=$KTREE_DEBUG ;;
prod) KDIR=$KTREE_PROD ;;
*) die "kernel.sh: unknown kernel '$flavor' (debug or prod)" ;;
esac
t0=$(date +%s)

# One build of a tree at a time: clones of the project share the cache,
# and a second kernel.sh waits here for the first (then has nothing to do).
mkdir -p "$RUST_MDEV_CACHE"
exec 9> "$RUST_MDEV_CACHE/$(basename "$KDIR").lock"
if ! flock -n 9; then
	log "waiting for another build of $KDIR to finish"
	flock 9
fi

# The configuration fragment of a kernel, on stdout.  prod: every boolean
# option of the fragment's "# Debugging:" block (up to its blank line)
# switched off, its values (which go with them) and comments dropped.
fragment() {
	if [ "$flavor" = debug ]; then
		cat "$TOP/kernel/rust-mdev.config"
		return
	fi
	awk '/^# Debugging:/ { debug = 1; print "# Production kernel: the debug block switched off"; next }
	     debug && /^$/ { debug = 0 }
	     debug && /^CONFIG_[A-Z0-9_]*=[ym]$/ { sub(/=.*/, ""); print "# " $0 " is not set"; next }
	     debug && /^CONFIG_/ { next }
	     debug && /^#/ { next }
	     { print }' "$TOP/kernel/rust-mdev.config"
}

state=$KDIR/.rust-mdev
if [ ! -f "$state/extracted" ]; then
	[ -f "$KSRC_TARBALL" ] || die "$KSRC_TARBALL missing: run scripts/deps.sh"
	log "extracting $KSRC_TARBALL into $KDIR"
	rm -rf "$KDIR"
	mkdir -p "$KDIR"
	tar -C "$KDIR" --strip-components=1 -xf "$KSRC_TARBALL"
	mkdir -p "$state/applied"
	touch "$state/extracted"
fi

# --- patch series -----------------------------------------------------------
# RUST_MDEV_PATCHES="0006-*" applies only the matching patches: with the
# bindings patch alone it gives the unpatched-VFIO baseline the tests are
# meant to fail on.  0000-cover-letter.patch is the series' cover letter,
# not a patch: no glob selects it.
new=()
read -ra globs <<< "${RUST_MDEV_PATCHES:-*}"
for glob in "${globs[@]}"; do
	new+=($(find "$TOP/kernel/patches" -maxdepth 1 -name "$glob" -name '*.patch' \
		! -name 0000-cover-letter.patch))
done
mapfile -t new < <(printf '%s\n' "${new[@]}" | sort -u | sed '/^$/d')
mapfile -t old < <(find "$state/applied" -maxdepth 1 -name '*.patch' | sort)
keep=0
while [ $keep -lt ${#old[@]} ] && [ $keep -lt ${#new[@]} ] &&
      [ "$(basename "${old[$keep]}")" = "$(basename "${new[$keep]}")" ] &&
      cmp -s "${old[$keep]}" "${new[$keep]}"; do
	keep=$((keep + 1))
done
for ((i = ${#old[@]} - 1; i >= keep; i--)); do
	log "reverting $(basename "${old[$i]}")"
	patch -d "$KDIR" -p1 -R -s -f --no-backup-if-mismatch < "${old[$i]}" ||
		die "cannot revert $(basename "${old[$i]}"); remove $KDIR to start afresh"
	rm "${old[$i]}"
done
for ((i = keep; i < ${#new[@]}; i++)); do
	p=${new[$i]}
	if ! patch -d "$KDIR" -p1 -s -f --dry-run < "$p" >/dev/null; then
		patch -d "$KDIR" -p1 -f --dry-run < "$p" >&2 || true
		die "patch $(basename "$p") does not apply to $(basename "$KDIR")"
	fi
	log "applying $(basename "$p")"
	patch -d "$KDIR" -p1 -s -f --no-backup-if-mismatch < "$p"
	cp "$p" "$state/applied/"
done

# --- configuration ----------------------------------------------------------
frag=$state/config-fragment.new
fragment > "$frag"
if [ ! -f "$KDIR/.config" ] || ! cmp -s "$frag" "$state/config-fragment"; then
	log "configuring the $flavor kernel from virtme-ng's base and kernel/rust-mdev.config"
	(cd "$KDIR" && vng --kconfig >/dev/null 2>&1)
	(cd "$KDIR" && KCONFIG_CONFIG=.config scripts/kconfig/merge_config.sh -m .config "$frag" >/dev/null 2>&1)
	kmake "$KDIR" olddefconfig >/dev/null
	bad=0
	while read -r line; do
		case "$line" in
		CONFIG_*=*)
			grep -qxF "$line" "$KDIR/.config" || { echo "  wanted $line, got: $(grep "^${line%%=*}=" "$KDIR/.config" || echo unset)" >&2; bad=1; } ;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }; sym=${sym%% *}
			! grep -q "^$sym=" "$KDIR/.config" || { echo "  wanted $sym unset" >&2; bad=1; } ;;
		esac
	done < "$frag"
	[ $bad = 0 ] || die "the $flavor kernel's config does not satisfy its fragment ($frag)"
	cp "$frag" "$state/config-fragment"
fi

# --- build ------------------------------------------------------------------
log "building the $flavor kernel in $KDIR (jobs: $JOBS)"
start=$(date +%s)
kmake "$KDIR" -s bzImage modules
kmake "$KDIR" -s headers
now=$(date +%s)
log "$flavor kernel build done in $((now - start)) s ($((now - t0)) s with extraction and configuration)"
