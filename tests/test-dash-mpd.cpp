/* The pure DASH MPD parser: xs:duration, the model, BaseURL resolution,
 * segment expansion of every addressing mode, sidx boxes, hostile input,
 * and MPDs made by ffmpeg's dash muxer checked against the files it wrote.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tracks/dash-tracks.h"
#include "manifest/dash/mpd-parser.h"
#include "manifest/dash/segment-index.h"
#include "manifest/dash/sidx.h"
#include "manifest/dash/xs-duration.h"

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/offline/offline-error.h>

#include "test-support.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

using namespace gst_offline::dash;
using gst_offline::parse_xs_duration;

static const char *kManifestUrl = "http://example.com/dash/manifest.mpd";

static Mpd parse_ok (const std::string &xml, const char *url = kManifestUrl)
{
  g_autoptr (GError) error = nullptr;
  auto mpd = parse_mpd (xml, url, &error);
  fail_unless (mpd.has_value (), "parse failed: %s", error ? error->message : "(no error)");
  fail_unless (error == nullptr);
  return std::move (*mpd);
}

/* Parsing fails with `code` and a message containing `part`. */
static void parse_fails (const std::string &xml, GstOfflineError code, const char *part)
{
  g_autoptr (GError) error = nullptr;
  auto mpd = parse_mpd (xml, kManifestUrl, &error);
  fail_unless (!mpd.has_value (), "parsing should have failed with '%s'", part);
  fail_unless (error != nullptr);
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, code), "code %d instead of %d: %s", error->code, code,
      error->message);
  fail_unless (strstr (error->message, part) != nullptr, "'%s' does not contain '%s'", error->message, part);
}

static SegmentIndex expand_ok (const Mpd &mpd, size_t period, size_t set, size_t rep)
{
  g_autoptr (GError) error = nullptr;
  const Period &p = mpd.periods.at (period);
  auto index = expand_segments (p, p.adaptation_sets.at (set).representations.at (rep), &error);
  fail_unless (index.has_value (), "expansion failed: %s", error ? error->message : "(no error)");
  /* One at a time, the same segments in the same order, none kept. */
  std::vector<MediaSegment> given;
  auto streamed = expand_segments (p, p.adaptation_sets.at (set).representations.at (rep),
      [&given] (MediaSegment &&m, GError **) {
        given.push_back (std::move (m));
        return true;
      },
      &error);
  fail_unless (streamed.has_value () && streamed->media.empty ());
  fail_unless_equals_int (given.size (), index->media.size ());
  for (size_t i = 0; i < given.size (); i++) {
    const MediaSegment &a = given[i], &b = index->media[i];
    fail_unless (a.url == b.url && a.range.has_value () == b.range.has_value () && a.number == b.number
        && a.time == b.time && a.duration == b.duration && a.start_ns == b.start_ns && a.duration_ns == b.duration_ns);
  }
  fail_unless (streamed->init.has_value () == index->init.has_value ());
  fail_unless (streamed->sidx.has_value () == index->sidx.has_value ());
  /* The taker's error ends the expansion, as the taker's. */
  if (!given.empty ()) {
    size_t taken = 0;
    auto stopped = expand_segments (p, p.adaptation_sets.at (set).representations.at (rep),
        [&taken] (MediaSegment &&, GError **stop) {
          g_set_error (stop, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NO_SPACE, "full after %" G_GSIZE_FORMAT, ++taken);
          return false;
        },
        &error);
    fail_unless (!stopped && taken == 1 && g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NO_SPACE));
    g_clear_error (&error);
  }
  return std::move (*index);
}

/* Parsing succeeds but expanding the first Representation fails. */
static void expand_fails (const std::string &xml, GstOfflineError code, const char *part)
{
  Mpd mpd = parse_ok (xml);
  g_autoptr (GError) error = nullptr;
  const Period &p = mpd.periods.at (0);
  auto index = expand_segments (p, p.adaptation_sets.at (0).representations.at (0), &error);
  fail_unless (!index.has_value (), "expansion should have failed with '%s'", part);
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, code), "code %d instead of %d: %s", error->code, code,
      error->message);
  fail_unless (strstr (error->message, part) != nullptr, "'%s' does not contain '%s'", error->message, part);
  /* One at a time: the same error. */
  g_autoptr (GError) streamed_error = nullptr;
  auto streamed = expand_segments (p, p.adaptation_sets.at (0).representations.at (0),
      [] (MediaSegment &&, GError **) { return true; }, &streamed_error);
  fail_unless (!streamed.has_value () && streamed_error && g_str_equal (streamed_error->message, error->message));
}

/* An MPD with one Period (of `period_attrs`) and the given body inside it. */
static std::string mpd_with (const std::string &period_body, const std::string &mpd_attrs = "mediaPresentationDuration=\"PT10S\"",
    const std::string &period_attrs = "")
{
  return "<?xml version=\"1.0\"?>\n<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" type=\"static\" " + mpd_attrs
      + ">\n<Period " + period_attrs + ">\n" + period_body + "\n</Period>\n</MPD>\n";
}

/* A video AdaptationSet with one Representation 'v' whose body is `segments`. */
static std::string video_with (const std::string &segments, const std::string &rep_attrs = "")
{
  return "<AdaptationSet mimeType=\"video/mp4\" codecs=\"avc1.64001f\">"
         "<Representation id=\"v\" bandwidth=\"500000\" " + rep_attrs + ">" + segments
      + "</Representation></AdaptationSet>";
}

/* ---- xs:duration ----------------------------------------------------------- */

static guint64 duration_ok (const char *text)
{
  g_autoptr (GError) error = nullptr;
  auto value = parse_xs_duration (text, &error);
  fail_unless (value.has_value (), "'%s': %s", text, error ? error->message : "");
  return *value;
}

GST_START_TEST (test_xs_duration)
{
  fail_unless_equals_uint64 (duration_ok ("PT4.0S"), 4 * GST_SECOND);
  fail_unless_equals_uint64 (duration_ok ("PT0S"), 0);
  fail_unless_equals_uint64 (duration_ok ("PT1H"), 3600 * GST_SECOND);
  fail_unless_equals_uint64 (duration_ok ("PT1M"), 60 * GST_SECOND);
  fail_unless_equals_uint64 (duration_ok ("P1M"), 30 * 24 * 3600 * GST_SECOND);
  fail_unless_equals_uint64 (duration_ok ("P1Y"), 365 * 24 * 3600 * GST_SECOND);
  fail_unless_equals_uint64 (duration_ok ("P1DT2H3M4.5S"),
      (24 * 3600 + 2 * 3600 + 3 * 60 + 4) * GST_SECOND + 500 * GST_MSECOND);
  fail_unless_equals_uint64 (duration_ok (" \n PT2S \t"), 2 * GST_SECOND);
  fail_unless_equals_uint64 (duration_ok ("PT0.000000001S"), 1);
  /* digits beyond nanoseconds are dropped */
  fail_unless_equals_uint64 (duration_ok ("PT1.0000000019S"), GST_SECOND + 1);
  fail_unless_equals_uint64 (duration_ok ("PT634.566S"), 634566 * GST_MSECOND);
  fail_unless_equals_uint64 (duration_ok ("P0Y0M0DT0H1M0.000S"), 60 * GST_SECOND);

  const char *bad[] = { "", "P", "PT", "-PT1S", "PT1.5M", "1S", "PTS", "PT1S2M", "P1H", "P1DT", "PT1.S",
    "PT99999999999999999999S", "P600Y", "PT1S junk", "pt1s", "P1D1D", "PT1H1H", "P.5S", "PT1,S" };
  for (const char *text : bad) {
    g_autoptr (GError) error = nullptr;
    auto value = parse_xs_duration (text, &error);
    fail_unless (!value.has_value (), "'%s' should be refused", text);
    fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT), "%s", text);
  }
}
GST_END_TEST;

/* ---- The model -------------------------------------------------------------- */

GST_START_TEST (test_mpd_attributes)
{
  Mpd mpd = parse_ok (mpd_with (video_with ("<BaseURL>v.mp4</BaseURL>"),
      "mediaPresentationDuration=\"PT1M30.5S\" minBufferTime=\"PT2S\" profiles=\"urn:mpeg:dash:profile:isoff-on-demand:2011\""));
  fail_unless_equals_string (mpd.type.c_str (), "static");
  fail_unless_equals_uint64 (*mpd.media_presentation_duration, 90500 * GST_MSECOND);
  fail_unless_equals_uint64 (*mpd.min_buffer_time, 2 * GST_SECOND);
  fail_unless_equals_string (mpd.profiles.c_str (), "urn:mpeg:dash:profile:isoff-on-demand:2011");
  fail_unless_equals_string (mpd.base_url.c_str (), kManifestUrl);
  fail_unless_equals_int (mpd.periods.size (), 1);
  fail_unless_equals_uint64 (mpd.periods[0].start, 0);
  fail_unless_equals_uint64 (*mpd.periods[0].duration, 90500 * GST_MSECOND);
  fail_unless_equals_uint64 (*mpd.duration (), 90500 * GST_MSECOND);

  /* No namespace at all, and no @type (static is the default). */
  Mpd bare = parse_ok ("<MPD mediaPresentationDuration=\"PT1S\"><Period>" + video_with ("<BaseURL>v.mp4</BaseURL>")
      + "</Period></MPD>");
  fail_unless_equals_int (bare.periods[0].adaptation_sets[0].representations.size (), 1);
}
GST_END_TEST;

GST_START_TEST (test_periods_start_and_duration)
{
  const std::string rep = video_with ("<BaseURL>v.mp4</BaseURL>");
  Mpd mpd = parse_ok ("<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" type=\"static\" mediaPresentationDuration=\"PT20S\">"
      "<Period id=\"one\">" + rep + "</Period>"
      "<Period id=\"two\" start=\"PT10S\" duration=\"PT5S\">" + rep + "</Period>"
      "<Period id=\"three\">" + rep + "</Period></MPD>");
  fail_unless_equals_int (mpd.periods.size (), 3);
  fail_unless_equals_string (mpd.periods[0].id->c_str (), "one");
  fail_unless_equals_uint64 (mpd.periods[0].start, 0);
  fail_unless_equals_uint64 (*mpd.periods[0].duration, 10 * GST_SECOND);  /* from the next start */
  fail_unless_equals_uint64 (mpd.periods[1].start, 10 * GST_SECOND);
  fail_unless_equals_uint64 (*mpd.periods[1].duration, 5 * GST_SECOND);
  fail_unless_equals_uint64 (mpd.periods[2].start, 15 * GST_SECOND);      /* from the previous end */
  fail_unless_equals_uint64 (*mpd.periods[2].duration, 5 * GST_SECOND);   /* from the MPD's duration */

  /* Without an MPD duration the last Period's duration is unknown, and the
   * duration is then the end of the last Period when it has one. */
  Mpd open = parse_ok ("<MPD type=\"static\"><Period>" + rep + "</Period><Period start=\"PT3S\">" + rep
      + "</Period></MPD>");
  fail_unless_equals_uint64 (*open.periods[0].duration, 3 * GST_SECOND);
  fail_unless (!open.periods[1].duration.has_value ());
  fail_unless (!open.duration ().has_value ());
  Mpd ends = parse_ok ("<MPD type=\"static\"><Period duration=\"PT2S\">" + rep + "</Period><Period duration=\"PT3S\">"
      + rep + "</Period></MPD>");
  fail_unless_equals_uint64 (ends.periods[1].start, 2 * GST_SECOND);
  fail_unless_equals_uint64 (*ends.duration (), 5 * GST_SECOND);

  parse_fails ("<MPD type=\"static\"><Period start=\"PT5S\">" + rep + "</Period><Period start=\"PT3S\">" + rep
      + "</Period></MPD>", GST_OFFLINE_ERROR_INVALID_ARGUMENT, "starts before the previous Period");
  parse_fails ("<MPD type=\"static\"><Period>" + rep + "</Period><Period>" + rep + "</Period></MPD>",
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, "no @start and the previous Period has no known duration");
}
GST_END_TEST;

