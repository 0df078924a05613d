/* The HLS playlist parser: hand-written playlists for every tag and
 * attribute type, playlists made by ffmpeg's hls muxer checked against the
 * files it wrote, and malformed or hostile input, each with its error.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "manifest/hls/attribute-list.h"
#include "tracks/hls-tracks.h"
#include "manifest/hls/playlist-parser.h"

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/offline/offline-error.h>
#include <openssl/evp.h>

#include <string>
#include <vector>

#include "test-support.h"

using namespace gst_offline::hls;
using gst_offline::parse_decimal_integer;

/* Both sides are copied first: gst-check's string macros would keep
 * pointers into temporaries such as path_of (...).c_str (). */
#define assert_str(actual, expected)                                                                 \
  G_STMT_START                                                                                       \
  {                                                                                                  \
    std::string actual_ = (actual), expected_ = (expected);                                          \
    fail_unless (actual_ == expected_, "%s is '%s', not '%s'", #actual, actual_.c_str (), expected_.c_str ()); \
  }                                                                                                  \
  G_STMT_END

static const char *const kUrl = "http://media.example.com/vod/movie/index.m3u8";

static Playlist must_parse (std::string_view text, const char *url = kUrl)
{
  g_autoptr (GError) error = nullptr;
  auto playlist = parse_playlist (text, url, &error);
  fail_unless (playlist.has_value (), "%s", error ? error->message : "no error set");
  fail_unless (error == nullptr);
  return std::move (*playlist);
}

static MediaPlaylist must_parse_media (std::string_view text, const char *url = kUrl)
{
  Playlist playlist = must_parse (text, url);
  fail_unless (playlist.is_media ());
  return std::move (playlist.media ());
}

static MasterPlaylist must_parse_master (std::string_view text, const char *url = kUrl)
{
  Playlist playlist = must_parse (text, url);
  fail_unless (playlist.is_master ());
  return std::move (playlist.master ());
}

/* Parsing fails with `code`, on `line` (0: no line in the message), and the
 * message contains `fragment`. */
static void assert_error (std::string_view text, GstOfflineError code, int line, const char *fragment,
    const ParseLimits &limits = ParseLimits ())
{
  g_autoptr (GError) error = nullptr;
  auto playlist = parse_playlist (text, kUrl, &error, limits);
  fail_if (playlist.has_value (), "parsed, but should fail with '%s':\n%.*s", fragment,
      static_cast<int> (text.size ()), text.data ());
  fail_unless (error != nullptr);
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, code), "code %d: %s", error->code, error->message);
  if (line > 0) {
    g_autofree gchar *where = g_strdup_printf ("line %d: ", line);
    fail_unless (strstr (error->message, where) != nullptr, "not on line %d: %s", line, error->message);
  } else {
    fail_unless (strstr (error->message, "line") == nullptr, "%s", error->message);
  }
  fail_unless (strstr (error->message, fragment) != nullptr, "'%s' not in: %s", fragment, error->message);
  fail_unless (g_utf8_validate (error->message, -1, nullptr));
}

static std::string iv_hex (const Iv &iv)
{
  std::string hex;
  for (guint8 byte : iv) {
    char two[3];
    g_snprintf (two, sizeof two, "%02x", byte);
    hex += two;
  }
  return hex;
}

/* ---- master playlists ---------------------------------------------------*/

static const char *const kMaster =
    "#EXTM3U\n"
    "#EXT-X-VERSION:6\n"
    "#EXT-X-INDEPENDENT-SEGMENTS\n"
    "# a comment, then a tag of some later version\n"
    "#EXT-X-CONTENT-STEERING:SERVER-URI=\"/steer\"\n"
    "#EXT-X-SESSION-KEY:METHOD=SAMPLE-AES,URI=\"skd://key-42\",KEYFORMAT=\"com.apple.streamingkeydelivery\","
    "KEYFORMATVERSIONS=\"1\"\n"
    "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aac\",LANGUAGE=\"en\",NAME=\"English\",DEFAULT=YES,AUTOSELECT=YES,"
    "CHANNELS=\"2\",URI=\"audio/en/index.m3u8\"\n"
    "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aac\",LANGUAGE=\"fr\",NAME=\"Français, stéréo\",DEFAULT=NO,"
    "AUTOSELECT=YES,CHANNELS=\"6/JOC\",CHARACTERISTICS=\"public.accessibility.describes-video\","
    "URI=\"../movie-fr/audio.m3u8?token=a%2Cb\"\n"
    "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\",LANGUAGE=\"en\",NAME=\"English\",DEFAULT=YES,AUTOSELECT=YES,"
    "FORCED=NO,URI=\"subs/en.m3u8\"\n"
    "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\",LANGUAGE=\"de\",ASSOC-LANGUAGE=\"de-AT\",NAME=\"Deutsch (forced)\","
    "AUTOSELECT=NO,FORCED=YES,URI=\"https://cdn.example.net/subs/de.m3u8\"\n"
    "#EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID=\"cc\",NAME=\"CC1\",LANGUAGE=\"en\",INSTREAM-ID=\"CC1\"\n"
    "#EXT-X-MEDIA:TYPE=HOLOGRAM,GROUP-ID=\"future\",NAME=\"ignored\"\n"
    "#EXT-X-STREAM-INF:BANDWIDTH=1280000,AVERAGE-BANDWIDTH=1000000,RESOLUTION=640x360,"
    "CODECS=\"avc1.4d401e,mp4a.40.2\",FRAME-RATE=29.970,AUDIO=\"aac\",SUBTITLES=\"subs\",CLOSED-CAPTIONS=\"cc\","
    "HDCP-LEVEL=NONE,X-UNKNOWN=\"x,y\"\n"
    "video/360p.m3u8\n"
    "#EXT-X-STREAM-INF:BANDWIDTH=5000000,RESOLUTION=1920x1080,CODECS=\"avc1.640028, mp4a.40.2\","
    "FRAME-RATE=60,AUDIO=\"aac\",SUBTITLES=\"subs\",CLOSED-CAPTIONS=NONE\n"
    "\n"
    "/other/1080p.m3u8?session=1\n"
    "#EXT-X-STREAM-INF:BANDWIDTH=64000,CODECS=\"mp4a.40.5\"\n"
    "https://audio.example.org/only-audio.m3u8\n"
    "#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=86000,RESOLUTION=640x360,CODECS=\"avc1.4d401e\","
    "URI=\"video/360p-iframes.m3u8\"\n"
    "#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=300000,URI=\"video/1080p-iframes.m3u8\"\n";

GST_START_TEST (test_master_variants_and_renditions)
{
  MasterPlaylist master = must_parse_master (kMaster);
  assert_str (master.uri.c_str (), kUrl);
  fail_unless_equals_int (master.version, 6);
  fail_unless (master.independent_segments);

  fail_unless_equals_int (master.variants.size (), 3);
  const Variant &low = master.variants[0];
  assert_str (low.uri.c_str (), "http://media.example.com/vod/movie/video/360p.m3u8");
  fail_unless_equals_uint64 (low.bandwidth, 1280000);
  fail_unless (low.average_bandwidth.has_value ());
  fail_unless_equals_uint64 (*low.average_bandwidth, 1000000);
  fail_unless (low.resolution.has_value ());
  fail_unless_equals_int (low.resolution->width, 640);
  fail_unless_equals_int (low.resolution->height, 360);
  fail_unless_equals_int (low.codecs.size (), 2);
  assert_str (low.codecs[0].c_str (), "avc1.4d401e");
  assert_str (low.codecs[1].c_str (), "mp4a.40.2");
  fail_unless (low.frame_rate.has_value ());
  fail_unless_equals_float (*low.frame_rate, 29.97);
  assert_str (low.audio_group.c_str (), "aac");
  assert_str (low.subtitles_group.c_str (), "subs");
  assert_str (low.closed_captions_group.c_str (), "cc");
  fail_if (low.closed_captions_none);
  fail_unless_equals_int (low.line, 13);

  const Variant &high = master.variants[1];
  assert_str (high.uri.c_str (), "http://media.example.com/other/1080p.m3u8?session=1");
  fail_unless_equals_int (high.resolution->height, 1080);
  fail_if (high.average_bandwidth.has_value ());
  fail_unless_equals_int (high.codecs.size (), 2);
  assert_str (high.codecs[1].c_str (), "mp4a.40.2");
  fail_unless_equals_float (*high.frame_rate, 60.0);
  fail_unless (high.closed_captions_none);
  fail_unless (high.closed_captions_group.empty ());

  const Variant &audio_only = master.variants[2];
  assert_str (audio_only.uri.c_str (), "https://audio.example.org/only-audio.m3u8");
  fail_if (audio_only.resolution.has_value ());
  fail_if (audio_only.frame_rate.has_value ());
  fail_unless (audio_only.audio_group.empty ());

  /* I-frame streams are kept apart from the playable variants. */
  fail_unless_equals_int (master.i_frame_variants.size (), 2);
  assert_str (master.i_frame_variants[0].uri.c_str (),
      "http://media.example.com/vod/movie/video/360p-iframes.m3u8");
  fail_unless_equals_uint64 (master.i_frame_variants[0].bandwidth, 86000);
  fail_unless_equals_int (master.i_frame_variants[0].resolution->width, 640);
  fail_unless_equals_uint64 (master.i_frame_variants[1].bandwidth, 300000);

  /* The rendition of an unknown TYPE is ignored. */
  fail_unless_equals_int (master.renditions.size (), 5);
  auto audio = master.renditions_in_group (RenditionType::Audio, "aac");
  fail_unless_equals_int (audio.size (), 2);
  assert_str (audio[0]->name.c_str (), "English");
  assert_str (audio[0]->language.c_str (), "en");
  fail_unless (audio[0]->is_default);
  fail_unless (audio[0]->autoselect);
  fail_if (audio[0]->forced);
  assert_str (audio[0]->channels.c_str (), "2");
  fail_unless_equals_int (*audio[0]->channel_count, 2);
  assert_str (audio[0]->uri->c_str (), "http://media.example.com/vod/movie/audio/en/index.m3u8");
  /* A quoted string keeps its comma and its UTF-8. */
  assert_str (audio[1]->name.c_str (), "Français, stéréo");
  assert_str (audio[1]->language.c_str (), "fr");
  fail_if (audio[1]->is_default);
  fail_unless (audio[1]->autoselect);
  assert_str (audio[1]->channels.c_str (), "6/JOC");
  fail_unless_equals_int (*audio[1]->channel_count, 6);
  assert_str (audio[1]->characteristics.c_str (), "public.accessibility.describes-video");
  assert_str (audio[1]->uri->c_str (),
      "http://media.example.com/vod/movie-fr/audio.m3u8?token=a%2Cb");

  auto subs = master.renditions_in_group (RenditionType::Subtitles, "subs");
  fail_unless_equals_int (subs.size (), 2);
  assert_str (subs[0]->uri->c_str (), "http://media.example.com/vod/movie/subs/en.m3u8");
  fail_unless (subs[0]->is_default);
  fail_if (subs[0]->forced);
  assert_str (subs[1]->language.c_str (), "de");
  assert_str (subs[1]->assoc_language.c_str (), "de-AT");
  assert_str (subs[1]->name.c_str (), "Deutsch (forced)");
  fail_unless (subs[1]->forced);
  fail_if (subs[1]->autoselect);
  fail_if (subs[1]->is_default);
  assert_str (subs[1]->uri->c_str (), "https://cdn.example.net/subs/de.m3u8");

  auto captions = master.renditions_in_group (RenditionType::ClosedCaptions, "cc");
  fail_unless_equals_int (captions.size (), 1);
  fail_if (captions[0]->uri.has_value ());
  assert_str (captions[0]->instream_id.c_str (), "CC1");
  fail_unless (master.renditions_in_group (RenditionType::Audio, "subs").empty ());

  fail_unless_equals_int (master.session_keys.size (), 1);
  fail_unless (master.session_keys[0].method == KeyMethod::SampleAes);
  assert_str (master.session_keys[0].uri.c_str (), "skd://key-42");
  assert_str (master.session_keys[0].key_format.c_str (), "com.apple.streamingkeydelivery");
  assert_str (master.session_keys[0].key_format_versions.c_str (), "1");
}
GST_END_TEST;

