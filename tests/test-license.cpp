/* Persistent ClearKey licenses end to end: a DASH download of protected
 * content acquires its license from an in-process libsoup license server
 * (one POST, the KIDs in base64url), keeps the keys 0600 in drm.db and never
 * logs them; `license status` counts down, `renew` extends, `release`
 * removes the keys; license server faults fail the download naming the
 * license URL; and offlinedrm refuses an expired license or a used-up
 * playback window before any buffer, naming the download, the KID and when.
 * Two downloads with the same KID each keep their own license; a license
 * can be acquired without the media, and through the application's hooks.
 * Time is a frozen clock the tests move ($GST_OFFLINE_CLOCK_MS), never sleeps.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/offline/offline.h>
#include <json-glib/json-glib.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "adaptive-content.h"
#include "license-server.h"
#include "test-support.h"

#include <glib/gstdio.h>
#include <sys/stat.h>

#include <array>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

using ot::Block;
using ot::Cli;
using ot::run;
using ot::b64url;
using ot::hex;
using Answer = ot::LicenseAnswer;

const Block kKid = { 0x10, 0x00, 0x00, 0x00, 0x10, 0x00, 0x10, 0x00, 0x10, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x01 };
const char *const kKidUuid = "10000000-1000-1000-1000-100000000001";
const Block kKey = { 0x5a, 0x1e, 0x77, 0x3c, 0x09, 0xd2, 0x4b, 0x81, 0xe6, 0x3f, 0xa0, 0x55, 0x12, 0xc4, 0x9d, 0x6b };


/* ---- Protected DASH content ------------------------------------------------ */

struct Fixture {
  OtServer *server;
  ot::LicenseServer *licenses;
  gchar *content_dir;
  gchar *data_dir;
  std::string mpd_url;
};

/* A static MPD whose one video Representation is protected (cenc with a
 * default_KID, ClearKey with a Laurl); `laurl` empty leaves the Laurl out.
 * The segments are opaque bytes: acquiring the license needs no media. */
Fixture make_fixture (const char *name, bool with_laurl = true)
{
  Fixture f;
  f.server = ot_server_new ();
  f.licenses = new ot::LicenseServer (kKid, kKey);
  f.content_dir = ot_make_temp_dir ((std::string (name) + "-content").c_str ());
  f.data_dir = ot_make_temp_dir ((std::string (name) + "-data").c_str ());
  std::string laurl = with_laurl ? "<dashif:Laurl Lic_type=\"EME-1.0\">" + f.licenses->url () + "</dashif:Laurl>" : "";
  std::string mpd =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" xmlns:cenc=\"urn:mpeg:cenc:2013\""
      " xmlns:dashif=\"https://dashif.org/CPS\" type=\"static\" mediaPresentationDuration=\"PT4S\""
      " minBufferTime=\"PT2S\" profiles=\"urn:mpeg:dash:profile:isoff-live:2011\">\n"
      " <Period>\n"
      "  <AdaptationSet contentType=\"video\" mimeType=\"video/mp4\">\n"
      "   <ContentProtection schemeIdUri=\"urn:mpeg:dash:mp4protection:2011\" value=\"cenc\" cenc:default_KID=\""
      + std::string (kKidUuid) + "\"/>\n"
      "   <ContentProtection schemeIdUri=\"urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e\" value=\"ClearKey1.0\">"
      + laurl + "</ContentProtection>\n"
      "   <SegmentTemplate media=\"seg-$Number$.m4s\" initialization=\"init.mp4\" duration=\"2\" timescale=\"1\"/>\n"
      "   <Representation id=\"v\" bandwidth=\"100000\" codecs=\"avc1.42c01e\" width=\"320\" height=\"240\"/>\n"
      "  </AdaptationSet>\n"
      " </Period>\n"
      "</MPD>\n";
  g_autofree gchar *mpd_path = g_build_filename (f.content_dir, "movie.mpd", nullptr);
  fail_unless (g_file_set_contents (mpd_path, mpd.c_str (), -1, nullptr));
  g_autofree gchar *url = ot_server_add_file (f.server, "/movie.mpd", mpd_path);
  f.mpd_url = url;
  for (const char *segment : { "init.mp4", "seg-1.m4s", "seg-2.m4s" }) {
    g_autofree gchar *path = ot_make_random_file (f.content_dir, segment, 4096);
    g_autofree gchar *served = ot_server_add_file (f.server, (std::string ("/") + segment).c_str (), path);
  }
  return f;
}

void free_fixture (Fixture &f)
{
  ot_server_free (f.server);
  delete f.licenses;
  g_free (f.content_dir);
  g_free (f.data_dir);
}

void download_ok (Fixture &f, std::vector<const char *> extra = {}, const char *id = "movie")
{
  std::vector<const char *> args = { "download", f.mpd_url.c_str (), "--id", id };
  args.insert (args.end (), extra.begin (), extra.end ());
  Cli r = run (f.data_dir, args);
  fail_unless (r.status == 0, "download %s failed: %s", id, r.err.c_str ());
}

