#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Keep docs/ honest: read what the relay actually serves and speaks from its sources and fail
when the reference in docs/ does not mention it.

    tests/check-docs.py SOURCE_ROOT

Checked against every docs/*.md together:
  - every path registered with soup_server_add_handler / soup_server_add_early_handler, and
    every /api/v1 path segment the dispatchers in relay/api/confab-api*.c and relay/media/confab-uploads.c
    compare against, as a component of a documented path (`/api/v1/sites/{id}/members`);
  - every WebSocket frame type the hub dispatches (strcmp (type, "…")) or sends
    (confab_frame_new ("…"), persisted event kinds), as `type`;
  - every error code the relay answers with (HTTP bodies and error frames), as `code`;
  - every close code the relay sends, as a number;
  - every site setting (setting_specs in relay/api/confab-api.c) and every metric name;
  - every config key relay/confab-config.c reads, under its [section] in docs/configuration.md,
    and under the same [section] in data/relay.conf.example;
  - every command-line option and admin subcommand, in docs/command-line.md;
  - every relative Markdown link in README.md and docs/*.md points at a file that exists.

Exit status 0 when everything is documented; otherwise each gap is printed, naming where in the
relay it comes from, and the status is 1.
"""

import fnmatch
import glob
import os
import re
import sys

# libsoup's close codes as the relay names them (libsoup/websocket/soup-websocket.h)
SOUP_CLOSE_CODES = {
    "SOUP_WEBSOCKET_CLOSE_NORMAL": 1000,
    "SOUP_WEBSOCKET_CLOSE_GOING_AWAY": 1001,
    "SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR": 1002,
    "SOUP_WEBSOCKET_CLOSE_UNSUPPORTED_DATA": 1003,
    "SOUP_WEBSOCKET_CLOSE_BAD_DATA": 1007,
    "SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION": 1008,
    "SOUP_WEBSOCKET_CLOSE_TOO_BIG": 1009,
    "SOUP_WEBSOCKET_CLOSE_SERVER_ERROR": 1011,
}

STRING = r'"([A-Za-z0-9_./-]+)"'


class Source:
    """The relay's C sources, with the macros they #define or enumerate resolved."""

    def __init__(self, root):
        self.root = root
        self.files = {}
        for path in sorted(glob.glob(os.path.join(root, "relay", "**", "*.[ch]"), recursive=True) +
                           glob.glob(os.path.join(root, "common", "*.[ch]"))):
            with open(path, encoding="utf-8") as f:
                # comments name things in prose; only code counts
                text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), f.read(), flags=re.S)
            self.files[os.path.relpath(path, root)] = text
        self.macros = {}
        for text in self.files.values():
            for name, value in re.findall(r'#define\s+(\w+)\s+"([^"]*)"', text):
                self.macros[name] = value
            for name, value in re.findall(r'#define\s+(\w+)\s+\(?(\d+)\)?\s*$', text, flags=re.M):
                self.macros[name] = int(value)
            for name, value in re.findall(r'\b(CONFAB_\w+)\s*=\s*(\d+)', text):
                self.macros[name] = int(value)
        self.macros.update(SOUP_CLOSE_CODES)

    def find(self, pattern, files=None):
        """(match groups, "file:line") for every match of @pattern in @files (globs)."""
        for name, text in self.files.items():
            if files is not None and not any(fnmatch.fnmatch(name, f) for f in files):
                continue
            for m in re.finditer(pattern, text):
                line = text.count("\n", 0, m.start()) + 1
                yield m.groups(), f"{name}:{line}"

    def resolve(self, token):
        if token.startswith('"'):
            return token.strip('"')
        return self.macros.get(token)


def read_docs(root):
    docs = {}
    for path in sorted(glob.glob(os.path.join(root, "docs", "*.md"))):
        with open(path, encoding="utf-8") as f:
            docs[os.path.relpath(path, root)] = f.read()
    return docs


def sections(text, heading_pattern):
    """{section: text} of a file whose sections start at lines matching @heading_pattern."""
    result = {}
    current = None
    for line in text.splitlines():
        m = re.match(heading_pattern, line)
        if m:
            current = m.group(1)
            result.setdefault(current, "")
            continue
        if current is not None:
            result[current] += line + "\n"
    return result


def check(root):
    src = Source(root)
    docs = read_docs(root)
    everything = "\n".join(docs.values())
    problems = []

    if not docs:
        return ["docs/ holds no Markdown files"]

    code_spans = set(re.findall(r"`([^`\n]+)`", everything))
    documented_paths = set()
    for span in code_spans:
        for path in re.findall(r"(/[^\s`?]*)", span):
            documented_paths.add(path)
    path_components = set()
    for path in documented_paths:
        path_components.update(c for c in path.split("/") if c)

    def mentioned(word):
        return any(re.search(r"(?<![\w-])" + re.escape(word) + r"(?![\w-])", span) for span in code_spans)

    reported = set()

    def missing(kind, name, where, hint):
        # once per name: the first place in the relay that uses it is enough to find it
        if (kind, name) not in reported:
            reported.add((kind, name))
            problems.append(f"{where}: {kind} {name} is not documented in docs/ ({hint})")

    # --- HTTP routes ------------------------------------------------------------------------
    for (token,), where in src.find(r"soup_server_add(?:_early)?_handler\s*\(\s*[^,]+,\s*(\"[^\"]*\"|\w+)"):
        path = src.resolve(token)
        if path in (None, "NULL") or token == "NULL":
            continue
        if path not in documented_paths and not any(p.startswith(path + "/") or p == path for p in documented_paths):
            missing("the route", path, where, "write it as `METHOD " + path + "` in docs/http-api.md")

    segment = r"(?:g_)?strcmp0?\s*\(\s*(?:segments|rest|name)(?:\[\d+\])?(?:\s*\+\s*\d+)?\s*,\s*" + STRING + r"\s*\)"
    for (word,), where in src.find(segment, ["relay/api/confab-api*.c", "relay/media/confab-uploads.c"]):
        if word not in path_components:
            missing("the API path segment", f"/{word}", where,
                    "document the endpoint with its full path, e.g. `GET /api/v1/…/" + word + "`")

    # --- WebSocket frames -------------------------------------------------------------------
    frame_sources = ["relay/hub/confab-hub*.c", "relay/confab-faq.c", "relay/confab-objects.c"]
    frames = {}
    for (word,), where in src.find(r"(?:g_)?strcmp0?\s*\(\s*type\s*,\s*" + STRING + r"\s*\)", frame_sources):
        frames.setdefault(word, where)
    for (token,), where in src.find(r"confab_frame_new\s*\(\s*(\"[^\"]*\"|[A-Z_]\w*)\s*\)", frame_sources):
        word = src.resolve(token)
        if word:
            frames.setdefault(word, where)
    for (token,), where in src.find(r"persist_event\s*\([^;]*?,\s*(\"[a-z_]+\"|CONFAB_EVENT_\w+)\s*,", frame_sources):
        word = src.resolve(token)
        if word:
            frames.setdefault(word, where)
    for (word,), where in src.find(r'"type"\s*,\s*' + STRING, frame_sources):
        frames.setdefault(word, where)
    for word, where in sorted(frames.items()):
        if not mentioned(word):
            missing("the frame type", f"“{word}”", where, "describe it in docs/websocket.md as `" + word + "`")

    # --- error codes --------------------------------------------------------------------------
    codes = {}
    code_calls = [
        r"confab_http_(?:error|refuse_now)\s*\([^;]*?SOUP_STATUS_\w+\s*,\s*" + STRING,
        r"\brefuse\s*\([^;]*?SOUP_STATUS_\w+\s*,\s*" + STRING,
        r"client_bad_frame\s*\(\s*\w+\s*,\s*" + STRING,
        r'"code"\s*,\s*' + STRING,
        r"\breturn\s+" + STRING + r"\s*;",
    ]
    for pattern in code_calls:
        for (word,), where in src.find(pattern):
            if re.fullmatch(r"[a-z][a-z0-9_]*", word):
                codes.setdefault(word, where)
    # confab_json_error_code() and its kin return codes; other "return" strings are not codes
    code_returners = re.compile(r"_error_code\b")
    for word, where in list(codes.items()):
        name, line = where.split(":")
        text = src.files[name].splitlines()
        start = int(line) - 1
        function = next((text[i] for i in range(start, -1, -1) if re.match(r"^[a-z_]+\s*\(", text[i])), "")
        if re.search(r"\breturn\s+\"" + word + "\"", text[start]) and not code_returners.search(function):
            del codes[word]
    for word, where in sorted(codes.items()):
        if not mentioned(word):
            missing("the error code", f"“{word}”", where, "list it in docs/errors.md as `" + word + "`")

    # --- close codes ----------------------------------------------------------------------------
    close_calls = r"(?:client_close|confab_websocket_close|parser_error)\s*\([^;]*?\b((?:SOUP_WEBSOCKET|CONFAB)_\w*CLOSE\w*)\b"
    closes = {}
    for (token,), where in src.find(close_calls):
        number = src.resolve(token)
        if isinstance(number, int):
            closes.setdefault(number, where)
        else:
            problems.append(f"{where}: close code {token} has no known number (teach tests/check-docs.py)")
    for (token,), where in src.find(r"confab_websocket_set_send_limit\s*\([^;]*?,\s*(CONFAB_\w+)\s*\)"):
        number = src.resolve(token)
        if isinstance(number, int):
            closes.setdefault(number, where)
    table_cells = set(re.findall(r"^\|\s*`?(\d{4})`?\s*\|", everything, flags=re.M))
    for number, where in sorted(closes.items()):
        if str(number) not in table_cells and not mentioned(str(number)):
            missing("the close code", str(number), where, "add a row to the close codes table in docs/websocket.md")

    # --- site settings, metrics -------------------------------------------------------------------
    for (word,), where in src.find(r'\{\s*' + STRING + r'\s*,\s*SETTING_\w+', ["relay/api/confab-api.c"]):
        if not mentioned(word):
            missing("the site setting", f"“{word}”", where, "add it to the settings table in docs/http-api.md")
    for (word,), where in src.find(r'"(confab_[a-z_]+)"', ["relay/confab-metrics.c"]):
        # a histogram's series are documented by its name
        word = re.sub(r"_(bucket|sum|count)$", "", word) if word.endswith("_seconds_bucket") or \
            word.endswith("_seconds_sum") or word.endswith("_seconds_count") else word
        if not mentioned(word):
            missing("the metric", word, where, "add it to the metrics table")

    # --- configuration --------------------------------------------------------------------------
    config_doc = docs.get(os.path.join("docs", "configuration.md"))
    if config_doc is None:
        problems.append("docs/configuration.md is missing")
        config_doc = ""
    documented = sections(config_doc, r"^#+\s.*`\[([a-z-]+)\]`")
    with open(os.path.join(root, "data", "relay.conf.example"), encoding="utf-8") as f:
        example = sections(f.read(), r"^\[([a-z-]+)\]\s*$")
    keys = r"(?:read_uint|read_string|g_key_file_\w+)\s*\(\s*\w+\s*,\s*" + STRING + r"\s*,\s*" + STRING
    for (section, key), where in src.find(keys, ["relay/confab-config.c"]):
        if not re.search(r"`" + re.escape(key) + r"`", documented.get(section, "")):
            missing("the config key", f"[{section}] {key}", where,
                    f"document it under a `[{section}]` heading in docs/configuration.md")
        if not re.search(r"^#?" + re.escape(key) + r"=", example.get(section, ""), flags=re.M) and \
                ("example", section, key) not in reported:
            reported.add(("example", section, key))
            problems.append(f"{where}: data/relay.conf.example has no {key}= under [{section}]")

    # --- command line ---------------------------------------------------------------------------
    cli_doc = docs.get(os.path.join("docs", "command-line.md"), "")
    if not cli_doc:
        problems.append("docs/command-line.md is missing")
    for (option,), where in src.find(r'\{\s*"([a-z-]+)"\s*,\s*0\s*,\s*0\s*,\s*G_OPTION_ARG', ["relay/main.c", "relay/confab-admin.c"]):
        if f"--{option}" not in cli_doc:
            missing("the option", f"--{option}", where, "document it in docs/command-line.md")
    for (command,), where in src.find(r'strcmp\s*\(\s*argv\[1\]\s*,\s*' + STRING, ["relay/confab-admin.c"]):
        if f"admin {command}" not in cli_doc:
            missing("the admin command", command, where, "document `confab-relay admin " + command + "` in docs/command-line.md")

    # --- links ----------------------------------------------------------------------------------
    pages = dict(docs)
    with open(os.path.join(root, "README.md"), encoding="utf-8") as f:
        pages["README.md"] = f.read()
    for page, text in pages.items():
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            top = os.path.abspath(root)
            path = os.path.normpath(os.path.join(top, os.path.dirname(page), target.split("#")[0]))
            if not path.startswith(top + os.sep):
                problems.append(f"{page}: the link {target} points outside the repository")
            elif not os.path.exists(path):
                problems.append(f"{page}: the link {target} points at nothing")

    return problems


def main(argv):
    if len(argv) != 2:
        print("usage: tests/check-docs.py SOURCE_ROOT", file=sys.stderr)
        return 2
    problems = check(argv[1])
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} gap(s) between the relay and docs/", file=sys.stderr)
        return 1
    print("docs/ covers every route, frame, error code, close code, setting, metric, config key and option")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
