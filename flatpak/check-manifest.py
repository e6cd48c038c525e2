#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check the Flatpak manifest without building it (flatpak-builder needs the runtime).

    flatpak/check-manifest.py flatpak/chat.confab.Confab.json

It must parse as JSON (flatpak-builder also reads YAML; we keep JSON), name the app and its
command, build on the GNOME runtime, build confab with meson as the desktop app only, and ask
for exactly the permissions the app needs: anything broader (a filesystem, the session bus, a
device other than the GPU) fails, and so does a missing one. Exit status 0 when all is well;
otherwise each problem is printed and the status is 1.
"""

import json
import sys

APP_ID = "chat.confab.Confab"

# Why each one: the relay (network); Wayland with an X11 fallback; X11 shared memory (ipc);
# GPU rendering (dri); the alert sounds (pulseaudio); the host keyring where the Secret portal is
# missing (libsecret talks to org.freedesktop.secrets directly then). Notifications and file
# choosers go through portals and need nothing here.
FINISH_ARGS = {
    "--share=network",
    "--share=ipc",
    "--socket=wayland",
    "--socket=fallback-x11",
    "--device=dri",
    "--socket=pulseaudio",
    "--talk-name=org.freedesktop.secrets",
}

# -Dman=false: the GNOME SDK has no scdoc, and a Flatpak ships no man pages
CONFIG_OPTS = {"-Drelay=false", "-Ddesktop=true", "-Dtests=false", "-Dman=false"}


def check(manifest):
    problems = []

    def expect(key, wanted):
        if manifest.get(key) != wanted:
            problems.append(f"{key}: {manifest.get(key)!r}, expected {wanted!r}")

    expect("id", APP_ID)
    expect("command", "confab")
    expect("runtime", "org.gnome.Platform")
    expect("sdk", "org.gnome.Sdk")

    version = str(manifest.get("runtime-version", ""))
    # GTK 4.8 and libadwaita 1.2 are the oldest the app is written for: GNOME 43 onwards.
    if not version.isdigit() or int(version) < 43:
        problems.append(f"runtime-version: {version!r}, expected a GNOME release >= 43")

    finish_args = manifest.get("finish-args", [])
    if not isinstance(finish_args, list):
        problems.append("finish-args: not a list")
        finish_args = []
    for arg in sorted(set(finish_args) - FINISH_ARGS):
        problems.append(f"finish-args: {arg} is broader than the app needs")
    for arg in sorted(FINISH_ARGS - set(finish_args)):
        problems.append(f"finish-args: {arg} is missing")
    if len(finish_args) != len(set(finish_args)):
        problems.append("finish-args: an argument is repeated")

    modules = manifest.get("modules", [])
    if not isinstance(modules, list) or not modules:
        problems.append("modules: none")
        return problems
    # The app itself is the last module (anything before it would be a bundled library).
    confab = modules[-1]
    if not isinstance(confab, dict) or confab.get("name") != "confab":
        problems.append("modules: the last module is not 'confab'")
        return problems
    if confab.get("buildsystem") != "meson":
        problems.append(f"confab: buildsystem {confab.get('buildsystem')!r}, expected 'meson'")
    opts = set(confab.get("config-opts", []))
    for opt in sorted(CONFIG_OPTS - opts):
        problems.append(f"confab: config-opts lacks {opt}")
    sources = confab.get("sources", [])
    if not isinstance(sources, list) or not sources:
        problems.append("confab: no sources")
    else:
        for source in sources:
            if not isinstance(source, dict) or "type" not in source:
                problems.append(f"confab: a source without a type: {source!r}")

    return problems


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        print(f"{argv[1]}: {e}")
        return 1
    if not isinstance(manifest, dict):
        print(f"{argv[1]}: not a JSON object")
        return 1
    problems = check(manifest)
    for problem in problems:
        print(f"{argv[1]}: {problem}")
    if not problems:
        print(f"{argv[1]}: ok ({APP_ID}, {manifest['runtime']}//{manifest['runtime-version']}, "
              f"{len(manifest['finish-args'])} permissions)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
