#!/usr/bin/env python3
# Print an apt deb822 source for bookworm-backports that uses the mirror,
# components and keyring of the source that already serves bookworm, so
# that no mirror is named here.  Reads /etc/apt/sources.list{,.d}.
import glob
import re
import sys


def deb822_stanzas(path):
    stanza = {}
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line.strip():
            if stanza:
                yield stanza
            stanza = {}
            continue
        if line.startswith("#"):
            continue
        m = re.match(r"^([A-Za-z-]+):\s*(.*)$", line)
        if m:
            stanza[m.group(1).lower()] = m.group(2)
    if stanza:
        yield stanza


def one_line_sources(path):
    for line in open(path, encoding="utf-8"):
        words = line.split("#", 1)[0].split()
        if len(words) < 4 or words[0] != "deb":
            continue
        opts = ""
        if words[1].startswith("["):
            opts = words[1]
            words = [words[0]] + words[2:]
        signed = re.search(r"signed-by=([^\] ]+)", opts)
        yield {"uris": words[1], "suites": words[2],
               "components": " ".join(words[3:]),
               "signed-by": signed.group(1) if signed else ""}


def main():
    found = []
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        found += deb822_stanzas(path)
    for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
        try:
            found += one_line_sources(path)
        except FileNotFoundError:
            pass
    for s in found:
        if s.get("enabled", "yes") == "no" or "deb" not in s.get("types", "deb").split():
            continue
        if "bookworm" in s.get("suites", "").split():
            print("Types: deb")
            print("URIs:", s["uris"])
            print("Suites: bookworm-backports")
            print("Components:", s.get("components", "main"))
            if s.get("signed-by"):
                print("Signed-By:", s["signed-by"])
            return 0
    print("no apt source serves bookworm: cannot add bookworm-backports", file=sys.stderr)
    return 1


sys.exit(main())
