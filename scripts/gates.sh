#!/usr/bin/env bash
# The gates a kernel submission passes, checked on the host: gates.sh
#
#   rustfmt    every Rust file of rust/ and samples/ is formatted
#              (rustfmt --check --edition 2021, what `make rustfmtcheck`
#              runs in the kernel); the model-tests crate has a
#              rustfmt.toml of its own: cargo fmt --check there
#   clippy     no clippy warning, warnings being errors, in the module's
#              two crates, the library rust_mdev and the driver rust_mtty
#              (scripts/prepare.sh module CLIPPY=1, what `make clippy`
#              runs) and in the model-tests crate (cargo clippy
#              --all-targets).  The model test of `make check` runs the
#              crate's unit tests, not clippy.
#   rustdoc    the API documentation of the library (rust/) and of the
#              driver builds with rustdoc, warnings as errors
#              (scripts/rustdoc.sh)
#   series     the series of kernel/patches/ applies to the pristine
#              source of $KSRC_TARBALL, patch by patch and in order, with
#              git am, as a maintainer applies it (no fuzz, unlike the
#              patch(1) of kernel.sh); the cover letter's shortlog and
#              diffstat are those of the series
#   checkpatch scripts/checkpatch.pl --strict on each patch and the cover
#              letter, clean but for the two warnings allowed below
#   docs       Documentation/ builds with sphinx-build -W
#
# Output: TAP, one line per check, the plan at the end; a failing check
# shows its tool's output as "# " lines.  Exit status 0 if all passed.
# Takes about a minute when the kernel and the module are up to date,
# most of it reading the source tarball.
set -uo pipefail
. "$(dirname "$0")/env.sh"
. "$TOP/selftests/smoke/tap.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rust-mdev-gates.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
model=$TOP/samples/rust_mtty/model-tests
cover=$TOP/kernel/patches/0000-cover-letter.patch
mapfile -t series < <(find "$TOP/kernel/patches" -maxdepth 1 -name '*.patch' \
	! -name 0000-cover-letter.patch | sort)

diag() {	# FILE: a tool's output as TAP diagnostics, the first 200 lines
	local n
	n=$(wc -l < "$1")
	head -n 200 "$1" | tap_diag
	[ "$n" -le 200 ] || echo "# ... and $((n - 200)) more lines"
}
gate() {	# DESCRIPTION COMMAND...: one TAP line, and why if it failed
	local desc=$1 out=$tmp/gate.out
	shift
	if "$@" > "$out" 2>&1; then
		tap_ok "$desc"
	else
		tap_fail "$desc"
		diag "$out"
	fi
}

# --- rustfmt ----------------------------------------------------------------
mapfile -t rust_files < <(cd "$TOP" && find rust samples -name '*.rs' \
	-not -path '*/model-tests/*' -not -path '*/target/*' | sort)
