/* DASH layouts end to end: content made at test time (ffmpeg, and MPDs
 * written or rewritten here for what ffmpeg does not make), served on
 * 127.0.0.1, downloaded with the CLI, then played from the cache in a
 * process without network and compared frame by frame, video and audio,
 * with the decode of the plain concatenation of each representation's init
 * and media segments:
 * - SegmentList of byte ranges of one file (ffmpeg's -single_file 1);
 * - SegmentBase with indexRange: the subsegments a sidx lists;
 * - BaseURLs at every level (MPD, Period, AdaptationSet, Representation),
 *   absolute and relative;
 * - SegmentTemplate with $Time$;
 * - a presentationTimeOffset;
 * - three Periods over one media, each with its own presentationTimeOffset;
 * and seeks that land where they should, also with $Number$ addressing
 * whose nominal segment times are not the real ones.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>

#include "adaptive-content.h"
#include "frame-checks.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

using namespace ot;

namespace {

/* Replaces the first `what` in `text` at or after `from`; fails if absent. */
size_t
replace (std::string &text, const std::string &what, const std::string &with, size_t from = 0)
{
  size_t at = text.find (what, from);
  fail_unless (at != std::string::npos, "'%s' is not in the MPD", what.c_str ());
  text.replace (at, what.size (), with);
  return at + with.size ();
}

/* Puts `text` right after the opening tag of the first `element` at or
 * after `from`; returns where that tag ends. */
size_t
insert_after_tag (std::string &text, const std::string &element, const std::string &insert, size_t from = 0)
{
  size_t at = text.find ("<" + element, from);
  fail_unless (at != std::string::npos, "no <%s> in the MPD", element.c_str ());
  size_t end = text.find ('>', at) + 1;
  text.insert (end, insert);
  return end + insert.size ();
}

/* The server sent each byte of `file` (of `dir`, served under /`name`/)
 * exactly once: its byte ranges were all fetched, none twice. */
void
assert_sent_once (const gchar *dir, const gchar *name, const gchar *file)
{
  g_autofree gchar *path = g_build_filename (dir, file, nullptr);
  g_autofree gchar *served = g_strdup_printf ("/%s/%s", name, file);
  guint64 size = read_text (path).size ();
  guint64 sent = ot_server_get_bytes_sent (test_server, served);
  fail_unless (sent == size, "%" G_GUINT64_FORMAT " bytes of %s were sent, it has %" G_GUINT64_FORMAT, sent, file, size);
}

/* ---- ISO BMFF, as much as the tests need ----------------------------------- */

struct Box {
  std::string type;
  guint64 offset, size;
};

/* The top-level boxes of an MP4 file. */
std::vector<Box>
top_level_boxes (const std::string &bytes)
{
  std::vector<Box> boxes;
  guint64 offset = 0;
  while (offset + 8 <= bytes.size ()) {
    guint64 size = GST_READ_UINT32_BE (bytes.data () + offset);
    fail_unless (size >= 8 && offset + size <= bytes.size (), "a box at %" G_GUINT64_FORMAT " has size %" G_GUINT64_FORMAT,
        offset, size);
    boxes.push_back ({ bytes.substr (offset + 4, 4), offset, size });
    offset += size;
  }
  fail_unless (offset == bytes.size (), "trailing bytes after the last box");
  return boxes;
}

/* The payload of the first box `type` found in `bytes` (a search, enough for
 * the small files ffmpeg writes here). */
const guint8 *
find_box (const std::string &bytes, const gchar *type, gsize min_payload)
{
  size_t at = bytes.find (type);
  fail_unless (at != std::string::npos && at + 4 + min_payload <= bytes.size (), "no %s box", type);
  return reinterpret_cast<const guint8 *> (bytes.data ()) + at + 4;
}

/* The media timescale of an init segment (mdhd: version and flags, creation
 * and modification times of 4 or 8 bytes each, then the timescale). */
guint64
timescale_of (const gchar *init_file)
{
  std::string bytes = read_text (init_file);
  const guint8 *mdhd = find_box (bytes, "mdhd", 32);
  return GST_READ_UINT32_BE (mdhd + 4 + (mdhd[0] == 1 ? 16 : 8));
}

/* The first decode time of a media segment (tfdt: version and flags, then
 * 32 or 64 bits), in timescale ticks. */