GST_START_TEST (test_media_playlist_expected_but_master_given)
{
  g_autoptr (GError) error = nullptr;
  auto media = parse_media_playlist (kMaster, kUrl, &error);
  fail_if (media.has_value ());
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT));
  fail_unless (strstr (error->message, "master playlist") != nullptr, "%s", error->message);
}
GST_END_TEST;

/* ---- media playlists ----------------------------------------------------*/

GST_START_TEST (test_media_segments_durations_and_sequence)
{
  MediaPlaylist media = must_parse_media (
      "#EXTM3U\n"
      "#EXT-X-VERSION:3\n"
      "#EXT-X-TARGETDURATION:10\n"
      "#EXT-X-MEDIA-SEQUENCE:7\n"
      "#EXT-X-PLAYLIST-TYPE:VOD\n"
      "#EXTINF:9.009,Opening titles, part 1\n"
      "seg-7.ts\n"
      "#EXTINF:9.009,\n"
      "seg-8.ts\n"
      "#EXTINF:0.1\n"
      "seg-9.ts\n"
      "#EXTINF:3.0000000019,\n"
      "seg-10.ts\n"
      "#EXT-X-ENDLIST\n");
  fail_unless_equals_int (media.version, 3);
  fail_unless_equals_uint64 (media.target_duration, 10 * GST_SECOND);
  fail_unless_equals_uint64 (media.media_sequence, 7);
  fail_unless (media.type == PlaylistType::Vod);
  fail_unless (media.end_list);
  fail_if (media.is_live ());
  fail_unless_equals_int (media.segments.size (), 4);
  /* Durations are exact decimal nanoseconds, and the starts their sums. */
  const GstClockTime durations[] = { 9009 * GST_MSECOND, 9009 * GST_MSECOND, 100 * GST_MSECOND, 3 * GST_SECOND + 1 };
  GstClockTime start = 0;
  for (size_t i = 0; i < 4; i++) {
    const Segment &segment = media.segments[i];
    g_autofree gchar *uri = g_strdup_printf ("http://media.example.com/vod/movie/seg-%zu.ts", i + 7);
    assert_str (segment.uri.c_str (), uri);
    fail_unless_equals_uint64 (segment.duration, durations[i]);
    fail_unless_equals_uint64 (segment.start, start);
    fail_unless_equals_uint64 (segment.media_sequence, i + 7);
    fail_unless_equals_uint64 (segment.discontinuity_sequence, 0);
    fail_if (segment.discontinuity);
    fail_if (segment.gap);
    fail_if (segment.byte_range.has_value ());
    fail_unless (segment.key == nullptr);
    fail_unless (segment.init_section == nullptr);
    fail_if (segment.program_date_time_ms.has_value ());
    start += durations[i];
  }
  assert_str (media.segments[0].title.c_str (), "Opening titles, part 1");
  fail_unless (media.segments[1].title.empty ());
  fail_unless_equals_uint64 (media.duration (), start);
}
GST_END_TEST;

GST_START_TEST (test_live_playlists_are_reported)
{
  const char *segment = "#EXTINF:4,\na.ts\n";
  std::string base = std::string ("#EXTM3U\n#EXT-X-TARGETDURATION:4\n");
  fail_unless (must_parse_media (base + segment).is_live ());
  fail_unless (must_parse_media (base + "#EXT-X-PLAYLIST-TYPE:EVENT\n" + segment).is_live ());
  fail_if (must_parse_media (base + "#EXT-X-PLAYLIST-TYPE:EVENT\n" + segment + "#EXT-X-ENDLIST\n").is_live ());
  /* A VOD playlist cannot change, even without EXT-X-ENDLIST. */
  fail_if (must_parse_media (base + "#EXT-X-PLAYLIST-TYPE:VOD\n" + segment).is_live ());
  fail_if (must_parse_media (base + segment + "#EXT-X-ENDLIST\n").is_live ());
  g_autoptr (GError) error = nullptr;
  fail_unless (check_not_live (must_parse_media (base + segment + "#EXT-X-ENDLIST\n"), &error));
  fail_if (check_not_live (must_parse_media (base + segment), &error));
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED));
  fail_unless (strstr (error->message, "live HLS playlists are not supported") != nullptr, "%s", error->message);
  fail_unless (strstr (error->message, kUrl) != nullptr, "%s", error->message);
  /* A playlist with no segment yet is a media playlist too. */
  MediaPlaylist empty = must_parse_media ("#EXTM3U\n#EXT-X-TARGETDURATION:4\n");
  fail_unless (empty.segments.empty ());
  fail_unless (empty.is_live ());
  fail_unless_equals_uint64 (empty.duration (), 0);
}
GST_END_TEST;

GST_START_TEST (test_byte_ranges_with_and_without_offsets)
{
  MediaPlaylist media = must_parse_media (
      "#EXTM3U\n"
      "#EXT-X-VERSION:4\n"
      "#EXT-X-TARGETDURATION:2\n"
      "#EXTINF:2,\n"
      "#EXT-X-BYTERANGE:1000@0\n"
      "all.ts\n"
      "#EXT-X-BYTERANGE:2000\n"
      "#EXTINF:2,\n"
      "all.ts\n"
      "#EXTINF:2,\n"
      "#EXT-X-BYTERANGE:500\n"
      "all.ts\n"
      "#EXTINF:2,\n"
      "#EXT-X-BYTERANGE:10@100000\n"
      "all.ts\n"
      "#EXTINF:2,\n"
      "#EXT-X-BYTERANGE:7\n"
      "all.ts\n"
      "#EXTINF:2,\n"
      "#EXT-X-BYTERANGE:18446744073709551@9000000000000000000\n"
      "big.ts\n"
      "#EXTINF:2,\n"
      "whole.ts\n"
      "#EXT-X-ENDLIST\n");
  const ByteRange expected[] = { { 0, 1000 }, { 1000, 2000 }, { 3000, 500 }, { 100000, 10 }, { 100010, 7 },
    { 9000000000000000000ull, 18446744073709551ull } };
  fail_unless_equals_int (media.segments.size (), 7);
  for (size_t i = 0; i < G_N_ELEMENTS (expected); i++) {
    fail_unless (media.segments[i].byte_range.has_value (), "segment %zu", i);
    fail_unless_equals_uint64 (media.segments[i].byte_range->offset, expected[i].offset);
    fail_unless_equals_uint64 (media.segments[i].byte_range->length, expected[i].length);
  }
  fail_unless_equals_uint64 (media.segments[4].byte_range->end (), 100017);
  assert_str (media.segments[0].uri.c_str (), "http://media.example.com/vod/movie/all.ts");
  fail_if (media.segments[6].byte_range.has_value ());
}
GST_END_TEST;

GST_START_TEST (test_byte_range_without_offset_needs_a_previous_range)
{
  /* On the first segment. */
  assert_error ("#EXTM3U\n#EXTINF:2,\n#EXT-X-BYTERANGE:1000\na.ts\n#EXT-X-ENDLIST\n",
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, 3, "no @OFFSET");
  /* After a sub-range of another resource. */
  assert_error ("#EXTM3U\n#EXTINF:2,\n#EXT-X-BYTERANGE:1000@0\na.ts\n#EXTINF:2,\n#EXT-X-BYTERANGE:10\nb.ts\n",
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, 6, "previous segment is not a sub-range of the same resource");
  /* After the whole resource. */
  assert_error ("#EXTM3U\n#EXTINF:2,\na.ts\n#EXTINF:2,\n#EXT-X-BYTERANGE:10\na.ts\n",
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, 5, "no @OFFSET");
  /* Empty, overflowing, beyond a file offset, not numbers. */
  assert_error ("#EXTM3U\n#EXTINF:2,\n#EXT-X-BYTERANGE:0@5\na.ts\n", GST_OFFLINE_ERROR_INVALID_ARGUMENT, 3,
      "length of 0");
  assert_error ("#EXTM3U\n#EXTINF:2,\n#EXT-X-BYTERANGE:18446744073709551615@1\na.ts\n",
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, 3, "beyond the largest file offset");
  assert_error ("#EXTM3U\n#EXTINF:2,\n#EXT-X-BYTERANGE:2@9223372036854775806\na.ts\n",
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, 3, "beyond the largest file offset");
  assert_error ("#EXTM3U\n#EXTINF:2,\n#EXT-X-BYTERANGE:9223372036854775807@0\na.ts\n#EXTINF:2,\n"
      "#EXT-X-BYTERANGE:1\na.ts\n", GST_OFFLINE_ERROR_INVALID_ARGUMENT, 6, "beyond the largest file offset");
  assert_error ("#EXTM3U\n#EXTINF:2,\n#EXT-X-BYTERANGE:184467440737095516150@0\na.ts\n",
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, 3, "is not LENGTH[@OFFSET]");
  assert_error ("#EXTM3U\n#EXTINF:2,\n#EXT-X-BYTERANGE:10@\na.ts\n", GST_OFFLINE_ERROR_INVALID_ARGUMENT, 3,
      "'10@' is not LENGTH[@OFFSET]");
  assert_error ("#EXTM3U\n#EXTINF:2,\n#EXT-X-BYTERANGE:-10@0\na.ts\n", GST_OFFLINE_ERROR_INVALID_ARGUMENT, 3,
      "is not LENGTH[@OFFSET]");
  assert_error ("#EXTM3U\n#EXTINF:2,\n#EXT-X-BYTERANGE\na.ts\n", GST_OFFLINE_ERROR_INVALID_ARGUMENT, 3,
      "EXT-X-BYTERANGE has no value");
}
GST_END_TEST;

