#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check po/POTFILES against the tree: every file in it exists, and every desktop source with a
translatable string (_(), N_(), C_(), NC_(), ngettext, translatable="yes") is in it, so no string
silently stays English.

    po/check-potfiles.py SOURCE_ROOT

Exit status 0 when it matches; otherwise each problem is printed and the status is 1.
"""

import os
import re
import sys

SCANNED = ("desktop", "data")
EXTENSIONS = (".c", ".h", ".ui", ".in.in", ".gschema.xml")
MARKERS = re.compile(r'\b(?:N?C?_|g?d?n?gettext|g_dngettext)\s*\(|translatable="yes"')


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[3].strip(), file=sys.stderr)
        return 2
    root = argv[1]
    with open(os.path.join(root, "po", "POTFILES"), encoding="utf-8") as f:
        listed = [line.strip() for line in f if line.strip() and not line.startswith("#")]

    problems = [f"POTFILES: {path} does not exist"
                for path in listed if not os.path.isfile(os.path.join(root, path))]

    for top in SCANNED:
        for directory, _dirs, files in os.walk(os.path.join(root, top)):
            for name in sorted(files):
                if not name.endswith(EXTENSIONS):
                    continue
                path = os.path.relpath(os.path.join(directory, name), root)
                with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
                    text = f.read()
                translatable = (MARKERS.search(text) is not None or name.endswith(".in.in")
                                or name.endswith(".gschema.xml"))
                if translatable and path not in listed:
                    problems.append(f"POTFILES: {path} has translatable strings but is not listed")

    for problem in problems:
        print(problem)
    if not problems:
        print(f"POTFILES: ok ({len(listed)} files)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