guint64
first_decode_time (const gchar *segment_file)
{
  std::string bytes = read_text (segment_file);
  const guint8 *tfdt = find_box (bytes, "tfdt", 12);
  return tfdt[0] == 1 ? GST_READ_UINT64_BE (tfdt + 4) : GST_READ_UINT32_BE (tfdt + 4);
}

}  // namespace

/* ffmpeg's -single_file 1: each representation is one file, its segments a
 * SegmentList of byte ranges (each opening with its own sidx). The ranges
 * tile the file, so the concatenation of the init and media segments is the
 * file itself: the download fetched each byte of it once, and playback
 * decodes what the file decodes. */
GST_START_TEST (test_single_file_segment_list)
{
  Dirs dirs ("single");
  fail_unless (make_dash_mpd (dirs.content, "-single_file 1").find ("mediaRange=") != std::string::npos,
      "ffmpeg wrote no SegmentList of ranges");
  g_autofree gchar *url = serve (test_server, dirs.content, "single", "x.mpd");
  download (dirs.data, url, "single");

  for (const gchar *file : { "x-stream0.mp4", "x-stream1.mp4" })
    assert_sent_once (dirs.content, "single", file);

  g_autofree gchar *video = g_build_filename (dirs.content, "x-stream0.mp4", nullptr);
  g_autofree gchar *audio = g_build_filename (dirs.content, "x-stream1.mp4", nullptr);
  References references (video, audio, dirs.data);
  assert_plays_like ("single", dirs.data, references);
}
GST_END_TEST;

/* SegmentBase with indexRange over fragmented MP4 files that ffmpeg's mp4
 * muxer made with a global sidx (ftyp, moov, sidx, then moof/mdat pairs):
 * the download reads the sidx and fetches the subsegments it lists; the
 * reference is each file without its sidx. An accurate seek to the middle
 * gives the reference's frames from there on. */