/* Stream keys (PERIOD.ADAPTATIONSET.REPRESENTATION) as the library writes
 * them, and nothing else: one spelling per track (no leading zero), no
 * number past 2^64-1 (it used to saturate and then name no Representation). */
GST_START_TEST (test_stream_key_syntax)
{
  const std::string rep = video_with ("<BaseURL>v.mp4</BaseURL>");
  std::string other = rep;
  other.replace (other.find ("id=\"v\""), strlen ("id=\"v\""), "id=\"w\"");
  Mpd mpd = parse_ok ("<MPD type=\"static\" mediaPresentationDuration=\"PT20S\"><Period>" + rep + other
      + "</Period><Period start=\"PT10S\">" + rep + "</Period></MPD>");
  g_autoptr (GError) error = nullptr;
  auto ref = gst_offline::parse_dash_stream_key ("1.0.0", mpd, &error);
  fail_unless (ref && ref->period == 1 && ref->set == 0 && ref->representation == 0);
  ref = gst_offline::parse_dash_stream_key ("0.1.0", mpd, &error);
  fail_unless (ref && ref->period == 0 && ref->set == 1 && ref->representation == 0);
  for (const char *bad : { "", "0", "0.0", "0.0.", ".0.0", "0.0.0.0", "0..0", "a.b.c", "-1.0.0", "+1.0.0",
           " 0.0.0", "0.0.0 ", "0.0.0x", "00.0.0", "0.01.0", "18446744073709551616.0.0" }) {
    g_clear_error (&error);
    fail_unless (!gst_offline::parse_dash_stream_key (bad, mpd, &error), "'%s' accepted", bad);
    fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT));
    fail_unless (strstr (error->message, "is not a DASH stream key") != nullptr, "%s: %s", bad, error->message);
  }
  for (const char *none : { "2.0.0", "0.2.0", "0.0.1", "18446744073709551615.0.0" }) {
    g_clear_error (&error);
    fail_unless (!gst_offline::parse_dash_stream_key (none, mpd, &error), "'%s' accepted", none);
    fail_unless (strstr (error->message, "names no Representation") != nullptr, "%s: %s", none, error->message);
  }
}
GST_END_TEST;

GST_START_TEST (test_base_url_resolution)
{
  const char *xml =
      "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" type=\"static\" mediaPresentationDuration=\"PT4S\">"
      "<BaseURL>http://cdn.example.org/content/</BaseURL><BaseURL>http://backup.example.org/</BaseURL>"
      "<Period><BaseURL>period1/</BaseURL>"
      "  <AdaptationSet mimeType=\"video/mp4\"><BaseURL>video/</BaseURL>"
      "    <SegmentTemplate media=\"$RepresentationID$/$Number$.m4s\" initialization=\"init.mp4\" duration=\"2\"/>"
      "    <Representation id=\"720p\" bandwidth=\"1\"><BaseURL>hd/</BaseURL></Representation>"
      "    <Representation id=\"360p\" bandwidth=\"1\"><BaseURL>https://other.example.net/x/</BaseURL></Representation>"
      "    <Representation id=\"180p\" bandwidth=\"1\"><BaseURL>../../up/</BaseURL></Representation>"
      "    <Representation id=\"90p\" bandwidth=\"1\"/>"
      "  </AdaptationSet>"
      "</Period></MPD>";
  Mpd mpd = parse_ok (xml);
  fail_unless_equals_string (mpd.base_url.c_str (), "http://cdn.example.org/content/");
  fail_unless_equals_string (mpd.periods[0].base_url.c_str (), "http://cdn.example.org/content/period1/");
  const AdaptationSet &set = mpd.periods[0].adaptation_sets[0];
  fail_unless_equals_string (set.base_url.c_str (), "http://cdn.example.org/content/period1/video/");
  fail_unless_equals_string (set.representations[0].base_url.c_str (), "http://cdn.example.org/content/period1/video/hd/");
  fail_unless_equals_string (set.representations[1].base_url.c_str (), "https://other.example.net/x/");
  fail_unless_equals_string (set.representations[2].base_url.c_str (), "http://cdn.example.org/content/up/");
  fail_unless_equals_string (set.representations[3].base_url.c_str (), "http://cdn.example.org/content/period1/video/");

  SegmentIndex hd = expand_ok (mpd, 0, 0, 0);
  fail_unless_equals_string (hd.init->url.c_str (), "http://cdn.example.org/content/period1/video/hd/init.mp4");
  fail_unless_equals_string (hd.media[0].url.c_str (), "http://cdn.example.org/content/period1/video/hd/720p/1.m4s");
  SegmentIndex other = expand_ok (mpd, 0, 0, 1);
  fail_unless_equals_string (other.media[1].url.c_str (), "https://other.example.net/x/360p/2.m4s");

  /* Without any BaseURL everything is relative to the manifest itself. */
  Mpd plain = parse_ok (mpd_with (video_with ("<SegmentTemplate media=\"seg-$Number$.m4s\" duration=\"5\"/>")),
      "http://example.com/a/b/manifest.mpd?token=1");
  SegmentIndex index = expand_ok (plain, 0, 0, 0);
  fail_unless_equals_string (index.media[0].url.c_str (), "http://example.com/a/b/seg-1.m4s");
  fail_unless_equals_int (index.media.size (), 2);

  g_autoptr (GError) error = nullptr;
  fail_if (parse_mpd (mpd_with (video_with ("")), "relative/manifest.mpd", &error).has_value ());
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT));
}
GST_END_TEST;

GST_START_TEST (test_representation_inherits_from_adaptation_set)
{
  const char *xml =
      "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" type=\"static\" mediaPresentationDuration=\"PT4S\"><Period>"
      "<AdaptationSet id=\"7\" contentType=\"video\" mimeType=\"video/mp4\" codecs=\"avc1.4d401f\" frameRate=\"30000/1001\""
      "    par=\"16:9\" sar=\"1:1\" width=\"1280\" height=\"720\">"
      "  <SegmentTemplate media=\"$RepresentationID$-$Number$.m4s\" duration=\"1\"/>"
      "  <Representation id=\"a\" bandwidth=\"1000\"/>"
      "  <Representation id=\"b\" bandwidth=\"2000\" codecs=\"avc1.640028\" width=\"1920\" height=\"1080\" frameRate=\"25\" sar=\"4:3\"/>"
      "</AdaptationSet>"
      "<AdaptationSet mimeType=\"audio/mp4\" codecs=\"mp4a.40.2\" audioSamplingRate=\"48000\">"
      "  <AudioChannelConfiguration schemeIdUri=\"urn:mpeg:dash:23003:3:audio_channel_configuration:2011\" value=\"2\"/>"
      "  <SegmentTemplate media=\"$RepresentationID$-$Number$.m4s\" duration=\"1\"/>"
      "  <Representation id=\"en\" bandwidth=\"128000\"/>"
      "  <Representation id=\"en51\" bandwidth=\"384000\" audioSamplingRate=\"44100 48000\">"
      "    <AudioChannelConfiguration schemeIdUri=\"tag:dolby.com,2014:dash:audio_channel_configuration:2011\" value=\"F801\"/>"
      "  </Representation>"
      "</AdaptationSet>"
      "</Period></MPD>";
  Mpd mpd = parse_ok (xml);
  const AdaptationSet &video = mpd.periods[0].adaptation_sets[0];
  fail_unless_equals_string (video.id->c_str (), "7");
  fail_unless (video.content_type == ContentType::Video);
  fail_unless_equals_int (video.frame_rate->numerator, 30000);
  fail_unless_equals_int (video.frame_rate->denominator, 1001);
  fail_unless_equals_int (video.par->numerator, 16);
  fail_unless_equals_int (video.par->denominator, 9);
  const Representation &a = video.representations[0];
  fail_unless_equals_string (a.mime_type.c_str (), "video/mp4");
  fail_unless_equals_string (a.codecs.c_str (), "avc1.4d401f");
  fail_unless_equals_int (*a.width, 1280);
  fail_unless_equals_int (*a.height, 720);
  fail_unless_equals_int (a.frame_rate->numerator, 30000);
  fail_unless_equals_int (a.sar->numerator, 1);
  fail_unless_equals_uint64 (a.bandwidth, 1000);
  const Representation &b = video.representations[1];
  fail_unless_equals_string (b.codecs.c_str (), "avc1.640028");
  fail_unless_equals_int (*b.width, 1920);
  fail_unless_equals_int (*b.height, 1080);
  fail_unless_equals_int (b.frame_rate->numerator, 25);
  fail_unless_equals_int (b.frame_rate->denominator, 1);
  fail_unless_equals_int (b.sar->numerator, 4);
  fail_unless_equals_int (b.sar->denominator, 3);

  const AdaptationSet &audio = mpd.periods[0].adaptation_sets[1];
  fail_unless (audio.content_type == ContentType::Audio);  /* derived from mimeType */
  fail_unless_equals_int (*audio.representations[0].audio_sampling_rate, 48000);
  fail_unless_equals_string (audio.representations[0].audio_channel_configuration->c_str (), "2");
  fail_unless_equals_int (*audio.representations[1].audio_sampling_rate, 44100);
  fail_unless_equals_string (audio.representations[1].audio_channel_configuration->c_str (), "F801");
  fail_unless_equals_string (content_type_name (audio.content_type), "audio");
}
GST_END_TEST;

GST_START_TEST (test_segment_info_inheritance)
{
  /* Period → AdaptationSet → Representation: each level overrides fields of
   * the same element above it and keeps the rest. */
  const char *xml =
      "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" type=\"static\" mediaPresentationDuration=\"PT6S\"><Period>"
      "<SegmentTemplate timescale=\"1000\" media=\"period-$Number$.m4s\" initialization=\"period-init.mp4\" startNumber=\"5\"/>"
      "<AdaptationSet mimeType=\"video/mp4\">"
      "  <SegmentTemplate duration=\"2000\" initialization=\"$RepresentationID$-init.mp4\"/>"
      "  <Representation id=\"a\" bandwidth=\"1\"/>"
      "  <Representation id=\"b\" bandwidth=\"1\"><SegmentTemplate media=\"b-$Number$.m4s\" duration=\"3000\"/></Representation>"
      "  <Representation id=\"c\" bandwidth=\"1\"><SegmentList duration=\"6\"><SegmentURL media=\"c.mp4\"/></SegmentList></Representation>"
      "</AdaptationSet></Period></MPD>";
  Mpd mpd = parse_ok (xml);
  SegmentIndex a = expand_ok (mpd, 0, 0, 0);
  fail_unless_equals_string (a.init->url.c_str (), "http://example.com/dash/a-init.mp4");
  fail_unless_equals_int (a.media.size (), 3);
  fail_unless_equals_string (a.media[0].url.c_str (), "http://example.com/dash/period-5.m4s");
  fail_unless_equals_uint64 (a.media[2].number, 7);
  fail_unless_equals_uint64 (a.media[2].start_ns, 4 * GST_SECOND);
  SegmentIndex b = expand_ok (mpd, 0, 0, 1);
  fail_unless_equals_string (b.init->url.c_str (), "http://example.com/dash/b-init.mp4");
  fail_unless_equals_int (b.media.size (), 2);
  fail_unless_equals_string (b.media[1].url.c_str (), "http://example.com/dash/b-6.m4s");
  fail_unless_equals_uint64 (b.media[1].duration_ns, 3 * GST_SECOND);
  /* A SegmentList at the Representation wins over the inherited template. */
  SegmentIndex c = expand_ok (mpd, 0, 0, 2);
  fail_unless (!c.init.has_value ());
  fail_unless_equals_int (c.media.size (), 1);
  fail_unless_equals_string (c.media[0].url.c_str (), "http://example.com/dash/c.mp4");
  fail_unless_equals_uint64 (c.media[0].duration_ns, 6 * GST_SECOND);
}
GST_END_TEST;