/* What `license status ID --json` says. */
struct Status {
  gint64 expires_in;
  gint64 playable_for;
  std::string expires_at;   /* "" for null */
  std::string license_url;  /* "" for null */
};

std::string string_or_null (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);
  fail_unless (node != nullptr, "no %s member", name);
  return JSON_NODE_HOLDS_NULL (node) ? std::string () : std::string (json_node_get_string (node));
}

Status license_status (const char *data_dir, const char *id = "movie")
{
  Cli r = run (data_dir, { "license", "status", id, "--json" });
  fail_unless (r.status == 0, "license status %s failed: %s", id, r.err.c_str ());
  g_autoptr (JsonParser) parser = json_parser_new ();
  fail_unless (json_parser_load_from_data (parser, r.out.c_str (), -1, nullptr), "not JSON: %s", r.out.c_str ());
  JsonObject *object = json_node_get_object (json_parser_get_root (parser));
  fail_unless_equals_string (json_object_get_string_member (object, "id"), id);
  return { json_object_get_int_member (object, "expires_in"), json_object_get_int_member (object, "playable_for"),
    string_or_null (object, "expires_at"), string_or_null (object, "license_url") };
}

/* `license status ID` of a download without a license: an error naming it. */
void assert_no_license (const char *data_dir, const char *id)
{
  Cli r = run (data_dir, { "license", "status", id });
  fail_unless_equals_int (r.status, 1);
  fail_unless (strstr (r.err.c_str (), id) != nullptr && strstr (r.err.c_str (), "no license") != nullptr, "%s",
      r.err.c_str ());
}

/* The clock seam: licenses (in this process and in the CLI it runs) are
 * judged by a frozen clock, set at the start of each test to the real time
 * and moved `seconds` from there. */
gint64 clock_base_ms = 0;

void move_clock (gint64 seconds)
{
  if (clock_base_ms == 0)
    clock_base_ms = g_get_real_time () / 1000;
  g_setenv ("GST_OFFLINE_CLOCK_MS", std::to_string (clock_base_ms + seconds * 1000).c_str (), TRUE);
}

void assert_about (gint64 value, gint64 expected, const char *what)
{
  fail_unless (value == expected, "%s is %" G_GINT64_FORMAT ", not %" G_GINT64_FORMAT, what, value, expected);
}

/* Each test in its own process (check forks), its clock frozen from the start. */
void freeze_clock ()
{
  clock_base_ms = 0;
  move_clock (0);
}

/* ---- offlinedrm in a harness ------------------------------------------------ */

/* A full-sample cenc sample (AES-128-CTR over the whole buffer) of kKid. */
GstBuffer *encrypted_sample (std::vector<guint8> *plain)
{
  plain->resize (256);
  for (gsize i = 0; i < plain->size (); i++)
    (*plain)[i] = static_cast<guint8> (i * 7 + 3);
  Block iv = { 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0 };
  std::vector<guint8> data (plain->size ());
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new ();
  int len = 0;
  fail_unless (EVP_EncryptInit_ex (ctx, EVP_aes_128_ctr (), nullptr, kKey.data (), iv.data ()) == 1);
  fail_unless (EVP_EncryptUpdate (ctx, data.data (), &len, plain->data (), static_cast<int> (plain->size ())) == 1);
  EVP_CIPHER_CTX_free (ctx);
  GstBuffer *buffer = gst_buffer_new_memdup (data.data (), data.size ());
  GstBuffer *kid = gst_buffer_new_memdup (kKid.data (), kKid.size ());
  GstBuffer *iv_buffer = gst_buffer_new_memdup (iv.data (), 8);
  GstStructure *info = gst_structure_new ("application/x-cenc", "encrypted", G_TYPE_BOOLEAN, TRUE,
      "kid", GST_TYPE_BUFFER, kid, "iv_size", G_TYPE_UINT, 8u, "iv", GST_TYPE_BUFFER, iv_buffer,
      "cipher-mode", G_TYPE_STRING, "cenc", "subsample_count", G_TYPE_UINT, 0u, nullptr);
  gst_buffer_unref (kid);
  gst_buffer_unref (iv_buffer);
  gst_buffer_add_protection_meta (buffer, info);
  return buffer;
}

struct Drm {
  GstHarness *h;
  GstElement *element;
  GstBus *bus;
};

Drm start_drm (const gchar *data_dir, const gchar *id)
{
  Drm drm;
  drm.element = gst_element_factory_make ("offlinedrm", nullptr);
  fail_unless (drm.element != nullptr, "no offlinedrm element");
  g_object_set (drm.element, "cache-dir", data_dir, "download-id", id, nullptr);
  drm.bus = gst_bus_new ();
  gst_element_set_bus (drm.element, drm.bus);
  drm.h = gst_harness_new_with_element (drm.element, "sink", "src");
  gst_harness_set_src_caps_str (drm.h,
      "application/x-cenc, original-media-type=(string)video/x-h264, stream-format=(string)avc, "
      "protection-system=(string)1077efec-c0b2-4d02-ace3-3c1e52e2fb4b, cipher-mode=(string)cenc");
  return drm;
}

