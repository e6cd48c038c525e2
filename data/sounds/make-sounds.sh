#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Synthesises the desktop app's three alert sounds with SoX and writes them next to this script
# as Ogg Vorbis (.oga). The results are committed, so building the app needs no SoX; run this
# again only to change a sound (SoX with Ogg support: scripts/install-deps desktop).
#
#   data/sounds/make-sounds.sh
#
# Each sound is a few plucked-string notes (sox "synth pluck"), one channel per note, each
# channel delayed to its onset and the channels mixed down to mono. They are deliberately
# different in shape so that an agent can tell them apart without looking:
#   new-visitor       one soft low note: someone is on the site, nothing to do yet
#   new-conversation  a rising three-note arpeggio, the loudest: a visitor is waiting (it is the
#                     one that repeats until answered)
#   new-message       two quick notes up a fourth: a reply in a conversation already open
#   target-near       two low notes falling, twice: a reply is about to be late (issue 18)

set -euo pipefail

cd "$(dirname "$0")"

RATE=48000
# -R (below): SoX seeds its noise (pluck is noise-excited) and the Ogg serial number the same way
# every run, so running this again without changes gives the same bytes.
# Vorbis quality 2 (about 96 kbit/s nominal): these are short mono blips, a few kilobytes each.
QUALITY=2

# make NAME LENGTH FADE_OUT GAIN_DB "NOTE DELAY" ...
make() {
  local name=$1 length=$2 fade=$3 gain=$4
  shift 4
  local notes=() delays=() pair
  for pair in "$@"; do
    read -r note delay <<<"$pair"
    notes+=(pluck "$note")
    delays+=("$delay")
  done
  # The -n input has one channel per note; the output is mono (remix - sums them). Every
  # channel is as long as the whole sound so that the delayed notes are not cut short.
  sox -q -R -r "$RATE" -c "${#notes[@]}" -n -c 1 -C "$QUALITY" -t ogg "$name.oga" \
      synth "$length" "${notes[@]}" \
      delay "${delays[@]}" \
      remix - \
      trim 0 "$length" \
      fade q 0.003 "$length" "$fade" \
      norm "$gain"
  echo "$name.oga: $(stat -c %s "$name.oga") bytes, $(soxi -D "$name.oga") s"
}

make new-visitor      0.45 0.30 -6 "A4 0"
make new-conversation 0.80 0.35 -1 "C5 0" "E5 0.11" "G5 0.22" "C6 0.33"
make new-message      0.40 0.25 -3 "G5 0" "C6 0.09"
make target-near      0.90 0.30 -1 "E5 0" "B4 0.14" "E5 0.36" "B4 0.50"
