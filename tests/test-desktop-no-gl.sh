#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The real `confab` program with GSK_RENDERER=cairo maps no OpenGL driver: GTK 4.8 opens EGL/GLX
# when the display opens, and with Mesa's software driver that was 56 MiB of RSS the cairo
# renderer never uses (bench/README.md, "Frames under load, memory"). Run under xvfb-run and
# tests/run-with-keyring.sh (a private session bus); prints TAP.
#
#   tests/test-desktop-no-gl.sh CONFAB_BINARY SCHEMA_DIR
set -u

confab=$1
export GSETTINGS_SCHEMA_DIR=$2 GSETTINGS_BACKEND=memory GSK_RENDERER=cairo GTK_A11Y=none \
  GTK_USE_PORTAL=0 NO_AT_BRIDGE=1 CONFAB_NO_SOUND=1
unset GDK_DEBUG

echo "1..1"
"$confab" >/dev/null 2>&1 &
pid=$!
# the display is open (and EGL/GLX with it) once the window is shown: GTK is mapped, then wait
# for a window of this process
shown=
for _ in $(seq 300); do
  if xdotool search --pid "$pid" >/dev/null 2>&1; then shown=1; break; fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
maps=$(cat "/proc/$pid/maps" 2>/dev/null)
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null

if [ -z "$shown" ]; then
  echo "not ok 1 - confab showed no window within 30 s"
  exit 1
fi
gl=$(printf '%s\n' "$maps" | grep -oE '[^/ ]*(libLLVM|_dri\.so|libEGL_mesa|libGLX_mesa)[^ ]*' | sort -u | tr '\n' ' ')
if [ -n "$gl" ]; then
  echo "not ok 1 - the cairo renderer mapped OpenGL drivers: $gl"
  exit 1
fi
echo "ok 1 - the cairo renderer maps no OpenGL driver"