/* ---- SegmentTemplate --------------------------------------------------------- */

GST_START_TEST (test_template_timeline_with_repeats)
{
  /* What ffmpeg writes for audio: t on the first S only, r, and odd durations. */
  Mpd mpd = parse_ok (mpd_with (video_with (
      "<SegmentTemplate timescale=\"44100\" initialization=\"init-$RepresentationID$.m4s\""
      "    media=\"chunk-$RepresentationID$-$Number%05d$.m4s\" startNumber=\"1\">"
      "  <SegmentTimeline><S t=\"0\" d=\"40960\"/><S d=\"44032\" r=\"1\"/><S d=\"45056\"/><S d=\"2320\"/></SegmentTimeline>"
      "</SegmentTemplate>"), "mediaPresentationDuration=\"PT4.0S\""));
  SegmentIndex index = expand_ok (mpd, 0, 0, 0);
  fail_unless_equals_string (index.init->url.c_str (), "http://example.com/dash/init-v.m4s");
  fail_unless (!index.init->range.has_value ());
  fail_unless (!index.sidx.has_value ());
  fail_unless_equals_int (index.media.size (), 5);
  const guint64 times[] = { 0, 40960, 84992, 129024, 174080 };
  const guint64 durations[] = { 40960, 44032, 44032, 45056, 2320 };
  for (guint i = 0; i < 5; i++) {
    const MediaSegment &s = index.media[i];
    g_autofree gchar *url = g_strdup_printf ("http://example.com/dash/chunk-v-%05u.m4s", i + 1);
    fail_unless_equals_string (s.url.c_str (), url);
    fail_unless_equals_uint64 (s.number, i + 1);
    fail_unless_equals_uint64 (s.time, times[i]);
    fail_unless_equals_uint64 (s.duration, durations[i]);
    fail_unless_equals_uint64 (s.timescale, 44100);
    fail_unless_equals_int64 (s.start_ns, (gint64) gst_util_uint64_scale (times[i], GST_SECOND, 44100));
    fail_unless_equals_uint64 (s.duration_ns, gst_util_uint64_scale (durations[i], GST_SECOND, 44100));
    fail_unless (!s.range.has_value ());
  }
}
GST_END_TEST;

GST_START_TEST (test_template_timeline_repeat_to_end)
{
  /* r="-1" on the last S: up to the end of the Period (10 s → 0,3,6,9). */
  Mpd mpd = parse_ok (mpd_with (video_with (
      "<SegmentTemplate timescale=\"1\" media=\"$Time$.m4s\"><SegmentTimeline><S t=\"0\" d=\"3\" r=\"-1\"/>"
      "</SegmentTimeline></SegmentTemplate>")));
  SegmentIndex index = expand_ok (mpd, 0, 0, 0);
  fail_unless_equals_int (index.media.size (), 4);
  fail_unless_equals_string (index.media[3].url.c_str (), "http://example.com/dash/9.m4s");
  fail_unless_equals_int64 (index.media[3].start_ns, 9 * GST_SECOND);

  /* r="-1" in the middle: up to the next S@t. */
  Mpd middle = parse_ok (mpd_with (video_with (
      "<SegmentTemplate timescale=\"10\" media=\"$Number$-$Time$.m4s\" startNumber=\"0\"><SegmentTimeline>"
      "<S t=\"0\" d=\"20\" r=\"-1\"/><S t=\"60\" d=\"10\" r=\"1\"/></SegmentTimeline></SegmentTemplate>")));
  index = expand_ok (middle, 0, 0, 0);
  std::vector<std::string> urls;
  for (const auto &s : index.media)
    urls.push_back (s.url.substr (strlen ("http://example.com/dash/")));
  const std::vector<std::string> expected = { "0-0.m4s", "1-20.m4s", "2-40.m4s", "3-60.m4s", "4-70.m4s" };
  fail_unless (urls == expected);

  /* r="-1" at the end of the last Period of an MPD without a duration. */
  expand_fails (mpd_with (video_with ("<SegmentTemplate media=\"$Time$.m4s\"><SegmentTimeline><S d=\"3\" r=\"-1\"/>"
      "</SegmentTimeline></SegmentTemplate>"), ""), GST_OFFLINE_ERROR_INVALID_ARGUMENT, "Period's duration");
  expand_fails (mpd_with (video_with ("<SegmentTemplate media=\"$Time$.m4s\"><SegmentTimeline><S d=\"3\" r=\"-1\"/>"
      "<S d=\"3\"/></SegmentTimeline></SegmentTemplate>")), GST_OFFLINE_ERROR_INVALID_ARGUMENT, "without @t");
}
GST_END_TEST;

GST_START_TEST (test_template_time_bandwidth_and_offset)
{
  /* presentationTimeOffset: media times start at 5000 ticks, the Period at 0. */
  Mpd mpd = parse_ok (mpd_with (video_with (
      "<SegmentTemplate timescale=\"1000\" presentationTimeOffset=\"5000\" media=\"$Bandwidth$/t$Time$-$$-$Bandwidth%08d$.m4s\""
      "    initialization=\"$Bandwidth$/init.mp4\"><SegmentTimeline><S t=\"5000\" d=\"2000\" r=\"2\"/>"
      "</SegmentTimeline></SegmentTemplate>")));
  SegmentIndex index = expand_ok (mpd, 0, 0, 0);
  fail_unless_equals_string (index.init->url.c_str (), "http://example.com/dash/500000/init.mp4");
  fail_unless_equals_int (index.media.size (), 3);
  fail_unless_equals_string (index.media[0].url.c_str (), "http://example.com/dash/500000/t5000-$-00500000.m4s");
  fail_unless_equals_string (index.media[2].url.c_str (), "http://example.com/dash/500000/t9000-$-00500000.m4s");
  fail_unless_equals_int64 (index.media[0].start_ns, 0);
  fail_unless_equals_int64 (index.media[1].start_ns, 2 * GST_SECOND);
  fail_unless_equals_uint64 (index.media[2].time, 9000);
  fail_unless_equals_uint64 (index.presentation_time_offset, 5000);

  /* A segment that begins before the offset starts before the Period. */
  Mpd early = parse_ok (mpd_with (video_with (
      "<SegmentTemplate timescale=\"10\" presentationTimeOffset=\"15\" media=\"$Time%03d$.m4s\"><SegmentTimeline>"
      "<S t=\"10\" d=\"10\"/></SegmentTimeline></SegmentTemplate>")));
  index = expand_ok (early, 0, 0, 0);
  fail_unless_equals_string (index.media[0].url.c_str (), "http://example.com/dash/010.m4s");
  fail_unless_equals_int64 (index.media[0].start_ns, -500 * GST_MSECOND);
}
GST_END_TEST;

/* A live $Number$ template with @duration: the segments available at a
 * given instant, numbered from @startNumber at availabilityStartTime plus
 * the Period's start, within timeShiftBufferDepth; UTCTiming is read. */
GST_START_TEST (test_live_template_duration)
{
  std::string xml = "<MPD type=\"dynamic\" availabilityStartTime=\"2020-01-01T00:00:00Z\" timeShiftBufferDepth=\"PT6S\">"
      "<UTCTiming schemeIdUri=\"urn:mpeg:dash:utc:http-iso:2014\" value=\"/time\"/><Period start=\"PT10S\">"
      + video_with ("<SegmentTemplate timescale=\"1000\" duration=\"2000\" startNumber=\"5\" media=\"s$Number$\"/>")
      + "</Period></MPD>";
  g_autoptr (GError) error = nullptr;
  auto mpd = parse_mpd (xml, kManifestUrl, &error, Dynamic::Accept);
  fail_unless (mpd.has_value (), "%s", error ? error->message : "");
  fail_unless_equals_int (mpd->utc_timings.size (), 1);
  fail_unless_equals_string (mpd->utc_timings[0].value->c_str (), "/time");
  gint64 start_us = *gst_offline::parse_xs_date_time ("2020-01-01T00:00:00Z");
  fail_unless_equals_int64 (*mpd->availability_start_time_us, start_us);
  const Period &period = mpd->periods[0];
  const Representation &rep = period.adaptation_sets[0].representations[0];
  auto at = [&] (double seconds) {
    std::vector<MediaSegment> listed;
    g_autoptr (GError) e = nullptr;
    auto index = expand_live_segments (*mpd, period, rep, start_us + static_cast<gint64> (seconds * G_USEC_PER_SEC),
        [&] (MediaSegment &&m, GError **) { listed.push_back (std::move (m)); return true; }, &e);
    fail_unless (index.has_value (), "%s", e ? e->message : "");
    return listed;
  };
  /* Before the Period, or before its first segment ended: nothing. */
  fail_unless (at (5).empty ());
  fail_unless (at (11.9).empty ());
  /* 21 s: 11 s of the Period, five segments ended; 6 s of depth: the last three. */
  auto listed = at (21);
  fail_unless_equals_int (listed.size (), 3);
  fail_unless_equals_uint64 (listed[0].number, 7);
  fail_unless_equals_string (listed[0].url.c_str (), "http://example.com/dash/s7");
  fail_unless_equals_int64 (listed[0].start_ns, 4 * GST_SECOND);
  fail_unless_equals_uint64 (listed[2].number, 9);
  fail_unless_equals_uint64 (listed[2].duration_ns, 2 * GST_SECOND);
  /* Without a depth: every segment since the Period's start. */
  Mpd deep = *mpd;
  deep.time_shift_buffer_depth.reset ();
  std::vector<MediaSegment> all;
  fail_unless (expand_live_segments (deep, period, rep, start_us + 21 * G_USEC_PER_SEC,
      [&] (MediaSegment &&m, GError **) { all.push_back (std::move (m)); return true; }, nullptr).has_value ());
  fail_unless_equals_int (all.size (), 5);
  fail_unless_equals_uint64 (all[0].number, 5);
  fail_unless (!gst_offline::parse_xs_date_time ("yesterday").has_value ());
}
GST_END_TEST;

