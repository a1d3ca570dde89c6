#!/usr/bin/env bash
# The API documentation of the Rust abstractions (the library crate
# rust_mdev, rust/) and of the drivers (the crates rust_mtty and rust_mshm,
# samples/<crate>/), with rustdoc, warnings as errors: rustdoc.sh [OUTDIR]
# (default build/rustdoc; the entry pages are OUTDIR/<crate>/index.html;
# the drivers' link to the library's).
#
# The kernel's `make rustdoc` documents the in-tree crates only.  The two
# crates of the module are documented the way the kernel's rust/Makefile
# documents an in-tree crate: rustdoc with the flags of the crate's own
# build.  Those are taken from the command line Kbuild recorded for the
# crate's object (rust/.rust_mdev.o.cmd, samples/rust_mtty/.rust_mtty.o.cmd;
# `make module` writes them), with the compiler replaced by rustdoc and the
# options that only make sense for a compilation (the output files) left
# out, run in the kernel tree KDIR as Kbuild does (the paths are relative
# to it; the module must be built against KDIR), with RUSTC_BOOTSTRAP=1 and
# RUST_MODFILE as Kbuild sets them.  The library is documented first: the
# driver's command names its metadata (--extern rust_mdev=...), and rustdoc
# links to the library's pages when they are in the same OUTDIR.  -D
# warnings is added whatever the kernel's CONFIG_WERROR: rustdoc's own lints
# (broken intra-doc links, bare URLs, unescaped backticks...) fail it.
set -euo pipefail
. "$(dirname "$0")/env.sh"

out=${1:-$BUILD/rustdoc}
rustdoc=/usr/bin/rustdoc	# the rustc of kmake (env.sh): crates must match
[ -x "$rustdoc" ] || die "no rustdoc beside /usr/bin/rustc (Debian's rustc-web ships it)"

document() {	# CMDFILE: rustdoc with the flags of the recorded compilation
	local cmdfile=$1 args env
	[ -f "$cmdfile" ] || die "no $cmdfile: build the module first (make module)"
	# The recorded command: "savedcmd_<obj> := RUST_MODFILE=... clippy-driver
	# <flags> <source> ; <objtool ...>".
	mapfile -t args < <(sed -n 's/^savedcmd_[^ ]* := //p' "$cmdfile" | python3 -c '
import shlex, sys
words = shlex.split(sys.stdin.read().split(" ; ")[0])
out, skip = [], False
for w in words:
    if skip:
        skip = False
    elif w == "--out-dir":
        skip = True
    elif w.startswith(("--emit", "-Zbinary_dep_depinfo")):
        pass
    else:
        out.append(w)
for w in out:
    print(w)
')
	[ ${#args[@]} -gt 2 ] || die "no command line in $cmdfile"
	env=()
	while [[ ${args[0]} == *=* ]]; do
		env+=("${args[0]}")
		args=("${args[@]:1}")
	done
	case $(basename "${args[0]}") in
	rustc | clippy-driver) ;;
	*) die "$cmdfile: the command is ${args[0]}, not rustc or clippy-driver" ;;
	esac
	args=("${args[@]:1}")
	(cd "$KDIR" && env "${env[@]}" RUSTC_BOOTSTRAP=1 "$rustdoc" "${args[@]}" -D warnings --output "$out")
}

rm -rf "$out"
mkdir -p "$out"
document "$TOP/rust/.rust_mdev.o.cmd"
for crate in rust_mtty rust_mshm; do
	document "$TOP/samples/$crate/.$crate.o.cmd"
done
for crate in rust_mdev rust_mtty rust_mshm; do
	echo "$out/$crate/index.html"
done