GST_START_TEST (test_init_sections)
{
  MediaPlaylist media = must_parse_media (
      "#EXTM3U\n"
      "#EXT-X-VERSION:7\n"
      "#EXT-X-TARGETDURATION:2\n"
      "#EXT-X-MAP:URI=\"init-a.mp4\"\n"
      "#EXTINF:2,\n"
      "a1.m4s\n"
      "#EXTINF:2,\n"
      "a2.m4s\n"
      "#EXT-X-DISCONTINUITY\n"
      "#EXT-X-MAP:URI=\"../b/all.mp4\",BYTERANGE=\"720@0\"\n"
      "#EXTINF:2,\n"
      "#EXT-X-BYTERANGE:5000@720\n"
      "../b/all.mp4\n"
      "#EXT-X-ENDLIST\n");
  fail_unless_equals_int (media.segments.size (), 3);
  fail_unless_equals_int (media.init_sections.size (), 2);
  const auto &init_a = media.segments[0].init_section;
  fail_unless (init_a != nullptr);
  assert_str (init_a->uri.c_str (), "http://media.example.com/vod/movie/init-a.mp4");
  fail_if (init_a->byte_range.has_value ());
  fail_unless (init_a->key == nullptr);
  fail_unless (media.segments[1].init_section == init_a);
  const auto &init_b = media.segments[2].init_section;
  fail_unless (init_b != nullptr && init_b != init_a);
  assert_str (init_b->uri.c_str (), "http://media.example.com/vod/b/all.mp4");
  fail_unless (init_b->byte_range.has_value ());
  fail_unless_equals_uint64 (init_b->byte_range->offset, 0);
  fail_unless_equals_uint64 (init_b->byte_range->length, 720);
  fail_unless_equals_uint64 (media.segments[2].byte_range->offset, 720);

  /* The offset is mandatory in EXT-X-MAP. */
  assert_error ("#EXTM3U\n#EXT-X-MAP:URI=\"i.mp4\",BYTERANGE=\"720\"\n#EXTINF:2,\na.m4s\n",
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, 2, "has no @OFFSET, which EXT-X-MAP requires");
  assert_error ("#EXTM3U\n#EXT-X-MAP:BYTERANGE=\"720@0\"\n#EXTINF:2,\na.m4s\n",
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, 2, "EXT-X-MAP has no URI attribute");
  assert_error ("#EXTM3U\n#EXT-X-MAP:URI=\"i.mp4\",BYTERANGE=\"0@0\"\n#EXTINF:2,\na.m4s\n",
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, 2, "empty or out of range");
  assert_error ("#EXTM3U\n#EXT-X-MAP:URI=\"\"\n#EXTINF:2,\na.m4s\n", GST_OFFLINE_ERROR_INVALID_ARGUMENT, 2,
      "URI is empty");
}
GST_END_TEST;

GST_START_TEST (test_key_rotation_and_ivs)
{
  MediaPlaylist media = must_parse_media (
      "#EXTM3U\n"
      "#EXT-X-TARGETDURATION:4\n"
      "#EXT-X-MEDIA-SEQUENCE:72623859790382856\n"  // 0x0102030405060708
      "#EXTINF:4,\n"
      "clear.ts\n"
      "#EXT-X-KEY:METHOD=AES-128,URI=\"keys/k1.bin\",IV=0x00112233445566778899AaBbCcDdEeFf\n"
      "#EXTINF:4,\n"
      "k1-a.ts\n"
      "#EXTINF:4,\n"
      "k1-b.ts\n"
      "#EXT-X-KEY:METHOD=AES-128,URI=\"https://keys.example.com/k2?asset=9&v=2\"\n"
      "#EXTINF:4,\n"
      "k2-a.ts\n"
      "#EXTINF:4,\n"
      "k2-b.ts\n"
      "#EXT-X-KEY:METHOD=NONE\n"
      "#EXTINF:4,\n"
      "clear-again.ts\n"
      /* The same content key offered in two KEYFORMATs: one group. */
      "#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"skd://k3\",KEYFORMAT=\"com.apple.streamingkeydelivery\","
      "KEYFORMATVERSIONS=\"1\"\n"
      "#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"k3.key\",KEYFORMAT=\"identity\",IV=0xffffffffffffffffffffffffffffffff\n"
      "#EXTINF:4,\n"
      "k3.ts\n"
      "#EXT-X-KEY:METHOD=SAMPLE-AES-CTR,URI=\"data:text/plain;base64,AAAA\",KEYFORMAT=\"urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed\"\n"
      "#EXTINF:4,\n"
      "k4.ts\n"
      "#EXT-X-ENDLIST\n");
  fail_unless_equals_int (media.segments.size (), 8);
  fail_unless_equals_int (media.keys.size (), 5);
  const auto &s = media.segments;

  fail_unless (s[0].key == nullptr);
  fail_unless (s[1].key != nullptr);
  fail_unless (s[1].key->method == KeyMethod::Aes128);
  assert_str (s[1].key->uri.c_str (), "http://media.example.com/vod/movie/keys/k1.bin");
  assert_str (s[1].key->key_format.c_str (), "identity");
  fail_unless_equals_int (s[1].key->line, 6);
  fail_unless (s[2].key == s[1].key);
  /* An explicit IV applies to every segment under the key. */
  assert_str (iv_hex (s[1].iv ()).c_str (), "00112233445566778899aabbccddeeff");
  assert_str (iv_hex (s[2].iv ()).c_str (), "00112233445566778899aabbccddeeff");

  /* Rotation: a new key from the next segment on, with the IV made from the
   * media sequence number, big-endian in 16 bytes. */
  fail_unless (s[3].key != s[1].key);
  assert_str (s[3].key->uri.c_str (), "https://keys.example.com/k2?asset=9&v=2");
  fail_if (s[3].key->iv.has_value ());
  fail_unless_equals_uint64 (s[3].media_sequence, 0x0102030405060708ull + 3);
  const Iv expected3 = { 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0b };
  fail_unless (s[3].iv () == expected3, "%s", iv_hex (s[3].iv ()).c_str ());
  assert_str (iv_hex (s[4].iv ()).c_str (), "0000000000000000010203040506070c");
  fail_unless (s[4].key == s[3].key);

  fail_unless (s[5].key == nullptr);

  /* The identity KEYFORMAT is preferred; the other stays reachable by group. */
  fail_unless (s[6].key != nullptr);
  fail_unless (s[6].key->method == KeyMethod::SampleAes);
  assert_str (s[6].key->key_format.c_str (), "identity");
  assert_str (iv_hex (s[6].iv ()).c_str (), "ffffffffffffffffffffffffffffffff");
  guint group = s[6].key->group;
  int in_group = 0;
  for (const auto &key : media.keys)
    in_group += key->group == group;
  fail_unless_equals_int (in_group, 2);
  assert_str (media.keys[2]->uri.c_str (), "skd://k3");
  fail_unless_equals_int (media.keys[2]->group, group);
  fail_unless (media.keys[3] == s[6].key);
  fail_unless (s[6].key->group != s[3].key->group);

  /* Otherwise the first key of the group. */
  fail_unless (media.segments.back ().key->method == KeyMethod::SampleAesCtr);
  assert_str (media.segments.back ().key->uri.c_str (), "data:text/plain;base64,AAAA");
}
GST_END_TEST;

GST_START_TEST (test_key_errors)
{
  assert_error ("#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\",IV=0x1234\n#EXTINF:2,\na.ts\n",
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, 2, "IV '0x1234' is not 0x followed by 32 hex digits");
  assert_error ("#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\",IV=0x00112233445566778899aabbccddeeffaa\n",
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, 2, "is not 0x followed by 32 hex digits");
  assert_error ("#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\",IV=0x00112233445566778899aabbccddeefg\n",
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, 2, "is not 0x followed by 32 hex digits");
  assert_error ("#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\",IV=00112233445566778899aabbccddeeff\n",
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, 2, "is not 0x followed by 32 hex digits");
  assert_error ("#EXTM3U\n#EXT-X-KEY:METHOD=AES-128\n", GST_OFFLINE_ERROR_INVALID_ARGUMENT, 2,
      "EXT-X-KEY has no URI attribute");
  assert_error ("#EXTM3U\n#EXT-X-KEY:URI=\"k\"\n", GST_OFFLINE_ERROR_INVALID_ARGUMENT, 2,
      "EXT-X-KEY has no METHOD attribute");
  assert_error ("#EXTM3U\n#EXT-X-KEY:METHOD=AES-256,URI=\"k\"\n", GST_OFFLINE_ERROR_UNSUPPORTED, 2,
      "METHOD 'AES-256' is not a known encryption method");
  /* An init section under AES-128 has no sequence number for an IV. */
  assert_error ("#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\"\n#EXT-X-MAP:URI=\"i.mp4\"\n#EXTINF:2,\na.m4s\n",
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, 3, "AES-128 EXT-X-KEY of line 2, which has no IV attribute");
  assert_error ("#EXTM3U\n#EXT-X-SESSION-KEY:METHOD=NONE\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n",
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, 2, "METHOD=NONE");

  MediaPlaylist media = must_parse_media (
      "#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\",IV=0X0000000000000000000000000000002A\n"
      "#EXT-X-MAP:URI=\"i.mp4\"\n#EXTINF:2,\na.m4s\n#EXT-X-ENDLIST\n");
  fail_unless (media.segments[0].init_section->key == media.segments[0].key);
  fail_unless_equals_int (media.segments[0].iv ()[15], 42);
  /* SAMPLE-AES leaves the init section clear. */
  media = must_parse_media ("#EXTM3U\n#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"k\"\n"
      "#EXT-X-MAP:URI=\"i.mp4\"\n#EXTINF:2,\na.m4s\n#EXT-X-ENDLIST\n");
  fail_unless (media.segments[0].init_section->key == nullptr);
  fail_unless (media.segments[0].key != nullptr);
}
GST_END_TEST;