GST_START_TEST (test_segment_base_sidx)
{
  Dirs dirs ("base");
  g_autofree gchar *video_source = g_strdup_printf ("testsrc2=size=320x240:rate=25:duration=%u", kDashClipSeconds);
  g_autofree gchar *audio_source = g_strdup_printf ("sine=frequency=440:beep_factor=4:sample_rate=44100:duration=%u",
      kDashClipSeconds);
  const std::vector<const gchar *> input = { "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f",
    "lavfi", "-i" };
  std::vector<const gchar *> video_command (input);
  video_command.insert (video_command.end (),
      { video_source, "-map_metadata", "-1", "-fflags", "+bitexact", "-threads", "1", "-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-keyint_min", "25",
          "-sc_threshold", "0", "-pix_fmt", "yuv420p", "-flags:v", "+bitexact", "-movflags",
          "+frag_keyframe+empty_moov+default_base_moof+global_sidx+skip_trailer", "v.mp4" });
  run_or_fail (video_command, dirs.content);
  std::vector<const gchar *> audio_command (input);
  audio_command.insert (audio_command.end (),
      { audio_source, "-map_metadata", "-1", "-fflags", "+bitexact", "-c:a", "aac", "-aac_pns", "0", "-b:a", "64k", "-ac", "2", "-flags:a", "+bitexact",
          "-frag_duration", "2000000", "-movflags", "+empty_moov+default_base_moof+global_sidx+skip_trailer",
          "a.mp4" });
  run_or_fail (audio_command, dirs.content);

  /* Where the init segment and the sidx are; the reference without the sidx. */
  std::string ranges[2], references[2];
  const gchar *files[2] = { "v.mp4", "a.mp4" };
  for (int i = 0; i < 2; i++) {
    g_autofree gchar *path = g_build_filename (dirs.content, files[i], nullptr);
    std::string bytes = read_text (path);
    auto boxes = top_level_boxes (bytes);
    fail_unless (boxes.size () > 5 && boxes[0].type == "ftyp" && boxes[1].type == "moov" && boxes[2].type == "sidx",
        "%s does not start with ftyp, moov, sidx", files[i]);
    const Box &sidx = boxes[2];
    g_autofree gchar *text = g_strdup_printf ("indexRange=\"%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
                                              "\"><Initialization range=\"0-%" G_GUINT64_FORMAT "\"/>",
        sidx.offset, sidx.offset + sidx.size - 1, sidx.offset - 1);
    ranges[i] = text;
    std::string without_sidx = bytes.substr (0, sidx.offset) + bytes.substr (sidx.offset + sidx.size);
    g_autofree gchar *reference = g_build_filename (dirs.root, i == 0 ? "reference-v.mp4" : "reference-a.mp4", nullptr);
    write_text (reference, without_sidx);
    references[i] = reference;
  }

  std::string mpd = std::string ("<?xml version=\"1.0\"?>\n"
                                 "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" type=\"static\" "
                                 "profiles=\"urn:mpeg:dash:profile:isoff-on-demand:2011\" minBufferTime=\"PT2S\" "
                                 "mediaPresentationDuration=\"PT6S\">\n <Period>\n"
                                 "  <AdaptationSet contentType=\"video\" mimeType=\"video/mp4\">\n"
                                 "   <Representation id=\"v\" codecs=\"avc1.64000d\" bandwidth=\"300000\" width=\"320\" "
                                 "height=\"240\">\n    <BaseURL>v.mp4</BaseURL>\n    <SegmentBase ")
      + ranges[0]
      + "</SegmentBase>\n   </Representation>\n  </AdaptationSet>\n"
        "  <AdaptationSet contentType=\"audio\" mimeType=\"audio/mp4\" lang=\"en\">\n"
        "   <Representation id=\"a\" codecs=\"mp4a.40.2\" bandwidth=\"64000\" audioSamplingRate=\"44100\">\n"
        "    <BaseURL>a.mp4</BaseURL>\n    <SegmentBase "
      + ranges[1] + "</SegmentBase>\n   </Representation>\n  </AdaptationSet>\n </Period>\n</MPD>\n";
  g_autofree gchar *mpd_path = g_build_filename (dirs.content, "base.mpd", nullptr);
  write_text (mpd_path, mpd);

  g_autofree gchar *url = serve (test_server, dirs.content, "base", "base.mpd");
  download (dirs.data, url, "base");
  /* The init segment, the sidx and every subsegment it lists: each byte once. */
  for (const gchar *file : files)
    assert_sent_once (dirs.content, "base", file);

  References refs (references[0].c_str (), references[1].c_str (), dirs.data);
  assert_plays_like ("base", dirs.data, refs);
  assert_seek_same_as_reference ("offline://base", dirs.data, 3 * GST_SECOND + 300 * GST_MSECOND, refs.video,
      refs.audio);
}
GST_END_TEST;

/* BaseURLs at every level: the MPD's absolute, the Period's, the
 * AdaptationSet's and the Representation's relative (the manifest is served
 * from elsewhere, so nothing resolves against its own URL by chance); the
 * audio AdaptationSet's absolute again, and its Representation's going up a
 * level with "../". */
GST_START_TEST (test_nested_base_urls)
{
  Dirs dirs ("nested");
  std::string mpd = make_dash_mpd (dirs.made);

  const gchar *base = ot_server_get_base_url (test_server);
  g_autofree gchar *mpd_base = g_strdup_printf ("<BaseURL>%s/nested/root/</BaseURL>", base);
  g_autofree gchar *audio_set_base = g_strdup_printf ("<BaseURL>%s/nested/other/</BaseURL>", base);
  size_t at = mpd.find ("<Period");
  mpd.insert (at, std::string (mpd_base) + "\n\t");
  at = insert_after_tag (mpd, "Period", "<BaseURL>period/</BaseURL>");
  at = insert_after_tag (mpd, "AdaptationSet", "<BaseURL>video/</BaseURL>", at);
  at = insert_after_tag (mpd, "Representation", "<BaseURL>rep0/</BaseURL>", at);
  at = insert_after_tag (mpd, "AdaptationSet", audio_set_base, at);
  insert_after_tag (mpd, "Representation", "<BaseURL>../audio/rep1/</BaseURL>", at);
  g_autofree gchar *mpd_path = g_build_filename (dirs.content, "manifests", "n.mpd", nullptr);
  g_autofree gchar *manifests = g_path_get_dirname (mpd_path);
  g_mkdir_with_parents (manifests, 0700);
  write_text (mpd_path, mpd);

  /* Where each stream's files go on the server. */
  const gchar *homes[2] = { "root/period/video/rep0", "audio/rep1" };
  std::vector<std::string> served;
  for (guint stream = 0; stream < 2; stream++) {
    for (const auto &file : dash_segment_files (dirs.made, stream)) {
      g_autofree gchar *from_path = g_build_filename (dirs.made, file.c_str (), nullptr);
      g_autofree gchar *to_path = g_build_filename (dirs.content, homes[stream], file.c_str (), nullptr);
      write_text (to_path, read_text (from_path));
      served.push_back (std::string ("/nested/") + homes[stream] + "/" + file);
    }
  }
  g_autofree gchar *url = serve (test_server, dirs.content, "nested", "manifests/n.mpd");
  download (dirs.data, url, "nested");
  for (const auto &path : served)
    fail_unless (ot_server_get_request_count (test_server, path.c_str ()) == 1, "%s was fetched %u times",
        path.c_str (), ot_server_get_request_count (test_server, path.c_str ()));

  References references = dash_references (dirs.made, dirs.data);
  assert_plays_like ("nested", dirs.data, references);
}
GST_END_TEST;