void stop_drm (Drm &drm)
{
  gst_harness_teardown (drm.h);
  gst_object_unref (drm.element);
  gst_object_unref (drm.bus);
}

/* Pushes a sample of download `id`: decrypted (empty string) or refused
 * (the error's text). */
std::string play_one (const gchar *data_dir, const gchar *id = "movie")
{
  Drm drm = start_drm (data_dir, id);
  std::vector<guint8> plain;
  GstFlowReturn flow = gst_harness_push (drm.h, encrypted_sample (&plain));
  std::string result;
  if (flow == GST_FLOW_OK) {
    GstBuffer *out = gst_harness_pull (drm.h);
    fail_unless (out != nullptr);
    fail_unless (gst_buffer_memcmp (out, 0, plain.data (), plain.size ()) == 0, "not decrypted");
    gst_buffer_unref (out);
  } else {
    fail_unless_equals_int (gst_harness_buffers_in_queue (drm.h), 0);
    GstMessage *message = gst_bus_pop_filtered (drm.bus, GST_MESSAGE_ERROR);
    fail_unless (message != nullptr, "refused without an error message");
    GError *error = nullptr;
    gst_message_parse_error (message, &error, nullptr);
    result = error->message;
    g_error_free (error);
    gst_message_unref (message);
    fail_if (result.empty ());
  }
  stop_drm (drm);
  return result;
}

/* The sample of download `id` is decrypted. The error is bound to a name:
 * fail_unless_equals_string keeps only the char pointer of its arguments, so
 * the std::string play_one returns must outlive it. */
#define fail_unless_plays(...)                                          \
  G_STMT_START {                                                        \
    std::string play_error = play_one (__VA_ARGS__);                    \
    fail_unless_equals_string (play_error.c_str (), "");                \
  } G_STMT_END

/* ---- Tests ---------------------------------------------------------------- */

GST_START_TEST (test_download_acquires_and_stores_the_license)
{
  Fixture f = make_fixture ("acquire");
  download_ok (f);
  /* One POST, the W3C ClearKey request with the KID in base64url. */
  fail_unless_equals_int (f.licenses->posts (), 1);
  g_autoptr (JsonParser) parser = json_parser_new ();
  std::string body = f.licenses->last_body ();
  fail_unless (json_parser_load_from_data (parser, body.c_str (), -1, nullptr), "%s", body.c_str ());
  JsonObject *request = json_node_get_object (json_parser_get_root (parser));
  fail_unless_equals_string (json_object_get_string_member (request, "type"), "persistent-license");
  JsonArray *kids = json_object_get_array_member (request, "kids");
  fail_unless_equals_int (json_array_get_length (kids), 1);
  std::string kid_b64url = b64url (kKid);
  fail_unless_equals_string (json_array_get_string_element (kids, 0), kid_b64url.c_str ());

  /* drm.db is 0600 and holds the key. */
  g_autofree gchar *db = g_build_filename (f.data_dir, "drm.db", nullptr);
  struct stat st;
  fail_unless (g_stat (db, &st) == 0);
  fail_unless_equals_int (st.st_mode & 0777, 0600);
  fail_unless_plays (f.data_dir);

  /* status --json shows the license: unlimited here, and where it came from. */
  Cli status = run (f.data_dir, { "status", "movie", "--json" });
  fail_unless_equals_int (status.status, 0);
  fail_unless (strstr (status.out.c_str (), "\"expires_in\" : -1") != nullptr, "%s", status.out.c_str ());
  fail_unless (strstr (status.out.c_str (), "\"playable_for\" : -1") != nullptr, "%s", status.out.c_str ());
  fail_unless (strstr (status.out.c_str (), "\"expires_at\" : null") != nullptr, "%s", status.out.c_str ());
  std::string url_member = "\"license_url\" : \"" + f.licenses->url () + "\"";
  fail_unless (strstr (status.out.c_str (), url_member.c_str ()) != nullptr, "%s", status.out.c_str ());
  Status license = license_status (f.data_dir);
  fail_unless (license.expires_at.empty ());
  fail_unless_equals_string (license.license_url.c_str (), f.licenses->url ().c_str ());
  /* Said to a person: never expires, not "expires in -1 s". */
  Cli text = run (f.data_dir, { "license", "status", "movie" });
  fail_unless (strstr (text.out.c_str (), "never expires") != nullptr, "%s", text.out.c_str ());
  fail_unless (strstr (text.out.c_str (), "-1") == nullptr, "%s", text.out.c_str ());
  free_fixture (f);
}
GST_END_TEST;

GST_START_TEST (test_license_url_option_replaces_the_laurl)
{
  Fixture f = make_fixture ("license-url", false);
  /* No Laurl and no --license-url: fails before the segments, saying why. */
  Cli r = run (f.data_dir, { "download", f.mpd_url.c_str (), "--id", "movie" });
  fail_unless_equals_int (r.status, 1);
  fail_unless (strstr (r.err.c_str (), "--license-url") != nullptr, "%s", r.err.c_str ());
  fail_unless_equals_int (ot_server_get_request_count (f.server, "/seg-1.m4s"), 0);
  download_ok (f, { "--license-url", f.licenses->url ().c_str () });
  fail_unless_equals_int (f.licenses->posts (), 1);
  free_fixture (f);
}
GST_END_TEST;

