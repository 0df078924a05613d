/* Protected DASH end to end: ffmpeg's clear DASH output (H.264 + AAC) is
 * encrypted by the test packager (cenc and cbcs), served with an in-process
 * libsoup ClearKey license server on 127.0.0.1, downloaded with the CLI
 * (which acquires the license), then played back without network through
 * offline:// (cachesrc, qtdemux, offlinedrm, the decoders): every decoded
 * video frame equals a decode of the clear segments. With the license
 * expired or released, playback fails naming the KID and decodes nothing.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/base/gstbasetransform.h>
#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>

#include "adaptive-content.h"
#include "cenc-packager.h"
#include "clear-then-protected.h"
#include "frame-checks.h"
#include "license-server.h"
#include "test-support.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <string>
#include <memory>
#include <vector>

namespace {

const std::array<guint8, 16> kKid = { 0x21, 0x43, 0x65, 0x87, 0xa9, 0xcb, 0x4d, 0xef, 0x80, 0x11, 0x22, 0x33, 0x44,
  0x55, 0x66, 0x77 };
const std::array<guint8, 16> kKey = { 0x3c, 0x91, 0x0e, 0x5f, 0xd4, 0x27, 0x88, 0x6a, 0x1b, 0xc3, 0x70, 0x49, 0xe2,
  0x05, 0xbd, 0x96 };

using ot::Cli;
using ot::b64url;
using ot::run;
using ot::hex;

/* The last 2000 characters of `text`, where a child's error is (after its
 * GST_DEBUG warnings): libcheck drops a longer failure message and reports
 * only an early exit. */
const char *tail (const char *text)
{
  size_t n = text ? strlen (text) : 0;
  return text ? text + (n > 2000 ? n - 2000 : 0) : "(null)";
}

const char *tail (const std::string &text)
{
  return tail (text.c_str ());
}

/* playbin on `uri` without network, raw frames into verbose fakesinks: the
 * exit status, the number of buffers that reached a sink, and the output. */
gint play_counting (const gchar *data_dir, const gchar *uri, guint *sink_buffers, std::string *output)
{
  g_autofree gchar *uri_arg = g_strdup_printf ("uri=%s", uri);
  const gchar *argv[] = { "unshare", geteuid () == 0 ? "-n" : "-rn", "--", "gst-launch-1.0", "-v", "playbin",
    uri_arg, "video-sink=fakesink silent=false sync=false", "audio-sink=fakesink silent=false sync=false", nullptr };
  gchar **envp = g_get_environ ();
  envp = g_environ_setenv (envp, "GST_OFFLINE_DIR", data_dir, TRUE);
  gchar *out = nullptr, *err = nullptr;
  gint status = 0;
  GError *error = nullptr;
  if (!ot_spawn_sync (nullptr, const_cast<gchar **> (argv), envp, G_SPAWN_SEARCH_PATH, nullptr, nullptr, &out, &err,
          &status, &error))
    ck_abort_msg ("cannot run gst-launch-1.0: %s", error->message);
  g_strfreev (envp);
  *output = std::string (out ? out : "") + (err ? err : "");
  *sink_buffers = 0;
  for (size_t at = 0; (at = output->find ("last-message = chain", at)) != std::string::npos; at++)
    (*sink_buffers)++;
  g_free (out);
  g_free (err);
  return g_spawn_check_wait_status (status, nullptr) ? 0 : 1;
}

/* Playback of `id` is refused: an error naming the KID (and `reason`), no
 * frame decoded, both through ot-decode and through playbin. */