/* The start times of the SegmentTimeline of the `nth` SegmentTemplate of
 * `mpd` (S@t, @d, @r; r="-1" is not used by ffmpeg). */
static std::vector<guint64>
timeline_times (const std::string &mpd, guint nth)
{
  size_t at = 0;
  for (guint i = 0; i <= nth; i++) {
    at = mpd.find ("<SegmentTemplate", i == 0 ? 0 : at + 1);
    fail_unless (at != std::string::npos, "no SegmentTemplate %u", nth);
  }
  size_t end = mpd.find ("</SegmentTemplate>", at);
  std::vector<guint64> times;
  guint64 next = 0;
  auto attribute = [] (const std::string &element, const gchar *name, gint64 fallback) {
    size_t where = element.find (std::string (" ") + name + "=\"");
    return where == std::string::npos ? fallback
                                      : g_ascii_strtoll (element.c_str () + where + strlen (name) + 3, nullptr, 10);
  };
  for (size_t s = mpd.find ("<S ", at); s < end; s = mpd.find ("<S ", s + 1)) {
    std::string element = mpd.substr (s, mpd.find ('>', s) - s);
    guint64 t = attribute (element, "t", next);
    gint64 d = attribute (element, "d", 0);
    gint64 r = attribute (element, "r", 0);
    fail_unless (d > 0 && r >= 0, "unexpected S element %s", element.c_str ());
    for (gint64 k = 0; k <= r; k++, t += d)
      times.push_back (t);
    next = t;
  }
  fail_unless (!times.empty (), "SegmentTemplate %u has no timeline", nth);
  return times;
}

/* SegmentTemplate with $Time$: ffmpeg's timeline output with its media
 * template rewritten to name segments by their start time, and the segment
 * files renamed to match. */
GST_START_TEST (test_time_template)
{
  Dirs dirs ("time");
  std::string mpd = make_dash_mpd (dirs.made);
  const std::string number_template = "media=\"chunk-stream$RepresentationID$-$Number%05d$.m4s\"";
  size_t at = replace (mpd, number_template, "media=\"t/$RepresentationID$/$Time$.m4s\"");
  replace (mpd, number_template, "media=\"t/$RepresentationID$/$Time$.m4s\"", at);
  g_autofree gchar *mpd_path = g_build_filename (dirs.content, "time.mpd", nullptr);
  write_text (mpd_path, mpd);

  for (guint stream = 0; stream < 2; stream++) {
    auto files = dash_segment_files (dirs.made, stream);
    auto times = timeline_times (mpd, stream);
    fail_unless_equals_int (static_cast<int> (times.size ()), static_cast<int> (files.size () - 1));
    write_text (std::string (dirs.content) + "/" + files[0], read_text (std::string (dirs.made) + "/" + files[0]));
    for (size_t i = 0; i < times.size (); i++) {
      g_autofree gchar *from_path = g_build_filename (dirs.made, files[i + 1].c_str (), nullptr);
      g_autofree gchar *name = g_strdup_printf ("%" G_GUINT64_FORMAT ".m4s", times[i]);
      g_autofree gchar *stream_dir = g_strdup_printf ("%u", stream);
      g_autofree gchar *to_path = g_build_filename (dirs.content, "t", stream_dir, name, nullptr);
      write_text (to_path, read_text (from_path));
    }
  }
  g_autofree gchar *url = serve (test_server, dirs.content, "time", "time.mpd");
  download (dirs.data, url, "time");

  References references = dash_references (dirs.made, dirs.data);
  assert_plays_like ("time", dirs.data, references);
}
GST_END_TEST;