GST_START_TEST (test_license_server_faults_fail_the_download)
{
  const struct {
    Answer answer;
    std::vector<const char *> reasons;
  } cases[] = {
    { Answer::Status500, { "500" } },
    { Answer::Malformed, { "not JSON" } },
    { Answer::MissingKid, { "without a key for KID 10000000100010001000100000000001", "no other key" } },
    /* A license for other content: its KID named next to the content's. */
    { Answer::OtherKid, { "without a key for KID 10000000100010001000100000000001",
                          "its keys are for KID ef000000100010001000100000000001" } },
  };
  for (const auto &c : cases) {
    Fixture f = make_fixture ("faults");
    f.licenses->set_answer (c.answer);
    Cli r = run (f.data_dir, { "download", f.mpd_url.c_str (), "--id", "movie" });
    fail_unless_equals_int (r.status, 1);
    fail_unless (strstr (r.err.c_str (), f.licenses->url ().c_str ()) != nullptr, "no license URL in: %s", r.err.c_str ());
    for (const char *reason : c.reasons)
      fail_unless (strstr (r.err.c_str (), reason) != nullptr, "'%s' not in: %s", reason, r.err.c_str ());
    /* No segment was fetched for a download that could never play. */
    fail_unless_equals_int (ot_server_get_request_count (f.server, "/seg-1.m4s"), 0);
    assert_no_license (f.data_dir, "movie");
    free_fixture (f);
  }
}
GST_END_TEST;

/* A server may answer with all the keys of a title: the content's keys are
 * kept, the others are not. */
GST_START_TEST (test_keys_for_other_kids_besides_the_content_ones_are_not_kept)
{
  Fixture f = make_fixture ("extra-keys");
  Block other = kKid;
  other[15] ^= 0x5a;
  f.licenses->add_key (other, kKey);
  download_ok (f);
  fail_unless_plays (f.data_dir);
  g_autoptr (GError) error = nullptr;
  g_autoptr (GstOfflineSqliteDrmStore) store = gst_offline_sqlite_drm_store_new (f.data_dir, &error);
  fail_unless (store != nullptr, "%s", error ? error->message : "");
  for (const Block &kid : { kKid, other }) {
    g_autoptr (GError) load_error = nullptr;
    g_autoptr (GBytes) value = gst_offline_drm_store_lookup_key (GST_OFFLINE_DRM_STORE (store), "movie",
        hex (kid).c_str (), &load_error);
    fail_unless ((value != nullptr) == (kid == kKid), "KID %s: %s", hex (kid).c_str (),
        load_error ? load_error->message : "stored");
    fail_unless (value || g_error_matches (load_error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND));
  }
  free_fixture (f);
}
GST_END_TEST;

GST_START_TEST (test_status_counts_down_and_renew_extends)
{
  Fixture f = make_fixture ("countdown");
  f.licenses->set_answer (Answer::Keys, 100, 50);
  download_ok (f);
  Status initial = license_status (f.data_dir);
  assert_about (initial.expires_in, 100, "expires_in");
  /* Not played yet: the whole window. */
  fail_unless_equals_int64 (initial.playable_for, 50);
  /* The absolute expiry: 100 s after the acquisition. */
  g_autoptr (GDateTime) expires_at = g_date_time_new_from_iso8601 (initial.expires_at.c_str (), nullptr);
  fail_unless (expires_at != nullptr, "expires_at '%s' is not ISO 8601", initial.expires_at.c_str ());
  gint64 from_now = g_date_time_to_unix (expires_at) - clock_base_ms / 1000;
  fail_unless (from_now == 100, "expires_at is %" G_GINT64_FORMAT " s away", from_now);

  move_clock (30);
  Status later = license_status (f.data_dir);
  assert_about (later.expires_in, 70, "expires_in 30 s later");
  fail_unless_equals_int64 (later.playable_for, 50);
  fail_unless_equals_string (later.expires_at.c_str (), initial.expires_at.c_str ());

  /* Playing starts the window: it counts down from then. */
  fail_unless_plays (f.data_dir);
  move_clock (40);
  Status played = license_status (f.data_dir);
  assert_about (played.playable_for, 40, "playable_for 10 s after the first playback");

  /* Renew: a new license from now, unlimited playback this time. */
  f.licenses->set_answer (Answer::Keys, 1000, -1);
  Cli r = run (f.data_dir, { "license", "renew", "movie" });
  fail_unless_equals_int (r.status, 0);
  fail_unless_equals_int (f.licenses->posts (), 2);
  Status renewed = license_status (f.data_dir);
  assert_about (renewed.expires_in, 1000, "expires_in after renew");
  fail_unless_equals_int64 (renewed.playable_for, renewed.expires_in);
  free_fixture (f);
}
GST_END_TEST;

