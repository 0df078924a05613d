#!/usr/bin/env python3
# A live recording from Python through GObject-Introspection, as an
# application makes it (issue 17): DownloadHelper on a live HLS master
# playlist (is_live(), its tracks, no duration), a request with a live
# duration (--duration's API equivalent), the manager's progress signals
# while it records, and its completion. The origin is ot-serve's live-hls,
# whose clock is this test's (Content.publish()): nothing waits on time.
# Run twice, with gc.collect() in between, under G_DEBUG=fatal-criticals:
# a CRITICAL, or an object freed twice, ends the run.
# SPDX-License-Identifier: LGPL-2.1-or-later
import gc
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "support"))
from ot_serve import Content, wait_for  # noqa: E402

import gi  # noqa: E402

gi.require_version("GLib", "2.0")
gi.require_version("Gst", "1.0")
gi.require_version("GstOffline", "1.0")
from gi.repository import Gst, GstOffline  # noqa: E402

ROUNDS = 2
# The origin lists 6 segments of 1 s; a recording from the live edge starts
# three target durations back from its end: 3 s at once, then one a segment.
AT_ONCE = 3
DURATION = 5
# An audio track may need a segment more than the video to hold as much
# (AAC frames are not cut at segment boundaries).
AUDIO_LEEWAY = 1
# What wait_for() looks after: the manager's signals, its progress too (what
# a recording holds grows with each).
SIGNALS = ("download-changed", "download-progress", "download-removed", "idle")


class PythonLiveTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        Gst.init(None)

    def record(self, round_):
        with Content(("live-hls",)) as content, tempfile.TemporaryDirectory(prefix="gst-offline-py-live-") as tmp:
            url = content.urls["live-hls"]
            helper = GstOffline.DownloadHelper.new(url)
            helper.prepare(None)
            self.assertTrue(helper.is_live(), "the helper does not say live")
            self.assertEqual(helper.get_download_type(), GstOffline.DownloadType.HLS)
            types = sorted(track.get_track_type() for track in helper.get_tracks())
            self.assertEqual(types, sorted([GstOffline.TrackType.VIDEO, GstOffline.TrackType.AUDIO]))
            languages = [track.get_language() for track in helper.get_tracks()
                         if track.get_track_type() == GstOffline.TrackType.AUDIO]
            self.assertEqual(languages, ["en"])

            request = helper.get_download_request("py-live", None)
            request.props.live_duration = DURATION * Gst.SECOND
            self.assertEqual(request.props.live_duration, DURATION * Gst.SECOND)
            manager = GstOffline.DownloadManager.new(os.path.join(tmp, "data"))
            progress = []

            def on_progress(manager, download):
                if download.get_id() == "py-live":
                    progress.append((download.get_state(), download.is_recording(),
                                     download.get_recorded_duration(), download.get_missing_duration(),
                                     download.get_live_lag(), download.get_bytes_downloaded()))

            handlers = [manager.connect(signal, on_progress) for signal in ("download-progress", "download-changed")]
            added = manager.add_download(request)
            self.assertEqual(added.get_id(), "py-live")

            def recorded():
                download = manager.get_download("py-live")
                return download.get_recorded_duration() if download else 0

            def terminal():
                download = manager.get_download("py-live")
                return download is not None and download.is_terminal()

            # What the window held at once, then the segments the origin publishes.
            wait_for(manager, lambda: recorded() >= AT_ONCE * Gst.SECOND or terminal(), SIGNALS)
            self.assertFalse(terminal(), "completed with %d ns of %d s" % (recorded(), DURATION))
            content.publish(DURATION - AT_ONCE + AUDIO_LEEWAY)
            wait_for(manager, lambda: terminal() and manager.is_idle(), SIGNALS)
            for handler in handlers:
                manager.disconnect(handler)

            done = manager.get_download("py-live")
            self.assertEqual(done.get_state(), GstOffline.DownloadState.COMPLETED, done.get_failure_message())
            self.assertTrue(done.is_recording())
            self.assertEqual(done.get_recorded_duration(), DURATION * Gst.SECOND)
            self.assertEqual(done.get_missing_duration(), 0)
            self.assertEqual(done.get_live_lag(), -1)
            self.assertGreater(done.get_bytes_downloaded(), 0)

            # The signals showed a recording that grew, never a completion early.
            running = [p for p in progress if p[0] == GstOffline.DownloadState.DOWNLOADING and p[1]]
            self.assertTrue(running, "no progress signal of the running recording: %r" % progress)
            times = [p[2] for p in running]
            self.assertEqual(times, sorted(times), "the recorded duration went back")
            self.assertTrue(all(t < DURATION * Gst.SECOND for t in times[:-1]))
            self.assertTrue(all(p[3] == 0 for p in running), "media missing: %r" % running)
            self.assertTrue(all(p[4] >= 0 for p in running), "no live lag while it records: %r" % running)
            completed = [p for p in progress if p[0] == GstOffline.DownloadState.COMPLETED]
            self.assertTrue(completed and all(p[2] == DURATION * Gst.SECOND for p in completed), progress)

            # The index (another reader) says the same.
            index = GstOffline.DownloadIndex.new(os.path.join(tmp, "data"))
            stored = index.get_download("py-live")
            self.assertEqual(stored.get_state(), GstOffline.DownloadState.COMPLETED)
            self.assertEqual(stored.get_recorded_duration(), DURATION * Gst.SECOND)
            del manager, helper, request, added, done, index, stored

    def test_record_live_from_python(self):
        for n in range(ROUNDS):
            self.record(n)
            gc.collect()


if __name__ == "__main__":
    result = unittest.main(argv=sys.argv[:1], exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() else 1)
