#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check the metainfo's screenshots against the tree: every <image> is the raw URL of a PNG under
data/screenshots/ that exists and stays small enough to commit, and every PNG there is listed.

    data/check-screenshots.py SOURCE_ROOT

The PNGs are the UI test's (tests/test-desktop-ui.c), copied by scripts/update-screenshots.
Exit status 0 when it matches; otherwise each problem is printed and the status is 1.
"""

import os
import re
import sys

PREFIX = "https://raw.githubusercontent.com/confab-chat/confab/main/data/screenshots/"
MAX_BYTES = 200 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[3].strip(), file=sys.stderr)
        return 2
    root = argv[1]
    directory = os.path.join(root, "data", "screenshots")
    with open(os.path.join(root, "data", "chat.confab.Confab.metainfo.xml.in.in"), encoding="utf-8") as f:
        urls = re.findall(r"<image[^>]*>([^<]+)</image>", f.read())

    problems = []
    listed = set()
    if not urls:
        problems.append("metainfo: no screenshots")
    for url in urls:
        if not url.startswith(PREFIX) or not url.endswith(".png") or "/" in url[len(PREFIX):]:
            problems.append(f"metainfo: {url} is not {PREFIX}NAME.png")
            continue
        name = url[len(PREFIX):]
        listed.add(name)
        path = os.path.join(directory, name)
        if not os.path.isfile(path):
            problems.append(f"metainfo: {url}: data/screenshots/{name} does not exist")
            continue
        with open(path, "rb") as f:
            if f.read(8) != PNG_MAGIC:
                problems.append(f"data/screenshots/{name} is not a PNG")
        if os.path.getsize(path) > MAX_BYTES:
            problems.append(f"data/screenshots/{name} is {os.path.getsize(path)} bytes "
                            f"(over {MAX_BYTES}: run scripts/update-screenshots)")

    if os.path.isdir(directory):
        for name in sorted(os.listdir(directory)):
            if name.endswith(".png") and name not in listed:
                problems.append(f"data/screenshots/{name} is not in the metainfo")

    for problem in problems:
        print(problem)
    if not problems:
        print(f"screenshots: ok ({len(listed)} files)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