GST_START_TEST (test_template_duration_only)
{
  /* 7 s of 2 s segments from number 10: 4 segments, the last one partly
   * past the end (a player stops at the Period end). */
  Mpd mpd = parse_ok (mpd_with (video_with (
      "<SegmentTemplate timescale=\"90000\" duration=\"180000\" startNumber=\"10\" presentationTimeOffset=\"900000\""
      "    media=\"seg_$Number%03d$_$Time$.ts\"/>"), "mediaPresentationDuration=\"PT7S\""));
  SegmentIndex index = expand_ok (mpd, 0, 0, 0);
  fail_unless (!index.init.has_value ());
  fail_unless_equals_int (index.media.size (), 4);
  fail_unless_equals_string (index.media[0].url.c_str (), "http://example.com/dash/seg_010_900000.ts");
  fail_unless_equals_string (index.media[3].url.c_str (), "http://example.com/dash/seg_013_1440000.ts");
  fail_unless_equals_uint64 (index.media[3].number, 13);
  fail_unless_equals_int64 (index.media[3].start_ns, 6 * GST_SECOND);
  fail_unless_equals_uint64 (index.media[3].duration_ns, 2 * GST_SECOND);

  /* An exact fit gives no extra segment; the second Period counts its own. */
  Mpd two = parse_ok ("<MPD type=\"static\" mediaPresentationDuration=\"PT10S\"><Period>"
      + video_with ("<SegmentTemplate duration=\"2\" media=\"a$Number$\"/>") + "</Period><Period start=\"PT6S\">"
      + video_with ("<SegmentTemplate duration=\"2\" media=\"b$Number$\"/>") + "</Period></MPD>");
  fail_unless_equals_int (expand_ok (two, 0, 0, 0).media.size (), 3);
  SegmentIndex second = expand_ok (two, 1, 0, 0);
  fail_unless_equals_int (second.media.size (), 2);
  fail_unless_equals_string (second.media[1].url.c_str (), "http://example.com/dash/b2");
  fail_unless_equals_int64 (second.media[1].start_ns, 2 * GST_SECOND);  /* relative to its Period */

  expand_fails (mpd_with (video_with ("<SegmentTemplate duration=\"2\" media=\"$Number$\"/>"), ""),
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, "Period's duration");
  expand_fails (mpd_with (video_with ("<SegmentTemplate media=\"$Number$\"/>")), GST_OFFLINE_ERROR_INVALID_ARGUMENT,
      "neither @duration nor a SegmentTimeline");
  /* 10 s in 1-tick segments of a 1 MHz timescale: ten million segments. */
  expand_fails (mpd_with (video_with ("<SegmentTemplate timescale=\"1000000\" duration=\"1\" media=\"$Number$\"/>")),
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, "more than 1000000 segments");
}
GST_END_TEST;

GST_START_TEST (test_fill_template)
{
  g_autoptr (GError) error = nullptr;
  auto text = fill_template ("$RepresentationID$_$Number%05d$_$Time%010d$_$Bandwidth$_$$_end", "v1", 300, 42, 90000, &error);
  fail_unless (text.has_value ());
  fail_unless_equals_string (text->c_str (), "v1_00042_0000090000_300_$_end");
  /* A number wider than the format is not cut. */
  text = fill_template ("$Number%02d$", "x", 0, 12345, 0, &error);
  fail_unless_equals_string (text->c_str (), "12345");

  const char *bad[] = { "$Foo$.m4s", "$Number", "a$SubNumber$", "$Number%5d$", "$Number%05x$", "$RepresentationID%02d$",
    "$number$", "$Time%0d$" };
  for (const char *t : bad) {
    g_clear_error (&error);
    fail_if (fill_template (t, "x", 1, 1, 1, &error).has_value (), "%s should be refused", t);
    fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT), "%s", t);
  }
  /* No $Number$/$Time$ where there is none (initialization). */
  g_clear_error (&error);
  fail_if (fill_template ("init-$Number$.mp4", "x", 1, std::nullopt, std::nullopt, &error).has_value ());
  fail_unless (strstr (error->message, "cannot be used here") != nullptr);

  expand_fails (mpd_with (video_with ("<SegmentTemplate duration=\"1\" media=\"$Width$.m4s\"/>")),
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, "$Width$ is not a known identifier");
  expand_fails (mpd_with (video_with ("<SegmentTemplate duration=\"1\" media=\"$Number$\" initialization=\"i$Time$\"/>")),
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, "cannot be used here");
}
GST_END_TEST;

/* ---- SegmentList and SegmentBase ------------------------------------------- */

GST_START_TEST (test_segment_list)
{
  Mpd mpd = parse_ok (mpd_with (video_with (
      "<BaseURL>video.mp4</BaseURL>"
      "<SegmentList timescale=\"1000\" duration=\"4000\" startNumber=\"3\">"
      "  <Initialization sourceURL=\"init.mp4\" range=\"0-799\"/>"
      "  <SegmentURL mediaRange=\"800-1999\"/>"
      "  <SegmentURL mediaRange=\"2000-3499\"/>"
      "  <SegmentURL media=\"../other/tail.mp4\"/>"
      "</SegmentList>"), "mediaPresentationDuration=\"PT12S\""));
  SegmentIndex index = expand_ok (mpd, 0, 0, 0);
  fail_unless_equals_string (index.init->url.c_str (), "http://example.com/dash/init.mp4");
  fail_unless_equals_uint64 (index.init->range->first, 0);
  fail_unless_equals_uint64 (index.init->range->last, 799);
  fail_unless_equals_int (index.media.size (), 3);
  fail_unless_equals_string (index.media[0].url.c_str (), "http://example.com/dash/video.mp4");
  fail_unless_equals_uint64 (index.media[0].range->first, 800);
  fail_unless_equals_uint64 (index.media[0].range->last, 1999);
  fail_unless_equals_uint64 (index.media[1].range->length (), 1500);
  fail_unless_equals_string (index.media[2].url.c_str (), "http://example.com/other/tail.mp4");
  fail_unless (!index.media[2].range.has_value ());
  fail_unless_equals_uint64 (index.media[2].number, 5);
  fail_unless_equals_int64 (index.media[2].start_ns, 8 * GST_SECOND);
  fail_unless_equals_uint64 (index.media[2].duration_ns, 4 * GST_SECOND);

  /* Initialization without sourceURL: a range of the BaseURL; a timeline gives the times. */
  Mpd timed = parse_ok (mpd_with (video_with (
      "<BaseURL>all.mp4</BaseURL><SegmentList timescale=\"10\"><Initialization range=\"0-9\"/>"
      "<SegmentTimeline><S t=\"0\" d=\"15\"/><S d=\"25\"/></SegmentTimeline>"
      "<SegmentURL mediaRange=\"10-19\"/><SegmentURL mediaRange=\"20-29\"/></SegmentList>")));
  index = expand_ok (timed, 0, 0, 0);
  fail_unless_equals_string (index.init->url.c_str (), "http://example.com/dash/all.mp4");
  fail_unless_equals_int64 (index.media[1].start_ns, 1500 * GST_MSECOND);
  fail_unless_equals_uint64 (index.media[1].duration_ns, 2500 * GST_MSECOND);

  expand_fails (mpd_with (video_with ("<SegmentList><SegmentURL media=\"a\"/><SegmentURL media=\"b\"/></SegmentList>")),
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, "neither @duration nor a SegmentTimeline");
  expand_fails (mpd_with (video_with ("<SegmentList><SegmentTimeline><S d=\"1\"/></SegmentTimeline>"
      "<SegmentURL media=\"a\"/><SegmentURL media=\"b\"/></SegmentList>")),
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, "fewer segments");
  parse_fails (mpd_with (video_with ("<SegmentList duration=\"1\"><SegmentURL mediaRange=\"20-10\"/></SegmentList>")),
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, "ends before it starts");
  parse_fails (mpd_with (video_with ("<SegmentList duration=\"1\"><SegmentURL mediaRange=\"20-\"/></SegmentList>")),
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, "is not a byte range");
}
GST_END_TEST;

/* A 'sidx' box: version 0 or 1, references of (type, size, duration). */
struct SidxRef {
  bool is_sidx;
  guint32 size;
  guint32 duration;
};

static void put_u32 (std::string &out, guint32 v)
{
  for (int shift = 24; shift >= 0; shift -= 8)
    out += static_cast<char> ((v >> shift) & 0xff);
}

static void put_u64 (std::string &out, guint64 v)
{
  put_u32 (out, static_cast<guint32> (v >> 32));
  put_u32 (out, static_cast<guint32> (v));
}

static std::string make_sidx (guint version, guint32 timescale, guint64 ept, guint64 first_offset,
    const std::vector<SidxRef> &refs)
{
  std::string body;
  put_u32 (body, version << 24);
  put_u32 (body, 1);  /* reference_ID */
  put_u32 (body, timescale);
  if (version == 0) {
    put_u32 (body, static_cast<guint32> (ept));
    put_u32 (body, static_cast<guint32> (first_offset));
  } else {
    put_u64 (body, ept);
    put_u64 (body, first_offset);
  }
  body += std::string ("\0\0", 2);
  body += static_cast<char> (refs.size () >> 8);
  body += static_cast<char> (refs.size () & 0xff);
  for (const auto &ref : refs) {
    put_u32 (body, (ref.is_sidx ? 0x80000000u : 0) | ref.size);
    put_u32 (body, ref.duration);
    put_u32 (body, 0x90000000u);  /* starts_with_SAP, SAP type 1 */
  }
  std::string box;
  put_u32 (box, static_cast<guint32> (body.size () + 8));
  box += "sidx";
  return box + body;
}

static const std::string kSegmentBaseMpd = mpd_with (video_with (
    "<BaseURL>movie.mp4</BaseURL><SegmentBase timescale=\"1000\" presentationTimeOffset=\"500\" indexRange=\"900-999\">"
    "<Initialization range=\"0-899\"/></SegmentBase>"), "mediaPresentationDuration=\"PT6S\"");

