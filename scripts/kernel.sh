#!/usr/bin/env bash
# Build the patched test kernel in the cache:
#   1. extract Debian's 6.12 source once;
#   2. bring the applied patch series in line with kernel/patches/, undoing
#      and redoing only from the first patch that changed, so that make
#      rebuilds only what the changed patches touch;
#   3. configure from virtme-ng's base plus kernel/rust-mdev.config whenever
#      the fragment changes, and check that every line of it took effect;
#   4. build bzImage, modules and the uapi headers.
set -euo pipefail
. "$(dirname "$0")/env.sh"

[ "$KDIR" = "$KTREE_DEFAULT" ] ||
	die "KDIR=$KDIR is a tree of your own: scripts/kernel.sh only builds the cached tree"

state=$KDIR/.rust-mdev
if [ ! -f "$state/extracted" ]; then
	[ -f "$KSRC_TARBALL" ] || die "$KSRC_TARBALL missing: run scripts/deps.sh"
	log "extracting $KSRC_TARBALL into $RUST_MDEV_CACHE"
	rm -rf "$KDIR"
	mkdir -p "$RUST_MDEV_CACHE"
	tar -C "$RUST_MDEV_CACHE" -xf "$KSRC_TARBALL"
	mkdir -p "$state/applied"
	touch "$state/extracted"
fi

# --- patch series -----------------------------------------------------------
# RUST_MDEV_PATCHES="0006-*" applies only the matching patches: with the
# bindings patch alone it gives the unpatched-VFIO baseline the tests are
# meant to fail on.
new=()
read -ra globs <<< "${RUST_MDEV_PATCHES:-*}"
for glob in "${globs[@]}"; do
	new+=($(find "$TOP/kernel/patches" -maxdepth 1 -name "$glob" -name '*.patch'))
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
frag=$TOP/kernel/rust-mdev.config
if [ ! -f "$KDIR/.config" ] || ! cmp -s "$frag" "$state/config-fragment"; then
	log "configuring from virtme-ng's base and $(basename "$frag")"
	(cd "$KDIR" && vng --kconfig >/dev/null 2>&1)
	(cd "$KDIR" && KCONFIG_CONFIG=.config scripts/kconfig/merge_config.sh -m .config "$frag" >/dev/null 2>&1)
	"${KMAKE[@]}" olddefconfig >/dev/null
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
	[ $bad = 0 ] || die "the kernel config does not satisfy $(basename "$frag")"
	cp "$frag" "$state/config-fragment"
fi

# --- build ------------------------------------------------------------------
log "building the kernel in $KDIR (jobs: $JOBS)"
start=$(date +%s)
"${KMAKE[@]}" -s bzImage modules
"${KMAKE[@]}" -s headers
log "kernel build done in $(($(date +%s) - start)) s"