/* presentationTimeOffset: ffmpeg's timeline output with a PTO of 0.5 s on
 * both representations, so that the presentation starts 0.5 s into the
 * media and the first segments begin before the Period (the plan places
 * them at its start). Playback from the start shows the reference's frames
 * from media time 0.5 s on, and a seek to 3 s those from 3.5 s on.
 * ffmpeg's audio timeline counts from after the AAC priming (the init
 * segment's edit list cuts its first 1024 samples) while the fragments'
 * decode times, which qtdemux follows, count from before it: in media time
 * the audio starts that much later. */
GST_START_TEST (test_presentation_time_offset)
{
  Dirs dirs ("offset");
  std::string mpd = make_dash_mpd (dirs.content);
  replace (mpd, "<SegmentTemplate timescale=\"12800\"", "<SegmentTemplate timescale=\"12800\" presentationTimeOffset=\"6400\"");
  replace (mpd, "<SegmentTemplate timescale=\"44100\"", "<SegmentTemplate timescale=\"44100\" presentationTimeOffset=\"22050\"");
  replace (mpd, "mediaPresentationDuration=\"PT6.0S\"", "mediaPresentationDuration=\"PT5.5S\"");
  g_autofree gchar *mpd_path = g_build_filename (dirs.content, "offset.mpd", nullptr);
  write_text (mpd_path, mpd);
  g_autofree gchar *url = serve (test_server, dirs.content, "offset", "offset.mpd");
  download (dirs.data, url, "offset");

  g_autofree gchar *audio_init = g_build_filename (dirs.content, "init-stream1.m4s", nullptr);
  g_autofree gchar *audio_second = g_build_filename (dirs.content, "chunk-stream1-00002.m4s", nullptr);
  fail_unless_equals_int (static_cast<int> (timescale_of (audio_init)), 44100);
  gint64 behind = static_cast<gint64> (first_decode_time (audio_second)) - static_cast<gint64> (timeline_times (mpd, 1)[1]);
  fail_unless_equals_int (static_cast<int> (behind), 1024);
  const GstClockTime priming = gst_util_uint64_scale (1024, GST_SECOND, 44100);

  References references = dash_references (dirs.content, dirs.data);
  constexpr GstClockTime offset = 500 * GST_MSECOND;
  GPtrArray *offline = decode ("offline://offset", dirs.data);
  assert_same_from (offline, references.video, references.audio, offset, offset + priming, "from the start");
  g_ptr_array_unref (offline);
  assert_seek_same_as_reference ("offline://offset", dirs.data, 3 * GST_SECOND, references.video, references.audio,
      offset, offset + priming);
}
GST_END_TEST;

/* Three Periods over ffmpeg's 6 s of video (2 s segments), each under a
 * BaseURL of its own and with a presentationTimeOffset that starts it 2 s
 * further into the media: 0-2 s plays media 0-2 s, 2-4 s media 2-4 s,
 * 4-6 s media 4-6 s. The segments of each Period's timeline that end before
 * it or begin at its end or later are not fetched (ExoPlayer's
 * multi-period-with-offset sample played twice its frames as they were);
 * playback shows the reference's frames once each, and a seek to 3 s lands
 * in the second Period at media time 3 s. */
