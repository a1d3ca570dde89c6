# Shared settings for the build and test scripts.  Sourced, not executed.
#
# RUST_MDEV_CACHE  where the patched kernel tree is cached (survives clones)
# KDIR             use this already-configured and built kernel tree instead
#                  of building one; no dependency step is run for it

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUST_MDEV_CACHE=${RUST_MDEV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rust-mdev}
KSRC_TARBALL=${KSRC_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
KTREE_DEFAULT=$RUST_MDEV_CACHE/linux-source-6.12
KDIR_FROM_USER=${KDIR:+1}
KDIR=${KDIR:-$KTREE_DEFAULT}
BUILD=$TOP/build
JOBS=${JOBS:-$(($(nproc) + 1))}

# The rustup toolchain, if any, has no rust-src: Debian's rustc must win.
# virtme-ng lives in a virtual environment of the cache (scripts/deps.sh).
VENV=$RUST_MDEV_CACHE/venv
export PATH=/usr/bin:$HOME/.cargo/bin:$PATH:$VENV/bin
BINDGEN=${BINDGEN:-$(command -v bindgen || echo "$HOME/.cargo/bin/bindgen")}
KMAKE=(make -C "$KDIR" LLVM=1 RUSTC=/usr/bin/rustc BINDGEN="$BINDGEN" -j"$JOBS")

log() { printf '>>> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
