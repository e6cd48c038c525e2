#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Keep confab-relay(1) whole: read what the relay accepts from its sources and fail when
docs/man/confab-relay.1.scd does not mention it.

    tests/check-manpage.py SOURCE_ROOT

Checked:
  - every command-line option of the relay, `migrate` and the admin commands (GOptionEntry
    tables in relay/main.c, relay/confab-admin.c, relay/store/confab-store-migrate.c), as *--name*;
  - every admin command (relay/confab-admin.c), as *admin NAME*;
  - every config key relay/confab-config.c reads, as *key* under its ## [section];
  - every signal the relay handles or ignores (relay/main.c), as *SIGNAME*;
  - every exit status main () returns (relay/main.c), as *N* under # EXIT STATUS;
  - every environment variable the relay reads (g_getenv in relay/), under # ENVIRONMENT.

Exit status 0 when the page covers everything; otherwise each gap is printed, naming where in the
relay it comes from, and the status is 1.
"""

import os
import re
import sys


def read(root, path):
    with open(os.path.join(root, path), encoding="utf-8") as f:
        # comments name things in prose; only code counts
        return re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), f.read(), flags=re.S)


def find(root, pattern, paths):
    for path in paths:
        text = read(root, path)
        for m in re.finditer(pattern, text):
            yield m.groups(), f"{path}:{text.count(chr(10), 0, m.start()) + 1}"


def sections(text, level):
    """{title: body} for the scdoc headings of @level (1: '# ', 2: '## ')."""
    marker = "#" * level + " "
    parts, title = {}, None
    for line in text.splitlines():
        if line.startswith("#") and not line.startswith(marker + "#") and \
                re.match(r"#{1,%d} " % level, line):
            title = line[len(marker):].strip() if line.startswith(marker) else None
            parts.setdefault(title, "")
        elif title is not None:
            parts[title] += line + "\n"
    return parts


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    root = argv[1]
    with open(os.path.join(root, "docs", "man", "confab-relay.1.scd"), encoding="utf-8") as f:
        page = f.read()
    chapters = sections(page, 1)
    config = sections(chapters.get("CONFIGURATION", ""), 2)
    problems = []

    option_files = ["relay/main.c", "relay/confab-admin.c", "relay/store/confab-store-migrate.c"]
    for (option,), where in find(root, r'\{\s*"([a-z-]+)"\s*,\s*\'?\w?\'?\s*,\s*\w+\s*,\s*G_OPTION_ARG',
                                 option_files):
        if f"*--{option}*" not in page:
            problems.append(f"{where}: the option --{option} is not in confab-relay(1)")

    for (command,), where in find(root, r'strcmp\s*\(\s*argv\[1\]\s*,\s*"([a-z-]+)"\s*\)',
                                  ["relay/confab-admin.c"]):
        if f"*admin {command}*" not in page:
            problems.append(f"{where}: the admin command {command} is not in confab-relay(1)")

    keys = r'(?:read_uint|read_string|g_key_file_\w+)\s*\(\s*\w+\s*,\s*"([a-z-]+)"\s*,\s*"([a-z-]+)"'
    for (section, key), where in find(root, keys, ["relay/confab-config.c"]):
        if not re.search(r"^\*" + re.escape(key) + r"\*", config.get(f"[{section}]", ""), flags=re.M):
            problems.append(f"{where}: the config key [{section}] {key} is not under ## [{section}] "
                            "in confab-relay(1)")

    signals = r'(?:g_unix_signal_add|signal)\s*\(\s*(SIG[A-Z]+)'
    for (name,), where in find(root, signals, ["relay/main.c"]):
        if f"*{name}*" not in chapters.get("SIGNALS", "") and f"*{name}*," not in chapters.get("SIGNALS", ""):
            problems.append(f"{where}: the signal {name} is not under # SIGNALS in confab-relay(1)")

    main_c = read(root, "relay/main.c")
    body = main_c[main_c.index("\nmain ("):]
    statuses = set(re.findall(r"\breturn\s+(\d+)\s*;", body))
    # and what the helpers main () returns the result of say
    for helper in re.findall(r"return\s+(\w+)\s*\(", body):
        start = main_c.find(f"\n{helper} (")
        if start >= 0:
            end = main_c.find("\n}\n", start)
            statuses |= set(re.findall(r"\breturn\s+(\d+)\s*;", main_c[start:end]))
    for status in sorted(statuses):
        if not re.search(r"^\*" + status + r"\*$", chapters.get("EXIT STATUS", ""), flags=re.M):
            problems.append(f"relay/main.c: the exit status {status} is not under # EXIT STATUS in "
                            "confab-relay(1)")

    relay_files = []
    for directory, _, names in os.walk(os.path.join(root, "relay")):
        relay_files += [os.path.relpath(os.path.join(directory, n), root) for n in names if n.endswith(".c")]
    for (name,), where in find(root, r'g_getenv\s*\(\s*"([A-Z_]+)"', sorted(relay_files)):
        if f"*{name}*" not in chapters.get("ENVIRONMENT", ""):
            problems.append(f"{where}: the environment variable {name} is not under # ENVIRONMENT "
                            "in confab-relay(1)")

    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} gap(s) between the relay and confab-relay(1) "
              "(docs/man/confab-relay.1.scd)")
        return 1
    print("confab-relay(1) covers every option, admin command, config key, signal, exit status "
          "and environment variable")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