GST_START_TEST (test_segment_base_and_sidx)
{
  Mpd mpd = parse_ok (kSegmentBaseMpd);
  SegmentIndex index = expand_ok (mpd, 0, 0, 0);
  fail_unless_equals_string (index.init->url.c_str (), "http://example.com/dash/movie.mp4");
  fail_unless (index.init->range == (ByteRange { 0, 899 }));
  fail_unless (index.media.empty ());
  fail_unless (index.sidx.has_value ());
  fail_unless_equals_string (index.sidx->url.c_str (), "http://example.com/dash/movie.mp4");
  fail_unless (index.sidx->range == (ByteRange { 900, 999 }));

  for (guint version = 0; version <= 1; version++) {
    /* The index range starts at 900 with a 'free' box before the sidx. */
    std::string bytes;
    put_u32 (bytes, 12);
    bytes += "free";
    put_u32 (bytes, 0);
    std::string sidx = make_sidx (version, 90000, 45000, 16, { { false, 1000, 180000 }, { false, 2000, 180000 },
      { false, 500, 90000 } });
    bytes += sidx;
    SegmentIndex filled = index;
    g_autoptr (GError) error = nullptr;
    fail_unless (add_sidx_segments (filled, reinterpret_cast<const guint8 *> (bytes.data ()), bytes.size (), &error),
        "%s", error ? error->message : "");
    fail_unless_equals_int (filled.media.size (), 3);
    guint64 first = 900 + 12 + sidx.size () + 16;
    fail_unless (filled.media[0].range == (ByteRange { first, first + 999 }));
    fail_unless (filled.media[1].range == (ByteRange { first + 1000, first + 2999 }));
    fail_unless (filled.media[2].range == (ByteRange { first + 3000, first + 3499 }));
    fail_unless_equals_string (filled.media[2].url.c_str (), "http://example.com/dash/movie.mp4");
    fail_unless_equals_uint64 (filled.media[0].time, 45000);
    fail_unless_equals_uint64 (filled.media[0].timescale, 90000);
    fail_unless_equals_int64 (filled.media[0].start_ns, 0);  /* 0.5 s minus the 0.5 s offset */
    fail_unless_equals_int64 (filled.media[1].start_ns, 2 * GST_SECOND);
    fail_unless_equals_uint64 (filled.media[2].duration_ns, GST_SECOND);
    fail_unless_equals_uint64 (filled.media[2].number, 3);
  }

  /* Hostile and unsupported boxes. */
  std::string good = make_sidx (1, 1000, 0, 0, { { false, 10, 1000 }, { false, 10, 1000 } });
  struct {
    std::string bytes;
    GstOfflineError code;
    const char *part;
  } bad[] = {
    { good.substr (0, good.size () - 1), GST_OFFLINE_ERROR_INVALID_ARGUMENT, "truncated" },
    { good.substr (0, 30), GST_OFFLINE_ERROR_INVALID_ARGUMENT, "truncated" },
    { make_sidx (0, 1000, 0, 0, { { true, 10, 1000 } }), GST_OFFLINE_ERROR_UNSUPPORTED, "hierarchical" },
    { make_sidx (0, 0, 0, 0, { { false, 10, 1000 } }), GST_OFFLINE_ERROR_INVALID_ARGUMENT, "timescale is 0" },
    { make_sidx (0, 1000, 0, 0, { { false, 0, 1000 } }), GST_OFFLINE_ERROR_INVALID_ARGUMENT, "size 0" },
    { make_sidx (2, 1000, 0, 0, {}), GST_OFFLINE_ERROR_UNSUPPORTED, "version 2" },
    { std::string ("\0\0\0\x08" "moov", 8), GST_OFFLINE_ERROR_INVALID_ARGUMENT, "no 'sidx' box" },
    { std::string ("\0\0\0\x04" "sidx", 8), GST_OFFLINE_ERROR_INVALID_ARGUMENT, "impossible size" },
    { std::string ("\xff\xff\xff\xff" "free", 8), GST_OFFLINE_ERROR_INVALID_ARGUMENT, "no 'sidx' box" },
    { std::string ("\0\0\0\x01" "sidx" "\xff\xff\xff\xff\xff\xff\xff\xff", 16), GST_OFFLINE_ERROR_INVALID_ARGUMENT, "truncated" },
    { std::string (), GST_OFFLINE_ERROR_INVALID_ARGUMENT, "no 'sidx' box" },
  };
  for (const auto &b : bad) {
    g_autoptr (GError) error = nullptr;
    SegmentIndex filled = index;
    fail_if (add_sidx_segments (filled, reinterpret_cast<const guint8 *> (b.bytes.data ()), b.bytes.size (), &error),
        "'%s' expected", b.part);
    fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, b.code), "%s: %s", b.part, error->message);
    fail_unless (strstr (error->message, b.part) != nullptr, "'%s' does not contain '%s'", error->message, b.part);
    fail_unless (filled.media.empty ());
  }

  /* first_offset near 2^64 overflows instead of wrapping. */
  std::string huge = make_sidx (1, 1000, 0, G_MAXUINT64 - 10, { { false, 10, 1000 } });
  g_autoptr (GError) error = nullptr;
  fail_if (add_sidx_segments (index, reinterpret_cast<const guint8 *> (huge.data ()), huge.size (), &error));
  fail_unless (strstr (error->message, "overflow") != nullptr, "%s", error->message);

  expand_fails (mpd_with (video_with ("<BaseURL>a.mp4</BaseURL><SegmentBase><RepresentationIndex sourceURL=\"a.sidx\"/>"
      "</SegmentBase>")), GST_OFFLINE_ERROR_UNSUPPORTED, "RepresentationIndex");
  /* SegmentBase without an index: the whole file is one segment, which
   * starts with the Period whatever the presentationTimeOffset. */
  Mpd whole = parse_ok (mpd_with (video_with ("<BaseURL>a.mp4</BaseURL><SegmentBase timescale=\"10\" "
      "presentationTimeOffset=\"30\"/>")));
  SegmentIndex one = expand_ok (whole, 0, 0, 0);
  fail_unless_equals_int (one.media.size (), 1);
  fail_unless_equals_int64 (one.media[0].start_ns, 0);
  fail_unless_equals_uint64 (one.media[0].duration_ns, 10 * GST_SECOND);
}
GST_END_TEST;

/* ---- Descriptors, protection, text ------------------------------------------ */

GST_START_TEST (test_content_protection)
{
  /* base64 of a (made-up) 32-byte pssh box */
  std::string pssh_box ("\0\0\0\x20psshstuff-for-the-test-only!!", 32);
  g_autofree gchar *pssh_b64 = g_base64_encode (reinterpret_cast<const guchar *> (pssh_box.data ()), pssh_box.size ());
  std::string xml =
      "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" xmlns:cenc=\"urn:mpeg:cenc:2013\" xmlns:dashif=\"https://dashif.org/CPS\""
      "  xmlns:ck=\"http://dashif.org/guidelines/clearKey\" type=\"static\" mediaPresentationDuration=\"PT2S\">"
      "<BaseURL>https://media.example.com/movie/</BaseURL><Period>"
      "<AdaptationSet mimeType=\"video/mp4\">"
      "  <ContentProtection schemeIdUri=\"urn:mpeg:dash:mp4protection:2011\" value=\"cenc\""
      "      cenc:default_KID=\"10000000-1000-1000-1000-100000000001\"/>"
      "  <ContentProtection schemeIdUri=\"urn:uuid:E2719D58-A985-B3C9-781A-B030AF78D30E\" value=\"ClearKey1.0\">"
      "    <dashif:Laurl Lic_type=\"EME-1.0\">https://license.example.com/ck</dashif:Laurl>"
      "  </ContentProtection>"
      "  <ContentProtection schemeIdUri=\"urn:uuid:1077efec-c0b2-4d02-ace3-3c1e52e2fb4b\">"
      "    <ck:Laurl>../keys/clearkey</ck:Laurl>"
      "    <cenc:pssh>\n  " + std::string (pssh_b64) + "\n  </cenc:pssh>"
      "  </ContentProtection>"
      "  <Representation id=\"v\" bandwidth=\"1\"><BaseURL>v.mp4</BaseURL>"
      "    <ContentProtection xmlns:clearkey=\"http://dashif.org/guidelines/clearKey\""
      "        schemeIdUri=\"urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e\">"
      "      <clearkey:Laurl>rep-license</clearkey:Laurl></ContentProtection>"
      "  </Representation>"
      "</AdaptationSet></Period></MPD>";
  Mpd mpd = parse_ok (xml);
  const AdaptationSet &set = mpd.periods[0].adaptation_sets[0];
  fail_unless_equals_int (set.content_protections.size (), 3);
  const ContentProtection &mp4 = set.content_protections[0];
  fail_unless_equals_string (mp4.scheme_id_uri.c_str (), "urn:mpeg:dash:mp4protection:2011");
  fail_unless_equals_string (mp4.value->c_str (), "cenc");
  fail_unless_equals_string (mp4.default_kid->c_str (), "10000000-1000-1000-1000-100000000001");
  fail_unless (mp4.system_id ().empty ());
  fail_unless (mp4.pssh.empty ());
  fail_unless (!mp4.license_url.has_value ());

  const ContentProtection &dashif = set.content_protections[1];
  fail_unless (dashif.system_id () == "e2719d58-a985-b3c9-781a-b030af78d30e", "%s", dashif.system_id ().c_str ());
  fail_unless_equals_string (dashif.license_url->c_str (), "https://license.example.com/ck");

  const ContentProtection &w3c = set.content_protections[2];
  fail_unless (w3c.system_id () == "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b", "%s", w3c.system_id ().c_str ());
  fail_unless_equals_string (w3c.license_url->c_str (), "https://media.example.com/keys/clearkey");
  fail_unless_equals_int (w3c.pssh.size (), 1);
  fail_unless (w3c.pssh[0] == pssh_box);
  /* The XML stands alone: it declares the prefixes it uses and parses again. */
  fail_unless (strstr (w3c.xml.c_str (), "xmlns:cenc=\"urn:mpeg:cenc:2013\"") != nullptr, "%s", w3c.xml.c_str ());
  fail_unless (strstr (w3c.xml.c_str (), "xmlns:ck=") != nullptr, "%s", w3c.xml.c_str ());
  fail_unless (g_str_has_prefix (w3c.xml.c_str (), "<ContentProtection"), "%s", w3c.xml.c_str ());
  fail_unless (strstr (w3c.xml.c_str (), pssh_b64) != nullptr);
  fail_unless (strstr (mp4.xml.c_str (), "cenc:default_KID=\"10000000-1000-1000-1000-100000000001\"") != nullptr,
      "%s", mp4.xml.c_str ());

  /* The Representation gets the set's elements and then its own. */
  const Representation &rep = set.representations[0];
  fail_unless_equals_int (rep.content_protections.size (), 4);
  fail_unless_equals_string (rep.content_protections[3].license_url->c_str (), "https://media.example.com/movie/rep-license");

  parse_fails (mpd_with ("<AdaptationSet><ContentProtection value=\"cenc\"/>"
      "<Representation id=\"v\" bandwidth=\"1\"/></AdaptationSet>"), GST_OFFLINE_ERROR_INVALID_ARGUMENT, "@schemeIdUri is missing");
  parse_fails (mpd_with ("<AdaptationSet><ContentProtection xmlns:cenc=\"urn:mpeg:cenc:2013\" schemeIdUri=\"urn:uuid:x\">"
      "<cenc:pssh>not base64!</cenc:pssh></ContentProtection><Representation id=\"v\" bandwidth=\"1\"/></AdaptationSet>"),
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, "not base64");
}
GST_END_TEST;

GST_START_TEST (test_language_roles_labels_accessibility)
{
  Mpd mpd = parse_ok (mpd_with (
      "<AdaptationSet contentType=\"audio\" mimeType=\"audio/mp4\" lang=\"fr-CA\">"
      "  <Role schemeIdUri=\"urn:mpeg:dash:role:2011\" value=\"main\"/>"
      "  <Role schemeIdUri=\"urn:mpeg:dash:role:2011\" value=\"dub\"/>"
      "  <Accessibility schemeIdUri=\"urn:tva:metadata:cs:AudioPurposeCS:2007\" value=\"1\" id=\"ad\"/>"
      "  <Label>Français (description)</Label><Label lang=\"en\">French (described)</Label>"
      "  <Representation id=\"a\" bandwidth=\"1\"><BaseURL>a.mp4</BaseURL></Representation>"
      "</AdaptationSet>"));
  const AdaptationSet &set = mpd.periods[0].adaptation_sets[0];
  fail_unless_equals_string (set.lang->c_str (), "fr-CA");
  fail_unless_equals_int (set.roles.size (), 2);
  fail_unless_equals_string (set.roles[0].scheme_id_uri.c_str (), "urn:mpeg:dash:role:2011");
  fail_unless_equals_string (set.roles[1].value->c_str (), "dub");
  fail_unless_equals_int (set.accessibility.size (), 1);
  fail_unless_equals_string (set.accessibility[0].value->c_str (), "1");
  fail_unless_equals_string (set.accessibility[0].id->c_str (), "ad");
  fail_unless_equals_int (set.labels.size (), 2);
  fail_unless_equals_string (set.labels[0].c_str (), "Français (description)");
  fail_unless_equals_string (set.labels[1].c_str (), "French (described)");
  fail_unless (set.content_type == ContentType::Audio);

  parse_fails (mpd_with ("<AdaptationSet><Role value=\"main\"/><Representation id=\"v\" bandwidth=\"1\"/></AdaptationSet>"),
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, "Role: @schemeIdUri is missing");
}
GST_END_TEST;