GST_START_TEST (test_discontinuities_and_gaps)
{
  MediaPlaylist media = must_parse_media (
      "#EXTM3U\n"
      "#EXT-X-TARGETDURATION:6\n"
      "#EXT-X-MEDIA-SEQUENCE:100\n"
      "#EXT-X-DISCONTINUITY-SEQUENCE:3\n"
      "#EXT-X-DISCONTINUITY\n"
      "#EXTINF:6,\n"
      "a.ts\n"
      "#EXTINF:6,\n"
      "b.ts\n"
      "#EXT-X-DISCONTINUITY\n"
      "#EXTINF:5.5,\n"
      "ad1.ts\n"
      "#EXT-X-GAP\n"
      "#EXTINF:5.5,\n"
      "ad2.ts\n"
      "#EXTINF:6,\n"
      "#EXT-X-DISCONTINUITY\n"
      "c.ts\n"
      "#EXT-X-ENDLIST\n");
  fail_unless_equals_uint64 (media.discontinuity_sequence, 3);
  fail_unless_equals_int (media.segments.size (), 5);
  const bool flags[] = { true, false, true, false, true };
  /* The tag on the first segment counts too (the sequence says how many
   * discontinuities were removed before it). */
  const guint64 numbers[] = { 4, 4, 5, 5, 6 };
  for (size_t i = 0; i < 5; i++) {
    fail_unless_equals_int (media.segments[i].discontinuity, flags[i]);
    fail_unless_equals_uint64 (media.segments[i].discontinuity_sequence, numbers[i]);
    fail_unless_equals_uint64 (media.segments[i].media_sequence, 100 + i);
  }
  fail_unless (media.segments[3].gap);
  fail_if (media.segments[2].gap);
  fail_if (media.segments[4].gap);
  fail_unless_equals_uint64 (media.segments[4].start, 23 * GST_SECOND);
  fail_unless_equals_uint64 (media.duration (), 29 * GST_SECOND);

  assert_error ("#EXTM3U\n#EXTINF:6,\na.ts\n#EXT-X-MEDIA-SEQUENCE:4\n", GST_OFFLINE_ERROR_INVALID_ARGUMENT, 4,
      "EXT-X-MEDIA-SEQUENCE comes after the first segment");
  assert_error ("#EXTM3U\n#EXTINF:6,\na.ts\n#EXT-X-DISCONTINUITY-SEQUENCE:4\n", GST_OFFLINE_ERROR_INVALID_ARGUMENT,
      4, "EXT-X-DISCONTINUITY-SEQUENCE comes after the first segment");
  assert_error ("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:18446744073709551615\n#EXTINF:6,\na.ts\n#EXTINF:6,\nb.ts\n",
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, 6, "media sequence number passes 2^64");
}
GST_END_TEST;

GST_START_TEST (test_program_date_time)
{
  MediaPlaylist media = must_parse_media (
      "#EXTM3U\n"
      "#EXT-X-TARGETDURATION:2\n"
      "#EXTINF:2,\n"
      "before.ts\n"
      "#EXT-X-PROGRAM-DATE-TIME:2010-02-19T14:54:23.031+08:00\n"
      "#EXTINF:2.0005,\n"
      "a.ts\n"
      "#EXTINF:2.0005,\n"
      "b.ts\n"
      "#EXTINF:2,\n"
      "c.ts\n"
      "#EXT-X-DISCONTINUITY\n"
      "#EXTINF:2,\n"
      "d.ts\n"
      "#EXT-X-PROGRAM-DATE-TIME:2024-01-01T00:00:00Z\n"
      "#EXTINF:2,\n"
      "e.ts\n"
      "#EXT-X-ENDLIST\n");
  const auto &s = media.segments;
  fail_if (s[0].program_date_time_ms.has_value ());
  /* 2010-02-19T06:54:23.031Z */
  const gint64 a = G_GINT64_CONSTANT (1266562463031);
  fail_unless (s[1].program_date_time_explicit);
  fail_unless_equals_int64 (*s[1].program_date_time_ms, a);
  /* Carried on from the tagged segment, without accumulating rounding. */
  fail_if (s[2].program_date_time_explicit);
  fail_unless_equals_int64 (*s[2].program_date_time_ms, a + 2000);
  fail_unless_equals_int64 (*s[3].program_date_time_ms, a + 4001);
  /* Not across a discontinuity. */
  fail_if (s[4].program_date_time_ms.has_value ());
  fail_unless_equals_int64 (*s[5].program_date_time_ms, G_GINT64_CONSTANT (1704067200000));

  assert_error ("#EXTM3U\n#EXT-X-PROGRAM-DATE-TIME:yesterday\n#EXTINF:2,\na.ts\n",
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, 2, "'yesterday' is not an ISO 8601 date");
  assert_error ("#EXTM3U\n#EXT-X-PROGRAM-DATE-TIME:2010-02-30T14:54:23Z\n#EXTINF:2,\na.ts\n",
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, 2, "is not an ISO 8601 date");
}
GST_END_TEST;

GST_START_TEST (test_crlf_bom_blank_lines_and_whitespace)
{
  const char *text =
      "\xEF\xBB\xBF#EXTM3U\r\n"
      "\r\n"
      "#EXT-X-TARGETDURATION:4  \r\n"
      "# comment\r\n"
      "   \r\n"
      "#EXTINF:4.5,  title with spaces \r\n"
      "\r\n"
      "segment 1.ts\t \r\n"
      "#EXTINF:4,\r\n"
      "#EXT-X-BYTERANGE:100@50 \r\n"
      "seg2.ts\r\n"
      "#EXT-X-ENDLIST\r\n";
  MediaPlaylist media = must_parse_media (text);
  fail_unless_equals_int (media.segments.size (), 2);
  assert_str (media.segments[0].uri.c_str (), "http://media.example.com/vod/movie/segment%201.ts");
  assert_str (media.segments[0].title.c_str (), "title with spaces");
  fail_unless_equals_uint64 (media.segments[0].duration, 4500 * GST_MSECOND);
  fail_unless_equals_uint64 (media.segments[1].byte_range->offset, 50);
  fail_unless (media.end_list);

  /* Line numbers count the BOM line as line 1, CRLF as one break. */
  assert_error ("\xEF\xBB\xBF#EXTM3U\r\n\r\n#EXT-X-TARGETDURATION:x\r\n", GST_OFFLINE_ERROR_INVALID_ARGUMENT, 3,
      "EXT-X-TARGETDURATION 'x'");

  MasterPlaylist master = must_parse_master (
      "\xEF\xBB\xBF#EXTM3U\r\n#EXT-X-STREAM-INF:BANDWIDTH=100, CODECS=\"avc1.42e01e\" \r\n\r\nlow.m3u8\r\n");
  assert_str (master.variants[0].uri.c_str (), "http://media.example.com/vod/movie/low.m3u8");
  assert_str (master.variants[0].codecs[0].c_str (), "avc1.42e01e");
}
GST_END_TEST;

GST_START_TEST (test_uri_resolution)
{
  MediaPlaylist media = must_parse_media (
      "#EXTM3U\n"
      "#EXT-X-TARGETDURATION:1\n"
      "#EXTINF:1,\nplain.ts\n"
      "#EXTINF:1,\n./dot/seg.ts\n"
      "#EXTINF:1,\n../up.ts\n"
      "#EXTINF:1,\n../../../../beyond-root.ts\n"
      "#EXTINF:1,\n/root.ts\n"
      "#EXTINF:1,\n//cdn.example.org/p/seg.ts\n"
      "#EXTINF:1,\nhttps://other.example.com/x/seg.ts?a=1&b=%2F\n"
      "#EXTINF:1,\nseg.ts?token=abc%3D&exp=9#frag\n"
      "#EXTINF:1,\nsub/dir/../seg.ts\n"
      "#EXT-X-ENDLIST\n",
      "https://user@media.example.com:8443/vod/movie/index.m3u8?auth=xyz");
  const char *expected[] = {
    "https://user@media.example.com:8443/vod/movie/plain.ts",
    "https://user@media.example.com:8443/vod/movie/dot/seg.ts",
    "https://user@media.example.com:8443/vod/up.ts",
    "https://user@media.example.com:8443/beyond-root.ts",
    "https://user@media.example.com:8443/root.ts",
    "https://cdn.example.org/p/seg.ts",
    "https://other.example.com/x/seg.ts?a=1&b=%2F",
    "https://user@media.example.com:8443/vod/movie/seg.ts?token=abc%3D&exp=9#frag",
    "https://user@media.example.com:8443/vod/movie/sub/seg.ts",
  };
  fail_unless_equals_int (media.segments.size (), G_N_ELEMENTS (expected));
  for (size_t i = 0; i < G_N_ELEMENTS (expected); i++)
    assert_str (media.segments[i].uri.c_str (), expected[i]);

  /* File URLs, as the tests below use. */
  media = must_parse_media ("#EXTM3U\n#EXTINF:1,\n../b/seg.ts\n", "file:///tmp/a/index.m3u8");
  assert_str (media.segments[0].uri.c_str (), "file:///tmp/b/seg.ts");

  g_autoptr (GError) error = nullptr;
  fail_if (parse_playlist ("#EXTM3U\n#EXTINF:1,\na.ts\n", "relative/index.m3u8", &error).has_value ());
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT));
  fail_unless (strstr (error->message, "not an absolute URI") != nullptr, "%s", error->message);
  assert_error ("#EXTM3U\n#EXTINF:1,\nhttp://[::1/seg.ts\n", GST_OFFLINE_ERROR_INVALID_ARGUMENT, 3,
      "URI 'http://[::1/seg.ts' is not valid");
}
GST_END_TEST;