void assert_refused (const gchar *data_dir, const gchar *id, const gchar *reason)
{
  g_autofree gchar *uri = g_strdup_printf ("offline://%s", id);
  gchar *message = nullptr;
  GPtrArray *lines = ot_decode_checksums (uri, data_dir, TRUE, &message);
  fail_unless (lines == nullptr, "%s played %u buffers", id, lines ? lines->len : 0);
  std::string kid = hex (kKid);
  fail_unless (message && strstr (message, kid.c_str ()), "no KID %s in: %s", kid.c_str (), tail (message));
  fail_unless (strstr (message, reason), "'%s' not in: %s", reason, tail (message));
  /* The download is named, whether its key has a record or not. */
  std::string asset = std::string ("download '") + id + "'";
  fail_unless (strstr (message, asset.c_str ()), "no %s in: %s", asset.c_str (), tail (message));
  g_free (message);

  guint buffers = 0;
  std::string output;
  gint status = play_counting (data_dir, uri, &buffers, &output);
  fail_unless (status != 0, "playbin played %s: %s", id, tail (output));
  fail_unless (output.find (kid) != std::string::npos, "no KID in: %s", tail (output));
  fail_unless_equals_int (buffers, 0);
}

/* `gst-offline --dir D play ID` with no other setup: HOME elsewhere (an
 * empty directory), no GST_OFFLINE_DIR, no network. offlinedrm finds the
 * keys in D through cachesrc's answer to its DRM store context query. */
void assert_cli_plays_from_dir (const gchar *data_dir, const gchar *id)
{
  g_autofree gchar *home = ot_make_temp_dir ("elsewhere-home");
  gchar **envp = g_get_environ ();
  envp = g_environ_unsetenv (envp, "GST_OFFLINE_DIR");
  envp = g_environ_unsetenv (envp, "XDG_DATA_HOME");
  envp = g_environ_setenv (envp, "HOME", home, TRUE);
  const gchar *argv[] = { "unshare", geteuid () == 0 ? "-n" : "-rn", "--", g_getenv ("GST_OFFLINE_CLI"), "--dir",
    data_dir, "play", id, "--video-sink", "fakesink sync=false", "--audio-sink", "fakesink sync=false", nullptr };
  gchar *out = nullptr, *err = nullptr;
  gint status = 0;
  GError *error = nullptr;
  if (!ot_spawn_sync (nullptr, const_cast<gchar **> (argv), envp, G_SPAWN_SEARCH_PATH, nullptr, nullptr, &out, &err,
          &status, &error))
    ck_abort_msg ("cannot run gst-offline: %s", error->message);
  g_strfreev (envp);
  std::string expected = std::string ("played ") + id + ": 100 video frames";
  fail_unless (g_spawn_check_wait_status (status, nullptr) && out && strstr (out, expected.c_str ()),
      "gst-offline --dir play %s: %s %s", id, out ? out : "", tail (err));
  g_free (out);
  g_free (err);
  /* Nothing was looked for (or made) in the home directory. */
  g_autoptr (GDir) dir = g_dir_open (home, 0, nullptr);
  fail_unless (dir && g_dir_read_name (dir) == nullptr, "something was written into HOME");
}

/* ---- Multi-DRM ------------------------------------------------------------------ */

/* A Widevine decryptor ranked above offlinedrm, as a system with a real one
 * has: qtdemux picks it unless told which system to prefer. It decrypts
 * nothing (a sample reaching it is an error). */
struct FakeWidevine {
  GstBaseTransform parent;
};
struct FakeWidevineClass {
  GstBaseTransformClass parent_class;
};
G_DEFINE_TYPE (FakeWidevine, fake_widevine, GST_TYPE_BASE_TRANSFORM)

GstFlowReturn fake_widevine_transform_ip (GstBaseTransform *trans, GstBuffer *)
{
  GST_ELEMENT_ERROR (trans, STREAM, DECRYPT, ("the Widevine decryptor was chosen"), (nullptr));
  return GST_FLOW_ERROR;
}

void fake_widevine_class_init (FakeWidevineClass *klass)
{
  static GstStaticPadTemplate sink = GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
      GST_STATIC_CAPS ("application/x-cenc, protection-system = (string) edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"));
  static GstStaticPadTemplate src = GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  gst_element_class_add_static_pad_template (element_class, &sink);
  gst_element_class_add_static_pad_template (element_class, &src);
  gst_element_class_set_static_metadata (element_class, "Fake Widevine decryptor", GST_ELEMENT_FACTORY_KLASS_DECRYPTOR,
      "Test stand-in", "gst-offline tests");
  GST_BASE_TRANSFORM_CLASS (klass)->transform_ip = fake_widevine_transform_ip;
}