GST_START_TEST (test_text_tracks)
{
  Mpd mpd = parse_ok (mpd_with (
      "<AdaptationSet mimeType=\"text/vtt\" lang=\"en\"><Role schemeIdUri=\"urn:mpeg:dash:role:2011\" value=\"subtitle\"/>"
      "  <Representation id=\"vtt-en\" bandwidth=\"256\"><BaseURL>subs/en.vtt</BaseURL></Representation></AdaptationSet>"
      "<AdaptationSet contentType=\"text\" mimeType=\"application/ttml+xml\" lang=\"de\">"
      "  <BaseURL>subs/de.ttml</BaseURL><Representation id=\"ttml-de\" bandwidth=\"256\"/></AdaptationSet>"
      "<AdaptationSet mimeType=\"application/mp4\" codecs=\"stpp.ttml.im1t\" lang=\"es\">"
      "  <SegmentTemplate timescale=\"1000\" duration=\"4000\" media=\"text/$RepresentationID$/$Number$.m4s\""
      "      initialization=\"text/$RepresentationID$/init.mp4\"/>"
      "  <Representation id=\"stpp-es\" bandwidth=\"1000\"/></AdaptationSet>"
      "<AdaptationSet mimeType=\"application/mp4\" lang=\"it\">"
      "  <SegmentTemplate timescale=\"1000\" duration=\"5000\" media=\"wvtt/$Number$.m4s\"/>"
      "  <Representation id=\"wvtt-it\" bandwidth=\"1000\" codecs=\"wvtt\"/></AdaptationSet>",
      "mediaPresentationDuration=\"PT10S\""));
  const Period &period = mpd.periods[0];
  const auto &sets = period.adaptation_sets;
  fail_unless (sets[0].content_type == ContentType::Text);
  fail_unless (text_format (sets[0], sets[0].representations[0]) == TextFormat::WebVttFile);
  SegmentIndex vtt = expand_ok (mpd, 0, 0, 0);
  fail_unless (!vtt.init.has_value ());
  fail_unless_equals_int (vtt.media.size (), 1);
  fail_unless_equals_string (vtt.media[0].url.c_str (), "http://example.com/dash/subs/en.vtt");
  fail_unless (!vtt.media[0].range.has_value ());
  fail_unless_equals_int64 (vtt.media[0].start_ns, 0);
  fail_unless_equals_uint64 (vtt.media[0].duration_ns, 10 * GST_SECOND);

  fail_unless (text_format (sets[1], sets[1].representations[0]) == TextFormat::TtmlFile);
  SegmentIndex ttml = expand_ok (mpd, 0, 1, 0);
  fail_unless_equals_int (ttml.media.size (), 1);
  fail_unless_equals_string (ttml.media[0].url.c_str (), "http://example.com/dash/subs/de.ttml");

  fail_unless (sets[2].content_type == ContentType::Text);
  fail_unless (text_format (sets[2], sets[2].representations[0]) == TextFormat::Mp4Stpp);
  SegmentIndex stpp = expand_ok (mpd, 0, 2, 0);
  fail_unless_equals_string (stpp.init->url.c_str (), "http://example.com/dash/text/stpp-es/init.mp4");
  fail_unless_equals_int (stpp.media.size (), 3);
  fail_unless_equals_string (stpp.media[2].url.c_str (), "http://example.com/dash/text/stpp-es/3.m4s");

  /* contentType derived from a Representation's codecs */
  fail_unless (sets[3].content_type == ContentType::Text);
  fail_unless (text_format (sets[3], sets[3].representations[0]) == TextFormat::Mp4Wvtt);
  fail_unless_equals_int (expand_ok (mpd, 0, 3, 0).media.size (), 2);
  /* video is not text */
  Mpd video = parse_ok (mpd_with (video_with ("<BaseURL>v.mp4</BaseURL>")));
  const auto &vset = video.periods[0].adaptation_sets[0];
  fail_unless (text_format (vset, vset.representations[0]) == TextFormat::None);

  /* A sidecar needs the Period's duration to say what it covers. */
  expand_fails (mpd_with ("<AdaptationSet mimeType=\"text/vtt\"><Representation id=\"t\" bandwidth=\"1\">"
      "<BaseURL>t.vtt</BaseURL></Representation></AdaptationSet>", ""), GST_OFFLINE_ERROR_INVALID_ARGUMENT, "Period's duration");
}
GST_END_TEST;

/* ---- Malformed and hostile input ------------------------------------------ */

GST_START_TEST (test_malformed_mpds)
{
  const GstOfflineError invalid = GST_OFFLINE_ERROR_INVALID_ARGUMENT;
  parse_fails ("", invalid, "not XML");
  parse_fails ("this is not xml", invalid, "not XML");
  parse_fails ("<MPD><Period>", invalid, "not XML");
  parse_fails (std::string ("<MPD>\0</MPD>", 12), invalid, "not XML");
  parse_fails ("<MPD><Period id=\"\xff\xfe\"/></MPD>", invalid, "not XML");
  parse_fails ("<?xml version=\"1.0\" encoding=\"x-no-such-charset\"?><MPD/>", invalid, "not XML");
  parse_fails ("<?xml version=\"1.0\" encoding=\"UTF-16\"?><MPD><Period/></MPD>", invalid, "not XML");
  parse_fails ("<html><body>404</body></html>", invalid, "the root element is <html>, not <MPD>");
  parse_fails ("<MPD xmlns=\"urn:example:other\" type=\"static\"/>", invalid, "not <MPD>");
  parse_fails ("<MPD type=\"dynamic\" availabilityStartTime=\"2020-01-01T00:00:00Z\"><Period/></MPD>",
      GST_OFFLINE_ERROR_UNSUPPORTED, "a live (dynamic) MPD can only be recorded");
  parse_fails ("<MPD type=\"Static\"><Period/></MPD>", invalid, "neither 'static' nor 'dynamic'");
  parse_fails ("<MPD type=\"static\"/>", invalid, "there is no Period");
  parse_fails ("<MPD mediaPresentationDuration=\"4 seconds\"><Period/></MPD>", invalid, "mediaPresentationDuration");
  parse_fails ("<MPD><Period start=\"-PT1S\"/></MPD>", invalid, "negative durations are not allowed");
  parse_fails ("<MPD xmlns:xlink=\"http://www.w3.org/1999/xlink\"><Period xlink:href=\"http://x/p.xml\"/></MPD>",
      GST_OFFLINE_ERROR_UNSUPPORTED, "xlink");
  parse_fails (mpd_with ("<AdaptationSet><Representation bandwidth=\"1\"/></AdaptationSet>"), invalid, "has no @id");
  /* @bandwidth is mandatory, but sidecar text Representations often lack
   * it (ExoPlayer's own test MPDs): 0, as players take it. */
  fail_unless_equals_uint64 (parse_ok (mpd_with ("<AdaptationSet id=\"s\"><Representation id=\"v\"/></AdaptationSet>"))
      .periods[0].adaptation_sets[0].representations[0].bandwidth, 0);
  parse_fails (mpd_with ("<AdaptationSet><Representation id=\"v\" bandwidth=\"-5\"/></AdaptationSet>"), invalid,
      "@bandwidth '-5' is not a non-negative integer");
  parse_fails (mpd_with ("<AdaptationSet><Representation id=\"v\" bandwidth=\"99999999999999999999999\"/></AdaptationSet>"),
      invalid, "fits in 64 bits");
  parse_fails (mpd_with ("<AdaptationSet><Representation id=\"v\" bandwidth=\"1\"/><Representation id=\"v\" bandwidth=\"2\"/>"
      "</AdaptationSet>"), invalid, "two Representations have the id 'v'");
  parse_fails (mpd_with (video_with ("", "width=\"4294967296\"")), invalid, "@width 4294967296 is too large");
  parse_fails (mpd_with (video_with ("", "frameRate=\"25/0\"")), invalid, "not a valid frame rate");
  parse_fails (mpd_with (video_with ("<SegmentTemplate timescale=\"0\" media=\"x\"/>")), invalid, "@timescale is 0");
  parse_fails (mpd_with (video_with ("<SegmentTemplate duration=\"1\"/>")), invalid, "SegmentTemplate has no @media");
  parse_fails (mpd_with (video_with ("<SegmentTemplate media=\"$Time$\"><SegmentTimeline><S t=\"0\"/></SegmentTimeline>"
      "</SegmentTemplate>")), invalid, "@d is missing");
  parse_fails (mpd_with (video_with ("<SegmentTemplate media=\"$Time$\"><SegmentTimeline><S d=\"-1\"/></SegmentTimeline>"
      "</SegmentTemplate>")), invalid, "@d '-1'");
  parse_fails (mpd_with (video_with ("<SegmentTemplate media=\"$Time$\"><SegmentTimeline><S d=\"1\" r=\"-2\"/>"
      "</SegmentTimeline></SegmentTemplate>")), invalid, "@r '-2' is neither -1");
  parse_fails (mpd_with (video_with ("<SegmentTemplate media=\"$Time$\"><SegmentTimeline><S d=\"0\"/></SegmentTimeline>"
      "</SegmentTemplate>")), invalid, "@d is 0");

  /* Segment information that lists no segment */
  expand_fails (mpd_with (video_with ("<SegmentList duration=\"1\"/>")), invalid, "has no SegmentURL");
  expand_fails (mpd_with (video_with ("<SegmentTemplate media=\"$Time$\"><SegmentTimeline/></SegmentTemplate>")),
      invalid, "has no S element");
  /* No segment information and no BaseURL of its own. */
  expand_fails (mpd_with (video_with ("")), invalid, "no segment information");
  /* Timelines that go backwards, or whose times overflow 64 bits. */
  expand_fails (mpd_with (video_with ("<SegmentTemplate media=\"$Time$\"><SegmentTimeline><S t=\"100\" d=\"10\"/>"
      "<S t=\"50\" d=\"10\"/></SegmentTimeline></SegmentTemplate>")), invalid, "goes back in time");
  expand_fails (mpd_with (video_with ("<SegmentTemplate media=\"$Time$\"><SegmentTimeline>"
      "<S t=\"18446744073709551610\" d=\"10\"/></SegmentTimeline></SegmentTemplate>")), invalid, "overflow");
  expand_fails (mpd_with (video_with ("<SegmentTemplate media=\"$Number$\" startNumber=\"18446744073709551615\""
      " duration=\"1\"/>")), invalid, "overflow");
}
GST_END_TEST;

GST_START_TEST (test_hostile_timeline_is_capped)
{
  /* A huge repeat count fails at once: no allocation, no loop (one would
   * take the harness's timeout, or all memory, to notice). */
  expand_fails (mpd_with (video_with ("<SegmentTemplate media=\"$Number$\"><SegmentTimeline><S d=\"1\" r=\"2000000000\"/>"
      "</SegmentTimeline></SegmentTemplate>")), GST_OFFLINE_ERROR_INVALID_ARGUMENT, "more than 1000000 segments");
  expand_fails (mpd_with (video_with ("<SegmentTemplate media=\"$Number$\"><SegmentTimeline>"
      "<S d=\"1\" r=\"9223372036854775807\"/></SegmentTimeline></SegmentTemplate>")),
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, "more than 1000000 segments");
  /* Many S elements that each stay under the cap still add up. */
  std::string many = "<SegmentTemplate media=\"$Number$\"><SegmentTimeline>";
  for (int i = 0; i < 3; i++)
    many += "<S d=\"1\" r=\"400000\"/>";
  many += "</SegmentTimeline></SegmentTemplate>";
  expand_fails (mpd_with (video_with (many)), GST_OFFLINE_ERROR_INVALID_ARGUMENT, "more than 1000000 segments");
  /* r="-1" with a tiny d over a long Period */
  expand_fails (mpd_with (video_with ("<SegmentTemplate timescale=\"1000000\" media=\"$Number$\"><SegmentTimeline>"
      "<S d=\"1\" r=\"-1\"/></SegmentTimeline></SegmentTemplate>"), "mediaPresentationDuration=\"P500Y\""),
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, "more than 1000000 segments");
}
GST_END_TEST;

