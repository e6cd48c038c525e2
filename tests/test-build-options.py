#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The build on a machine without Node.js: `meson setup` with the widget on fails at once with a
message that says what to install or which option to use, and `-Dwidget=false` configures a
relay-only build. Only configures (a few seconds each), never compiles.

    tests/test-build-options.py SOURCE_ROOT

Node.js is hidden by a PATH of symlinks to every program of the system's bin directories but
node and npm. TAP on standard output.
"""

import os
import shutil
import subprocess
import sys
import tempfile

SOURCE_ROOT = os.path.abspath(sys.argv[1])
HIDDEN = {"node", "nodejs", "npm", "npx"}


def path_without_node(tmp):
    bin_dir = os.path.join(tmp, "bin")
    os.mkdir(bin_dir)
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if not os.path.isdir(directory):
            continue
        for name in os.listdir(directory):
            target = os.path.join(directory, name)
            link = os.path.join(bin_dir, name)
            if name in HIDDEN or os.path.lexists(link) or not os.access(target, os.X_OK):
                continue
            os.symlink(target, link)
    return bin_dir


def setup(tmp, bin_dir, name, *options):
    env = dict(os.environ, PATH=bin_dir)
    meson = shutil.which("meson", path=bin_dir)
    return subprocess.run([meson, "setup", os.path.join(tmp, name), SOURCE_ROOT, "-Dtests=false",
                           "-Ddesktop=false", *options],
                          cwd=tmp, env=env, capture_output=True, text=True, timeout=120)


def main():
    results = []
    tmp = tempfile.mkdtemp(prefix="confab-build-options-")
    try:
        bin_dir = path_without_node(tmp)
        hidden = shutil.which("node", path=bin_dir) is None
        results.append((hidden, "/build/node-hidden", "node is still on the PATH"))

        result = setup(tmp, bin_dir, "with-widget")
        output = result.stdout + result.stderr
        results.append((result.returncode != 0 and "no node (or nodejs) on the PATH" in output
                        and "-Dwidget=false" in output and "scripts/install-deps widget" in output,
                        "/build/no-node-says-why",
                        f"meson setup exited {result.returncode}:\n{output[-2000:]}"))

        result = setup(tmp, bin_dir, "relay-only", "-Dwidget=false")
        output = result.stdout + result.stderr
        results.append((result.returncode == 0, "/build/relay-only-without-node",
                        f"meson setup -Dwidget=false exited {result.returncode}:\n{output[-2000:]}"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"1..{len(results)}")
    for number, (ok, name, why) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {number} {name}")
        if not ok:
            print("# " + why.replace("\n", "\n# "))
    return 0 if all(ok for ok, _, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