GST_START_TEST (test_expired_license_is_refused_before_any_buffer)
{
  Fixture f = make_fixture ("expired");
  f.licenses->set_answer (Answer::Keys, 2, -1);
  download_ok (f);
  fail_unless_plays (f.data_dir);
  std::string expires_at = license_status (f.data_dir).expires_at;
  fail_if (expires_at.empty ());
  move_clock (3);
  Status status = license_status (f.data_dir);
  fail_unless_equals_int64 (status.expires_in, 0);
  fail_unless_equals_int64 (status.playable_for, 0);
  std::string error = play_one (f.data_dir);
  fail_unless (strstr (error.c_str (), "'movie'") != nullptr, "no download in: %s", error.c_str ());
  fail_unless (strstr (error.c_str (), hex (kKid).c_str ()) != nullptr, "no KID in: %s", error.c_str ());
  /* When, as the status says it. */
  std::string expired_at = "expired at " + expires_at;
  fail_unless (strstr (error.c_str (), expired_at.c_str ()) != nullptr, "no '%s' in: %s", expired_at.c_str (),
      error.c_str ());

  /* Renewing makes it playable again. */
  f.licenses->set_answer (Answer::Keys, 600, -1);
  fail_unless_equals_int (run (f.data_dir, { "license", "renew", "movie" }).status, 0);
  fail_unless_plays (f.data_dir);
  free_fixture (f);
}
GST_END_TEST;

GST_START_TEST (test_used_up_playback_window_is_refused)
{
  Fixture f = make_fixture ("window");
  f.licenses->set_answer (Answer::Keys, -1, 1);
  download_ok (f);
  /* The window starts at the first playback, not at acquisition. */
  move_clock (5);
  fail_unless_plays (f.data_dir);
  move_clock (7);
  std::string error = play_one (f.data_dir);
  fail_unless (strstr (error.c_str (), "playback window") != nullptr, "%s", error.c_str ());
  fail_unless (strstr (error.c_str (), hex (kKid).c_str ()) != nullptr, "%s", error.c_str ());
  fail_unless (strstr (error.c_str (), "'movie'") != nullptr, "%s", error.c_str ());
  free_fixture (f);
}
GST_END_TEST;

GST_START_TEST (test_release_removes_the_keys_and_keeps_the_data)
{
  Fixture f = make_fixture ("release");
  download_ok (f);
  Cli r = run (f.data_dir, { "license", "release", "movie" });
  fail_unless_equals_int (r.status, 0);
  std::string error = play_one (f.data_dir);
  fail_unless (strstr (error.c_str (), "No key for KID") != nullptr, "%s", error.c_str ());
  fail_unless (strstr (error.c_str (), "'movie'") != nullptr, "%s", error.c_str ());
  Cli status = run (f.data_dir, { "status", "movie", "--json" });
  fail_unless (strstr (status.out.c_str (), "\"license\" : null") != nullptr, "%s", status.out.c_str ());
  fail_unless (strstr (status.out.c_str (), "\"state\" : \"completed\"") != nullptr, "%s", status.out.c_str ());
  /* Releasing what is not there is an error that says so. */
  Cli again = run (f.data_dir, { "license", "release", "movie" });
  fail_unless_equals_int (again.status, 1);
  fail_unless (strstr (again.err.c_str (), "no license") != nullptr, "%s", again.err.c_str ());
  assert_no_license (f.data_dir, "movie");

  /* Registering the asset licenses it again, for the KIDs of its plan:
   * the manifest is not read again. */
  guint manifest_requests = ot_server_get_request_count (f.server, "/movie.mpd");
  g_autoptr (GError) err = nullptr;
  g_autoptr (GstOfflineLicenseManager) licenses = gst_offline_license_manager_new (f.data_dir, nullptr, &err);
  fail_unless (licenses != nullptr, "%s", err ? err->message : "");
  fail_unless (gst_offline_license_manager_register_asset (licenses, "movie", nullptr, nullptr, &err), "%s",
      err ? err->message : "");
  fail_unless_equals_int (f.licenses->posts (), 2);
  fail_unless_equals_int (ot_server_get_request_count (f.server, "/movie.mpd"), manifest_requests);
  fail_unless_plays (f.data_dir);
  fail_unless (gst_offline_license_manager_unregister_asset (licenses, "movie", &err));
  fail_if (gst_offline_license_manager_has_license (licenses, "movie", &err));
  fail_unless (err == nullptr);

  /* Removing a download releases its license. */
  fail_unless (gst_offline_license_manager_register_asset (licenses, "movie", nullptr, nullptr, &err));
  fail_unless_equals_int (run (f.data_dir, { "remove", "movie" }).status, 0);
  fail_unless (play_one (f.data_dir).find ("No key for KID") != std::string::npos);
  free_fixture (f);
}
GST_END_TEST;

/* Two downloads of content with the same KID, licensed with different
 * policies: each license is its download's alone. */