GST_START_TEST (test_amplification_is_bounded)
{
  /* Inheritance copies a 2 MiB ContentProtection into each of 200
   * Representations: refused, not 800 MiB of model. */
  std::string big (2 * 1024 * 1024, 'x');
  std::string reps;
  for (int i = 0; i < 200; i++)
    reps += "<Representation id=\"r" + std::to_string (i) + "\" bandwidth=\"1\"/>";
  parse_fails (mpd_with ("<AdaptationSet><ContentProtection schemeIdUri=\"urn:x\" value=\"" + big + "\"/>" + reps
      + "</AdaptationSet>"), GST_OFFLINE_ERROR_INVALID_ARGUMENT, "MiB of Representations");

  /* A 1 MiB BaseURL times a thousand segments: refused before expanding. */
  std::string long_path (1024 * 1024, 'p');
  expand_fails (mpd_with (video_with ("<BaseURL>" + long_path + "/</BaseURL><SegmentTemplate duration=\"1\" media=\"$Number$\"/>"),
      "mediaPresentationDuration=\"PT1000S\""), GST_OFFLINE_ERROR_INVALID_ARGUMENT, "MiB of memory");
  std::string list = "<BaseURL>" + long_path + "/</BaseURL><SegmentList duration=\"1\">";
  for (int i = 0; i < 1000; i++)
    list += "<SegmentURL media=\"s\"/>";
  expand_fails (mpd_with (video_with (list + "</SegmentList>")), GST_OFFLINE_ERROR_INVALID_ARGUMENT, "MiB of memory");
  expand_fails (mpd_with (video_with ("<BaseURL>" + long_path + "/</BaseURL><SegmentTemplate media=\"$Number$\">"
      "<SegmentTimeline><S d=\"1\" r=\"999\"/></SegmentTimeline></SegmentTemplate>")),
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, "MiB of memory");
  /* Larger than any manifest accepted */
  parse_fails (std::string (kMaxMpdSize + 1, ' '), GST_OFFLINE_ERROR_INVALID_ARGUMENT, "larger than");
}
GST_END_TEST;

/* Found by fuzzing: GLib resolves "https:/..//x" to a URI without a host
 * whose path starts with "//", which has no text form, and
 * g_uri_resolve_relative() returned NULL without an error, which was read. */
GST_START_TEST (test_hostless_urls_are_errors)
{
  parse_fails ("<MPD><BaseURL>https:/..//x</BaseURL><Period/></MPD>", GST_OFFLINE_ERROR_INVALID_ARGUMENT,
      "which is no URL");
  parse_fails (mpd_with ("<BaseURL>https:/..//x</BaseURL>" + video_with ("")), GST_OFFLINE_ERROR_INVALID_ARGUMENT,
      "Period #1 > BaseURL");
  expand_fails (mpd_with (video_with ("<SegmentTemplate duration=\"1\" media=\"https:/..//$Number$\"/>")),
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, "which is no URL");
  expand_fails (mpd_with (video_with ("<SegmentList duration=\"1\"><SegmentURL media=\"https:/..//x\"/></SegmentList>")),
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, "which is no URL");
}
GST_END_TEST;

/* Found by fuzzing: each Representation looked its AdaptationSet's
 * AudioChannelConfiguration up among all the set's children, and the
 * duplicate-id check compared with every earlier one: 20 000
 * Representations took 22 s. Both are now linear; this checks they still
 * hold for that many. */
GST_START_TEST (test_many_representations)
{
  const int count = 20000;
  std::string reps;
  for (int i = 0; i < count; i++)
    reps += "<Representation id=\"r" + std::to_string (i) + "\" bandwidth=\"1\"/>";
  std::string set = "<AdaptationSet mimeType=\"audio/mp4\"><AudioChannelConfiguration "
      "schemeIdUri=\"urn:mpeg:dash:23003:3:audio_channel_configuration:2011\" value=\"6\"/>"
      "<SegmentTemplate duration=\"1\" media=\"$Number$\"/>"
      "<Representation id=\"own\" bandwidth=\"1\"><AudioChannelConfiguration schemeIdUri=\"x\" value=\"2\"/>"
      "</Representation>" + reps;
  Mpd mpd = parse_ok (mpd_with (set + "</AdaptationSet>"));
  const AdaptationSet &parsed = mpd.periods[0].adaptation_sets[0];
  fail_unless_equals_int (parsed.representations.size (), count + 1);
  fail_unless_equals_string (parsed.representations[0].audio_channel_configuration->c_str (), "2");
  fail_unless_equals_string (parsed.representations[count].audio_channel_configuration->c_str (), "6");
  parse_fails (mpd_with (set + "<Representation id=\"r7\" bandwidth=\"1\"/></AdaptationSet>"),
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, "two Representations have the id 'r7'");
}
GST_END_TEST;

/* Real-world features: segment encryption is refused before anything is
 * downloaded; sets and Representations with an EssentialProperty nobody
 * here understands (trick mode) are ignored, as 5.8.4.8 asks, and not
 * offered as tracks; colour signalling is understood. */
GST_START_TEST (test_segment_encryption_and_essential_properties)
{
  parse_fails (mpd_with ("<AdaptationSet mimeType=\"video/mp4\"><ContentProtection schemeIdUri=\"urn:mpeg:dash:sea:2012\"/>"
      "<Representation id=\"v\" bandwidth=\"1\"/></AdaptationSet>"), GST_OFFLINE_ERROR_UNSUPPORTED,
      "segment encryption (urn:mpeg:dash:sea:2012) is not supported");
  parse_fails (mpd_with (video_with ("<SupplementalProperty schemeIdUri=\"urn:mpeg:dash:sea:2012\"/>")),
      GST_OFFLINE_ERROR_UNSUPPORTED, "segment encryption");
  Mpd mpd = parse_ok (mpd_with (
      "<AdaptationSet id=\"1\" mimeType=\"video/mp4\"><SegmentTemplate duration=\"1\" media=\"$Number$\"/>"
      "<EssentialProperty schemeIdUri=\"urn:mpeg:mpegB:cicp:TransferCharacteristics\" value=\"16\"/>"
      "<Representation id=\"v1\" bandwidth=\"1\"/>"
      "<Representation id=\"v2\" bandwidth=\"2\"><EssentialProperty schemeIdUri=\"urn:example:future\"/></Representation>"
      "</AdaptationSet>"
      "<AdaptationSet id=\"2\" mimeType=\"video/mp4\"><SegmentTemplate duration=\"1\" media=\"$Number$\"/>"
      "<EssentialProperty schemeIdUri=\"http://dashif.org/guidelines/trickmode\" value=\"1\"/>"
      "<Representation id=\"trick\" bandwidth=\"1\"/></AdaptationSet>"));
  const Period &period = mpd.periods[0];
  fail_unless (period.adaptation_sets[0].unsupported_essential_property.empty ());
  fail_unless_equals_string (period.adaptation_sets[0].representations[1].unsupported_essential_property.c_str (),
      "urn:example:future");
  fail_unless_equals_string (period.adaptation_sets[1].unsupported_essential_property.c_str (),
      "http://dashif.org/guidelines/trickmode");
  auto tracks = gst_offline::dash_tracks (mpd);
  fail_unless_equals_int (tracks.size (), 1);
  fail_unless_equals_string (tracks[0].stream_key.c_str (), "0.0.0");
}
GST_END_TEST;

/* Templates and BaseURLs as real packagers write them: $Number%05d$ and
 * $Bandwidth$, BaseURL at each of the four levels, xlink refused. */
GST_START_TEST (test_real_world_templates_and_base_urls)
{
  Mpd mpd = parse_ok ("<MPD type=\"static\" mediaPresentationDuration=\"PT3S\"><BaseURL>http://cdn.example.com/root/</BaseURL>"
      "<Period><BaseURL>period/</BaseURL><AdaptationSet mimeType=\"audio/mp4\"><BaseURL>set/</BaseURL>"
      "<SegmentTemplate timescale=\"10\" duration=\"10\" startNumber=\"7\" initialization=\"$RepresentationID$-init.mp4\" "
      "media=\"$RepresentationID$/$Bandwidth$/$Number%05d$.m4s\"/>"
      "<Representation id=\"a\" bandwidth=\"64000\"><BaseURL>rep/</BaseURL></Representation>"
      "</AdaptationSet></Period></MPD>");
  SegmentIndex index = expand_ok (mpd, 0, 0, 0);
  fail_unless_equals_string (index.init->url.c_str (), "http://cdn.example.com/root/period/set/rep/a-init.mp4");
  fail_unless_equals_int (index.media.size (), 3);
  fail_unless_equals_string (index.media[2].url.c_str (), "http://cdn.example.com/root/period/set/rep/a/64000/00009.m4s");
  parse_fails ("<MPD xmlns:xlink=\"http://www.w3.org/1999/xlink\"><Period xlink:href=\"http://x/p.xml\"/></MPD>",
      GST_OFFLINE_ERROR_UNSUPPORTED, "remote (xlink) Periods are not supported");
}
GST_END_TEST;

GST_START_TEST (test_doctype_and_entities_are_refused)
{
  const char *laughs =
      "<?xml version=\"1.0\"?>\n"
      "<!DOCTYPE MPD [\n"
      " <!ENTITY lol \"lol\">\n"
      " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
      " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
      " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
      " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
      " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
      " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
      " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
      " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
      " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
      "]>\n"
      "<MPD type=\"static\" profiles=\"&lol9;\"><Period><AdaptationSet><Representation id=\"&lol9;\" bandwidth=\"1\">"
      "<BaseURL>&lol9;</BaseURL></Representation></AdaptationSet></Period></MPD>\n";
  parse_fails (laughs, GST_OFFLINE_ERROR_INVALID_ARGUMENT, "DOCTYPE");

  parse_fails ("<?xml version=\"1.0\"?><!DOCTYPE MPD [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
      "<MPD><Period><AdaptationSet><Representation id=\"v\" bandwidth=\"1\"><BaseURL>&xxe;</BaseURL>"
      "</Representation></AdaptationSet></Period></MPD>", GST_OFFLINE_ERROR_INVALID_ARGUMENT, "DOCTYPE");
  parse_fails ("<?xml version=\"1.0\"?><!DOCTYPE MPD SYSTEM \"http://evil.example.com/mpd.dtd\"><MPD><Period/></MPD>",
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, "DOCTYPE");
  /* An undeclared entity is simply not well-formed. */
  parse_fails ("<MPD><Period><AdaptationSet><Representation id=\"&undeclared;\" bandwidth=\"1\"/></AdaptationSet>"
      "</Period></MPD>", GST_OFFLINE_ERROR_INVALID_ARGUMENT, "not XML");
  /* Predefined entities and character references still work. */
  Mpd mpd = parse_ok (mpd_with (video_with ("<BaseURL>a&amp;b&#x41;.mp4</BaseURL>")));
  fail_unless_equals_string (mpd.periods[0].adaptation_sets[0].representations[0].base_url.c_str (),
      "http://example.com/dash/a&bA.mp4");
  /* Deep nesting stops at libxml2's limit instead of exhausting the stack. */
  std::string deep = "<MPD><Period>";
  for (int i = 0; i < 100000; i++)
    deep += "<x>";
  parse_fails (deep, GST_OFFLINE_ERROR_INVALID_ARGUMENT, "not XML");
}
GST_END_TEST;

