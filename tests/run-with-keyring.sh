#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs a command against a real Secret Service: a private D-Bus session bus with its own
# gnome-keyring-daemon, whose login keyring lives in a throw-away home and is unlocked with a
# throw-away password. Nothing of the user's own session or keyring is touched.
#
#   tests/run-with-keyring.sh COMMAND [ARG ...]
set -eu

for tool in dbus-run-session gnome-keyring-daemon; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "run-with-keyring: $tool is missing (scripts/install-deps desktop)" >&2
    exit 1
  fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/home" "$tmp/data" "$tmp/config" "$tmp/cache" "$tmp/run"
chmod 700 "$tmp/run"

HOME="$tmp/home" XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" \
XDG_CACHE_HOME="$tmp/cache" XDG_RUNTIME_DIR="$tmp/run" \
dbus-run-session -- sh -c '
  # --unlock reads the login keyring password on stdin and creates that keyring when new
  eval "$(printf test-password | gnome-keyring-daemon --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL
  "$@"
  status=$?
  [ -n "${GNOME_KEYRING_PID:-}" ] && kill "$GNOME_KEYRING_PID" 2>/dev/null
  exit $status
' run-with-keyring "$@"