/* ---- the lexical layer --------------------------------------------------*/

GST_START_TEST (test_attribute_lists)
{
  std::string problem;
  auto list = AttributeList::parse ("BANDWIDTH=1280000,CODECS=\"avc1.4d401e,mp4a.40.2\",TYPE=AUDIO,"
      "IV=0x0A,RESOLUTION=1280x720,TIME-OFFSET=-12.5, SPACED=\"a b\" ,EMPTY=\"\",", &problem);
  fail_unless (list.has_value (), "%s", problem.c_str ());
  fail_unless_equals_int (list->attributes ().size (), 8);
  const Attribute *codecs = list->find ("CODECS");
  fail_unless (codecs != nullptr && codecs->quoted);
  fail_unless (codecs->value == "avc1.4d401e,mp4a.40.2");
  fail_unless (list->find ("TYPE")->value == "AUDIO");
  fail_if (list->find ("TYPE")->quoted);
  fail_unless (list->find ("SPACED")->value == "a b");
  fail_unless (list->find ("EMPTY")->value.empty ());
  fail_unless (list->find ("MISSING") == nullptr);
  fail_unless_equals_float (*parse_decimal_float (list->find ("TIME-OFFSET")->value, true), -12.5);
  fail_unless (list->find ("IV")->value == "0x0A");

  /* A repeated attribute: the first one counts. */
  list = AttributeList::parse ("A=1,A=2", &problem);
  fail_unless (list->find ("A")->value == "1");
  fail_unless (AttributeList::parse ("", &problem)->attributes ().empty ());

  const char *malformed[][2] = {
    { "A=\"unterminated", "no closing quote" },
    { "A", "has no '='" },
    { "A=1,B", "has no '='" },
    { "=1", "expected an attribute name at column 1" },
    { "A=", "has an empty value" },
    { "A=,B=1", "has an empty value" },
    { "A=\"x\"y,B=1", "unexpected text at column 6" },
    { "A=1,,B=2", "expected an attribute name at column 5" },
    { "A.B=1", "has no '='" },
  };
  for (const auto &bad : malformed) {
    problem.clear ();
    fail_if (AttributeList::parse (bad[0], &problem).has_value (), "%s", bad[0]);
    fail_unless (problem.find (bad[1]) != std::string::npos, "%s: %s", bad[0], problem.c_str ());
  }
}
GST_END_TEST;

GST_START_TEST (test_value_types)
{
  fail_unless_equals_uint64 (*parse_decimal_integer ("0"), 0);
  fail_unless_equals_uint64 (*parse_decimal_integer ("18446744073709551615"), G_MAXUINT64);
  fail_unless_equals_uint64 (*parse_decimal_integer ("00000000000000000001"), 1);
  for (const char *bad : { "", "18446744073709551616", "99999999999999999999", "-1", "+1", "1.0", "1e3", "0x10",
           " 1", "abc", "000000000000000000001" })
    fail_if (parse_decimal_integer (bad).has_value (), "%s", bad);

  fail_unless_equals_float (*parse_decimal_float ("29.97", false), 29.97);
  fail_unless_equals_float (*parse_decimal_float ("-0.5", true), -0.5);
  fail_unless_equals_float (*parse_decimal_float ("7", true), 7.0);
  for (const char *bad : { "", ".", "1.2.3", "-1", "1e5", "inf", "nan", "0x1p3", "1,5", "--1" })
    fail_if (parse_decimal_float (bad, false).has_value (), "%s", bad);
  fail_if (parse_decimal_float ("--1", true).has_value ());
  fail_if (parse_decimal_float ("-", true).has_value ());
  std::string huge (400, '9');
  fail_if (parse_decimal_float (huge, false).has_value ());

  fail_unless_equals_uint64 (*parse_seconds ("10"), 10 * GST_SECOND);
  fail_unless_equals_uint64 (*parse_seconds ("0.1"), 100 * GST_MSECOND);
  fail_unless_equals_uint64 (*parse_seconds ("5.005"), 5005 * GST_MSECOND);
  fail_unless_equals_uint64 (*parse_seconds ("1.123456789999"), GST_SECOND + 123456789);
  fail_unless_equals_uint64 (*parse_seconds (".5"), 500 * GST_MSECOND);
  fail_unless_equals_uint64 (*parse_seconds ("18446744072"), G_GUINT64_CONSTANT (18446744072) * GST_SECOND);
  for (const char *bad : { "", "-1", "1e3", "18446744074", "99999999999999999999", "1,5", "nan" })
    fail_if (parse_seconds (bad).has_value (), "%s", bad);

  auto resolution = parse_resolution ("1920x1080");
  fail_unless_equals_int (resolution->width, 1920);
  fail_unless_equals_int (resolution->height, 1080);
  for (const char *bad : { "1920", "x1080", "1920x", "1920x1080x2", "-1x5", "4294967296x1", "19 20x1080" })
    fail_if (parse_resolution (bad).has_value (), "%s", bad);

  auto hex = parse_hex_sequence ("0xABC");
  fail_unless_equals_int (hex->size (), 2);
  fail_unless_equals_int ((*hex)[0], 0x0a);
  fail_unless_equals_int ((*hex)[1], 0xbc);
  fail_unless_equals_int (parse_hex_sequence ("0X00ff")->size (), 2);
  for (const char *bad : { "0x", "ABC", "0xG0", "x12", "0x12 " })
    fail_if (parse_hex_sequence (bad).has_value (), "%s", bad);
  fail_unless (parse_iv ("0x000102030405060708090a0b0c0d0e0f").has_value ());
  fail_unless_equals_int ((*parse_iv ("0x000102030405060708090a0b0c0d0e0f"))[15], 15);
  fail_if (parse_iv ("0x0102030405060708090a0b0c0d0e0f").has_value ());

  auto range = parse_byte_range ("100@20");
  fail_unless_equals_uint64 (range->length, 100);
  fail_unless_equals_uint64 (*range->offset, 20);
  fail_if (parse_byte_range ("100")->offset.has_value ());
  for (const char *bad : { "", "@1", "1@", "1@2@3", "a@1", "1 @2" })
    fail_if (parse_byte_range (bad).has_value (), "%s", bad);

  /* The IV from a media sequence number, for every byte position. */
  Segment segment;
  segment.media_sequence = G_MAXUINT64;
  assert_str (iv_hex (segment.iv ()).c_str (), "0000000000000000ffffffffffffffff");
  segment.media_sequence = 1;
  assert_str (iv_hex (segment.iv ()).c_str (), "00000000000000000000000000000001");
}
GST_END_TEST;

/* ---- malformed and hostile input ----------------------------------------*/

GST_START_TEST (test_malformed_playlists)
{
  const GstOfflineError invalid = GST_OFFLINE_ERROR_INVALID_ARGUMENT;
  assert_error ("", invalid, 0, "the playlist is empty");
  assert_error ("\n\n  \n", invalid, 0, "the playlist is empty");
  assert_error ("<html><body>Not found</body></html>\n", invalid, 1, "does not start with #EXTM3U");
  assert_error ("#EXTINF:10,\na.ts\n", invalid, 1, "does not start with #EXTM3U");
  assert_error ("#EXTM3Ux\n", invalid, 1, "does not start with #EXTM3U");
  assert_error ("\xFF\xFE#\0E\0X\0T\0", invalid, 1, "not valid UTF-8");
  static const char with_nul[] = "#EXTM3U\n#EXTINF:1,\na\0b.ts\n";
  assert_error (std::string_view (with_nul, sizeof with_nul - 1), invalid, 3, "NUL byte");
  assert_error ("#EXTM3U\n", invalid, 0, "neither variants nor segments");

  /* Segments and their URI lines. */
  assert_error ("#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n#EXT-X-ENDLIST\n", invalid, 3,
      "EXTINF has no URI line after it");
  assert_error ("#EXTM3U\n#EXTINF:10,\n#EXTINF:10,\na.ts\n", invalid, 2, "EXTINF has no URI line after it");
  assert_error ("#EXTM3U\n#EXT-X-TARGETDURATION:10\nseg.ts\n", invalid, 3, "URI line 'seg.ts' does not follow an EXTINF");
  assert_error ("#EXTM3U\n#EXTINF:10,\na.ts\nb.ts\n", invalid, 4, "URI line 'b.ts' does not follow an EXTINF");
  assert_error ("#EXTM3U\nseg.ts\n", invalid, 2, "does not follow an EXTINF");
  assert_error ("#EXTM3U\n#EXTINF:abc,\na.ts\n", invalid, 2, "EXTINF duration 'abc' is not");
  assert_error ("#EXTM3U\n#EXTINF:-1,\na.ts\n", invalid, 2, "EXTINF duration '-1' is not");
  assert_error ("#EXTM3U\n#EXTINF:1e2,\na.ts\n", invalid, 2, "EXTINF duration '1e2' is not");
  assert_error ("#EXTM3U\n#EXTINF\na.ts\n", invalid, 2, "EXTINF has no value");
  assert_error ("#EXTM3U\n#EXTINF:18446744073.8,\na.ts\n", invalid, 2, "is not a non-negative number of seconds");
  assert_error ("#EXTM3U\n#EXTINF:18446744072,\na.ts\n#EXTINF:18446744072,\nb.ts\n", invalid, 5, "add up to more than 2^64");
  assert_error ("#EXTM3U\n#EXT-X-PLAYLIST-TYPE:LIVE\n", invalid, 2, "'LIVE' is neither VOD nor EVENT");
  assert_error ("#EXTM3U\n#EXT-X-VERSION:three\n", invalid, 2, "EXT-X-VERSION 'three'");
  assert_error ("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:-1\n", invalid, 2, "EXT-X-MEDIA-SEQUENCE '-1' is not a decimal");
  assert_error ("#EXTM3U\n#EXT-X-START:TIME-OFFSET=abc\n#EXTINF:1,\na.ts\n", invalid, 2,
      "TIME-OFFSET 'abc' is not a decimal number");

  /* Variants. */
  assert_error ("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=abc\nv.m3u8\n", invalid, 2,
      "EXT-X-STREAM-INF: BANDWIDTH 'abc' is not a decimal integer");
  assert_error ("#EXTM3U\n#EXT-X-STREAM-INF:CODECS=\"avc1\"\nv.m3u8\n", invalid, 2,
      "EXT-X-STREAM-INF has no BANDWIDTH attribute");
  assert_error ("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n", invalid, 2, "EXT-X-STREAM-INF has no URI line after it");
  assert_error ("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n#EXT-X-STREAM-INF:BANDWIDTH=2\nv.m3u8\n", invalid, 2,
      "EXT-X-STREAM-INF has no URI line after it");
  assert_error ("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,RESOLUTION=big\nv.m3u8\n", invalid, 2,
      "RESOLUTION 'big' is not WIDTHxHEIGHT");
  assert_error ("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,FRAME-RATE=fast\nv.m3u8\n", invalid, 2,
      "FRAME-RATE 'fast' is not a decimal number");
  assert_error ("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS=\"avc1\nv.m3u8\n", invalid, 2,
      "malformed attribute list: the quoted value of CODECS has no closing quote");
  assert_error ("#EXTM3U\n#EXT-X-STREAM-INF:\nv.m3u8\n", invalid, 2, "EXT-X-STREAM-INF has no value");
  assert_error ("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\nw.m3u8\n", invalid, 4,
      "URI line 'w.m3u8' does not follow an EXT-X-STREAM-INF");
  assert_error ("#EXTM3U\n#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n", invalid, 2,
      "EXT-X-I-FRAME-STREAM-INF has no URI attribute");
  assert_error ("#EXTM3U\n#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,URI=\"i.m3u8\"\n", invalid, 0,
      "no EXT-X-STREAM-INF variant");
  assert_error ("#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"x\",DEFAULT=maybe\n", invalid, 2,
      "DEFAULT 'maybe' is neither YES nor NO");
  assert_error ("#EXTM3U\n#EXT-X-MEDIA:GROUP-ID=\"a\",NAME=\"x\"\n", invalid, 2, "EXT-X-MEDIA has no TYPE attribute");
  assert_error ("#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,NAME=\"x\"\n", invalid, 2, "EXT-X-MEDIA has no GROUP-ID attribute");
  assert_error ("#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",CHANNELS=\"stereo\"\n", invalid, 2,
      "CHANNELS 'stereo' does not start with a channel count");

  /* Master and media tags together. */
  assert_error ("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n#EXTINF:1,\na.ts\n", invalid, 4,
      "EXTINF cannot appear in a master playlist (made one by EXT-X-STREAM-INF on line 2)");
  assert_error ("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"x\"\n", invalid, 3,
      "EXT-X-MEDIA cannot appear in a media playlist");

  /* Valid, but not handled. */
  assert_error ("#EXTM3U\n#EXT-X-DEFINE:NAME=\"host\",VALUE=\"example.com\"\n", GST_OFFLINE_ERROR_UNSUPPORTED, 2,
      "EXT-X-DEFINE");

  /* A long hostile value is cut in the message, on a character boundary. */
  std::string long_value = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=" + std::string (63, 'x') + "é" + std::string (10000, 'y')
      + "\nv.m3u8\n";
  assert_error (long_value, invalid, 2, "…' is not a decimal integer");
}
GST_END_TEST;

