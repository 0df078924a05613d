/* Track SPECs and their selection, format-neutral.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tracks/track-selection.h"

#include <gst/check/gstcheck.h>

using namespace gst_offline;

namespace {

Track video (const char *key, guint height, guint64 bandwidth, guint period = 0)
{
  Track t;
  t.stream_key = key;
  t.type = TrackType::Video;
  t.group = "v";
  t.period = period;
  t.height = height;
  t.width = height * 16 / 9;
  t.bandwidth = bandwidth;
  return t;
}

Track audio (const char *key, const char *language, const char *group, guint64 bandwidth)
{
  Track t;
  t.stream_key = key;
  t.type = TrackType::Audio;
  t.group = group;
  t.language = language;
  t.bandwidth = bandwidth;
  return t;
}

Track text (const char *key, const char *language)
{
  Track t;
  t.stream_key = key;
  t.type = TrackType::Text;
  t.group = key;
  t.language = language;
  return t;
}

std::vector<Track> sample ()
{
  return { video ("v180", 180, 300000), video ("v720", 720, 3000000), video ("v1080", 1080, 6000000),
    video ("v480", 480, 1000000), audio ("en-lo", "en", "a-en", 64000), audio ("en-hi", "en", "a-en", 128000),
    audio ("fr", "fr-CA", "a-fr", 96000), text ("sub-en", "en"), text ("sub-de", "de") };
}

/* The stream keys choose_playback_tracks() picks of `tracks`. */
std::string play (const std::vector<Track> &tracks, bool with_text)
{
  std::vector<const Track *> pointers;
  for (const Track &track : tracks)
    pointers.push_back (&track);
  std::string joined;
  for (const Track *track : choose_playback_tracks (pointers, with_text))
    joined += (joined.empty () ? "" : " ") + track->stream_key;
  return joined;
}

std::string select (const char *v, const char *a, const char *t, GError **error = nullptr)
{
  TrackSelection selection;
  GError *parse_error = nullptr;
  if (v)
    selection.video = *parse_track_spec (v, TrackType::Video, &parse_error);
  if (a)
    selection.audio = *parse_track_spec (a, TrackType::Audio, &parse_error);
  if (t)
    selection.text = *parse_track_spec (t, TrackType::Text, &parse_error);
  fail_unless (parse_error == nullptr);
  auto keys = select_tracks (sample (), selection, error);
  if (!keys)
    return "(error)";
  std::string joined;
  for (const auto &key : *keys)
    joined += (joined.empty () ? "" : " ") + key;
  return joined;
}

}  // namespace

/* Compares the chosen keys; the result is held in a named string because
 * fail_unless_equals_string keeps a pointer to what it is given. */
#define assert_selected(call, expected)                                                  \
  G_STMT_START {                                                                         \
    std::string selected = (call);                                                       \
    fail_unless (selected == (expected), "selected '%s', expected '%s'", selected.c_str (), (expected)); \
  } G_STMT_END

GST_START_TEST (test_defaults_best_video_best_audio_per_language_all_text)
{
  assert_selected (select (nullptr, nullptr, nullptr), "v1080 en-hi fr sub-en sub-de");
}
GST_END_TEST;

GST_START_TEST (test_video_specs)
{
  assert_selected (select ("worst", "none", "none"), "v180");
  assert_selected (select ("720p", "none", "none"), "v720");
  assert_selected (select ("600p", "none", "none"), "v480");
  assert_selected (select ("max-bitrate=1500000", "none", "none"), "v480");
  assert_selected (select ("all", "none", "none"), "v180 v720 v1080 v480");
  GError *error = nullptr;
  assert_selected (select ("none", "none", "none", &error), "(error)");
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT));
  g_clear_error (&error);
  assert_selected (select ("144p", "none", "none", &error), "(error)");
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND));
  fail_unless (strstr (error->message, "144p") != nullptr, "%s", error->message);
  /* The error lists the heights there are. */
  fail_unless (strstr (error->message, "180p, 480p, 720p, 1080p") != nullptr, "%s", error->message);
  g_error_free (error);
}
GST_END_TEST;

GST_START_TEST (test_audio_and_text_languages)
{
  assert_selected (select ("none", "en", "none"), "en-hi");
  assert_selected (select ("none", "fr", "none"), "fr");  /* fr matches fr-CA */
  assert_selected (select ("none", "worst", "de"), "en-lo fr sub-de");
  assert_selected (select ("none", "all", "none"), "en-lo en-hi fr");
  GError *error = nullptr;
  assert_selected (select ("none", "ja", "none", &error), "(error)");
  fail_unless (strstr (error->message, "audio") && strstr (error->message, "'ja'"), "%s", error->message);
  fail_unless (strstr (error->message, "en, fr-CA") != nullptr, "%s", error->message);
  g_clear_error (&error);
  /* A SPEC that names a language fails when there is no track of the type at all. */
  std::vector<Track> no_text = { video ("v", 720, 1000), audio ("a", "en", "a", 1000) };
  TrackSelection selection;
  selection.text = *parse_track_spec ("en", TrackType::Text, nullptr);
  fail_if (select_tracks (no_text, selection, &error).has_value ());
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND));
  fail_unless (strstr (error->message, "no text track") != nullptr, "%s", error->message);
  g_error_free (error);
}
GST_END_TEST;