GST_START_TEST (test_periods_with_offsets_into_one_media)
{
  Dirs dirs ("offset-periods");
  MpdParts mpd = split_period (make_dash_mpd (dirs.made));
  std::string body = mpd.body;
  /* Video only: ffmpeg's audio segments do not end on the Periods' ends
   * (2.02 s, 4.017 s), and a segment that runs past its Period's end is
   * not clipped to it yet (docs/architecture.md). */
  size_t audio = body.find ("<AdaptationSet", body.find ("<AdaptationSet") + 1);
  fail_unless (audio != std::string::npos && body.find ("audio", audio) < body.find ('>', audio), "no audio set");
  body.erase (audio, body.find ("</AdaptationSet>", audio) + strlen ("</AdaptationSet>") - audio);
  std::string periods;
  for (guint p = 0; p < 3; p++) {
    std::string period = body;
    for (guint timescale : { 12800u }) {
      g_autofree gchar *from = g_strdup_printf ("<SegmentTemplate timescale=\"%u\"", timescale);
      g_autofree gchar *to = g_strdup_printf ("<SegmentTemplate timescale=\"%u\" presentationTimeOffset=\"%u\"",
          timescale, timescale * 2 * p);
      replace (period, from, to);
    }
    g_autofree gchar *head = g_strdup_printf ("<Period id=\"p%u\" start=\"PT%uS\" duration=\"PT2S\"><BaseURL>p%u/</BaseURL>",
        p, 2 * p, p);
    periods += head + period + "\n";
    copy_segments (dirs.made, dirs.content, "p" + std::to_string (p));
  }
  write_text (std::string (dirs.content) + "/three.mpd", mpd.head + periods + mpd.tail);
  g_autofree gchar *url = serve (test_server, dirs.content, "offset-periods", "three.mpd");
  download (dirs.data, url, "offset-periods");
  /* Only the segment of each Period's own 2 s was fetched. */
  for (guint p = 0; p < 3; p++) {
    for (guint chunk = 1; chunk <= 3; chunk++) {
      g_autofree gchar *path = g_strdup_printf ("/offset-periods/p%u/chunk-stream0-%05u.m4s", p, chunk);
      guint64 sent = ot_server_get_bytes_sent (test_server, path);
      fail_unless ((sent > 0) == (chunk == p + 1), "%s: %" G_GUINT64_FORMAT " bytes sent", path, sent);
    }
  }

  g_autofree gchar *reference_file = dash_reference (dirs.made, 0);
  g_autofree gchar *reference_uri = gst_filename_to_uri (reference_file, nullptr);
  GPtrArray *reference = decode (reference_uri, dirs.data);
  auto frames = frames_of (reference, "video");
  g_ptr_array_unref (reference);
  GPtrArray *offline = decode ("offline://offset-periods", dirs.data);
  assert_same (frames, frames_of (offline, "video"), "video of the three Periods");
  g_ptr_array_unref (offline);
  /* 3 s is a frame's start: the frames from there on, exactly. */
  offline = decode ("offline://offset-periods", dirs.data, 3 * GST_SECOND);
  assert_same (from (frames, 3 * GST_SECOND), frames_of (offline, "video"), "video after a seek to 3 s");
  g_ptr_array_unref (offline);
}
GST_END_TEST;

/* Two Periods over ffmpeg's 6 s (2 s segments, a keyframe every 2 s), cut
 * at 3 s, inside the second segments and inside a group of pictures: the
 * first Period plays media 0-3 s, the second (its presentationTimeOffset
 * 3 s) media 3-6 s, so both take the second segments, which run past the
 * first Period's end and begin before the second's. Playback shows each
 * frame of the media once, at its time, as the decode of the whole
 * representation does: the first Period stops at its end (its segment
 * stops there; ExoPlayer's multi-period-with-offset sample played 60
 * frames for 30 when it did not), and the decoders drain there, so that
 * the frames they hold of it come out before the second Period's (the
 * video decoder used to retime them all after the last one it saw). Also
 * after seeks before the cut and after it, and under uridecodebin3.
 *
 * The audio is cut too. Its fragments' decode times count from before the
 * AAC priming while ffmpeg's timeline counts from after it (see
 * test_presentation_time_offset), so the second Period, 3 s into the
 * timeline, starts one AAC frame after media time 3 s: the first Period's
 * last buffer is clipped at 3 s, the second's first one at 3 s + that
 * frame, and every other buffer is the reference's. */