rustfmt_kernel() {
	[ ${#rust_files[@]} -gt 0 ] || { echo "no Rust file found"; return 1; }
	# rustfmt also formats the modules a file declares, so a file can be
	# reported more than once (under its own path and under its crate
	# root's, or a path such as samples/x/../model/): each diff is shown
	# once.
	(cd "$TOP" && rustfmt --check --edition 2021 --color never "${rust_files[@]}" 2>&1) |
		awk 'BEGIN { keep = 1 }
		     /^Diff in / { p = $3; while (sub(/[^\/]+\/\.\.\//, "", p)) {}; keep = !seen[p]++ }
		     keep'
}
gate "rustfmt --check --edition 2021: rust/ and samples/ (${#rust_files[@]} files)" rustfmt_kernel
gate "cargo fmt --check: samples/rust_mtty/model-tests" \
	bash -c 'cd "$1" && cargo fmt --check -- --color never' _ "$model"

# --- clippy -----------------------------------------------------------------
# Kbuild builds Rust with -Dwarnings when CONFIG_WERROR=y, so a clippy
# warning fails the module's build (tried: a needless `return` stops it with
# "`-D clippy::needless-return` implied by `-D warnings`").  The fragment
# kernel/rust-mdev.config sets CONFIG_WERROR=y and kernel.sh checks that it
# took effect; a tree of one's own (KDIR) may lack it, and then gets
# -Dwarnings through KRUSTFLAGS.  Since the flag is on the command line
# that Kbuild records, a module object it leaves up to date was built by
# clippy with warnings as errors, too.  Kbuild compiles both crates of the
# module (the library rust/rust_mdev.o and the driver) with clippy-driver.
# Warnings that still got through (modpost's, say) fail the check as well.
module_clippy() {
	local args=(CLIPPY=1) log=$tmp/module.log rc=0
	[ -z "$KDIR_FROM_USER" ] || grep -qx CONFIG_WERROR=y "$KDIR/.config" ||
		args+=(KRUSTFLAGS=-Dwarnings)
	"$TOP/scripts/prepare.sh" module "${args[@]}" > "$log" 2>&1 || rc=$?
	cat "$log"
	[ $rc = 0 ] || return $rc
	if grep -Eq '^(warning(\[[^]]*\])?|WARNING): ' "$log"; then
		echo "the build printed warnings (above)"
		return 1
	fi
}
gate "clippy, warnings as errors: the module, crates rust_mdev and rust_mtty (scripts/prepare.sh module CLIPPY=1)" module_clippy
gate "cargo clippy --all-targets -- -D warnings: samples/rust_mtty/model-tests" \
	bash -c 'cd "$1" && cargo --color never clippy --all-targets -- -D warnings' _ "$model"
gate "cargo fmt --check, cargo clippy: samples/rust_mshm/model-tests" \
	bash -c 'cd "$1" && cargo fmt --check -- --color never &&
		cargo --color never clippy --all-targets -- -D warnings' _ "$TOP/samples/rust_mshm/model-tests"

# --- rustdoc ----------------------------------------------------------------
# The API documentation of the abstractions and the driver, with rustdoc's
# lints as errors (scripts/rustdoc.sh, `make rustdoc`), into build/rustdoc,
# from the module build of the clippy check above.
gate "rustdoc -D warnings: crates rust_mdev, rust_mtty and rust_mshm (scripts/rustdoc.sh, into build/rustdoc)" \
	"$TOP/scripts/rustdoc.sh"

# --- the series applies ------------------------------------------------------
# A pristine copy of the files the series changes (not those it creates),
# plus MAINTAINERS and the Makefile, in one pass over the tarball, made a
# git repository to apply the series to.
src=$tmp/src
git_src() {
	GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null git -C "$src" \
		-c user.name=gates -c user.email=gates@localhost -c advice.detachedHead=false "$@"
}
pristine() {
	local files
	mapfile -t files < <(awk '
		/^--- \/dev\/null/ { created = 1; next }
		/^--- a\// { p = substr($0, 7); sub(/\t.*/, "", p); changed[p] = 1; created = 0; next }
		/^\+\+\+ b\// && created { p = substr($0, 7); sub(/\t.*/, "", p); new[p] = 1; created = 0 }
		END { for (p in changed) if (!(p in new)) print p }' "${series[@]}" | sort)
	mkdir -p "$src"
	# The tarball has one top directory, whatever its name.
	tar -C "$src" --strip-components=1 --wildcards --no-wildcards-match-slash \
		-xJf "$KSRC_TARBALL" "${files[@]/#/*/}" '*/MAINTAINERS' '*/Makefile' &&
	git_src init -q &&
	git_src add -A &&
	git_src commit -q -m pristine
}
version=6.12
applied=0
if [ ${#series[@]} = 0 ]; then
	tap_fail "series: kernel/patches/ has no patch"
elif ! pristine > "$tmp/pristine.out" 2>&1; then
	for p in "${series[@]}"; do
		tap_fail "series: $(basename "$p") applies (no pristine source from $KSRC_TARBALL)"
	done
	diag "$tmp/pristine.out"
else
	version=$(awk -F' = ' '$1 == "VERSION" { v = $2 } $1 == "PATCHLEVEL" { p = $2 }
		$1 == "SUBLEVEL" { s = $2 } END { print v "." p "." s }' "$src/Makefile")
	for p in "${series[@]}"; do
		name=$(basename "$p")
		if [ $applied -lt 0 ]; then
			tap_fail "series: $name applies (not tried: an earlier patch did not)"
		elif git_src am -q "$p" > "$tmp/am.out" 2>&1; then
			tap_ok "series: $name applies to pristine $version after the ones before it (git am)"
			applied=$((applied + 1))
		else
			tap_fail "series: $name applies to pristine $version after the ones before it (git am)"
			diag "$tmp/am.out"
			git_src am --abort > /dev/null 2>&1
			applied=-1
		fi
	done
fi

# The cover letter ends, before its signature, with the shortlog and the
# diffstat of the series, as git format-patch --cover-letter writes them.
cover_matches() {
	local n=${#series[@]} expected actual
	[ -f "$cover" ] || { echo "$cover is missing"; return 1; }
	grep -q "^Subject: \[PATCH 0/$n\] " "$cover" ||
		{ echo "its subject is not [PATCH 0/$n] ...:"; grep '^Subject:' "$cover"; return 1; }
	# $(...) drops the trailing blank lines of both.
	expected=$(git_src format-patch --cover-letter --stdout "HEAD~$n" |
		awk '/^\*\*\* BLURB HERE \*\*\*$/ { b = 1; next } b && /^-- $/ { exit } b')
	actual=$(awk '/^-- $/ { exit } { print }' "$cover")
	actual=$(tail -n "$(wc -l <<< "$expected")" <<< "$actual")
	[ "$expected" = "$actual" ] && return 0
	echo "the shortlog and diffstat differ from the series' (- expected, + cover letter):"
	diff -u <(echo "$expected") <(echo "$actual") | tail -n +3
	return 1
}
if [ $applied = ${#series[@]} ] && [ $applied -gt 0 ]; then
	gate "series: the cover letter's shortlog and diffstat are the series'" cover_matches
else
	tap_fail "series: the cover letter's shortlog and diffstat are the series' (not tried: the series did not apply)"
fi

# --- checkpatch --------------------------------------------------------------
# checkpatch.pl runs from an empty directory: in a git work tree it checks
# a tracked patch file as a source file (git ls-files finds it) and looks
# commit ids up in that repository.  The kernel tree is its --root, which
# turns on the checks that look at the tree (absolute paths in the commit
# log, obsolete files, <asm/...> includes); --no-tree reports the same on
# this series, with fewer checks.  The cover letter has no diff, which
# checkpatch accepts from a file named *cover-letter.patch only (any other
# name is an ERROR:NOT_UNIFIED_DIFF); its text is still checked (typos,
# line length).
#
# Allowed, and only these:
#  - WARNING:UNKNOWN_COMMIT_ID on a "Fixes:" line: outside a git
#    repository checkpatch cannot look any commit up, and the tarball has
#    no history.  Each id and title was checked against upstream's
#    history by hand: 5fcc26969a164e6a3154bb68badd6712716eb954 and
#    2b48f52f2bff8e8926165983f3a3d7b89b33de08 (2026-12-02).
#  - WARNING:FILE_PATH_CHANGES ("does MAINTAINERS need updating?") when
#    every file the patch adds, moves or deletes is already covered by a
#    MAINTAINERS section other than THE REST, through an F: entry for its
#    directory or itself: then the answer is no.  rust/helpers/vfio.c
#    (patch 0006) falls under RUST's "F: rust/".
maint_section() {	# FILE: the MAINTAINERS section that covers FILE
	awk -v file="$1" 'BEGIN { RS = ""; FS = "\n" }
		$1 != "THE REST" {
			for (i = 2; i <= NF; i++) {
				if ($i !~ /^F:\t/) continue
				f = substr($i, 4)
				if (f == file || (f ~ /\/$/ && index(file, f) == 1)) { print $1; exit }
			}
		}' "$maintainers"
}
moved_files() {	# PATCH: the files it adds, moves or deletes
	awk '/^diff --git / { a = substr($3, 3); b = substr($4, 3) }
	     /^new file mode / { print b }
	     /^deleted file mode / { print a }
	     /^rename from / { print a; print b }' "$1" | sort -u
}
checkpatch() {	# PATCH
	local p=$1 out=$tmp/checkpatch.out rc=0 f s sections= maint_ok=
	(cd "$tmp/cwd" && env -u GIT_DIR "$KDIR/scripts/checkpatch.pl" --strict \
		--root="$KDIR" --no-color --show-types --no-summary -q "$p") > "$out" 2>&1 || rc=$?
	for f in $(moved_files "$p"); do
		s=$(maint_section "$f")
		if [ -n "$s" ]; then
			maint_ok=${maint_ok:-1}
		else
			maint_ok=0 s="none but THE REST"
		fi
		sections+="${sections:+, }$f: MAINTAINERS section $s"
	done
	awk -v maint_ok="${maint_ok:-0}" -v sections="$sections" -v notes="$tmp/notes" '
		BEGIN { RS = ""; FS = "\n" }
		/^(ERROR|WARNING|CHECK):/ {
			type = $1; sub(/: .*/, "", type)
			if (type == "WARNING:UNKNOWN_COMMIT_ID" && $3 ~ /^Fixes: /) {
				print "allowed " type ": " $3 > notes; next
			}
			if (type == "WARNING:FILE_PATH_CHANGES" && maint_ok) {
				print "allowed " type ": " sections > notes; next
			}
			print $0; bad++
			print (type == "WARNING:FILE_PATH_CHANGES" ? "(" sections ")\n" : "")
		}
		END { exit bad > 0 }' "$out" || return 1
	# No report but a failure: checkpatch itself went wrong.
	[ $rc = 0 ] || grep -Eq '^(ERROR|WARNING|CHECK):' "$out" || { cat "$out"; return 1; }
}
mkdir -p "$tmp/cwd"
maintainers=$src/MAINTAINERS
[ -f "$maintainers" ] || maintainers=$KDIR/MAINTAINERS
for p in "$cover" "${series[@]}"; do
	: > "$tmp/notes"
	gate "checkpatch --strict: $(basename "$p")" checkpatch "$p"
	tap_diag < "$tmp/notes"
done

# --- documentation -----------------------------------------------------------
gate "sphinx-build -W: Documentation/" \
	sphinx-build -W --keep-going -q -b html -d "$tmp/doctrees" "$TOP/Documentation" "$tmp/html"

tap_done