GST_START_TEST (test_downloads_sharing_a_kid_keep_their_own_licenses)
{
  Fixture f = make_fixture ("shared-kid");
  download_ok (f, {}, "a");
  f.licenses->set_answer (Answer::Keys, 30, -1);
  download_ok (f, {}, "b");
  /* b's 30 s license did not touch a's unlimited one. */
  fail_unless_equals_int64 (license_status (f.data_dir, "a").expires_in, -1);
  assert_about (license_status (f.data_dir, "b").expires_in, 30, "b's expires_in");

  /* b expires; a plays on. The refusal names b. */
  move_clock (40);
  fail_unless_equals_int64 (license_status (f.data_dir, "b").expires_in, 0);
  fail_unless_plays (f.data_dir, "a");
  std::string error = play_one (f.data_dir, "b");
  fail_unless (strstr (error.c_str (), "'b'") != nullptr && strstr (error.c_str (), "expired") != nullptr, "%s",
      error.c_str ());
  Status a = license_status (f.data_dir, "a");
  fail_unless_equals_int64 (a.expires_in, -1);
  fail_unless_equals_int64 (a.playable_for, -1);

  /* Releasing b leaves a playable, and b not. */
  fail_unless_equals_int (run (f.data_dir, { "license", "release", "b" }).status, 0);
  assert_no_license (f.data_dir, "b");
  error = play_one (f.data_dir, "b");
  fail_unless (strstr (error.c_str (), "No key for KID") != nullptr && strstr (error.c_str (), "'b'") != nullptr,
      "%s", error.c_str ());
  fail_unless_plays (f.data_dir, "a");

  /* b licensed again (60 s), then a renewed (100 s): b keeps its own. */
  f.licenses->set_answer (Answer::Keys, 60, -1);
  fail_unless_equals_int (run (f.data_dir, { "license", "register", "b" }).status, 0);
  f.licenses->set_answer (Answer::Keys, 100, 20);
  fail_unless_equals_int (run (f.data_dir, { "license", "renew", "a" }).status, 0);
  assert_about (license_status (f.data_dir, "a").expires_in, 100, "a's expires_in after renew");
  Status b = license_status (f.data_dir, "b");
  assert_about (b.expires_in, 60, "b's expires_in after a's renewal");
  fail_unless_equals_int64 (b.playable_for, b.expires_in);
  fail_unless_plays (f.data_dir, "b");

  /* Removing a leaves b as it was. */
  fail_unless_equals_int (run (f.data_dir, { "remove", "a" }).status, 0);
  assert_no_license (f.data_dir, "a");
  assert_about (license_status (f.data_dir, "b").expires_in, 60, "b's expires_in after a's removal");
  fail_unless_plays (f.data_dir, "b");
  free_fixture (f);
}
GST_END_TEST;

/* OfflineLicenseHelper: a license for a manifest, without its media, with
 * the request's headers. */
GST_START_TEST (test_acquire_a_license_without_the_media)
{
  Fixture f = make_fixture ("acquire-only");
  f.licenses->set_answer (Answer::Keys, 300, -1);
  Cli r = run (f.data_dir, { "license", "acquire", f.mpd_url.c_str (), "--id", "pre", "--header", "X-Token: t0k" });
  fail_unless (r.status == 0, "%s", r.err.c_str ());
  fail_unless_equals_int (f.licenses->posts (), 1);
  std::string token = f.licenses->last_header ("X-Token");
  fail_unless_equals_string (token.c_str (), "t0k");
  /* Not one segment, not even the init segment. */
  for (const char *segment : { "/init.mp4", "/seg-1.m4s", "/seg-2.m4s" })
    fail_unless_equals_int (ot_server_get_request_count (f.server, segment), 0);
  Status status = license_status (f.data_dir, "pre");
  assert_about (status.expires_in, 300, "expires_in");
  fail_unless_equals_string (status.license_url.c_str (), f.licenses->url ().c_str ());
  fail_unless_plays (f.data_dir, "pre");
  /* Renewed like any license, with its headers again. */
  fail_unless_equals_int (run (f.data_dir, { "license", "renew", "pre" }).status, 0);
  token = f.licenses->last_header ("X-Token");
  fail_unless_equals_string (token.c_str (), "t0k");

  /* Bad input: no --id, clear content. */
  Cli no_id = run (f.data_dir, { "license", "acquire", f.mpd_url.c_str () });
  fail_unless_equals_int (no_id.status, 2);
  fail_unless (strstr (no_id.err.c_str (), "--id") != nullptr, "%s", no_id.err.c_str ());
  free_fixture (f);
}
GST_END_TEST;

GBytes *wrap_request (GstOfflineLicenseManager *, const gchar *id, GBytes *request, gpointer calls)
{
  fail_unless_equals_string (id, "wrapped");
  (*static_cast<guint *> (calls))++;
  gsize size = 0;
  auto data = static_cast<const char *> (g_bytes_get_data (request, &size));
  std::string body = std::string (ot::kEnvelope) + std::string (data, size);
  return g_bytes_new (body.data (), body.size ());
}

