#!/usr/bin/env bash
# Installs what gst-offline needs to build, test and demo on Debian 12.
# Run as root (or with sudo available). Does nothing when all is installed.
set -euo pipefail

packages=(
  # build
  meson ninja-build pkg-config g++ glib-networking
  libglib2.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  libsoup-3.0-dev libsqlite3-dev libssl-dev libxml2-dev libjson-glib-dev
  gobject-introspection libgirepository1.0-dev
  # run and test: demuxers, decoders, tools, test content, no-network runs
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-libav ffmpeg
  python3 python3-gi gir1.2-gstreamer-1.0 gir1.2-soup-3.0 util-linux sqlite3
  # tests: the backtraces of a program that hangs (ot_spawn_sync in tests/support)
  gdb
  # benchmarks: dash-download-throughput compares against aria2c, yt-dlp and ffmpeg;
  # scale reads the CLI's peak memory with GNU time
  aria2 yt-dlp time
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "Installing: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