/* ISO 639-1 and 639-2 (T and B) codes and BCP 47 regions compare as languages. */
GST_START_TEST (test_languages_compare_as_languages)
{
  const struct {
    const char *track, *wanted;
    bool match;
  } cases[] = { { "eng", "en", true }, { "en", "eng", true }, { "fra", "fr", true }, { "fre", "fr", true },
    { "fre", "fra", true }, { "pt", "pt-BR", true }, { "pt-BR", "pt", true }, { "pt-br", "pt-BR", true },
    { "en-US", "en", true }, { "EN", "en", true }, { "pt-PT", "pt-BR", false }, { "deu", "en", false },
    { "", "en", false } };
  for (const auto &c : cases)
    fail_unless (language_matches (c.track, c.wanted) == c.match, "'%s' for '%s'", c.track, c.wanted);
  /* A language SPEC takes one track per period, the one written as asked first. */
  std::vector<Track> tracks = { audio ("pt", "por", "a1", 96000), audio ("pt-br", "pt-BR", "a2", 64000),
    audio ("en", "eng", "a3", 64000) };
  TrackSelection selection;
  selection.audio = *parse_track_spec ("pt-BR", TrackType::Audio, nullptr);
  auto keys = select_tracks (tracks, selection, nullptr);
  fail_unless (keys && keys->size () == 1 && (*keys)[0] == "pt-br");
  selection.audio = *parse_track_spec ("en", TrackType::Audio, nullptr);
  keys = select_tracks (tracks, selection, nullptr);
  fail_unless (keys && keys->size () == 1 && (*keys)[0] == "en");
}
GST_END_TEST;

/* The default audio choice: per language, the main one, else the best; and
 * only the audio that goes with the chosen video (an HLS variant's group). */
GST_START_TEST (test_default_audio_one_rule)
{
  Track main_fr = audio ("fr-main", "fra", "g1", 64000);
  main_fr.roles = { "main" };
  Track v = video ("v", 720, 1000000);
  v.audio_group = "g1";
  Track other_group = audio ("en-g2", "en", "g2", 256000);
  Track audio_only = audio ("audio-only", "", "audio-only-variants", 64000);
  audio_only.whole_presentation = true;
  std::vector<Track> tracks = { v, audio ("fr-alt", "fr", "g1", 128000), main_fr, audio ("en-g1", "eng", "g1", 64000),
    other_group, audio_only };
  auto keys = select_tracks (tracks, TrackSelection {}, nullptr);
  fail_unless (keys);
  std::string joined;
  for (const auto &key : *keys)
    joined += (joined.empty () ? "" : " ") + key;
  fail_unless (joined == "v fr-main en-g1", "%s", joined.c_str ());
  /* A variant that names no group carries its own audio. */
  tracks[0].audio_group = "";
  keys = select_tracks (tracks, TrackSelection {}, nullptr);
  fail_unless (keys && keys->size () == 1 && (*keys)[0] == "v");
}
GST_END_TEST;

GST_START_TEST (test_one_video_per_period)
{
  std::vector<Track> tracks = { video ("p0-lo", 360, 500000, 0), video ("p0-hi", 720, 2000000, 0),
    video ("p1-lo", 360, 500000, 1), video ("p1-hi", 720, 2000000, 1) };
  TrackSelection selection;
  auto keys = select_tracks (tracks, selection, nullptr);
  fail_unless (keys && keys->size () == 2 && (*keys)[0] == "p0-hi" && (*keys)[1] == "p1-hi");
}
GST_END_TEST;

GST_START_TEST (test_bad_specs_are_usage_errors)
{
  const struct {
    const char *text;
    TrackType type;
  } bad[] = { { "720", TrackType::Video }, { "en", TrackType::Video }, { "720p", TrackType::Audio },
    { "max-bitrate=", TrackType::Video }, { "max-bitrate=abc", TrackType::Audio }, { "", TrackType::Text },
    { "x", TrackType::Audio }, { "99999999999999999999p", TrackType::Video } };
  for (const auto &b : bad) {
    GError *error = nullptr;
    fail_if (parse_track_spec (b.text, b.type, &error).has_value (), "'%s' was accepted", b.text);
    fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT));
    g_error_free (error);
  }
  auto spec = parse_track_spec ("EN-us", TrackType::Text, nullptr);
  fail_unless (spec && spec->kind == TrackSpec::Kind::Language && spec->language == "en-us");
}
GST_END_TEST;

/* What cachesrc plays of a download when nothing chooses: the best video,
 * one audio track of the default choice (its first "main" one, else its
 * first), and the first text track when asked; in the download's order. */
GST_START_TEST (test_playback_default_is_the_same_rule)
{
  assert_selected (play (sample (), true), "v1080 en-hi sub-en");
  assert_selected (play (sample (), false), "v1080 en-hi");
  /* A main track is played before others, wherever it is. */
  std::vector<Track> tracks = sample ();
  tracks[6].roles = { "main" };
  assert_selected (play (tracks, false), "v1080 fr");
  /* The worse of two tracks of one language is never the default, even first. */
  tracks = { audio ("en-lo", "en", "a", 64000), audio ("en-hi", "en", "a", 128000), audio ("de", "de", "b", 96000) };
  assert_selected (play (tracks, true), "en-hi");
  /* Audio only, text only, nothing. */
  assert_selected (play ({ text ("sub-de", "de"), text ("sub-en", "en") }, true), "sub-de");
  assert_selected (play ({}, true), "");
}
GST_END_TEST;

static Suite *selection_suite (void)
{
  Suite *s = suite_create ("track-selection");
  TCase *tc = tcase_create ("selection");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_defaults_best_video_best_audio_per_language_all_text);
  tcase_add_test (tc, test_video_specs);
  tcase_add_test (tc, test_audio_and_text_languages);
  tcase_add_test (tc, test_one_video_per_period);
  tcase_add_test (tc, test_languages_compare_as_languages);
  tcase_add_test (tc, test_default_audio_one_rule);
  tcase_add_test (tc, test_bad_specs_are_usage_errors);
  tcase_add_test (tc, test_playback_default_is_the_same_rule);
  return s;
}

GST_CHECK_MAIN (selection);
