#!/usr/bin/env python3
# Every public call of the library through GObject-Introspection, as a Python
# application makes it, on real downloads: a progressive file, DASH, HLS,
# Smooth Streaming and ClearKey-encrypted DASH, made at test time by ot-serve
# (tests/support) and downloaded here with the DownloadManager. The calls are
# made ROUNDS times, with gc.collect() between rounds, under
# G_DEBUG=fatal-criticals: an array handed to Python with the wrong ownership
# (freed twice, or too early) crashes here.
#
# The test reads the built GstOffline-1.0.gir (argv[1]) and fails when a
# function, method or constructor in it was not called in a round: a public
# call added later needs its Python check in PythonApiTest.tour().
# SPDX-License-Identifier: LGPL-2.1-or-later
import gc
import os
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "support"))
from ot_serve import Content, wait_for  # noqa: E402

import gi  # noqa: E402

gi.require_version("GLib", "2.0")
gi.require_version("GObject", "2.0")
gi.require_version("Gst", "1.0")
gi.require_version("GstOffline", "1.0")
from gi.repository import Gio, GLib, GObject, Gst, GstOffline  # noqa: E402

ROUNDS = 30
PLAYBACK_ONLY_TRACK_METHODS = ("get_timescale", "get_codec_private_data", "get_bits_per_sample",
                               "get_packet_size", "get_audio_tag")

GIR = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("GST_OFFLINE_GIR", "")
CORE = "{http://www.gtk.org/introspection/core/1.0}"
C_IDENTIFIER = "{http://www.gtk.org/introspection/c/1.0}identifier"

# Public calls Python must not make, with the reason.
NOT_FOR_PYTHON = {
    "GstOffline.Segment.free": "pygobject frees the boxed values it holds; calling it would free them twice",
}

TYPES = {
    "progressive": GstOffline.DownloadType.PROGRESSIVE,
    "dash": GstOffline.DownloadType.DASH,
    "hls": GstOffline.DownloadType.HLS,
    "mss": GstOffline.DownloadType.MSS,
    "dash-cenc": GstOffline.DownloadType.DASH,
}
TERMINAL = (GstOffline.DownloadState.COMPLETED, GstOffline.DownloadState.FAILED)
ADAPTIVE = ("dash", "hls", "mss", "dash-cenc")
# An HLS variant with its audio muxed in is one (video) track.
TRACK_TYPES = {
    "dash": [GstOffline.TrackType.VIDEO, GstOffline.TrackType.AUDIO],
    "dash-cenc": [GstOffline.TrackType.VIDEO, GstOffline.TrackType.AUDIO],
    "mss": [GstOffline.TrackType.VIDEO, GstOffline.TrackType.AUDIO],
    "hls": [GstOffline.TrackType.VIDEO],
}
CLEARKEY_SYSTEM_IDS = ("e2719d58-a985-b3c9-781a-b030af78d30e", "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b")


def public_calls(gir_path):
    """Every callable of the GIR's namespace: {python path: (owner name or None,
    name, static, c identifier, introspectable)}."""
    namespace = ET.parse(gir_path).getroot().find(CORE + "namespace")
    calls = {}
    for element in namespace:
        tag = element.tag[len(CORE):]
        if tag == "function":
            calls["GstOffline." + element.get("name")] = (None, element.get("name"), True,
                                                          element.get(C_IDENTIFIER),
                                                          element.get("introspectable") != "0")
        elif tag in ("class", "interface", "record", "enumeration", "bitfield"):
            for member in element:
                kind = member.tag[len(CORE):]
                if kind == "virtual-method":
                    # Implemented in Python (PythonDrmStore), called by the library.
                    path = "GstOffline.%s.do_%s" % (element.get("name"), member.get("name"))
                    calls[path] = (None, None, False, "%s::%s" % (element.get("name"), member.get("name")),
                                   member.get("introspectable") != "0")
                    continue
                if kind not in ("constructor", "method", "function"):
                    continue
                path = "GstOffline.%s.%s" % (element.get("name"), member.get("name"))
                calls[path] = (element.get("name"), member.get("name"), kind != "method",
                               member.get(C_IDENTIFIER),
                               member.get("introspectable") != "0")
    return calls


class CallRecorder:
    """Wraps every public callable of GstOffline so that calling it, however
    it is reached, records its path."""

    def __init__(self, calls):
        self.calls = calls
        self.called = set()
        for path, (owner_name, name, static, _, introspectable) in calls.items():
            if not introspectable or name is None:
                continue
            owner = getattr(GstOffline, owner_name) if owner_name else GstOffline
            original = getattr(owner, name)
            wrapper = self._wrapper(path, original)
            setattr(owner, name, staticmethod(wrapper) if static and owner_name else wrapper)

    def _wrapper(self, path, original):
        def call(*args, **kwargs):
            self.called.add(path)
            return original(*args, **kwargs)
        call.__name__ = path
        return call

    def not_introspectable(self):
        return sorted("%s (%s)" % (path, c) for path, (_, _, _, c, ok) in self.calls.items()
                      if not ok and path not in NOT_FOR_PYTHON)

    def missing(self):
        return sorted("%s (%s)" % (path, c) for path, (_, _, _, c, ok) in self.calls.items()
                      if ok and path not in self.called and path not in NOT_FOR_PYTHON)


class PythonDrmStore(GObject.Object, GstOffline.DrmStore):
    """A GstOffline.DrmStore kept in a dict, as an application that keeps keys
    elsewhere implements it: the library calls these from C."""

    def __init__(self, recorder):
        super().__init__()
        self.recorder = recorder
        self.values = {}

    def do_save(self, key, value):
        self.recorder.called.add("GstOffline.DrmStore.do_save")
        self.values[key] = value.get_data()
        return True

    def do_load(self, key):
        self.recorder.called.add("GstOffline.DrmStore.do_load")
        if key not in self.values:
            raise GLib.Error("no value for that key", "gst-offline-error-quark", GstOffline.Error.NOT_FOUND)
        return GLib.Bytes.new(self.values[key])

    def do_remove(self, key):
        self.recorder.called.add("GstOffline.DrmStore.do_remove")
        self.values.pop(key, None)
        return True