GBytes *unwrap_response (GstOfflineLicenseManager *, const gchar *, GBytes *response, gpointer calls)
{
  (*static_cast<guint *> (calls))++;
  gsize size = 0;
  auto data = static_cast<const char *> (g_bytes_get_data (response, &size));
  gsize prefix = strlen (ot::kEnvelope);
  if (size < prefix || memcmp (data, ot::kEnvelope, prefix) != 0)
    return g_bytes_new (nullptr, 0);
  return g_bytes_new (data + prefix, size - prefix);
}

/* A license server that wants its own envelope around ClearKey: the
 * application wraps the request and unwraps the answer. */
GST_START_TEST (test_hooks_wrap_the_request_and_unwrap_the_answer)
{
  Fixture f = make_fixture ("hooks");
  f.licenses->set_answer (Answer::Enveloped);
  g_autoptr (GError) error = nullptr;
  g_autoptr (GstOfflineLicenseManager) licenses = gst_offline_license_manager_new (f.data_dir, nullptr, &error);
  fail_unless (licenses != nullptr);
  g_autoptr (GstOfflineDownloadRequest) request = gst_offline_download_request_new ("wrapped", f.mpd_url.c_str ());

  /* Without the hooks the server refuses the plain request. */
  fail_if (gst_offline_license_manager_acquire (licenses, request, nullptr, &error));
  fail_unless (strstr (error->message, "400") != nullptr && strstr (error->message, f.licenses->url ().c_str ()),
      "%s", error->message);
  /* The URL and the status are data too, for code to act on. */
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_HTTP), "%s", error->message);
  fail_unless_equals_int (gst_offline_error_get_http_status (error), 400);
  fail_unless_equals_string (gst_offline_error_get_url (error), f.licenses->url ().c_str ());
  {
    g_autoptr (GError) copy = g_error_copy (error);
    fail_unless_equals_int (gst_offline_error_get_http_status (copy), 400);
    fail_unless_equals_string (gst_offline_error_get_url (copy), f.licenses->url ().c_str ());
  }
  g_clear_error (&error);

  guint wraps = 0, unwraps = 0;
  g_signal_connect (licenses, "wrap-request", G_CALLBACK (wrap_request), &wraps);
  g_signal_connect (licenses, "unwrap-response", G_CALLBACK (unwrap_response), &unwraps);
  fail_unless (gst_offline_license_manager_acquire (licenses, request, nullptr, &error), "%s",
      error ? error->message : "");
  fail_unless_equals_int (wraps, 1);
  fail_unless_equals_int (unwraps, 1);
  std::string body = f.licenses->last_body ();
  fail_unless (body.rfind (ot::kEnvelope, 0) == 0 && body.find ("persistent-license") != std::string::npos, "%s",
      body.c_str ());
  fail_unless_plays (f.data_dir, "wrapped");

  /* An answer the application cannot unwrap is a clear error. */
  f.licenses->set_answer (Answer::Keys);
  fail_if (gst_offline_license_manager_renew (licenses, "wrapped", nullptr, &error));
  fail_unless (strstr (error->message, f.licenses->url ().c_str ()) != nullptr, "%s", error->message);
  fail_unless_plays (f.data_dir, "wrapped");
  free_fixture (f);
}
GST_END_TEST;

void save_entry (GstOfflineDrmStore *store, const std::string &name, const std::string &bytes)
{
  g_autoptr (GBytes) value = g_bytes_new (bytes.data (), bytes.size ());
  g_autoptr (GError) error = nullptr;
  fail_unless (gst_offline_drm_store_save (store, name.c_str (), value, &error), "%s", error ? error->message : "");
}

std::string sha256 (const std::string &text)
{
  g_autofree gchar *hex = g_compute_checksum_for_string (G_CHECKSUM_SHA256, text.c_str (), -1);
  return hex;
}

/* A drm.db written by gst-offline 0.1 (a key per KID with its policy, a
 * key-set record listing the KIDs) still plays, and keeps its policy. */
GST_START_TEST (test_license_kept_by_an_earlier_version_is_read)
{
  g_autofree gchar *dir = ot_make_temp_dir ("legacy");
  {
    g_autoptr (GError) error = nullptr;
    g_autoptr (GstOfflineSqliteDrmStore) sqlite = gst_offline_sqlite_drm_store_new (dir, &error);
    fail_unless (sqlite != nullptr);
    GstOfflineDrmStore *store = GST_OFFLINE_DRM_STORE (sqlite);
    std::string record (1, '\x02');
    record.append (reinterpret_cast<const char *> (kKey.data ()), kKey.size ());
    gint64 fields[] = { clock_base_ms, 500, -1, -1 };
    for (gint64 field : fields) {
      for (int shift = 56; shift >= 0; shift -= 8)
        record += static_cast<char> ((static_cast<guint64> (field) >> shift) & 0xff);
    }
    record += std::string ("\x00\x05", 2) + "movie";
    save_entry (store, "kid:" + hex (kKid), record);
    save_entry (store, "key-set:" + sha256 ("movie"),
        "{\"version\":1,\"download_id\":\"movie\",\"license_url\":\"http://127.0.0.1:9/license\",\"kids\":[\""
            + hex (kKid) + "\"]}");
  }
  fail_unless_plays (dir);
  Status status = license_status (dir);
  assert_about (status.expires_in, 500, "expires_in of the converted license");
  fail_unless_equals_string (status.license_url.c_str (), "http://127.0.0.1:9/license");
  /* Released, it stays released: the old records went with the conversion. */
  fail_unless_equals_int (run (dir, { "license", "release", "movie" }).status, 0);
  assert_no_license (dir, "movie");
  fail_unless (play_one (dir).find ("No key for KID") != std::string::npos);
}
GST_END_TEST;