GST_START_TEST (test_period_ends_inside_segments)
{
  Dirs dirs ("cut-periods");
  MpdParts mpd = split_period (make_dash_mpd (dirs.made, "-g 50 -keyint_min 50"));
  constexpr guint kCut = 3;
  std::string periods;
  for (guint p = 0; p < 2; p++) {
    std::string period = mpd.body;
    for (guint timescale : { 12800u, 44100u }) {
      g_autofree gchar *from_text = g_strdup_printf ("<SegmentTemplate timescale=\"%u\"", timescale);
      g_autofree gchar *to_text = g_strdup_printf ("<SegmentTemplate timescale=\"%u\" presentationTimeOffset=\"%u\"",
          timescale, timescale * kCut * p);
      replace (period, from_text, to_text);
    }
    g_autofree gchar *head = g_strdup_printf ("<Period id=\"p%u\" start=\"PT%uS\" duration=\"PT%uS\">", p, kCut * p,
        p == 0 ? kCut : kDashClipSeconds - kCut);
    periods += head + period + "\n";
  }
  write_text (std::string (dirs.made) + "/cut.mpd", mpd.head + periods + mpd.tail);
  g_autofree gchar *url = serve (test_server, dirs.made, "cut-periods", "cut.mpd");
  download (dirs.data, url, "cut-periods");

  /* The cut lies inside a group of pictures of the second video segment. */
  g_autofree gchar *init = g_build_filename (dirs.made, "init-stream0.m4s", nullptr);
  g_autofree gchar *second = g_build_filename (dirs.made, "chunk-stream0-00002.m4s", nullptr);
  fail_unless_equals_int (static_cast<int> (first_decode_time (second) / timescale_of (init)), 2);

  References references = dash_references (dirs.made, dirs.data);
  auto video = frames_of (references.video, "video");
  auto audio = frames_of (references.audio, "audio");
  const gint64 cut = kCut * GST_SECOND;
  const gint64 priming = static_cast<gint64> (gst_util_uint64_scale (1024, GST_SECOND, 44100));
  auto before = [] (const std::vector<Frame> &frames, gint64 pts, size_t skip = 0) {
    std::vector<Frame> result;
    for (size_t i = skip; i < frames.size (); i++) {
      if (frames[i].pts < pts)
        result.push_back (frames[i]);
    }
    return result;
  };
  auto count_within = [] (const std::vector<Frame> &frames, gint64 start, gint64 end) {
    return std::count_if (frames.begin (), frames.end (), [&] (const Frame &f) { return f.pts >= start && f.pts < end; });
  };

  /* Under uridecodebin3 too: the video decoder used to answer EOS for the
   * first Period's pictures past its stop, and decodebin3's multiqueue (of
   * GStreamer 1.22) could write that EOS back after the second Period's
   * segment cleared it and then refuse the second Period's first pictures
   * (2 to 4 decodes of 100 lost video after the cut, two decodes at a
   * time); cachesrc now cuts the segment at the stop
   * (docs/architecture.md, "The end of a Period"). */
  for (guint flags : { 0u, static_cast<guint> (OT_DECODE_URIDECODEBIN3) }) {
    const gchar *how = flags ? "uridecodebin3" : "uridecodebin";
    gchar *error = nullptr;
    GPtrArray *offline = ot_decode_checksums_full ("offline://cut-periods", dirs.data,
        static_cast<OtDecodeFlags> (OT_DECODE_NO_NETWORK | flags), GST_CLOCK_TIME_NONE, &error);
    fail_unless (offline != nullptr, "%s: decoding failed: %s", how, error);
    assert_same (video, frames_of (offline, "video"), how);
    auto played = frames_of (offline, "audio");
    fail_unless (!played.empty () && played[0].pts == 0, "%s: the audio does not start with the priming", how);
    /* Whole AAC frames before the cut but the first (the priming, see
     * assert_same_as_reference()), then one clipped at the cut, one clipped
     * at the second Period's start, and the rest. */
    assert_same (before (audio, cut - priming, 1), before (played, cut - priming, 1), how);
    fail_unless_equals_int (static_cast<int> (count_within (played, cut - priming, cut + priming + GST_MSECOND)), 2);
    assert_same (from (audio, cut + priming + GST_MSECOND), from (played, cut + priming + GST_MSECOND), how);
    g_ptr_array_unref (offline);
  }

  /* A seek before the cut plays across it, one after it in the second
   * Period (frame starts: the frames from there on, exactly). */
  GPtrArray *offline = decode ("offline://cut-periods", dirs.data, cut - 480 * GST_MSECOND);
  assert_same (from (video, cut - 480 * GST_MSECOND), frames_of (offline, "video"), "video after a seek before the cut");
  assert_same (from (audio, cut + priming + GST_MSECOND), from (frames_of (offline, "audio"), cut + priming + GST_MSECOND),
      "audio after a seek before the cut");
  g_ptr_array_unref (offline);
  assert_seek_same_as_reference ("offline://cut-periods", dirs.data, cut + 520 * GST_MSECOND, references.video,
      references.audio, 0, priming);
}
GST_END_TEST;

