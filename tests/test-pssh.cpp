/* The pssh box parser (lib/drm/pssh) on well-formed boxes of both versions
 * and on hostile ones — sizes that disagree with the bytes, KID counts and
 * data sizes beyond the box — and the license request taking the KIDs of a
 * version 1 pssh next to cenc:default_KID.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>

#include "drm/license-manager.h"
#include "drm/pssh.h"
#include "index/download-record.h"
#include "manifest/dash/mpd-model.h"

#include <string>
#include <vector>

namespace {

using gst_offline::KeyId;

const guint8 kCommon[16] = { 0x10, 0x77, 0xef, 0xec, 0xc0, 0xb2, 0x4d, 0x02, 0xac, 0xe3, 0x3c, 0x1e, 0x52, 0xe2,
  0xfb, 0x4b };
const KeyId kKid1 = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
const KeyId kKid2 = { 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae,
  0xaf };

void put32 (std::string &b, guint32 v)
{
  for (int s = 24; s >= 0; s -= 8)
    b += static_cast<char> ((v >> s) & 0xff);
}

/* A pssh box; `size` overrides the size field, `count` the KID count,
 * `data_size` the data size (-1: the true values). */
struct Spec {
  Spec ()
  {
    kids.push_back (kKid1);
    kids.push_back (kKid2);
  }
  guint8 version = 1;
  std::vector<KeyId> kids;
  std::string data = "opaque";
  gint64 size = -1, count = -1, data_size = -1;
  bool large_size = false;
};

std::string box (const Spec &spec)
{
  std::string body;
  put32 (body, guint32 (spec.version) << 24);
  body.append (reinterpret_cast<const char *> (kCommon), 16);
  if (spec.version >= 1) {
    put32 (body, spec.count >= 0 ? guint32 (spec.count) : guint32 (spec.kids.size ()));
    for (const KeyId &kid : spec.kids)
      body.append (reinterpret_cast<const char *> (kid.data ()), 16);
  }
  put32 (body, spec.data_size >= 0 ? guint32 (spec.data_size) : guint32 (spec.data.size ()));
  body += spec.data;
  std::string out;
  guint64 total = body.size () + (spec.large_size ? 16 : 8);
  guint64 size = spec.size >= 0 ? guint64 (spec.size) : total;
  put32 (out, spec.large_size ? 1 : guint32 (size));
  out += "pssh";
  if (spec.large_size) {
    put32 (out, guint32 (size >> 32));
    put32 (out, guint32 (size));
  }
  return out + body;
}

void expect_refused (const std::string &bytes, const char *reason)
{
  std::string why;
  auto parsed = gst_offline::parse_pssh_box (bytes, &why);
  fail_if (parsed.has_value (), "accepted a box that should fail with '%s'", reason);
  fail_unless (why.find (reason) != std::string::npos, "'%s' not in: %s", reason, why.c_str ());
}

}  // namespace

GST_START_TEST (test_version_1_lists_its_kids)
{
  std::string why;
  for (bool large : { false, true }) {
    Spec spec;
    spec.large_size = large;
    auto pssh = gst_offline::parse_pssh_box (box (spec), &why);
    fail_unless (pssh.has_value (), "%s", why.c_str ());
    fail_unless_equals_string (pssh->system_id.c_str (), "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b");
    fail_unless_equals_int (pssh->version, 1);
    fail_unless (pssh->kids == std::vector<KeyId> ({ kKid1, kKid2 }));
    fail_unless_equals_string (pssh->data.c_str (), "opaque");
  }
  /* Size 0: the box runs to the end. */
  Spec to_end;
  to_end.size = 0;
  fail_unless (gst_offline::parse_pssh_box (box (to_end), &why).has_value (), "%s", why.c_str ());
  /* No KIDs, no data. */
  Spec empty;
  empty.kids.clear ();
  empty.data.clear ();
  auto none = gst_offline::parse_pssh_box (box (empty), &why);
  fail_unless (none.has_value () && none->kids.empty (), "%s", why.c_str ());
}
GST_END_TEST;

GST_START_TEST (test_version_0_has_no_kids)
{
  Spec spec;
  spec.version = 0;
  spec.kids.clear ();
  std::string why;
  auto pssh = gst_offline::parse_pssh_box (box (spec), &why);
  fail_unless (pssh.has_value (), "%s", why.c_str ());
  fail_unless (pssh->kids.empty ());
  fail_unless_equals_string (pssh->data.c_str (), "opaque");
}
GST_END_TEST;

