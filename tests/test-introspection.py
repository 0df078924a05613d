#!/usr/bin/env python3
# The library through GObject-Introspection, as a Python application uses it:
# download a clip from a libsoup server on 127.0.0.1, watch the signals, look
# the result up in the cache, and get GLib.Errors for bad requests.
# SPDX-License-Identifier: LGPL-2.1-or-later
import os
import subprocess
import sys
import tempfile
import unittest

import gi

gi.require_version("GLib", "2.0")
gi.require_version("Gst", "1.0")
gi.require_version("Soup", "3.0")
gi.require_version("GstOffline", "1.0")
from gi.repository import GLib, Gst, GstOffline, Soup  # noqa: E402


def make_clip(path):
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25",
                    "-t", "2", "-c:v", "libx264", "-pix_fmt", "yuv420p", path], check=True)


class IntrospectionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        Gst.init(None)
        cls.tmp = tempfile.TemporaryDirectory(prefix="gst-offline-gi-")
        clip = os.path.join(cls.tmp.name, "clip.mp4")
        make_clip(clip)
        with open(clip, "rb") as f:
            cls.clip = f.read()
        cls.server = Soup.Server()
        cls.server.add_handler(None, cls.serve)
        cls.server.listen_local(0, Soup.ServerListenOptions.IPV4_ONLY)
        cls.base = cls.server.get_uris()[0].to_string().rstrip("/")

    @classmethod
    def serve(cls, server, msg, path, query):
        if path == "/clip.mp4":
            msg.set_status(200, None)
            msg.set_response("video/mp4", Soup.MemoryUse.COPY, cls.clip)
        else:
            msg.set_status(404, None)

    def run_until_terminal(self, manager, download_id):
        loop = GLib.MainLoop()
        seen = []

        def changed(_manager, download):
            if download.get_id() == download_id:
                seen.append(download.get_state())
                if download.is_terminal():
                    loop.quit()

        handler = manager.connect("download-changed", changed)
        GLib.timeout_add_seconds(60, loop.quit)
        loop.run()
        manager.disconnect(handler)
        return seen

    def test_download_and_lookup(self):
        data_dir = os.path.join(self.tmp.name, "data")
        manager = GstOffline.DownloadManager.new(data_dir)
        request = GstOffline.DownloadRequest.new("gi-clip", self.base + "/clip.mp4")
        request.add_header("X-From: python")
        snapshot = manager.add_download(request)
        self.assertEqual(snapshot.get_id(), "gi-clip")
        states = self.run_until_terminal(manager, "gi-clip")
        self.assertEqual(states[-1], GstOffline.DownloadState.COMPLETED)

        index = GstOffline.DownloadIndex.new(data_dir)
        download = index.get_download("gi-clip")
        self.assertEqual(download.get_bytes_downloaded(), len(self.clip))
        self.assertEqual(download.get_percent_downloaded(), 100.0)
        self.assertEqual(list(download.get_request().get_headers()), ["X-From: python"])

        cache = GstOffline.Cache.new(data_dir)
        path, length = cache.lookup(self.base + "/clip.mp4")
        self.assertEqual(length, len(self.clip))
        with open(path, "rb") as f:
            self.assertEqual(f.read(), self.clip)

        self.assertTrue(manager.remove_download("gi-clip"))
        with self.assertRaises(GLib.Error) as raised:
            index.get_download("gi-clip")
        self.assertTrue(raised.exception.matches(GLib.quark_from_string("gst-offline-error-quark"),
                                                 GstOffline.Error.NOT_FOUND))

    def test_bad_requests_raise(self):
        manager = GstOffline.DownloadManager.new(os.path.join(self.tmp.name, "bad"))
        with self.assertRaises(GLib.Error) as raised:
            manager.add_download(GstOffline.DownloadRequest.new(None, "ftp://example.com/x.mp4"))
        self.assertEqual(raised.exception.code, GstOffline.Error.INVALID_ARGUMENT)
        with self.assertRaises(GLib.Error):
            GstOffline.DownloadRequest.new(None, "http://h/x.mp4").add_header("no colon here")
        with self.assertRaises(GLib.Error) as raised:
            manager.add_download(GstOffline.DownloadRequest.new("a/b", self.base + "/clip.mp4"))
        self.assertIn("not a valid download id", raised.exception.message)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() else 1)