/* ---- MPDs made by ffmpeg's dash muxer -------------------------------------- */

/* Encodes a 4 s clip straight into DASH in a new directory and returns it.
 * The audio is 3.8 s long: the MPD's duration is written with one decimal,
 * and audio running past it would make ffmpeg write a fifth $Number$
 * segment that the MPD does not describe. */
static gchar *make_dash (const char *name, const std::vector<const char *> &dash_args)
{
  gchar *dir = ot_make_temp_dir (name);
  g_autofree gchar *mpd = g_build_filename (dir, "manifest.mpd", nullptr);
  std::vector<const gchar *> argv = {
    "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
    "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4",
    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=3.8",
    "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-g", "25", "-preset", "ultrafast", "-c:a", "aac",
    "-f", "dash", "-seg_duration", "1",
  };
  argv.insert (argv.end (), dash_args.begin (), dash_args.end ());
  argv.push_back (mpd);
  argv.push_back (nullptr);
  g_autofree gchar *err = nullptr;
  gint status = 0;
  g_autoptr (GError) error = nullptr;
  gboolean spawned = ot_spawn_sync (dir, const_cast<gchar **> (argv.data ()), nullptr, G_SPAWN_SEARCH_PATH,
      nullptr, nullptr, nullptr, &err, &status, &error);
  fail_unless (spawned, "cannot run ffmpeg: %s", error ? error->message : "");
  fail_unless (g_spawn_check_wait_status (status, nullptr), "ffmpeg failed: %s", err);
  return dir;
}

static std::set<std::string> list_dir (const char *dir)
{
  std::set<std::string> names;
  g_autoptr (GDir) d = g_dir_open (dir, 0, nullptr);
  fail_unless (d != nullptr);
  while (const gchar *name = g_dir_read_name (d))
    names.insert (name);
  return names;
}

static Mpd parse_dir (const char *dir)
{
  g_autofree gchar *path = g_build_filename (dir, "manifest.mpd", nullptr);
  g_autoptr (GBytes) bytes = ot_read_file (path);
  g_autofree gchar *uri = g_filename_to_uri (path, nullptr, nullptr);
  gsize size = 0;
  const char *data = static_cast<const char *> (g_bytes_get_data (bytes, &size));
  return parse_ok (std::string (data, size), uri);
}

/* The local file name a file:// URL of `dir` points to. */
static std::string file_in (const char *dir, const std::string &url)
{
  g_autofree gchar *path = g_filename_from_uri (url.c_str (), nullptr, nullptr);
  fail_unless (path != nullptr, "%s is not a file URL", url.c_str ());
  g_autofree gchar *parent = g_path_get_dirname (path);
  fail_unless_equals_string (parent, dir);
  g_autofree gchar *base = g_path_get_basename (path);
  return base;
}

/* Every file ffmpeg wrote is the manifest or exactly one init or media
 * segment of the expansion, and media segments follow each other in time. */
static void check_expansion_lists_the_files (const char *dir)
{
  Mpd mpd = parse_dir (dir);
  fail_unless_equals_int (mpd.periods.size (), 1);
  fail_unless_equals_int (mpd.periods[0].adaptation_sets.size (), 2);
  std::set<std::string> listed = { "manifest.mpd" };
  for (const auto &set : mpd.periods[0].adaptation_sets) {
    fail_unless_equals_int (set.representations.size (), 1);
    SegmentIndex index = expand_ok (mpd, 0, &set - &mpd.periods[0].adaptation_sets[0], 0);
    fail_unless (index.init.has_value ());
    fail_unless (listed.insert (file_in (dir, index.init->url)).second);
    fail_unless_equals_int (index.media.size (), 4);
    gint64 expected_start = 0;
    for (const auto &segment : index.media) {
      fail_unless (!segment.range.has_value ());
      fail_unless (listed.insert (file_in (dir, segment.url)).second, "%s listed twice", segment.url.c_str ());
      fail_unless (std::llabs (segment.start_ns - expected_start) < (gint64) GST_MSECOND);
      expected_start = segment.start_ns + (gint64) segment.duration_ns;
    }
  }
  std::set<std::string> written = list_dir (dir);
  fail_unless (listed == written, "the MPD lists %u files, ffmpeg wrote %u", (guint) listed.size (), (guint) written.size ());
}

GST_START_TEST (test_ffmpeg_template_timeline)
{
  g_autofree gchar *dir = make_dash ("dash-timeline", {});
  Mpd mpd = parse_dir (dir);
  const Representation &video = mpd.periods[0].adaptation_sets[0].representations[0];
  fail_unless (video.segments.kind == SegmentKind::Template);
  fail_unless (video.segments.timeline.has_value ());
  fail_unless_equals_int (*video.width, 320);
  fail_unless_equals_int (mpd.periods[0].adaptation_sets[0].frame_rate->numerator, 25);
  fail_unless (mpd.periods[0].adaptation_sets[1].content_type == ContentType::Audio);
  fail_unless_equals_int (*mpd.periods[0].adaptation_sets[1].representations[0].audio_sampling_rate, 44100);
  check_expansion_lists_the_files (dir);
}
GST_END_TEST;

GST_START_TEST (test_ffmpeg_template_number)
{
  g_autofree gchar *dir = make_dash ("dash-number", { "-use_timeline", "0" });
  Mpd mpd = parse_dir (dir);
  const SegmentInfo &info = mpd.periods[0].adaptation_sets[0].representations[0].segments;
  fail_unless (info.kind == SegmentKind::Template);
  fail_unless (!info.timeline.has_value ());
  fail_unless (info.duration.has_value ());
  check_expansion_lists_the_files (dir);
}
GST_END_TEST;

GST_START_TEST (test_ffmpeg_single_file)
{
  g_autofree gchar *dir = make_dash ("dash-single", { "-single_file", "1" });
  Mpd mpd = parse_dir (dir);
  std::set<std::string> listed = { "manifest.mpd" };
  for (const auto &set : mpd.periods[0].adaptation_sets) {
    SegmentIndex index = expand_ok (mpd, 0, &set - &mpd.periods[0].adaptation_sets[0], 0);
    fail_unless (set.representations[0].segments.kind == SegmentKind::List);
    fail_unless (index.init.has_value () && index.init->range.has_value ());
    std::string file = file_in (dir, index.init->url);
    listed.insert (file);
    /* init and media ranges tile the whole file, in order, with no gap. */
    fail_unless_equals_uint64 (index.init->range->first, 0);
    guint64 next = index.init->range->last + 1;
    fail_unless (index.media.size () >= 4);
    for (const auto &segment : index.media) {
      fail_unless (file_in (dir, segment.url) == file, "%s", segment.url.c_str ());
      fail_unless (segment.range.has_value ());
      fail_unless_equals_uint64 (segment.range->first, next);
      next = segment.range->last + 1;
    }
    g_autofree gchar *path = g_build_filename (dir, file.c_str (), nullptr);
    GStatBuf st;
    fail_unless (g_stat (path, &st) == 0);
    fail_unless_equals_uint64 (next, (guint64) st.st_size);
  }
  fail_unless (listed == list_dir (dir));
}
GST_END_TEST;

/* A dynamic MPD is refused unless the caller records it; then its live
 * attributes are in the model, and malformed ones are errors. */
GST_START_TEST (test_dynamic_accepted_for_recording)
{
  const char *xml = "<MPD type=\"dynamic\" availabilityStartTime=\"2020-01-01T00:00:01.5Z\" "
      "timeShiftBufferDepth=\"PT6S\" minimumUpdatePeriod=\"PT2S\" suggestedPresentationDelay=\"PT4S\"><Period/></MPD>";
  g_autoptr (GError) error = nullptr;
  auto mpd = parse_mpd (xml, kManifestUrl, &error, Dynamic::Accept);
  fail_unless (mpd.has_value (), "%s", error ? error->message : "");
  fail_unless (mpd->is_dynamic ());
  fail_unless_equals_int64 (*mpd->availability_start_time_us, G_GINT64_CONSTANT (1577836801500000));
  fail_unless_equals_uint64 (*mpd->time_shift_buffer_depth, 6 * GST_SECOND);
  fail_unless_equals_uint64 (*mpd->minimum_update_period, 2 * GST_SECOND);
  fail_unless_equals_uint64 (*mpd->suggested_presentation_delay, 4 * GST_SECOND);
  const char *bad[][2] = {
    { "<MPD type=\"dynamic\"><Period/></MPD>", "no @availabilityStartTime" },
    { "<MPD type=\"dynamic\" availabilityStartTime=\"yesterday\"><Period/></MPD>", "not an xs:dateTime" },
    { "<MPD type=\"dynamic\" availabilityStartTime=\"2020-01-01T00:00:00Z\" minimumUpdatePeriod=\"2\"><Period/></MPD>",
      "minimumUpdatePeriod" },
  };
  for (const auto &b : bad) {
    g_autoptr (GError) e = nullptr;
    fail_if (parse_mpd (b[0], kManifestUrl, &e, Dynamic::Accept).has_value (), "%s parsed", b[0]);
    fail_unless (g_error_matches (e, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT) && strstr (e->message, b[1]),
        "%s: %s", b[0], e->message);
  }
  /* A static MPD parses the same either way. */
  auto vod = parse_mpd ("<MPD><Period/></MPD>", kManifestUrl, &error, Dynamic::Accept);
  fail_unless (vod && !vod->is_dynamic () && !vod->availability_start_time_us);
}
GST_END_TEST;

static Suite *dash_mpd_suite (void)
{
  Suite *s = suite_create ("dash-mpd");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_xs_duration);
  tcase_add_test (tc, test_mpd_attributes);
  tcase_add_test (tc, test_periods_start_and_duration);
  tcase_add_test (tc, test_stream_key_syntax);
  tcase_add_test (tc, test_base_url_resolution);
  tcase_add_test (tc, test_representation_inherits_from_adaptation_set);
  tcase_add_test (tc, test_segment_info_inheritance);
  tcase_add_test (tc, test_template_timeline_with_repeats);
  tcase_add_test (tc, test_template_timeline_repeat_to_end);
  tcase_add_test (tc, test_template_time_bandwidth_and_offset);
  tcase_add_test (tc, test_template_duration_only);
  tcase_add_test (tc, test_live_template_duration);
  tcase_add_test (tc, test_fill_template);
  tcase_add_test (tc, test_segment_list);
  tcase_add_test (tc, test_segment_base_and_sidx);
  tcase_add_test (tc, test_content_protection);
  tcase_add_test (tc, test_language_roles_labels_accessibility);
  tcase_add_test (tc, test_text_tracks);
  tcase_add_test (tc, test_malformed_mpds);
  tcase_add_test (tc, test_hostile_timeline_is_capped);
  tcase_add_test (tc, test_amplification_is_bounded);
  tcase_add_test (tc, test_doctype_and_entities_are_refused);
  tcase_add_test (tc, test_hostless_urls_are_errors);
  tcase_add_test (tc, test_many_representations);
  tcase_add_test (tc, test_segment_encryption_and_essential_properties);
  tcase_add_test (tc, test_real_world_templates_and_base_urls);
  tcase_add_test (tc, test_ffmpeg_template_timeline);
  tcase_add_test (tc, test_ffmpeg_template_number);
  tcase_add_test (tc, test_ffmpeg_single_file);
  tcase_add_test (tc, test_dynamic_accepted_for_recording);
  return s;
}

GST_CHECK_MAIN (dash_mpd);
