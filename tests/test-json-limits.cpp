/* JSON from a hostile peer: the nesting is measured without recursion and
 * deep text is refused before json-glib (which recurses per level) sees it;
 * a license answer of 100 000 '[' is an error, not a stack overflow.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>

#include "drm/license-manager.h"
#include "util/json-limits.h"

#include <string>

using gst_offline::json_nesting_depth;
using gst_offline::kMaxJsonDepth;

GST_START_TEST (test_nesting_depth)
{
  fail_unless_equals_int (json_nesting_depth (""), 0);
  fail_unless_equals_int (json_nesting_depth ("42"), 0);
  fail_unless_equals_int (json_nesting_depth ("{\"keys\":[{\"k\":\"x\"}]}"), 3);
  /* Brackets inside strings, escaped quotes included, do not count. */
  fail_unless_equals_int (json_nesting_depth ("[\"[[[{{\\\"[[[\", [1]]"), 2);
  /* Neither do unbalanced closers (the parser refuses those itself). */
  fail_unless_equals_int (json_nesting_depth ("]]]}}[{"), 2);
  fail_unless_equals_int (json_nesting_depth (std::string (100000, '[')), 100000);
}
GST_END_TEST;

GST_START_TEST (test_deep_json_is_refused)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  GError *error = nullptr;
  std::string limit (kMaxJsonDepth, '[');
  limit += std::string (kMaxJsonDepth, ']');
  fail_unless (gst_offline::json_parser_load_bounded (parser, limit, &error));
  std::string deep = "[" + limit + "]";
  fail_if (gst_offline::json_parser_load_bounded (parser, deep, &error));
  fail_unless (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA));
  fail_unless (strstr (error->message, "64 levels"), "%s", error->message);
  g_clear_error (&error);
  /* What the fuzzer found: a license answer of 100 000 '['. */
  gst_offline::LicenseRequest request;
  request.license_url = "https://license.example/";
  auto answer = gst_offline::parse_license_answer (std::string (100000, '['), request, &error);
  fail_if (answer.has_value ());
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_CORRUPT));
  g_clear_error (&error);
}
GST_END_TEST;

static Suite *
json_limits_suite (void)
{
  Suite *s = suite_create ("json-limits");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_nesting_depth);
  tcase_add_test (tc, test_deep_json_is_refused);
  return s;
}

GST_CHECK_MAIN (json_limits);
