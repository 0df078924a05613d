#!/usr/bin/env python3
# An application's own DRM store, written in Python: a GObject implementing
# GstOffline.DrmStore through GObject-Introspection. The download manager,
# given a license manager with this store, writes the keys of a protected
# DASH download into it; playbin then plays the download with the store set
# on the pipeline as a gst-offline.drm-store context. Run by
# test-drm-playback (which makes and serves the content and checks that the
# data directory's own drm.db was never made) as:
#   test-app-drm-store.py MPD_URL DATA_DIR
# Prints "frames N" and exits 0 when all went as it should.
# SPDX-License-Identifier: LGPL-2.1-or-later

import sys
import threading

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstOffline", "1.0")
from gi.repository import GLib, GObject, Gst, GstOffline  # noqa: E402


class DictStore(GObject.Object, GstOffline.DrmStore):
    """Keeps the entries in a dict; called from several threads."""

    def __init__(self):
        super().__init__()
        self.lock = threading.Lock()
        self.entries = {}
        self.loads = 0

    def do_save(self, key, value):
        with self.lock:
            self.entries[key] = bytes(value.get_data())
        return True

    def do_load(self, key):
        with self.lock:
            self.loads += 1
            data = self.entries.get(key)
        # None: nothing stored under the name (NOT_FOUND for the library).
        return GLib.Bytes.new(data) if data is not None else None

    def do_remove(self, key):
        with self.lock:
            self.entries.pop(key, None)
        return True


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)


def download(url, data_dir, store):
    licenses = GstOffline.LicenseManager.new(data_dir, store)
    # The hook an application wraps license requests with: this one only
    # looks (None: send the ClearKey request as it is).
    wrapped = []

    def on_wrap_request(_licenses, download_id, request):
        wrapped.append((download_id, bytes(request.get_data())))
        return None

    licenses.connect("wrap-request", on_wrap_request)
    manager = GstOffline.DownloadManager.new_with_licenses(data_dir, licenses)
    if manager.props.license_manager != licenses:
        fail("the manager does not hold the application's license manager")
    loop = GLib.MainLoop()
    outcome = {}

    def on_changed(_manager, snapshot):
        state = snapshot.get_state()
        if state in (GstOffline.DownloadState.COMPLETED, GstOffline.DownloadState.FAILED):
            outcome["state"] = state
            outcome["failure"] = snapshot.get_failure_message()
            loop.quit()

    manager.connect("download-changed", on_changed)
    manager.add_download(GstOffline.DownloadRequest.new("app", url))
    loop.run()
    if outcome["state"] != GstOffline.DownloadState.COMPLETED:
        fail("the download failed: %s" % outcome["failure"])
    if len(wrapped) != 1 or wrapped[0][0] != "app" or b"persistent-license" not in wrapped[0][1]:
        fail("the download's license request did not pass through the hook: %s" % wrapped)
    if not licenses.has_license("app"):
        fail("the license manager sees no license of the download")
    expires_in, playable_for = licenses.get_status("app")[1:]
    if (expires_in, playable_for) != (-1, -1):
        fail("unexpected license status %d %d" % (expires_in, playable_for))


def play(data_dir, store):
    playbin = Gst.ElementFactory.make("playbin", None)
    frames = [0]

    def on_handoff(_sink, _buffer, _pad):
        frames[0] += 1

    video_sink = Gst.ElementFactory.make("fakesink", None)
    video_sink.set_property("signal-handoffs", True)
    video_sink.set_property("sync", False)
    video_sink.connect("handoff", on_handoff)
    audio_sink = Gst.ElementFactory.make("fakesink", None)
    audio_sink.set_property("sync", False)
    playbin.set_property("video-sink", video_sink)
    playbin.set_property("audio-sink", audio_sink)
    playbin.set_property("uri", "offline://app")
    playbin.connect("source-setup", lambda _bin, source: source.set_property("cache-dir", data_dir))
    # The application's store, for every element of the pipeline.
    playbin.set_context(GstOffline.DrmStore.context_new(store))
    playbin.set_state(Gst.State.PLAYING)
    message = playbin.get_bus().timed_pop_filtered(Gst.CLOCK_TIME_NONE, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    playbin.set_state(Gst.State.NULL)
    if message.type == Gst.MessageType.ERROR:
        error, debug = message.parse_error()
        fail("playback failed: %s (%s)" % (error.message, debug))
    return frames[0]


def main():
    url, data_dir = sys.argv[1], sys.argv[2]
    Gst.init(None)
    store = DictStore()
    download(url, data_dir, store)
    names = sorted(store.entries)
    if len(names) != 1 or not names[0].startswith("license:"):
        fail("the store holds %s, not the download's license" % names)
    loads_before = store.loads
    frames = play(data_dir, store)
    if store.loads == loads_before:
        fail("playback did not read the application's store")
    print("frames %d" % frames)


if __name__ == "__main__":
    main()