GST_START_TEST (test_limits)
{
  std::string text = "#EXTM3U\n#EXT-X-TARGETDURATION:1\n";
  for (int i = 0; i < 11; i++)
    text += "#EXTINF:1,\ns.ts\n";
  ParseLimits limits;
  limits.max_segments = 10;
  assert_error (text, GST_OFFLINE_ERROR_UNSUPPORTED, 24, "more than 10 segments", limits);
  limits.max_segments = 11;
  g_autoptr (GError) error = nullptr;
  fail_unless (parse_playlist (text, kUrl, &error, limits).has_value ());

  limits.max_bytes = text.size () - 1;
  assert_error (text, GST_OFFLINE_ERROR_UNSUPPORTED, 0, "more than the limit", limits);

  limits = ParseLimits ();
  limits.max_entries = 2;
  assert_error ("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\na\n#EXT-X-STREAM-INF:BANDWIDTH=1\nb\n"
      "#EXT-X-STREAM-INF:BANDWIDTH=1\nc\n", GST_OFFLINE_ERROR_UNSUPPORTED, 7, "more than 2 variants", limits);
  assert_error ("#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"a\"\n#EXT-X-KEY:METHOD=AES-128,URI=\"b\"\n"
      "#EXT-X-KEY:METHOD=AES-128,URI=\"c\"\n", GST_OFFLINE_ERROR_UNSUPPORTED, 4, "more than 2 keys", limits);

  /* The default limit holds a million segments of one repeated URI. */
  std::string big = "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-PLAYLIST-TYPE:VOD\n";
  big.reserve (big.size () + 1000001 * 26);
  for (int i = 0; i < 1000000; i++)
    big += "#EXTINF:1,\n#EXT-X-GAP\ns.ts\n";
  MediaPlaylist media = must_parse_media (big);
  fail_unless_equals_int (media.segments.size (), 1000000);
  fail_unless_equals_uint64 (media.duration (), 1000000 * GST_SECOND);
  big += "#EXTINF:1,\ns.ts\n";
  assert_error (big, GST_OFFLINE_ERROR_UNSUPPORTED, 3000005, "more than 1000000 segments");
}
GST_END_TEST;

/* Found by fuzzing: "https:/..//x" resolves to a URI GLib cannot write out
 * (no host, a path starting with "//"): g_uri_to_string() gave NULL, which
 * was read. And each EXT-X-KEY with a new KEYFORMAT rescanned its group:
 * 50 000 of them took 21 s; the group is a hash now. */
GST_START_TEST (test_fuzzer_findings)
{
  assert_error ("#EXTM3U\n#EXTINF:1,\nhttps:/..//x\n", GST_OFFLINE_ERROR_INVALID_ARGUMENT, 3, "which is no URL");
  assert_error ("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nhttps:/..//x\n", GST_OFFLINE_ERROR_INVALID_ARGUMENT, 3,
      "which is no URL");

  std::string keys = "#EXTM3U\n#EXT-X-TARGETDURATION:1\n";
  const int count = 50000;
  for (int i = 0; i < count; i++)
    keys += "#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"k" + std::to_string (i) + "\",KEYFORMAT=\"f" + std::to_string (i) + "\"\n";
  std::string first_wins = keys + "#EXTINF:1,\ns.ts\n";
  MediaPlaylist media = must_parse_media (first_wins);
  fail_unless_equals_int (media.keys.size (), count);
  fail_unless_equals_string (media.segments[0].key->key_format.c_str (), "f0");
  /* The identity key wins wherever it is in the group; a KEYFORMAT given
   * again replaces the earlier tag. */
  std::string identity = keys + "#EXT-X-KEY:METHOD=AES-128,URI=\"id\"\n#EXT-X-KEY:METHOD=AES-128,URI=\"f0again\","
      "KEYFORMAT=\"f0\"\n#EXTINF:1,\ns.ts\n";
  media = must_parse_media (identity);
  fail_unless_equals_string (media.segments[0].key->uri.c_str (), "http://media.example.com/vod/movie/id");
  std::string replaced = keys + "#EXT-X-KEY:METHOD=AES-128,URI=\"f0again\",KEYFORMAT=\"f0\"\n#EXTINF:1,\ns.ts\n";
  media = must_parse_media (replaced);
  fail_unless_equals_string (media.segments[0].key->uri.c_str (), "http://media.example.com/vod/movie/f0again");
}
GST_END_TEST;

/* Real-world playlists: EXT-X-PART (low-latency parts) is ignored, the
 * segments are the full ones; an I-frame playlist in a master is kept apart
 * from the variants and one given on its own is refused; TTML-in-MP4
 * subtitles are told from WebVTT by the variants' CODECS. */
GST_START_TEST (test_parts_i_frames_and_ttml_subtitles)
{
  MediaPlaylist media = must_parse_media ("#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-PART-INF:PART-TARGET=1\n"
      "#EXT-X-PART:DURATION=1,URI=\"s0.p0.mp4\"\n#EXT-X-PART:DURATION=1,URI=\"s0.p1.mp4\",INDEPENDENT=YES\n"
      "#EXTINF:2,\ns0.mp4\n#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"s1.p0.mp4\"\n#EXT-X-ENDLIST\n");
  fail_unless_equals_int (media.segments.size (), 1);
  fail_unless_equals_string (media.segments[0].uri.c_str (), "http://media.example.com/vod/movie/s0.mp4");

  MasterPlaylist master = must_parse_master ("#EXTM3U\n"
      "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"ttml\",NAME=\"en\",URI=\"en.m3u8\"\n"
      "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"vtt\",NAME=\"de\",URI=\"de.m3u8\"\n"
      "#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS=\"avc1.64001f,stpp.ttml.im1t\",SUBTITLES=\"ttml\"\nv1.m3u8\n"
      "#EXT-X-STREAM-INF:BANDWIDTH=2,CODECS=\"avc1.64001f,wvtt\",SUBTITLES=\"vtt\"\nv2.m3u8\n"
      "#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,URI=\"iframes.m3u8\"\n");
  fail_unless_equals_int (master.variants.size (), 2);
  fail_unless_equals_int (master.i_frame_variants.size (), 1);
  fail_unless (gst_offline::hls::is_ttml_in_mp4_codec (master.subtitles_codec ("ttml")));
  std::string vtt_codec = master.subtitles_codec ("vtt");
  fail_unless_equals_string (vtt_codec.c_str (), "wvtt");
  auto tracks = gst_offline::hls_tracks (Playlist (master));
  fail_unless_equals_int (tracks.size (), 4);  /* two variants, two subtitles; no I-frame track */
  fail_unless_equals_string (tracks[2].mime_type.c_str (), "application/mp4");
  fail_unless_equals_string (tracks[2].codecs.c_str (), "stpp.ttml.im1t");
  fail_unless_equals_string (tracks[3].mime_type.c_str (), "text/vtt");

  assert_error ("#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-I-FRAMES-ONLY\n#EXTINF:2,\n#EXT-X-BYTERANGE:100@0\ns.ts\n"
      "#EXT-X-ENDLIST\n", GST_OFFLINE_ERROR_UNSUPPORTED, 0, "I-frame playlist");
}
GST_END_TEST;

