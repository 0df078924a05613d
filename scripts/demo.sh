#!/usr/bin/env bash
# The main job of gst-offline, end to end, on a fresh Debian 12 machine:
# build it, download a clip from a local HTTP server into the offline cache,
# then play it back with no network at all and print how many frames decoded.
#
#   sudo bash scripts/demo.sh        (from the repository root)
#
# It installs what it needs first (scripts/install-deps.sh, with sudo when not
# root). Playback runs under `unshare -n` (as another user: `unshare -r -n`).
# SPDX-License-Identifier: LGPL-2.1-or-later
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'demo: error: %s\n' "$*" >&2; exit 1; }

work=$(mktemp -d -t gst-offline-demo.XXXXXX)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'die "failed at line $LINENO: $BASH_COMMAND"' ERR

step "Installing the dependencies (scripts/install-deps.sh; nothing if they are there)"
bash scripts/install-deps.sh
if [ "$(id -u)" -eq 0 ]; then
  offline=(unshare -n)
else
  # -r maps us to root inside a new user namespace, which may then drop its network.
  offline=(unshare -r -n)
fi
for tool in meson ninja ffmpeg python3 unshare; do
  command -v "$tool" >/dev/null || die "'$tool' is not installed"
done

step "Building into build/"
if [ ! -f build/build.ninja ]; then
  meson setup build
fi
meson compile -C build

step "Making a 5-second H.264 + AAC sample clip"
mkdir -p "$work/www"
ffmpeg -nostdin -hide_banner -loglevel error \
  -f lavfi -i testsrc2=size=640x360:rate=25:duration=5 \
  -f lavfi -i sine=frequency=440:sample_rate=48000:duration=5 \
  -c:v libx264 -pix_fmt yuv420p -c:a aac -b:a 96k -movflags +faststart \
  "$work/www/clip.mp4"
echo "$work/www/clip.mp4: $(stat -c %s "$work/www/clip.mp4") bytes, 125 video frames"

step "Serving it on 127.0.0.1"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$work/www" && exec python3 -m http.server --bind 127.0.0.1 "$port") >"$work/http.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    break
  fi
  kill -0 "$server_pid" 2>/dev/null || die "the HTTP server did not start: $(cat "$work/http.log")"
  sleep 0.1
done
url="http://127.0.0.1:$port/clip.mp4"
echo "$url"

step "Downloading it into the offline cache"
echo "+ gst-offline --dir $work/data download $url --id demo"
meson devenv -C build gst-offline --dir "$work/data" download "$url" --id demo
meson devenv -C build gst-offline --dir "$work/data" list

step "Stopping the server, then playing it back with no network (${offline[*]})"
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=
echo "+ ${offline[*]} gst-offline --dir $work/data play demo --video-sink fakesink --audio-sink fakesink"
"${offline[@]}" meson devenv -C build \
  gst-offline --dir "$work/data" play demo --video-sink fakesink --audio-sink fakesink >"$work/play.txt"
cat "$work/play.txt"

frames=$(sed -n 's/^played demo: \([0-9][0-9]*\) video frames.*/\1/p' "$work/play.txt")
[ -n "$frames" ] || die "gst-offline play printed no summary"
[ "$frames" -gt 0 ] || die "no video frame was decoded"

step "Done: $frames video frames decoded offline from the cache (the clip has 125)"