def read_every_property(obj):
    for pspec in obj.list_properties():
        if pspec.flags & GObject.ParamFlags.READABLE:
            obj.get_property(pspec.name)


class PythonApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        Gst.init(None)
        cls.recorder = CallRecorder(public_calls(GIR))
        cls.content = Content()
        cls.tmp = tempfile.TemporaryDirectory(prefix="gst-offline-python-api-")
        cls.data_dir = os.path.join(cls.tmp.name, "data")
        cls.clip_path = os.path.join(cls.content.tmp.name, "progressive", "clip.mp4")
        with open(cls.clip_path, "rb") as f:
            cls.clip = f.read()
        # One download of each kind, made by the manager as an application would.
        manager = GstOffline.DownloadManager.new(cls.data_dir)
        for kind, url in cls.content.urls.items():
            helper = GstOffline.DownloadHelper.new(url)
            helper.prepare(None)
            keys = helper.select_tracks("best", None, None) if kind in ADAPTIVE else None
            manager.add_download(helper.get_download_request("py-" + kind, keys))
        ids = ["py-" + kind for kind in cls.content.urls]
        wait_for(manager, lambda: all(manager.get_download(i).is_terminal() for i in ids) and manager.is_idle())
        for i in ids:
            download = manager.get_download(i)
            if download.get_state() != GstOffline.DownloadState.COMPLETED:
                raise AssertionError("%s: %s" % (i, download.get_failure_message()))

    @classmethod
    def tearDownClass(cls):
        cls.content.close()
        cls.tmp.cleanup()

    def test_every_public_call(self):
        self.assertTrue(GIR and os.path.exists(GIR), "give the built GstOffline-1.0.gir as argument")
        self.assertEqual(self.recorder.not_introspectable(), [],
                         "public functions Python cannot call (introspectable=\"0\" in the GIR): "
                         "fix their annotations, or add them with the reason to NOT_FOR_PYTHON")
        for n in range(ROUNDS):
            self.recorder.called.clear()
            self.tour(n)
            missing = self.recorder.missing()
            if missing:
                self.fail("these public functions of %s were not called from Python; add a call with a check "
                          "of its result to PythonApiTest.tour() in tests/test-python-api.py:\n  %s"
                          % (os.path.basename(GIR), "\n  ".join(missing)))
            gc.collect()

    # ---- one round --------------------------------------------------------

    def tour(self, n):
        self.check_module_functions()
        self.check_request(n)
        for kind in self.content.urls:
            self.check_helper(kind, n)
        self.check_manager(n)
        self.check_index()
        self.check_cache()
        self.check_drm_store(n)
        self.check_license_manager()
        self.check_python_drm_store(n)
        self.check_licenses_per_download(n)
        self.check_export(n)

    def check_module_functions(self):
        self.assertEqual(GstOffline.download_state_to_string(GstOffline.DownloadState.COMPLETED), "completed")
        self.assertEqual(GstOffline.DownloadState.to_string(GstOffline.DownloadState.QUEUED), "queued")
        self.assertEqual(GstOffline.download_type_to_string(GstOffline.DownloadType.MSS), "mss")
        self.assertEqual(GstOffline.DownloadType.to_string(GstOffline.DownloadType.DASH), "dash")
        self.assertEqual(GstOffline.download_type_from_uri("http://h/a/x.mpd"), GstOffline.DownloadType.DASH)
        self.assertEqual(GstOffline.DownloadType.from_uri("http://h/stream"), GstOffline.DownloadType.AUTO)
        default = GstOffline.Requirements(GstOffline.REQUIREMENTS_DEFAULT)
        self.assertEqual(default, GstOffline.Requirements.NETWORK | GstOffline.Requirements.STORAGE_NOT_LOW)
        self.assertEqual(GstOffline.requirements_to_string(default), "network, storage-not-low")
        self.assertEqual(GstOffline.Requirements.to_string(GstOffline.Requirements.NONE), "none")
        # A loopback host needs no network; no disk keeps 2^62 bytes free.
        self.assertEqual(GstOffline.requirements_get_not_met(GstOffline.Requirements.NETWORK, self.data_dir, 0,
                                                             self.content.urls["dash"]), 0)
        self.assertEqual(GstOffline.Requirements.get_not_met(GstOffline.Requirements.STORAGE_NOT_LOW,
                                                             self.data_dir, 1 << 62, None),
                         GstOffline.Requirements.STORAGE_NOT_LOW)
        self.assertEqual(GstOffline.get_default_data_dir(), os.environ["GST_OFFLINE_DIR"])
        quark = GLib.quark_from_string("gst-offline-error-quark")
        self.assertEqual(GstOffline.error_quark(), quark)
        self.assertEqual(GstOffline.Error.quark(), quark)
        # An error made anew in Python (domain, code, message) carries no
        # request data; the library's own errors do (tests/test-license.cpp).
        made = GLib.Error("HTTP 404 for http://h/x", "gst-offline-error-quark", GstOffline.Error.HTTP)
        self.assertIsNone(GstOffline.error_get_url(made))
        self.assertEqual(GstOffline.error_get_http_status(made), 0)
        self.assertIsNone(GstOffline.Error.get_url(made))
        self.assertEqual(GstOffline.Error.get_http_status(made), 0)
        # Nor which shortage of space it is (tests/test-manager.cpp checks the library's).
        no_space = GLib.Error("no space", "gst-offline-error-quark", GstOffline.Error.NO_SPACE)
        self.assertEqual(GstOffline.error_get_no_space_reason(no_space), GstOffline.NoSpaceReason.NONE)
        self.assertEqual(GstOffline.Error.get_no_space_reason(made), GstOffline.NoSpaceReason.NONE)
        self.assertNotEqual(GstOffline.NoSpaceReason.REFUSED, GstOffline.NoSpaceReason.DISK_FULL)
        self.assertEqual(GstOffline.STOP_REASON_NONE, 0)
        self.assertEqual(GstOffline.STOP_REASON_PAUSED_BY_USER, 1)
        self.assertEqual(GstOffline.DEFAULT_MIN_FREE_SPACE, 100 * 1024 * 1024)
        self.assertEqual(GstOffline.DEFAULT_SEGMENT_PARALLELISM, 8)

    def check_request(self, n):
        url = self.content.urls["progressive"]
        request = GstOffline.DownloadRequest.new(None, url)
        self.assertIsNone(request.get_id())
        request.set_id("request-%d" % n)
        self.assertEqual(request.get_id(), "request-%d" % n)
        self.assertEqual(request.get_uri(), url)
        self.assertEqual(request.get_download_type(), GstOffline.DownloadType.AUTO)
        request.set_download_type(GstOffline.DownloadType.PROGRESSIVE)
        self.assertEqual(request.get_download_type(), GstOffline.DownloadType.PROGRESSIVE)
        self.assertEqual(request.get_stream_keys(), [])
        request.set_stream_keys(["0/0/1", "0/1/0"])
        self.assertEqual(request.get_stream_keys(), ["0/0/1", "0/1/0"])
        request.set_stream_keys(None)
        self.assertEqual(request.get_stream_keys(), [])
        self.assertTrue(request.add_header("X-Round: %d" % n))
        self.assertEqual(request.get_headers(), ["X-Round: %d" % n])
        with self.assertRaises(GLib.Error) as raised:
            request.add_header("no colon")
        self.assertEqual(raised.exception.code, GstOffline.Error.INVALID_ARGUMENT)
        self.assertIsNone(request.dup_custom_data())
        request.set_custom_data(GLib.Bytes.new(b"custom %d" % n))
        self.assertEqual(request.dup_custom_data().get_data(), b"custom %d" % n)
        request.set_key_set_id(GLib.Bytes.new(b"\x00key set\xff"))
        self.assertEqual(request.dup_key_set_id().get_data(), b"\x00key set\xff")
        request.set_key_set_id(None)
        self.assertIsNone(request.dup_key_set_id())
        self.assertIsNone(request.get_license_url())
        request.set_license_url(self.content.license_url)
        self.assertEqual(request.get_license_url(), self.content.license_url)
        request.set_license_url(None)
        self.assertIsNone(request.get_license_url())
        self.assertEqual(GstOffline.DownloadRequest.derive_id(url), "clip")
        none = Gst.CLOCK_TIME_NONE
        self.assertEqual(request.get_range_start(), none)
        self.assertTrue(request.set_time_range(Gst.SECOND, 2 * Gst.SECOND))
        self.assertEqual((request.get_range_start(), request.get_range_end()), (Gst.SECOND, 2 * Gst.SECOND))
        with self.assertRaises(GLib.Error):
            request.set_time_range(2 * Gst.SECOND, Gst.SECOND)
        self.assertEqual(request.get_range_end(), 2 * Gst.SECOND)
        self.assertTrue(request.set_time_range(none, none))
        self.assertEqual(request.get_range_end(), none)
        # Live recordings: properties only.
        self.assertEqual(request.props.live_duration, none)
        self.assertFalse(request.props.live_from_start)
        request.props.live_duration = 10 * Gst.SECOND
        request.props.live_from_start = True
        self.assertEqual((request.props.live_duration, request.props.live_from_start), (10 * Gst.SECOND, True))
        request.props.live_duration = none
        request.props.live_from_start = False
        read_every_property(request)

    def check_helper(self, kind, n):
        url = self.content.urls[kind]
        helper = GstOffline.DownloadHelper.new(url)
        self.assertTrue(helper.add_header("X-Round: %d" % n))
        self.assertEqual(helper.get_download_type(), GstOffline.DownloadType.AUTO)
        helper.set_download_type(GstOffline.DownloadType.AUTO)  # detect it
        if kind == "progressive":
            self.assertTrue(helper.prepare(None))
        else:
            # As an application on a main loop prepares it: without blocking.
            self.assertTrue(call_async(lambda done: helper.prepare_async(None, done), helper.prepare_finish))
        self.assertEqual(helper.get_download_type(), TYPES[kind])
        # The presentation's length, from the manifest (an HLS master
        # playlist's first variant); a media file has none.
        if kind == "progressive":
            self.assertEqual(helper.get_duration(), Gst.CLOCK_TIME_NONE)
        else:
            self.assertGreater(helper.get_duration(), Gst.SECOND)
            self.assertLess(helper.get_duration(), 60 * Gst.SECOND)
        # None of these is a live stream (those are recorded: test-live-recording).
        self.assertFalse(helper.is_live())
        # Sizes before downloading: the property on each track, the total of a selection;
        # measured without blocking (as an application on a main loop), then blocking: the same.
        self.assertTrue(call_async(lambda done: helper.measure_async(None, done), helper.measure_finish))
        measured = [t.props.size for t in helper.get_tracks()]
        gc.collect()
        self.assertTrue(helper.measure(None))
        self.assertEqual([t.props.size for t in helper.get_tracks()], measured)
        # A cancelled measure says so.
        cancelled = Gio.Cancellable()
        cancelled.cancel()
        with self.assertRaises(GLib.Error) as raised:
            call_async(lambda done: helper.measure_async(cancelled, done), helper.measure_finish)
        self.assertTrue(raised.exception.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED))
        self.assertTrue(helper.measure(None))
        tracks = helper.get_tracks()
        for track in tracks:
            self.assertGreater(track.props.size, 0)
            self.assertEqual(track.props.size, track.get_size())
            self.assertEqual(track.props.size_exact, track.get_size_exact())
        size, exact = helper.get_size(None)
        self.assertGreater(size, 0)
        if kind == "progressive":
            self.assertEqual((size, exact), (len(self.clip), True))
        else:
            # Every track, and the manifest the download keeps too.
            every = helper.get_size([t.get_stream_key() for t in tracks])[0]
            self.assertGreater(every, sum(t.props.size for t in tracks))
            self.assertLessEqual(size, every)
        # A time range: the segments a download of it fetches (the first 2 s of
        # a presentation of more); an empty range is refused; a media file has none.
        none = Gst.CLOCK_TIME_NONE
        with self.assertRaises(GLib.Error) as raised:
            helper.set_time_range(2 * Gst.SECOND, Gst.SECOND)
        self.assertEqual(raised.exception.code, GstOffline.Error.INVALID_ARGUMENT)
        self.assertTrue(helper.set_time_range(none, 2 * Gst.SECOND))
        self.assertTrue(helper.measure(None))
        ranged = helper.get_size(None)[0]
        if kind == "progressive":
            self.assertEqual(ranged, size)
        else:
            self.assertGreater(ranged, 0)
            self.assertLess(ranged, size)
        self.assertTrue(helper.set_time_range(none, none))
        self.assertTrue(helper.measure(None))
        self.assertEqual(helper.get_size(None)[0], size)
        if kind == "progressive":
            self.assertEqual(tracks, [])
            self.assertEqual(helper.select_tracks(None, None, None), [])
            with self.assertRaises(GLib.Error) as raised:
                helper.select_tracks("best", None, None)
            self.assertEqual(raised.exception.code, GstOffline.Error.INVALID_ARGUMENT)
            keys = None
        else:
            self.assertEqual(sorted(t.get_track_type() for t in tracks), TRACK_TYPES[kind])
            for track in tracks:
                self.check_track(kind, track, downloaded=False)
            keys = helper.select_tracks("best", "all", None)
            self.assertEqual(sorted(keys), sorted(t.get_stream_key() for t in tracks))
            with self.assertRaises(GLib.Error) as raised:
                helper.select_tracks("no such spec", None, None)
            self.assertEqual(raised.exception.code, GstOffline.Error.INVALID_ARGUMENT)
        request = helper.get_download_request("helper-%d" % n, keys)
        self.assertEqual(request.get_id(), "helper-%d" % n)
        self.assertEqual(request.get_uri(), url)
        self.assertEqual(request.get_download_type(), TYPES[kind])
        self.assertEqual(request.get_headers(), ["X-Round: %d" % n])
        self.assertEqual(request.get_stream_keys(), keys or [])

    def check_track(self, kind, track, downloaded):
        video = track.get_track_type() == GstOffline.TrackType.VIDEO
        self.assertIsInstance(track.get_index(), int)
        self.assertTrue(track.get_stream_key())
        self.assertIn(track.get_track_type(), (GstOffline.TrackType.VIDEO, GstOffline.TrackType.AUDIO))
        self.assertEqual(track.get_container(), {"dash": "fmp4", "dash-cenc": "fmp4", "hls": "mpegts",
                                                 "mss": "mss-fmp4"}[kind] if downloaded else "")
        self.assertIsInstance(track.get_codecs(), str)
        self.assertIsInstance(track.get_language(), str)
        self.assertIsInstance(track.get_label(), str)
        self.assertGreaterEqual(track.get_bandwidth(), 0)
        if video:
            self.assertEqual((track.get_width(), track.get_height()), (320, 240) if "dash" in kind else (640, 360))
        else:
            self.assertEqual((track.get_width(), track.get_height()), (0, 0))
        self.assertIsInstance(track.get_group(), str)
        self.assertEqual(track.get_period(), 0)
        self.assertIsInstance(track.get_mime_type(), str)
        self.assertGreaterEqual(track.get_frame_rate(), 0)
        self.assertGreaterEqual(track.get_sampling_rate(), 0)
        self.assertIsInstance(track.get_channels(), str)
        self.assertIsInstance(track.get_roles(), list)
        self.assertIsInstance(track.get_accessibility(), list)
        systems = track.get_protection_systems()
        events = track.get_protection_events()
        if kind == "dash-cenc":
            self.assertTrue(set(systems) & set(CLEARKEY_SYSTEM_IDS), systems)
            # The protection data comes with a downloaded track only.
            self.assertEqual(len(events), len(systems) if downloaded else 0)
        else:
            self.assertEqual(systems, [])
            self.assertEqual(events, [])
        for event in events:
            self.assertEqual(event.type, Gst.EventType.PROTECTION)
            system_id, data, origin = event.parse_protection()
            self.assertIn(system_id, systems)
            self.assertGreater(data.get_size(), 0)
        # What only playback reads (timescale, codec setup, ...) is the
        # plugin's private interface, not the public API.
        for name in PLAYBACK_ONLY_TRACK_METHODS:
            self.assertFalse(hasattr(track, name), name)

    def check_snapshot(self, download, download_id, url, state):
        self.assertEqual(download.get_id(), download_id)
        self.assertEqual(download.get_uri(), url)
        self.assertEqual(download.get_state(), state)
        self.assertEqual(download.get_request().get_uri(), url)
        self.assertGreater(download.get_start_time(), 0)
        self.assertGreaterEqual(download.get_update_time(), download.get_start_time())
        self.assertEqual(download.get_stop_reason(), GstOffline.STOP_REASON_NONE)
        self.assertGreaterEqual(download.get_speed(), 0)
        self.assertGreaterEqual(download.get_eta(), -1)
        self.assertGreaterEqual(download.get_estimated_length(), -1)
        # Not a live recording: none of its figures.
        self.assertFalse(download.is_recording())
        self.assertEqual(download.get_recorded_duration(), 0)
        self.assertEqual(download.get_missing_duration(), 0)
        self.assertEqual(download.get_live_lag(), -1)
        if state == GstOffline.DownloadState.COMPLETED:
            self.assertTrue(download.is_terminal())
            self.assertIsNone(download.get_failure_message())
            self.assertEqual(download.get_failure_code(), GstOffline.Error.NONE)
            self.assertEqual(download.get_percent_downloaded(), 100.0)
            self.assertGreater(download.get_bytes_downloaded(), 0)
            self.assertEqual(download.get_content_length(), download.get_bytes_downloaded())
            self.assertEqual(download.get_estimated_length(), download.get_content_length())
        read_every_property(download)

    def check_manager(self, n):
        url = self.content.urls["progressive"]
        # Made without blocking this thread, answered in its main loop.
        opened = call_async(lambda done: GstOffline.DownloadManager.new_async(self.data_dir, None, done),
                            GstOffline.DownloadManager.new_finish)
        self.assertIsInstance(opened, GstOffline.DownloadManager)
        self.assertEqual(opened.get_data_dir(), self.data_dir)
        del opened
        with self.assertRaises(GLib.Error):
            call_async(lambda done: GstOffline.DownloadManager.new_async(os.path.join(self.clip_path, "data"), None,
                                                                         done),
                       GstOffline.DownloadManager.new_finish)
        manager = GstOffline.DownloadManager.new(self.data_dir)
        self.assertEqual(manager.get_data_dir(), self.data_dir)
        self.assertEqual(manager.props.requirements, GstOffline.REQUIREMENTS_DEFAULT)
        self.assertIsInstance(manager.get_not_met_requirements(), GstOffline.Requirements)
        read_every_property(manager)
        manager.pause_downloads()
        self.assertTrue(manager.props.downloads_paused)
        manager.resume_downloads()
        self.assertFalse(manager.props.downloads_paused)

        download_id = "round-%d" % n
        changes = []
        manager.connect("download-changed", lambda m, d: changes.append(d.get_state()) if d.get_id() == download_id
                        else None)
        request = GstOffline.DownloadRequest.new(download_id, url)
        request.add_header("X-From: python")
        first = manager.add_download(request)
        self.assertEqual(first.get_id(), download_id)
        # The snapshots come in order, in this thread's main loop.
        wait_for(manager, lambda: changes and changes[-1] in TERMINAL and manager.is_idle())
        self.assertEqual(changes[0], GstOffline.DownloadState.QUEUED)
        self.assertEqual(changes[-1], GstOffline.DownloadState.COMPLETED)
        download = manager.get_download(download_id)
        self.check_snapshot(download, download_id, url, GstOffline.DownloadState.COMPLETED)
        self.assertEqual(download.get_bytes_downloaded(), len(self.clip))
        self.assertEqual(download.get_download_type(), GstOffline.DownloadType.PROGRESSIVE)
        self.assertEqual(download.get_request().get_headers(), ["X-From: python"])
        ids = [d.get_id() for d in manager.get_downloads()]
        self.assertEqual(sorted(ids), sorted(["py-" + k for k in self.content.urls] + [download_id]))

        # A stop reason on a completed download is kept, and the state too:
        # the command returns at once, download-changed tells it is done.
        reasons = []
        handler = manager.connect("download-changed", lambda m, d: reasons.append(d.get_stop_reason())
                                  if d.get_id() == download_id else None)
        self.assertTrue(manager.set_stop_reason(download_id, GstOffline.STOP_REASON_PAUSED_BY_USER))
        wait_for(manager, lambda: reasons)
        paused = manager.get_download(download_id)
        self.assertEqual(paused.get_stop_reason(), GstOffline.STOP_REASON_PAUSED_BY_USER)
        self.assertEqual(paused.get_state(), GstOffline.DownloadState.COMPLETED)
        self.assertTrue(manager.set_stop_reason(download_id, GstOffline.STOP_REASON_NONE))
        wait_for(manager, lambda: reasons[-1] == GstOffline.STOP_REASON_NONE)
        manager.disconnect(handler)

        # A failed download says why, with its code.
        manager.props.min_retry_count = 0
        failing_id = "failing-%d" % n
        added = call_async(lambda done: manager.add_download_async(
            GstOffline.DownloadRequest.new(failing_id, url + ".missing.mp4"), None, done), manager.add_download_finish)
        self.assertEqual(added.get_id(), failing_id)
        wait_for(manager, lambda: manager.get_download(failing_id).is_terminal() and manager.is_idle())
        failed = manager.get_download(failing_id)
        self.assertEqual(failed.get_state(), GstOffline.DownloadState.FAILED)
        self.assertEqual(failed.get_failure_code(), GstOffline.Error.HTTP)
        self.assertIn("404", failed.get_failure_message())

        removed = []
        manager.connect("download-removed", lambda m, i: removed.append(i))
        # The command returns at once; the asynchronous form says when it is gone.
        self.assertTrue(manager.remove_download(download_id))
        self.assertTrue(call_async(lambda done: manager.remove_download_async(failing_id, None, done),
                                   manager.remove_download_finish))
        wait_for(manager, lambda: len(removed) == 2 and manager.is_idle())
        self.assertEqual(sorted(removed), sorted([download_id, failing_id]))
        with self.assertRaises(GLib.Error) as raised:
            manager.get_download(download_id)
        self.assertEqual(raised.exception.code, GstOffline.Error.NOT_FOUND)
        with self.assertRaises(GLib.Error) as raised:
            call_async(lambda done: manager.remove_download_async(download_id, None, done),
                       manager.remove_download_finish)
        self.assertEqual(raised.exception.code, GstOffline.Error.NOT_FOUND)
        with self.assertRaises(GLib.Error) as raised:
            manager.remove_download("a/b")
        self.assertEqual(raised.exception.code, GstOffline.Error.INVALID_ARGUMENT)

        # Bad requests raise, in the library's error domain.
        with self.assertRaises(GLib.Error) as raised:
            manager.add_download(GstOffline.DownloadRequest.new(None, "ftp://example.com/x.mp4"))
        self.assertTrue(raised.exception.matches(GstOffline.error_quark(), GstOffline.Error.INVALID_ARGUMENT))
        with self.assertRaises(GLib.Error) as raised:
            manager.add_download(GstOffline.DownloadRequest.new("a/b", url))
        self.assertEqual(raised.exception.code, GstOffline.Error.INVALID_ARGUMENT)
        self.assertIn("not a valid download id", raised.exception.message)
        # A time range that starts past the end of the presentation is
        # refused when added, naming the start and the length; nothing is recorded.
        late_id = "late-%d" % n
        late = GstOffline.DownloadRequest.new(late_id, self.content.urls["dash"])
        self.assertTrue(late.set_time_range(1000 * Gst.SECOND, Gst.CLOCK_TIME_NONE))
        with self.assertRaises(GLib.Error) as raised:
            call_async(lambda done: manager.add_download_async(late, None, done), manager.add_download_finish)
        self.assertTrue(raised.exception.matches(GstOffline.error_quark(), GstOffline.Error.INVALID_ARGUMENT))
        self.assertRegex(raised.exception.message, r"the time range starts at 1000\.000 s, at or after the end of "
                         r"the presentation \([0-9]+\.[0-9]{3} s\)")
        with self.assertRaises(GLib.Error) as raised:
            manager.get_download(late_id)
        self.assertEqual(raised.exception.code, GstOffline.Error.NOT_FOUND)

    def check_index(self):
        index = GstOffline.DownloadIndex.new(self.data_dir)
        cache = GstOffline.Cache.new(self.data_dir)
        downloads = index.get_downloads()
        self.assertEqual(sorted(d.get_id() for d in downloads), sorted("py-" + k for k in self.content.urls))
        # One snapshot at a time in id order (what `list` streams), stopping when told.
        seen = []
        def visit(download, limit):
            seen.append(download.get_id())
            return len(seen) < limit
        self.assertTrue(index.foreach_download(visit, 100))
        self.assertEqual(seen, sorted("py-" + k for k in self.content.urls))
        seen.clear()
        self.assertTrue(index.foreach_download(visit, 1))
        self.assertEqual(len(seen), 1)
        for kind, url in self.content.urls.items():
            download_id = "py-" + kind
            download = index.get_download(download_id)
            self.check_snapshot(download, download_id, url, GstOffline.DownloadState.COMPLETED)
            self.assertEqual(download.get_download_type(), TYPES[kind])
            self.assertEqual(index.verify(download_id), [])
            tracks = index.get_tracks(download_id)
            if kind == "progressive":
                self.assertEqual(tracks, [])
                self.assertEqual(index.get_duration(download_id), 0)
                continue
            duration = index.get_duration(download_id)
            self.assertGreaterEqual(duration, 4 * Gst.SECOND)
            self.assertLessEqual(duration, 7 * Gst.SECOND)
            self.assertEqual(sorted(t.get_track_type() for t in tracks), TRACK_TYPES[kind])
            for track in tracks:
                self.check_track(kind, track, downloaded=True)
                segments = index.get_segments(download_id, track.get_index(), 0, 1000)
                self.assertGreaterEqual(len(segments), 2)
                self.assertLess(segments[0].start, Gst.SECOND)   # where the media's first sample is
                end = segments[0].start
                for number, segment in enumerate(segments):
                    self.assertEqual(segment.number, number)
                    # ns, rounded from the manifest's timescales
                    self.assertAlmostEqual(segment.start, end, delta=1000, msg=download_id)
                    end = segment.start + segment.duration
                    self.assertGreater(segment.duration, 0)
                    self.assertEqual(segment.period, 0)
                    self.assertEqual(segment.discontinuity, False)
                    self.assertTrue(segment.resource)
                    self.assertEqual(cache.lookup(segment.resource)[1], cache.get_cached_length(segment.resource))
                    if kind == "mss":   # fragments with no init segment
                        self.assertIsNone(segment.init_resource)
                    elif kind != "hls":
                        self.assertTrue(cache.lookup(segment.init_resource)[1] > 0)
                    # HLS AES-128 keys and IVs are playback's, not the public API's
                    self.assertFalse(hasattr(segment, "key_resource") or hasattr(segment, "iv"))
                    copy = segment.copy()
                    self.assertEqual((copy.number, copy.resource, copy.init_resource),
                                     (segment.number, segment.resource, segment.init_resource))
                self.assertEqual(index.get_segments(download_id, track.get_index(), len(segments), 10), [])
                self.assertEqual(len(index.get_segments(download_id, track.get_index(), 1, 1)), 1)
                found = index.find_segment(download_id, track.get_index(), segments[1].start + 1)
                self.assertEqual(found.number, 1)
                self.assertEqual(found.resource, segments[1].resource)
        self.assertEqual(index.verify(None), [])
        # A stop reason set through the index is read back, then cleared.
        self.assertTrue(index.set_stop_reason("py-dash", GstOffline.STOP_REASON_PAUSED_BY_USER))
        self.assertEqual(index.get_download("py-dash").get_stop_reason(), GstOffline.STOP_REASON_PAUSED_BY_USER)
        self.assertTrue(index.set_stop_reason("py-dash", GstOffline.STOP_REASON_NONE))
        for call in (lambda: index.get_download("no-such-id"), lambda: index.verify("no-such-id"),
                     lambda: index.set_stop_reason("no-such-id", 1)):
            with self.assertRaises(GLib.Error) as raised:
                call()
            self.assertEqual(raised.exception.code, GstOffline.Error.NOT_FOUND)
        read_every_property(index)

    def check_cache(self):
        cache = GstOffline.Cache.new(self.data_dir)
        self.assertEqual(cache.get_data_dir(), self.data_dir)
        url = self.content.urls["progressive"]
        path, length = cache.lookup(url)
        self.assertEqual(length, len(self.clip))
        with open(path, "rb") as f:
            self.assertEqual(f.read(), self.clip)
        self.assertEqual(cache.get_cached_length(url), len(self.clip))
        self.assertEqual(cache.get_cached_length(url + "?not-cached"), 0)
        self.assertGreater(cache.get_total_size(), len(self.clip))
        self.assertEqual(cache.verify(None), [])
        self.assertEqual(cache.verify("py-dash"), [])
        with self.assertRaises(GLib.Error) as raised:
            cache.lookup(url + "?not-cached")
        self.assertEqual(raised.exception.code, GstOffline.Error.NOT_FOUND)
        read_every_property(cache)

    def check_drm_store(self, n):
        store = GstOffline.SqliteDrmStore.new(self.data_dir)
        self.assertEqual(store.get_data_dir(), self.data_dir)
        self.assertEqual(store.get_path(), os.path.join(self.data_dir, "drm.db"))
        name = "python-api-%d" % n
        self.assertTrue(store.save(name, GLib.Bytes.new(b"\x01secret\x00%d" % n)))
        self.assertEqual(store.load(name).get_data(), b"\x01secret\x00%d" % n)
        self.assertTrue(store.remove(name))
        with self.assertRaises(GLib.Error) as raised:
            store.load(name)
        self.assertEqual(raised.exception.code, GstOffline.Error.NOT_FOUND)

    def check_license_manager(self):
        store = GstOffline.SqliteDrmStore.new(self.data_dir)
        licenses = GstOffline.LicenseManager.new(self.data_dir, store)
        self.assertEqual(licenses.get_data_dir(), self.data_dir)
        self.assertEqual(licenses.get_drm_store(), store)
        protected = "py-dash-cenc"
        self.assertTrue(licenses.has_license(protected))
        ok, expires_in, playable_for = licenses.get_status(protected)
        self.assertTrue(ok)
        self.assertEqual((expires_in, playable_for), (-1, -1))
        self.assertTrue(licenses.renew(protected, None))
        self.assertTrue(call_async(lambda done: licenses.renew_async(protected, None, done), licenses.renew_finish))
        self.assertTrue(licenses.release(protected))
        self.assertFalse(licenses.has_license(protected))
        with self.assertRaises(GLib.Error) as raised:
            call_async(lambda done: licenses.release_async(protected, None, done), licenses.release_finish)
        self.assertEqual(raised.exception.code, GstOffline.Error.NOT_FOUND)
        self.assertTrue(call_async(lambda done: licenses.register_asset_async(protected, None, None, done),
                                   licenses.register_asset_finish))
        self.assertTrue(call_async(lambda done: licenses.release_async(protected, None, done), licenses.release_finish))
        self.assertFalse(licenses.has_license(protected))
        with self.assertRaises(GLib.Error) as raised:
            licenses.get_status(protected)
        self.assertEqual(raised.exception.code, GstOffline.Error.NOT_FOUND)
        self.assertTrue(licenses.register_asset(protected, self.content.license_url, None))
        self.assertTrue(licenses.has_license(protected))
        self.assertTrue(licenses.unregister_asset(protected))
        self.assertFalse(licenses.has_license(protected))
        self.assertTrue(licenses.register_asset(protected, None, None))   # the MPD's Laurl
        self.assertTrue(licenses.has_license(protected))
        # Clear content has no license and gets none.
        self.assertFalse(licenses.has_license("py-dash"))
        with self.assertRaises(GLib.Error) as raised:
            licenses.register_asset("py-dash", None, None)
        self.assertEqual(raised.exception.code, GstOffline.Error.UNSUPPORTED)
        read_every_property(licenses)


    def check_python_drm_store(self, n):
        store = PythonDrmStore(self.recorder)
        self.assertTrue(store.save("name %d" % n, GLib.Bytes.new(b"value")))
        self.assertEqual(store.load("name %d" % n).get_data(), b"value")
        self.assertTrue(store.remove("name %d" % n))
        with self.assertRaises(GLib.Error) as raised:
            store.load("name %d" % n)
        self.assertEqual(raised.exception.code, GstOffline.Error.NOT_FOUND)
        # The license manager keeps the keys of a license in it, and forgets them.
        protected = "py-dash-cenc"
        licenses = GstOffline.LicenseManager.new(self.data_dir, store)
        self.assertEqual(licenses.get_drm_store(), store)
        self.assertTrue(licenses.register_asset(protected, None, None))
        self.assertTrue(store.values)
        ok, expires_in, playable_for = licenses.get_status(protected)
        self.assertEqual((expires_in, playable_for), (-1, -1))
        self.assertTrue(licenses.release(protected))
        self.assertFalse(licenses.has_license(protected))
        # The SQLite store holds the license again for the next round.
        sqlite_licenses = GstOffline.LicenseManager.new(self.data_dir, None)
        self.assertTrue(sqlite_licenses.register_asset(protected, None, None))


    def check_licenses_per_download(self, n):
        protected = "py-dash-cenc"
        licenses = GstOffline.LicenseManager.new(self.data_dir, None)
        ok, expires_in, playable_for, expires_at, license_url = licenses.get_info(protected)
        self.assertTrue(ok)
        self.assertEqual((expires_in, playable_for, expires_at), (-1, -1, None))
        self.assertEqual(license_url, self.content.license_url)
        # A license without the media, under an id of its own.
        acquired = "py-acquired-%d" % n
        self.assertTrue(licenses.acquire(GstOffline.DownloadRequest.new(acquired, self.content.urls["dash-cenc"]), None))
        self.assertTrue(licenses.has_license(acquired))
        self.assertTrue(licenses.release(acquired))
        request = GstOffline.DownloadRequest.new(acquired, self.content.urls["dash-cenc"])
        self.assertTrue(call_async(lambda done: licenses.acquire_async(request, None, done), licenses.acquire_finish))
        self.assertTrue(licenses.has_license(acquired))
        # A key the application adds, read back as playback reads keys.
        store = licenses.get_drm_store()
        kid = "00112233445566778899aabbccddee%02x" % n
        self.assertTrue(store.add_key(acquired, kid, GLib.Bytes.new(bytes(range(16)))))
        self.assertEqual(store.lookup_key(acquired, kid).get_data(), bytes(range(16)))
        with self.assertRaises(GLib.Error) as raised:
            store.lookup_key(protected, kid)   # another download's license: not there
        self.assertEqual(raised.exception.code, GstOffline.Error.NOT_FOUND)
        self.assertTrue(licenses.release(acquired))
        # The pipeline context that carries a store.
        context = GstOffline.DrmStore.context_new(store)
        self.assertEqual(context.get_context_type(), "gst-offline.drm-store")
        self.assertEqual(GstOffline.DrmStore.context_get_store(context), store)
        self.assertEqual(GstOffline.drm_store_context_get_store(context), store)
        self.assertIsNone(GstOffline.drm_store_context_get_store(Gst.Context.new("other", False)))
        # A download manager whose downloads keep their keys with this license manager.
        manager = GstOffline.DownloadManager.new_with_licenses(self.data_dir, licenses)
        self.assertEqual(manager.props.license_manager, licenses)
        del manager
        gc.collect()


    def check_export(self, n):
        Format = GstOffline.ExportFormat
        self.assertEqual(GstOffline.export_format_from_path("/x/movie.MKV"), Format.MATROSKA)
        self.assertEqual(Format.from_path("movie.m4a"), Format.MP4)
        self.assertEqual(Format.from_path("movie.avi"), Format.AUTO)
        self.assertEqual(GstOffline.export_format_from_string("webm"), Format.WEBM)
        self.assertEqual(Format.from_string("matroska"), Format.MATROSKA)
        self.assertEqual(GstOffline.export_format_to_string(Format.MP4), "mp4")
        self.assertEqual(Format.to_string(Format.MATROSKA), "mkv")
        out = os.path.join(self.tmp.name, "export-%d" % n)
        os.makedirs(out)
        # Every round: an id the data directory does not have, refused in
        # the caller's main loop, nothing written.
        missing = GstOffline.Export.new(self.data_dir, "no-such-id", os.path.join(out, "x.mp4"))
        self.assertEqual(missing.get_download_id(), "no-such-id")
        self.assertEqual(missing.get_path(), os.path.join(out, "x.mp4"))
        self.assertEqual(missing.get_format(), Format.AUTO)
        missing.set_format(Format.MP4)
        self.assertEqual(missing.get_format(), Format.MP4)
        self.assertFalse(missing.get_overwrite())
        missing.set_overwrite(True)
        self.assertTrue(missing.props.overwrite)
        self.assertEqual(missing.get_duration(), Gst.CLOCK_TIME_NONE)
        read_every_property(missing)
        with self.assertRaises(GLib.Error) as refused:
            call_async(lambda done: missing.run_async(None, done), missing.run_finish)
        self.assertTrue(refused.exception.matches(GstOffline.error_quark(), GstOffline.Error.NOT_FOUND))
        self.assertEqual(missing.get_size(), 0)
        self.assertIsNone(missing.get_streams())
        self.assertEqual(os.listdir(out), [])
        if n % 10:
            return
        # The DASH download into Matroska, with progress, to the end.
        path = os.path.join(out, "dash.bin")
        exporter = GstOffline.Export.new(self.data_dir, "py-dash", path)
        exporter.set_format(Format.MATROSKA)
        self.assertEqual(exporter.get_format(), Format.MATROSKA)
        self.assertEqual(exporter.get_path(), path)
        progress = []
        exporter.connect("progress", lambda e, position, duration: progress.append((position, duration)))
        self.assertTrue(call_async(lambda done: exporter.run_async(Gio.Cancellable(), done), exporter.run_finish))
        self.assertEqual(os.listdir(out), ["dash.bin"])
        self.assertEqual(exporter.get_size(), os.path.getsize(path))
        self.assertTrue(progress and progress[-1][0] == exporter.get_duration() > 0)
        streams = exporter.get_streams()
        types = [streams.get_stream(i).get_stream_type() for i in range(streams.get_size())]
        self.assertEqual(types, [Gst.StreamType.VIDEO, Gst.StreamType.AUDIO])
        # Again to the same path: refused (the file left as it is) unless
        # replacing it is asked for.
        before = os.stat(path)
        again = GstOffline.Export.new(self.data_dir, "py-dash", path)
        again.set_format(Format.MATROSKA)
        with self.assertRaises(GLib.Error) as exists:
            call_async(lambda done: again.run_async(None, done), again.run_finish)
        self.assertTrue(exists.exception.matches(Gio.io_error_quark(), Gio.IOErrorEnum.EXISTS), exists.exception.message)
        self.assertEqual(os.listdir(out), ["dash.bin"])
        self.assertEqual(os.stat(path).st_ino, before.st_ino)
        again.set_overwrite(True)
        self.assertTrue(call_async(lambda done: again.run_async(None, done), again.run_finish))
        self.assertEqual(os.listdir(out), ["dash.bin"])
        self.assertNotEqual(os.stat(path).st_ino, before.st_ino)


def call_async(start, finish):
    """Starts an asynchronous call with start(callback) and runs a main loop
    until its callback comes; returns finish(result), or raises its error."""
    loop = GLib.MainLoop()
    answer = {}

    def done(source, result, *user_data):
        try:
            answer["value"] = finish(result)
        except GLib.Error as error:
            answer["error"] = error
        loop.quit()

    start(done)
    loop.run()
    if "error" in answer:
        raise answer["error"]
    return answer["value"]


if __name__ == "__main__":
    result = unittest.main(argv=sys.argv[:1], exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() else 1)