/* Every prefix of valid playlists, and each byte replaced by characters that
 * matter to the grammar: the parser must give a model or an error, never
 * crash (valgrind and the sanitizers watch the reads). */
GST_START_TEST (test_mutations_never_crash)
{
  const char *const samples[] = {
    kMaster,
    "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:5\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\",IV=0x"
    "00112233445566778899aabbccddeeff\n#EXT-X-MAP:URI=\"i.mp4\",BYTERANGE=\"10@0\"\n#EXT-X-PROGRAM-DATE-TIME:"
    "2020-01-01T00:00:00.5Z\n#EXTINF:2,t\n#EXT-X-BYTERANGE:10@10\na.mp4\n#EXT-X-DISCONTINUITY\n#EXTINF:2,\n"
    "#EXT-X-BYTERANGE:5\na.mp4\n#EXT-X-ENDLIST\n",
  };
  const char replacements[] = { '\n', '\r', '"', ',', '=', '@', ':', '#', '9', '-', '\0', '\xff' };
  guint parsed = 0, refused = 0;
  auto check = [&] (std::string_view text) {
    GError *error = nullptr;
    auto playlist = parse_playlist (text, kUrl, &error);
    fail_unless (playlist.has_value () != (error != nullptr));
    if (error) {
      fail_unless (error->domain == GST_OFFLINE_ERROR);
      fail_unless (g_utf8_validate (error->message, -1, nullptr));
      g_error_free (error);
      refused++;
    } else {
      parsed++;
    }
  };
  for (const char *sample : samples) {
    std::string text (sample);
    for (size_t length = 0; length <= text.size (); length++)
      check (std::string_view (text).substr (0, length));
    for (size_t i = 0; i < text.size (); i++) {
      for (char c : replacements) {
        std::string mutated = text;
        mutated[i] = c;
        check (mutated);
      }
    }
  }
  fail_unless (parsed > 0 && refused > 0);
}
GST_END_TEST;

/* ---- playlists made by ffmpeg -------------------------------------------*/

static void run_ffmpeg (const std::vector<std::string> &args)
{
  std::vector<const char *> argv = { "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y" };
  for (const auto &arg : args)
    argv.push_back (arg.c_str ());
  argv.push_back (nullptr);
  g_autofree gchar *err = nullptr;
  gint status = 0;
  g_autoptr (GError) error = nullptr;
  fail_unless (ot_spawn_sync (nullptr, const_cast<gchar **> (argv.data ()), nullptr, G_SPAWN_SEARCH_PATH, nullptr,
      nullptr, nullptr, &err, &status, &error), "%s", error ? error->message : "");
  fail_unless (g_spawn_check_wait_status (status, &error), "ffmpeg failed: %s", err);
}

/* A 4-second clip with a key frame every second, so that -hls_time 1 gives
 * four segments. The encode is deterministic: the same arguments give the
 * same bytes, which the AES-128 test relies on. */
static std::vector<std::string> clip_args ()
{
  return { "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i",
    "sine=frequency=440:sample_rate=48000", "-t", "4", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25",
    "-sc_threshold", "0", "-c:a", "aac", "-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod" };
}

static std::vector<std::string> concat (std::vector<std::string> a, const std::vector<std::string> &b)
{
  a.insert (a.end (), b.begin (), b.end ());
  return a;
}

static Playlist parse_file (const std::string &path)
{
  g_autoptr (GBytes) bytes = ot_read_file (path.c_str ());
  g_autofree gchar *uri = g_filename_to_uri (path.c_str (), nullptr, nullptr);
  gsize size = 0;
  const char *data = static_cast<const char *> (g_bytes_get_data (bytes, &size));
  return must_parse (std::string_view (data, size), uri);
}

static std::string path_of (const std::string &uri)
{
  g_autofree gchar *path = g_filename_from_uri (uri.c_str (), nullptr, nullptr);
  fail_unless (path != nullptr, "%s", uri.c_str ());
  return path;
}

static std::string read_all (const std::string &path)
{
  g_autoptr (GBytes) bytes = ot_read_file (path.c_str ());
  gsize size = 0;
  const char *data = static_cast<const char *> (g_bytes_get_data (bytes, &size));
  return std::string (data, size);
}

/* The playlist lists exactly seg0..segN-1 of `dir`, in order, as whole files. */
static void assert_segment_files (const MediaPlaylist &media, const std::string &dir, const char *extension)
{
  fail_unless (media.end_list);
  fail_unless (media.type == PlaylistType::Vod);
  fail_if (media.is_live ());
  fail_unless_equals_int (media.segments.size (), 4);
  for (size_t i = 0; i < media.segments.size (); i++) {
    const Segment &segment = media.segments[i];
    g_autofree gchar *name = g_strdup_printf ("seg%zu.%s", i, extension);
    g_autofree gchar *expected = g_build_filename (dir.c_str (), name, nullptr);
    assert_str (path_of (segment.uri).c_str (), expected);
    fail_unless (g_file_test (expected, G_FILE_TEST_IS_REGULAR), "%s", expected);
    fail_if (segment.byte_range.has_value ());
    fail_unless_equals_uint64 (segment.media_sequence, i);
    fail_unless_equals_uint64 (segment.duration, GST_SECOND);
    fail_unless_equals_uint64 (segment.start, i * GST_SECOND);
  }
  g_autofree gchar *extra = g_strdup_printf ("%s/seg%zu.%s", dir.c_str (), media.segments.size (), extension);
  fail_if (g_file_test (extra, G_FILE_TEST_EXISTS), "%s is not in the playlist", extra);
  fail_unless_equals_uint64 (media.duration (), 4 * GST_SECOND);
}

GST_START_TEST (test_ffmpeg_mpegts_segments)
{
  g_autofree gchar *dir = ot_make_temp_dir ("hls-ts");
  std::string d (dir);
  run_ffmpeg (concat (clip_args (), { "-hls_segment_filename", d + "/seg%d.ts", d + "/index.m3u8" }));
  MediaPlaylist media = parse_file (d + "/index.m3u8").media ();
  assert_segment_files (media, d, "ts");
  fail_unless_equals_uint64 (media.target_duration, GST_SECOND);
  for (const auto &segment : media.segments) {
    fail_unless (segment.key == nullptr);
    fail_unless (segment.init_section == nullptr);
  }
}
GST_END_TEST;

GST_START_TEST (test_ffmpeg_fmp4_segments)
{
  g_autofree gchar *dir = ot_make_temp_dir ("hls-fmp4");
  std::string d (dir);
  run_ffmpeg (concat (clip_args (), { "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4",
      "-hls_segment_filename", d + "/seg%d.m4s", d + "/index.m3u8" }));
  MediaPlaylist media = parse_file (d + "/index.m3u8").media ();
  assert_segment_files (media, d, "m4s");
  fail_unless_equals_int (media.init_sections.size (), 1);
  const auto &init = media.init_sections[0];
  assert_str (path_of (init->uri).c_str (), (d + "/init.mp4").c_str ());
  fail_if (init->byte_range.has_value ());
  /* An fMP4 init section starts with its ftyp box. */
  fail_unless (read_all (d + "/init.mp4").substr (4, 4) == "ftyp");
  for (const auto &segment : media.segments)
    fail_unless (segment.init_section == init);
}
GST_END_TEST;

static std::string aes_128_cbc (const std::string &input, const std::string &key, const Iv &iv, bool encrypt)
{
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new ();
  fail_unless (EVP_CipherInit_ex (ctx, EVP_aes_128_cbc (), nullptr, reinterpret_cast<const guint8 *> (key.data ()),
      iv.data (), encrypt ? 1 : 0) == 1);
  std::string output (input.size () + 16, '\0');
  int length = 0, final_length = 0;
  fail_unless (EVP_CipherUpdate (ctx, reinterpret_cast<guint8 *> (&output[0]), &length,
      reinterpret_cast<const guint8 *> (input.data ()), static_cast<int> (input.size ())) == 1);
  fail_unless (EVP_CipherFinal_ex (ctx, reinterpret_cast<guint8 *> (&output[length]), &final_length) == 1,
      "bad padding: wrong key or IV");
  EVP_CIPHER_CTX_free (ctx);
  output.resize (length + final_length);
  return output;
}