/* A download planned before plans listed KIDs: registering it says how to
 * license it instead of guessing. */
GST_START_TEST (test_register_of_a_plan_without_kids_says_what_to_do)
{
  Fixture f = make_fixture ("old-plan");
  download_ok (f);
  fail_unless_equals_int (run (f.data_dir, { "license", "release", "movie" }).status, 0);
  g_autofree gchar *db_path = g_build_filename (f.data_dir, "offline.db", nullptr);
  sqlite3 *db = nullptr;
  fail_unless (sqlite3_open (db_path, &db) == SQLITE_OK);
  fail_unless (sqlite3_exec (db, "UPDATE tracks SET kids = '', license_url = NULL", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close (db);
  Cli r = run (f.data_dir, { "license", "register", "movie" });
  fail_unless_equals_int (r.status, 1);
  std::string hint = "gst-offline license acquire " + f.mpd_url + " --id movie";
  fail_unless (strstr (r.err.c_str (), hint.c_str ()) != nullptr, "%s", r.err.c_str ());
  fail_unless_equals_int (f.licenses->posts (), 1);
  /* Which works. */
  r = run (f.data_dir, { "license", "acquire", f.mpd_url.c_str (), "--id", "movie" });
  fail_unless (r.status == 0, "%s", r.err.c_str ());
  fail_unless_plays (f.data_dir);
  free_fixture (f);
}
GST_END_TEST;

GST_START_TEST (test_keys_never_appear_in_debug_logs)
{
  Fixture f = make_fixture ("logs");
  f.licenses->set_answer (Answer::Keys, 100, 100);
  const char *argv[] = { "download", f.mpd_url.c_str (), "--id", "movie", nullptr };
  g_setenv ("GST_DEBUG", "*:9", TRUE);
  g_setenv ("GST_DEBUG_NO_COLOR", "1", TRUE);
  gchar *out = nullptr, *err = nullptr;
  gint status = ot_run_cliv (f.data_dir, argv, &out, &err);
  g_setenv ("GST_DEBUG", "*:2", TRUE);
  fail_unless_equals_int (status, 0);
  std::string log = std::string (out ? out : "") + (err ? err : "");
  g_free (out);
  g_free (err);
  /* The log is real: the license exchange is in it. */
  fail_unless (log.find ("offlinelicense") != std::string::npos, "no license logging at all");
  fail_unless (log.size () > 10000);
  g_autofree gchar *b64 = g_base64_encode (kKey.data (), kKey.size ());
  for (const std::string &needle : { hex (kKey), b64url (kKey), std::string (b64) }) {
    g_autofree gchar *upper = g_ascii_strup (needle.c_str (), -1);
    fail_unless (log.find (needle) == std::string::npos, "the key appears in the log as %s", needle.c_str ());
    fail_unless (needle == b64url (kKey) || needle == b64 || log.find (upper) == std::string::npos);
  }
  fail_unless_plays (f.data_dir);
  free_fixture (f);
}
GST_END_TEST;

Suite *license_suite (void)
{
  Suite *s = suite_create ("license");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 120);
  tcase_add_checked_fixture (tc, freeze_clock, nullptr);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_download_acquires_and_stores_the_license);
  tcase_add_test (tc, test_license_url_option_replaces_the_laurl);
  tcase_add_test (tc, test_license_server_faults_fail_the_download);
  tcase_add_test (tc, test_keys_for_other_kids_besides_the_content_ones_are_not_kept);
  tcase_add_test (tc, test_status_counts_down_and_renew_extends);
  tcase_add_test (tc, test_expired_license_is_refused_before_any_buffer);
  tcase_add_test (tc, test_used_up_playback_window_is_refused);
  tcase_add_test (tc, test_release_removes_the_keys_and_keeps_the_data);
  tcase_add_test (tc, test_downloads_sharing_a_kid_keep_their_own_licenses);
  tcase_add_test (tc, test_acquire_a_license_without_the_media);
  tcase_add_test (tc, test_hooks_wrap_the_request_and_unwrap_the_answer);
  tcase_add_test (tc, test_license_kept_by_an_earlier_version_is_read);
  tcase_add_test (tc, test_register_of_a_plan_without_kids_says_what_to_do);
  tcase_add_test (tc, test_keys_never_appear_in_debug_logs);
  return s;
}

}  // namespace

GST_CHECK_MAIN (license);