GST_START_TEST (test_hostile_boxes_are_refused)
{
  std::string good = box (Spec ());
  expect_refused ("", "shorter than a box header");
  expect_refused (good.substr (0, 7), "shorter than a box header");
  std::string other = good;
  other.replace (4, 4, "tenc");
  expect_refused (other, "not a pssh box");

  /* One field of a good box at a time disagreeing with its bytes. */
  const gint64 good_size = good.size ();
  const struct {
    gint64 Spec::*field;
    gint64 value;
    const char *reason;
  } wrong_fields[] = {
    { &Spec::size, good_size + 1, "says it has" },
    { &Spec::size, good_size - 1, "says it has" },
    { &Spec::size, 0xffffffff, "says it has" },
    { &Spec::count, 0xffffffff, "4294967295 KIDs announced" },
    { &Spec::count, 3, "3 KIDs announced" },
    /* the second KID is then read as the data size and data */
    { &Spec::count, 1, "bytes of data announced" },
    { &Spec::data_size, 0xffffffff, "4294967295 bytes of data announced" },
    { &Spec::data_size, 2, "2 bytes of data announced, 6 in the box" },
  };
  for (const auto &wrong : wrong_fields) {
    Spec spec;
    spec.*wrong.field = wrong.value;
    expect_refused (box (spec), wrong.reason);
  }

  Spec large;
  large.large_size = true;
  large.size = G_GINT64_CONSTANT (0x7fffffffffffffff);
  expect_refused (box (large), "says it has");
  large.size = -1;
  expect_refused (box (large).substr (0, 12), "64-bit box size is cut short");
  expect_refused (good + "x", "says it has");

  /* Cut at every length: never accepted, never read past the end. */
  for (gsize n = 0; n < good.size (); n++) {
    std::string cut = good.substr (0, n);
    std::string why;
    fail_if (gst_offline::parse_pssh_box (cut, &why).has_value (), "accepted %zu of %zu bytes", n, good.size ());
    fail_if (why.empty ());
  }

  Spec version;
  version.version = 2;
  expect_refused (box (version), "version 2");
}
GST_END_TEST;

GST_START_TEST (test_license_request_unites_default_kid_and_pssh_kids)
{
  gst_offline::dash::Representation video, audio;
  video.id = "v";
  audio.id = "a";
  gst_offline::dash::ContentProtection mp4;
  mp4.scheme_id_uri = "urn:mpeg:dash:mp4protection:2011";
  mp4.default_kid = "01020304-0506-0708-090a-0b0c0d0e0f10";  /* kKid1 */
  gst_offline::dash::ContentProtection clearkey;
  clearkey.scheme_id_uri = "urn:uuid:1077efec-c0b2-4d02-ace3-3c1e52e2fb4b";
  clearkey.pssh.push_back (box (Spec ()));  /* kKid1, kKid2 */
  clearkey.license_url = "http://127.0.0.1:1/license";
  video.content_protections = { mp4, clearkey };
  Spec second;
  second.kids.erase (second.kids.begin ());
  clearkey.pssh = { box (second) };
  audio.content_protections = { clearkey };
  gst_offline::LicenseSource record;
  record.download_id = "x";
  record.uri = "http://127.0.0.1:1/x.mpd";

  GError *error = nullptr;
  auto request = gst_offline::dash_license_request ({ &video, &audio }, record, &error);
  fail_unless (request.has_value (), "%s", error ? error->message : "");
  fail_unless (request->kids == std::vector<KeyId> ({ kKid1, kKid2 }));
  fail_unless_equals_string (request->license_url.c_str (), "http://127.0.0.1:1/license");

  /* Only a pssh, no default_KID: its KIDs. */
  request = gst_offline::dash_license_request ({ &audio }, record, &error);
  fail_unless (request.has_value () && request->kids == std::vector<KeyId> ({ kKid2 }));

  /* A hostile pssh fails the request, naming the Representation. */
  Spec hostile;
  hostile.count = 1000;
  audio.content_protections[0].pssh = { box (hostile) };
  request = gst_offline::dash_license_request ({ &video, &audio }, record, &error);
  fail_if (request.has_value ());
  fail_unless (error && strstr (error->message, "Representation 'a'") && strstr (error->message, "1000 KIDs"),
      "%s", error ? error->message : "");
  g_clear_error (&error);
}
GST_END_TEST;

static Suite *
pssh_suite (void)
{
  Suite *s = suite_create ("pssh");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_version_1_lists_its_kids);
  tcase_add_test (tc, test_version_0_has_no_kids);
  tcase_add_test (tc, test_hostile_boxes_are_refused);
  tcase_add_test (tc, test_license_request_unites_default_kid_and_pssh_kids);
  return s;
}

GST_CHECK_MAIN (pssh);