GST_START_TEST (test_ffmpeg_aes_128)
{
  g_autofree gchar *dir = ot_make_temp_dir ("hls-aes");
  std::string d (dir);
  const std::string key ("0123456789abcdef", 16);
  fail_unless (g_file_set_contents ((d + "/enc.key").c_str (), key.data (), key.size (), nullptr));
  /* Key URI, key file, IV: ffmpeg writes the IV into the playlist. */
  std::string key_info = "https://keys.example.com/k?id=7\n" + d + "/enc.key\n0123456789abcdef0123456789ABCDEF\n";
  fail_unless (g_file_set_contents ((d + "/keyinfo").c_str (), key_info.c_str (), -1, nullptr));
  fail_unless (g_mkdir ((d + "/clear").c_str (), 0700) == 0);
  run_ffmpeg (concat (clip_args (), { "-hls_segment_filename", d + "/clear/seg%d.ts", d + "/clear/index.m3u8" }));
  run_ffmpeg (concat (clip_args (), { "-hls_key_info_file", d + "/keyinfo", "-hls_segment_filename",
      d + "/seg%d.ts", d + "/index.m3u8" }));

  MediaPlaylist media = parse_file (d + "/index.m3u8").media ();
  assert_segment_files (media, d, "ts");
  fail_unless_equals_int (media.keys.size (), 1);
  for (const auto &segment : media.segments) {
    fail_unless (segment.key == media.keys[0]);
    fail_unless (segment.key->method == KeyMethod::Aes128);
    assert_str (segment.key->uri.c_str (), "https://keys.example.com/k?id=7");
    assert_str (iv_hex (segment.iv ()).c_str (), "0123456789abcdef0123456789abcdef");
    /* Decrypted with the model's key and IV, each segment is the clear one. */
    std::string clear = read_all (d + "/clear/seg" + std::to_string (segment.media_sequence) + ".ts");
    fail_unless (aes_128_cbc (read_all (path_of (segment.uri)), key, segment.iv (), false) == clear,
        "segment %" G_GUINT64_FORMAT, segment.media_sequence);
  }

  /* ffmpeg always writes an IV: the media-sequence IV gets a playlist of its
   * own, its segments encrypted here the way RFC 8216 5.2 says. */
  std::string playlist = "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:1000\n"
      "#EXT-X-KEY:METHOD=AES-128,URI=\"enc.key\"\n";
  for (int i = 0; i < 4; i++) {
    Segment numbered;
    numbered.media_sequence = 1000 + i;
    std::string name = "msn" + std::to_string (i) + ".ts";
    std::string encrypted = aes_128_cbc (read_all (d + "/clear/seg" + std::to_string (i) + ".ts"), key,
        numbered.iv (), true);
    fail_unless (g_file_set_contents ((d + "/" + name).c_str (), encrypted.data (), encrypted.size (), nullptr));
    playlist += "#EXTINF:1,\n" + name + "\n";
  }
  playlist += "#EXT-X-ENDLIST\n";
  fail_unless (g_file_set_contents ((d + "/msn.m3u8").c_str (), playlist.c_str (), -1, nullptr));
  media = parse_file (d + "/msn.m3u8").media ();
  fail_unless_equals_int (media.segments.size (), 4);
  for (int i = 0; i < 4; i++) {
    const Segment &segment = media.segments[i];
    assert_str (path_of (segment.key->uri).c_str (), (d + "/enc.key").c_str ());
    Iv expected {};
    expected[14] = (1000 + i) >> 8;
    expected[15] = (1000 + i) & 0xff;
    fail_unless (segment.iv () == expected, "%s", iv_hex (segment.iv ()).c_str ());
    std::string clear = read_all (d + "/clear/seg" + std::to_string (i) + ".ts");
    fail_unless (aes_128_cbc (read_all (path_of (segment.uri)), key, segment.iv (), false) == clear);
  }
}
GST_END_TEST;

/* The sub-ranges cover the file from its first byte to its last, each
 * starting where the one before ended. */
static void assert_ranges_tile_file (const MediaPlaylist &media, const std::string &file, guint64 first_offset)
{
  gint64 size = static_cast<gint64> (read_all (file).size ());
  guint64 next = first_offset;
  fail_unless (media.segments.size () >= 4);
  for (const auto &segment : media.segments) {
    assert_str (path_of (segment.uri).c_str (), file.c_str ());
    fail_unless (segment.byte_range.has_value ());
    fail_unless_equals_uint64 (segment.byte_range->offset, next);
    fail_unless (segment.byte_range->length > 0);
    next = segment.byte_range->end ();
  }
  fail_unless_equals_uint64 (next, static_cast<guint64> (size));
}

GST_START_TEST (test_ffmpeg_single_file_byte_ranges)
{
  g_autofree gchar *dir = ot_make_temp_dir ("hls-single");
  std::string d (dir);
  run_ffmpeg (concat (clip_args (), { "-hls_flags", "single_file", d + "/index.m3u8" }));
  MediaPlaylist media = parse_file (d + "/index.m3u8").media ();
  fail_unless (media.end_list);
  fail_unless_equals_int (media.segments.size (), 4);
  assert_ranges_tile_file (media, d + "/index.ts", 0);
  /* Each range is a run of whole TS packets. */
  std::string file = read_all (d + "/index.ts");
  for (const auto &segment : media.segments) {
    fail_unless_equals_int (segment.byte_range->length % 188, 0);
    fail_unless_equals_int (file[segment.byte_range->offset], 0x47);
  }

  /* The same without offsets: each range continues the one before. */
  std::string text = read_all (d + "/index.m3u8");
  std::string stripped;
  size_t pos = 0;
  bool first = true;
  while (pos < text.size ()) {
    size_t end = text.find ('\n', pos);
    std::string line = text.substr (pos, end - pos);
    pos = end == std::string::npos ? text.size () : end + 1;
    if (line.rfind ("#EXT-X-BYTERANGE:", 0) == 0 && !first)
      line = line.substr (0, line.find ('@'));
    if (line.rfind ("#EXT-X-BYTERANGE:", 0) == 0)
      first = false;
    stripped += line + "\n";
  }
  fail_unless (stripped.find ('@') != std::string::npos);
  g_autofree gchar *uri = g_filename_to_uri ((d + "/index.m3u8").c_str (), nullptr, nullptr);
  MediaPlaylist continued = must_parse_media (stripped, uri);
  for (size_t i = 0; i < media.segments.size (); i++)
    fail_unless (*continued.segments[i].byte_range == *media.segments[i].byte_range);
}
GST_END_TEST;

GST_START_TEST (test_ffmpeg_fmp4_single_file)
{
  g_autofree gchar *dir = ot_make_temp_dir ("hls-fmp4-single");
  std::string d (dir);
  run_ffmpeg (concat (clip_args (), { "-hls_segment_type", "fmp4", "-hls_flags", "single_file", d + "/index.m3u8" }));
  MediaPlaylist media = parse_file (d + "/index.m3u8").media ();
  fail_unless_equals_int (media.init_sections.size (), 1);
  const auto &init = media.init_sections[0];
  assert_str (path_of (init->uri).c_str (), (d + "/index.m4s").c_str ());
  fail_unless (init->byte_range.has_value ());
  fail_unless_equals_uint64 (init->byte_range->offset, 0);
  /* The init section, then the segments, tile the file. */
  assert_ranges_tile_file (media, d + "/index.m4s", init->byte_range->end ());
  std::string file = read_all (d + "/index.m4s");
  fail_unless (file.substr (4, 4) == "ftyp");
  for (const auto &segment : media.segments) {
    fail_unless (segment.init_section == init);
    std::string_view box = std::string_view (file).substr (segment.byte_range->offset + 4, 4);
    fail_unless (box == "moof" || box == "styp" || box == "sidx", "%.*s", 4, box.data ());
  }
}
GST_END_TEST;

GST_START_TEST (test_ffmpeg_master_playlist)
{
  g_autofree gchar *dir = ot_make_temp_dir ("hls-master");
  std::string d (dir);
  run_ffmpeg ({ "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i",
      "sine=frequency=440:sample_rate=48000", "-t", "4", "-map", "0:v", "-map", "0:v", "-map", "1:a", "-map", "1:a",
      "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-sc_threshold", "0", "-s:v:1", "160x120", "-b:v:0",
      "400k", "-b:v:1", "100k", "-c:a", "aac", "-b:a", "64k", "-f", "hls", "-hls_time", "1", "-hls_playlist_type",
      "vod", "-var_stream_map", "v:0,a:0 v:1,a:1", "-master_pl_name", "master.m3u8", "-hls_segment_filename",
      d + "/v%v/seg%d.ts", d + "/v%v/index.m3u8" });
  Playlist playlist = parse_file (d + "/master.m3u8");
  fail_unless (playlist.is_master ());
  const MasterPlaylist &master = playlist.master ();
  fail_unless_equals_int (master.variants.size (), 2);
  fail_unless (master.i_frame_variants.empty ());
  const guint heights[] = { 240, 120 };
  for (size_t i = 0; i < 2; i++) {
    const Variant &variant = master.variants[i];
    std::string variant_dir = d + "/v" + std::to_string (i);
    assert_str (path_of (variant.uri).c_str (), (variant_dir + "/index.m3u8").c_str ());
    fail_unless (variant.bandwidth > 0);
    fail_unless (variant.resolution.has_value ());
    fail_unless_equals_int (variant.resolution->height, heights[i]);
    fail_unless_equals_int (variant.codecs.size (), 2);
    fail_unless (g_str_has_prefix (variant.codecs[0].c_str (), "avc1."));
    assert_str (variant.codecs[1].c_str (), "mp4a.40.2");
    /* And the variant's own media playlist. */
    g_autoptr (GError) error = nullptr;
    std::string text = read_all (path_of (variant.uri));
    auto media = parse_media_playlist (text, variant.uri, &error);
    fail_unless (media.has_value (), "%s", error ? error->message : "");
    assert_segment_files (*media, variant_dir, "ts");
  }
  fail_unless (master.variants[0].bandwidth > master.variants[1].bandwidth);
}
GST_END_TEST;

static Suite *hls_playlist_suite (void)
{
  Suite *s = suite_create ("hls-playlist");
  TCase *tc = tcase_create ("parser");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_master_variants_and_renditions);
  tcase_add_test (tc, test_media_playlist_expected_but_master_given);
  tcase_add_test (tc, test_media_segments_durations_and_sequence);
  tcase_add_test (tc, test_live_playlists_are_reported);
  tcase_add_test (tc, test_byte_ranges_with_and_without_offsets);
  tcase_add_test (tc, test_byte_range_without_offset_needs_a_previous_range);
  tcase_add_test (tc, test_init_sections);
  tcase_add_test (tc, test_key_rotation_and_ivs);
  tcase_add_test (tc, test_key_errors);
  tcase_add_test (tc, test_discontinuities_and_gaps);
  tcase_add_test (tc, test_program_date_time);
  tcase_add_test (tc, test_crlf_bom_blank_lines_and_whitespace);
  tcase_add_test (tc, test_uri_resolution);
  tcase_add_test (tc, test_attribute_lists);
  tcase_add_test (tc, test_value_types);
  tcase_add_test (tc, test_malformed_playlists);
  tcase_add_test (tc, test_limits);
  tcase_add_test (tc, test_fuzzer_findings);
  tcase_add_test (tc, test_parts_i_frames_and_ttml_subtitles);
  tcase_add_test (tc, test_mutations_never_crash);
  TCase *ffmpeg = tcase_create ("ffmpeg");
  suite_add_tcase (s, ffmpeg);
  tcase_add_test (ffmpeg, test_ffmpeg_mpegts_segments);
  tcase_add_test (ffmpeg, test_ffmpeg_fmp4_segments);
  tcase_add_test (ffmpeg, test_ffmpeg_aes_128);
  tcase_add_test (ffmpeg, test_ffmpeg_single_file_byte_ranges);
  tcase_add_test (ffmpeg, test_ffmpeg_fmp4_single_file);
  tcase_add_test (ffmpeg, test_ffmpeg_master_playlist);
  return s;
}

GST_CHECK_MAIN (hls_playlist);