void fake_widevine_init (FakeWidevine *) {}

void count_frame (GstElement *, GstBuffer *, GstPad *, gpointer frames)
{
  g_atomic_int_inc (static_cast<gint *> (frames));
}

/* The factories of the elements a pipeline made, noted from whichever
 * streaming thread adds them (decodebin plugs both tracks at once). */
struct ElementNames {
  std::mutex lock;
  std::vector<std::string> names;

  long count (const char *name)
  {
    std::lock_guard<std::mutex> guard (lock);
    return std::count (names.begin (), names.end (), name);
  }
};

void note_element (GstBin *, GstBin *, GstElement *element, gpointer data)
{
  GstElementFactory *factory = gst_element_get_factory (element);
  if (!factory)
    return;
  auto *noted = static_cast<ElementNames *> (data);
  std::lock_guard<std::mutex> guard (noted->lock);
  noted->names.push_back (GST_OBJECT_NAME (factory));
}

/* playbin in this process (cachesrc opens local files only) with the fake
 * Widevine decryptor registered: offlinedrm decrypts, frames reach the sink. */
void assert_plays_with_clearkey (const gchar *data_dir, const char *uri)
{
  fail_unless (gst_element_register (nullptr, "fakewidevinedecryptor", GST_RANK_PRIMARY, fake_widevine_get_type ()));
  g_autofree gchar *previous_dir = g_strdup (g_getenv ("GST_OFFLINE_DIR"));
  g_setenv ("GST_OFFLINE_DIR", data_dir, TRUE);
  GstElement *playbin = gst_element_factory_make ("playbin", nullptr);
  fail_unless (playbin != nullptr);
  gint frames = 0;
  ElementNames names;
  GstElement *video_sink = gst_element_factory_make ("fakesink", nullptr);
  g_object_set (video_sink, "signal-handoffs", TRUE, "sync", FALSE, nullptr);
  g_signal_connect (video_sink, "handoff", G_CALLBACK (count_frame), &frames);
  GstElement *audio_sink = gst_element_factory_make ("fakesink", nullptr);
  g_object_set (audio_sink, "sync", FALSE, nullptr);
  g_object_set (playbin, "uri", uri, "video-sink", video_sink, "audio-sink", audio_sink, nullptr);
  g_signal_connect (playbin, "deep-element-added", G_CALLBACK (note_element), &names);
  fail_unless (gst_element_set_state (playbin, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  GstBus *bus = gst_element_get_bus (playbin);
  GstMessage *message = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      static_cast<GstMessageType> (GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless (message != nullptr, "playback timed out");
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
    GError *error = nullptr;
    gchar *debug = nullptr;
    gst_message_parse_error (message, &error, &debug);
    ck_abort_msg ("playback failed: %s (%s)", error->message, debug ? debug : "");
  }
  gst_message_unref (message);
  gst_object_unref (bus);
  gst_element_set_state (playbin, GST_STATE_NULL);
  gst_object_unref (playbin);
  if (previous_dir)
    g_setenv ("GST_OFFLINE_DIR", previous_dir, TRUE);
  else
    g_unsetenv ("GST_OFFLINE_DIR");
  fail_unless (names.count ("offlinedrm") == 2, "offlinedrm not plugged for both tracks");
  fail_unless (names.count ("fakewidevinedecryptor") == 0);
  fail_unless_equals_int (frames, 100);
}

/* Plain: the packager's MPD (cenc:default_KID, DASH-IF ClearKey with a
 * Laurl); MultiDrm: Widevine listed first too (MPD and pssh); KidInPssh: no
 * default_KID, the KID only in a cenc:pssh v1. */
enum class Variant { Plain, MultiDrm, KidInPssh };

/* 4 s of DASH (100 frames) made by ffmpeg in root/clear, encrypted by the
 * test packager into root/enc, its ClearKey license server running, and an
 * empty data directory root/data. */
struct Protected {
  gchar *root, *clear_dir, *enc_dir, *data_dir;
  std::unique_ptr<ot::LicenseServer> licenses;

  Protected (const char *name, const char *scheme, guint iv_size, Variant variant)
      : root (ot_make_temp_dir (name)),
        clear_dir (g_build_filename (root, "clear", nullptr)),
        enc_dir (g_build_filename (root, "enc", nullptr)),
        data_dir (g_build_filename (root, "data", nullptr)),
        licenses (std::make_unique<ot::LicenseServer> (kKid, kKey))
  {
    for (const gchar *d : { clear_dir, enc_dir, data_dir })
      g_mkdir_with_parents (d, 0700);
    ot::make_dash (clear_dir, "-t 4");
    OtCencOptions options;
    options.scheme = scheme;
    options.kid = kKid;
    options.key = kKey;
    options.iv_size = iv_size;
    options.license_url = licenses->url ();
    options.widevine = variant == Variant::MultiDrm;
    options.default_kid_in_mpd = variant != Variant::KidInPssh;
    g_autoptr (GError) error = nullptr;
    fail_unless (ot_cenc_package_dash (clear_dir, "x.mpd", enc_dir, options, &error), "%s",
        error ? error->message : "");
  }
  ~Protected ()
  {
    for (gchar *p : { root, clear_dir, enc_dir, data_dir })
      g_free (p);
  }
  Protected (const Protected &) = delete;
  Protected &operator= (const Protected &) = delete;
};

void check_scheme (const char *scheme, guint iv_size, Variant variant = Variant::Plain)
{
  Protected content (scheme, scheme, iv_size, variant);
  const gchar *clear_dir = content.clear_dir;
  const gchar *enc_dir = content.enc_dir;
  const gchar *data_dir = content.data_dir;
  ot::LicenseServer *licenses = content.licenses.get ();

  /* The encrypted segments differ from the clear ones. */
  {
    g_autofree gchar *clear = g_build_filename (clear_dir, "chunk-stream0-00001.m4s", nullptr);
    g_autofree gchar *enc = g_build_filename (enc_dir, "chunk-stream0-00001.m4s", nullptr);
    g_autoptr (GBytes) a = ot_read_file (clear);
    g_autoptr (GBytes) b = ot_read_file (enc);
    fail_if (g_bytes_equal (a, b));
  }

  OtServer *server = ot_server_new ();
  g_autofree gchar *url = ot::serve (server, enc_dir, scheme, "manifest.mpd");

  /* The download acquires the license: one POST. */
  Cli r = run (data_dir, { "download", url, "--id", "enc" });
  fail_unless (r.status == 0, "download failed: %s", tail (r.err));
  fail_unless_equals_int (licenses->posts (), 1);

  /* Offline playback decodes what a decode of the clear segments decodes. */
  g_autofree gchar *reference_video = ot::dash_reference (clear_dir, 0);
  g_autofree gchar *reference_uri = gst_filename_to_uri (reference_video, nullptr);
  gchar *message = nullptr;
  GPtrArray *reference = ot_decode_checksums (reference_uri, data_dir, TRUE, &message);
  fail_unless (reference != nullptr, "decoding the reference failed: %s", tail (message));
  GPtrArray *offline = ot_decode_checksums ("offline://enc", data_dir, TRUE, &message);
  fail_unless (offline != nullptr, "offline playback of %s content failed: %s", scheme, tail (message));
  /* Audio was decrypted too (assert_same_as_reference: every buffer but the
   * encoder priming the reference's edit list cuts). */
  g_autofree gchar *reference_audio = ot::dash_reference (clear_dir, 1);
  g_autofree gchar *reference_audio_uri = gst_filename_to_uri (reference_audio, nullptr);
  GPtrArray *audio_reference = ot_decode_checksums (reference_audio_uri, data_dir, TRUE, &message);
  fail_unless (audio_reference != nullptr, "decoding the audio reference failed: %s", tail (message));
  ot::assert_same_as_reference (reference, audio_reference, offline);
  g_ptr_array_unref (audio_reference);
  g_ptr_array_unref (reference);
  g_ptr_array_unref (offline);

  if (variant == Variant::KidInPssh) {
    /* The license was asked for the KID the pssh names. */
    g_autofree gchar *mpd_path = g_build_filename (enc_dir, "manifest.mpd", nullptr);
    g_autoptr (GBytes) mpd = ot_read_file (mpd_path);
    std::string mpd_text (static_cast<const char *> (g_bytes_get_data (mpd, nullptr)), g_bytes_get_size (mpd));
    fail_unless (mpd_text.find ("default_KID") == std::string::npos && mpd_text.find ("<cenc:pssh>") != std::string::npos);
    fail_unless (licenses->last_body ().find (b64url (kKid)) != std::string::npos, "%s",
        licenses->last_body ().c_str ());
  }
  if (variant == Variant::MultiDrm) {
    /* cachesrc answers qtdemux's question: ClearKey, although a Widevine
     * decryptor ranked above offlinedrm is there and Widevine comes first. */
    assert_plays_with_clearkey (data_dir, "offline://enc");
  }
  if (variant != Variant::Plain) {
    ot_server_free (server);
    return;
  }

  assert_cli_plays_from_dir (data_dir, "enc");

  /* Released: refused. */
  r = run (data_dir, { "license", "release", "enc" });
  fail_unless (r.status == 0, "release failed: %s", tail (r.err));
  assert_refused (data_dir, "enc", "No key for KID");

  /* A license of one second, two seconds later (by the clock seam the
   * players read): refused. */
  licenses->set_answer (ot::LicenseAnswer::Keys, 1);
  r = run (data_dir, { "download", url, "--id", "short" });
  fail_unless (r.status == 0, "download failed: %s", tail (r.err));
  fail_unless_equals_int (licenses->posts (), 2);
  g_setenv ("GST_OFFLINE_CLOCK_MS", std::to_string (g_get_real_time () / 1000 + 2000).c_str (), TRUE);
  assert_refused (data_dir, "short", "expired");
  g_unsetenv ("GST_OFFLINE_CLOCK_MS");

  ot_server_free (server);
}

GST_START_TEST (test_cenc)
{
  check_scheme ("cenc", 8);
}
GST_END_TEST;

GST_START_TEST (test_cenc_16_byte_iv)
{
  check_scheme ("cenc", 16);
}
GST_END_TEST;

GST_START_TEST (test_cbcs)
{
  check_scheme ("cbcs", 0);
}
GST_END_TEST;

GST_START_TEST (test_multi_drm_chooses_clearkey)
{
  check_scheme ("cenc", 8, Variant::MultiDrm);
}
GST_END_TEST;

/* An application's own DRM store written in Python (tests/test-app-drm-store.py):
 * it receives the keys of a download and serves its playback through the
 * pipeline's context, and the data directory's drm.db is never made. */
GST_START_TEST (test_application_store_from_python)
{
  Protected content ("app-store", "cenc", 8, Variant::Plain);
  const gchar *data_dir = content.data_dir;
  OtServer *server = ot_server_new ();
  g_autofree gchar *url = ot::serve (server, content.enc_dir, "app", "manifest.mpd");
  g_autoptr (GError) error = nullptr;

  const gchar *argv[] = { g_getenv ("OT_PYTHON"), g_getenv ("OT_APP_DRM_STORE_SCRIPT"), url, data_dir, nullptr };
  fail_unless (argv[0] && argv[1], "OT_PYTHON and OT_APP_DRM_STORE_SCRIPT are not set: run the tests with meson test");
  gchar **envp = g_get_environ ();
  envp = g_environ_setenv (envp, "G_DEBUG", "fatal-criticals", TRUE);
  gchar *out = nullptr, *err = nullptr;
  gint status = 0;
  if (!ot_spawn_sync (nullptr, const_cast<gchar **> (argv), envp, G_SPAWN_DEFAULT, nullptr, nullptr, &out, &err,
          &status, &error))
    ck_abort_msg ("cannot run %s: %s", argv[1], error->message);
  g_strfreev (envp);
  fail_unless (g_spawn_check_wait_status (status, nullptr), "the application failed: %s %s", out ? out : "",
      tail (err));
  fail_unless (out && strstr (out, "frames 100\n"), "not every frame played: %s %s", out ? out : "", tail (err));
  g_free (out);
  g_free (err);
  fail_unless_equals_int (content.licenses->posts (), 1);
  /* The default store stayed empty: never even made. */
  g_autofree gchar *drm_db = g_build_filename (data_dir, "drm.db", nullptr);
  fail_if (g_file_test (drm_db, G_FILE_TEST_EXISTS), "the data directory's drm.db was made");
  ot_server_free (server);
}
GST_END_TEST;

GST_START_TEST (test_kid_from_pssh_without_default_kid)
{
  check_scheme ("cbcs", 0, Variant::KidInPssh);
}
GST_END_TEST;

/* A clear Period then a protected one (ffmpeg's clear segments, then the
 * same encrypted by the test packager, each under its own BaseURL): the
 * download licenses the second Period's KID, and playback crosses from
 * clear to protected content and decodes the same pictures, at the same
 * times 4 s later, in both Periods. It used to fail at the new init segment
 * about half the time.
 *
 * After qtdemux, clear and protected content are different streams
 * (video/x-h264, application/x-cenc), and no chain below it (decodebin's,
 * parsebin's, decodebin3's) replugs itself with a decryptor when its pad's
 * caps change; a new stream id (a new qtdemux pad) played under uridecodebin
 * and playbin in real time only, and hung or decoded wrong frames under
 * playbin3 and uridecodebin3. So the track, signalled protected, is
 * protected content from its first sample on: cachesrc sends its clear
 * Period's init segment as a clear lead (tenc: not protected) and the pad,
 * its stream id and offlinedrm stay. Under uridecodebin and uridecodebin3
 * (ot-decode, twice each), playbin and playbin3 as fast as they can, and
 * playbin3 seeking into the protected Period and back into the clear one. */
void play_clear_then_protected (const char *name, bool signalled)
{
  Protected content (name, "cenc", 8, Variant::Plain);
  g_autofree gchar *mixed = g_build_filename (content.root, "mixed", nullptr);
  ot::ClearThenProtected periods (content.clear_dir, content.enc_dir, mixed, content.data_dir, signalled);
  OtServer *server = ot_server_new ();
  g_autofree gchar *url = ot::serve (server, mixed, "mixed", "mixed.mpd");
  Cli r = run (content.data_dir, { "download", url, "--id", "mixed" });
  fail_unless (r.status == 0, "download failed: %s", tail (r.err));
  fail_unless_equals_int (content.licenses->posts (), signalled ? 1 : 0);
  if (!signalled) {
    /* No license to ask for: the key comes from the application (here
     * straight into the data directory's store). */
    g_autoptr (GError) error = nullptr;
    g_autoptr (GstOfflineSqliteDrmStore) store = gst_offline_sqlite_drm_store_new (content.data_dir, &error);
    fail_unless (store != nullptr, "%s", error ? error->message : "");
    g_autoptr (GBytes) key = g_bytes_new (kKey.data (), kKey.size ());
    fail_unless (gst_offline_drm_store_add_key (GST_OFFLINE_DRM_STORE (store), "mixed", hex (kKid).c_str (), key, &error),
        "%s", error ? error->message : "");
  }

  gchar *message = nullptr;
  for (guint flags : { 0u, static_cast<guint> (OT_DECODE_URIDECODEBIN3) }) {
    for (int run = 0; run < 2; run++) {
      std::string how = std::string (flags ? "uridecodebin3" : "uridecodebin") + " run " + std::to_string (run);
      GPtrArray *offline = ot_decode_checksums_full ("offline://mixed", content.data_dir,
          static_cast<OtDecodeFlags> (OT_DECODE_NO_NETWORK | flags), GST_CLOCK_TIME_NONE, &message);
      fail_unless (offline != nullptr, "%s: playback failed: %s", how.c_str (), tail (message));
      periods.assert_frames (ot::frames_of (offline, "video"), 0, how);
      fail_unless (!ot::frames_of (offline, "audio").empty (), "%s: no audio", how.c_str ());
      g_ptr_array_unref (offline);
    }
  }

  /* playbin and playbin3 as fast as they can (playbin used to stop at the
   * change: its playsink took the new video pad only once every pad was
   * blocked, and the ended audio pad never blocked again); playbin3 also
   * seeking from the clear Period into the protected one, then back. */
  struct Way {
    const gchar *factory;
    std::vector<GstClockTime> seeks;
  };
  for (const Way &way : { Way { "playbin", {} }, Way { "playbin3", {} },
           Way { "playbin3", { 6 * GST_SECOND, 1 * GST_SECOND } } }) {
    std::string how = way.factory;
    ot::Player player;
    player.data_dir = content.data_dir;
    player.pipeline = gst_element_factory_make (way.factory, nullptr);
    g_object_set (player.pipeline, "uri", "offline://mixed", "video-sink", ot::checksum_sink (&player.video),
        "audio-sink", ot::checksum_sink (&player.audio), nullptr);
    g_signal_connect (player.pipeline, "source-setup", G_CALLBACK (ot::on_source_setup), &player);
    gint64 start = 0;
    if (!way.seeks.empty ()) {
      fail_unless (gst_element_set_state (player.pipeline, GST_STATE_PAUSED) != GST_STATE_CHANGE_FAILURE);
      ot::wait_for (player.pipeline, GST_MESSAGE_ASYNC_DONE);
      for (GstClockTime target : way.seeks) {
        fail_unless (gst_element_seek_simple (player.pipeline, GST_FORMAT_TIME,
            static_cast<GstSeekFlags> (GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE), target));
        ot::wait_for (player.pipeline, GST_MESSAGE_ASYNC_DONE);
        how += " seek " + std::to_string (target / GST_MSECOND) + " ms";
        start = static_cast<gint64> (target);
      }
    }
    fail_unless (gst_element_set_state (player.pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
    ot::wait_for (player.pipeline, GST_MESSAGE_EOS);
    gst_element_set_state (player.pipeline, GST_STATE_NULL);
    gst_object_unref (player.pipeline);
    periods.assert_frames (ot::lines_to_frames (player.video), start, how);
    fail_unless (!ot::lines_to_frames (player.audio).empty (), "%s: no audio", how.c_str ());
  }
  ot_server_free (server);
}

GST_START_TEST (test_clear_then_protected_period)
{
  play_clear_then_protected ("clear-then-cenc", true);
}
GST_END_TEST;

/* The same content with nothing about the protection in the manifest: the
 * second Period's init segments alone say it (encv and enca, a pssh), and
 * the key comes from the application's store. cachesrc reads the track's
 * init segments when it starts: one of them protected, the track is
 * protected content from its first sample on, as when the manifest says so
 * (it used to get a new stream id at the change, which played under
 * uridecodebin only). */
GST_START_TEST (test_clear_then_unsignalled_protected_period)
{
  play_clear_then_protected ("clear-then-unsignalled", false);
}
GST_END_TEST;

Suite *drm_playback_suite (void)
{
  Suite *s = suite_create ("drm-playback");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 240);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_cenc);
  tcase_add_test (tc, test_cenc_16_byte_iv);
  tcase_add_test (tc, test_cbcs);
  tcase_add_test (tc, test_multi_drm_chooses_clearkey);
  tcase_add_test (tc, test_kid_from_pssh_without_default_kid);
  TCase *periods = tcase_create ("periods");
  tcase_set_timeout (periods, 240);
  suite_add_tcase (s, periods);
  tcase_add_test (periods, test_clear_then_protected_period);
  tcase_add_test (periods, test_clear_then_unsignalled_protected_period);
  if (g_getenv ("OT_APP_DRM_STORE_SCRIPT"))
    tcase_add_test (tc, test_application_store_from_python);
  else
    g_printerr ("not testing an application store in Python: built without introspection\n");
  return s;
}

}  // namespace

GST_CHECK_MAIN (drm_playback);
