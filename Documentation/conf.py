# SPDX-License-Identifier: GPL-2.0
#
# Sphinx configuration of the project's documentation.  scripts/gates.sh
# builds it with `sphinx-build -W` (warnings are errors) into a temporary
# directory; Debian's python3-sphinx is enough, no extension is used.

project = "rust-mdev"
root_doc = "index"