/* $Number$ with @duration gives nominal segment times, and ffmpeg cuts at
 * keyframes: with a keyframe every 1.2 s and 2 s segments the video
 * segments really start at 0, 2.4 and 4.8 s (nominally 0, 2 and 4 s), the
 * audio ones at 2.02 and 4.017 s. A seek lands in the segment that really
 * holds its target, and media time maps to presentation time as the
 * reference's does:
 * - 2.01 s lies after the nominal start of the second segments and before
 *   their real one: playback must start in the first segments;
 * - 4.5 s lies in the second video segment (2.4-4.8 s), which by its
 *   nominal times starts 0.4 s before its media time. */
GST_START_TEST (test_number_seek_accuracy)
{
  Dirs dirs ("accuracy");
  References references = download_dash (test_server, dirs, "accuracy", "-use_timeline 0 -g 30 -keyint_min 30");

  /* The content is what the test is about: real times are not nominal. */
  g_autofree gchar *init = g_build_filename (dirs.content, "init-stream0.m4s", nullptr);
  g_autofree gchar *second = g_build_filename (dirs.content, "chunk-stream0-00002.m4s", nullptr);
  GstClockTime second_start = gst_util_uint64_scale (first_decode_time (second), GST_SECOND, timescale_of (init));
  fail_unless (second_start == 2400 * GST_MSECOND, "the second video segment starts at %" GST_TIME_FORMAT,
      GST_TIME_ARGS (second_start));

  for (GstClockTime target : { 2010 * GST_MSECOND, 4500 * GST_MSECOND })
    assert_seek_same_as_reference ("offline://accuracy", dirs.data, target, references.video, references.audio);
}
GST_END_TEST;

/* An accurate seek to a segment's start shows the picture at that time
 * first. ffmpeg's H.264 is shown 2 frames after it is decoded: a segment
 * whose tfdt is 4.0 s shows its first picture at 4.08 s, and the pictures
 * of 4.0 and 4.04 s are the last ones of the segment before (as in the
 * reference decode of the whole file). A seek to 4.0 s used to start at
 * the later segment and show 4.08 s first. */
GST_START_TEST (test_seek_to_segment_start)
{
  Dirs dirs ("segment-start");
  References references = download_dash (test_server, dirs, "segment-start", nullptr);
  g_autofree gchar *init = g_build_filename (dirs.content, "init-stream0.m4s", nullptr);
  g_autofree gchar *third = g_build_filename (dirs.content, "chunk-stream0-00003.m4s", nullptr);
  fail_unless_equals_int (static_cast<int> (first_decode_time (third) / timescale_of (init)), 4);
  auto video = frames_of (references.video, "video");
  for (gint64 target : { 2 * GST_SECOND, 4 * GST_SECOND }) {
    fail_unless (std::any_of (video.begin (), video.end (), [&] (const Frame &f) { return f.pts == target; }),
        "no picture at %" GST_TIME_FORMAT " in the reference", GST_TIME_ARGS (target));
    assert_seek_same_as_reference ("offline://segment-start", dirs.data, target, references.video, references.audio);
  }
}
GST_END_TEST;

static Suite *
dash_playback_suite (void)
{
  Suite *s = suite_create ("dash-playback");
  TCase *tc = adaptive_tcase ("layouts");
  tcase_add_test (tc, test_single_file_segment_list);
  tcase_add_test (tc, test_segment_base_sidx);
  tcase_add_test (tc, test_nested_base_urls);
  tcase_add_test (tc, test_time_template);
  tcase_add_test (tc, test_presentation_time_offset);
  tcase_add_test (tc, test_periods_with_offsets_into_one_media);
  tcase_add_test (tc, test_period_ends_inside_segments);
  tcase_add_test (tc, test_number_seek_accuracy);
  tcase_add_test (tc, test_seek_to_segment_start);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (dash_playback);
