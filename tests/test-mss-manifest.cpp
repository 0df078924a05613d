/* The pure Smooth Streaming manifest parser: attributes, c elements with t,
 * d and r, Url templates, fragment URL resolution, protection, tracks and
 * stream keys, hostile input, and manifests made by ffmpeg's smoothstreaming
 * muxer checked against the fragment files it wrote.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tracks/mss-tracks.h"
#include "tracks/track-selection.h"
#include "manifest/mss/manifest-parser.h"

#include <gst/check/gstcheck.h>
#include <gst/offline/offline-error.h>

#include "test-support.h"

#include <set>
#include <string>
#include <vector>

using namespace gst_offline::mss;

static const char *kManifestUrl = "http://example.com/vod/Movie.ism/Manifest";

static Manifest parse_ok (const std::string &xml, const char *url = kManifestUrl)
{
  g_autoptr (GError) error = nullptr;
  auto manifest = parse_manifest (xml, url, &error);
  fail_unless (manifest.has_value (), "parse failed: %s", error ? error->message : "(no error)");
  fail_unless (error == nullptr);
  return std::move (*manifest);
}

static void parse_fails (const std::string &xml, GstOfflineError code, const char *part)
{
  g_autoptr (GError) error = nullptr;
  auto manifest = parse_manifest (xml, kManifestUrl, &error);
  fail_unless (!manifest.has_value (), "parsing should have failed with '%s'", part);
  fail_unless (error != nullptr);
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, code), "code %d, expected %d: %s", error->code, code,
      error->message);
  fail_unless (strstr (error->message, part) != nullptr, "'%s' does not contain '%s'", error->message, part);
}

static std::vector<FragmentRef> expand (const Manifest &m, guint stream, guint level)
{
  g_autoptr (GError) error = nullptr;
  auto refs = expand_fragments (m, m.streams[stream], m.streams[stream].quality_levels[level], &error);
  fail_unless (refs.has_value (), "%s", error ? error->message : "");
  /* One at a time: the same fragments in the same order. */
  std::vector<FragmentRef> given;
  fail_unless (expand_fragments (m, m.streams[stream], m.streams[stream].quality_levels[level],
      [&given] (FragmentRef &&ref, GError **) {
        given.push_back (std::move (ref));
        return true;
      },
      &error));
  fail_unless_equals_int (given.size (), refs->size ());
  for (size_t i = 0; i < given.size (); i++)
    fail_unless (given[i].url == (*refs)[i].url && given[i].start_ns == (*refs)[i].start_ns
        && given[i].duration_ns == (*refs)[i].duration_ns);
  return std::move (*refs);
}

static const char *kVod = R"~(<?xml version="1.0" encoding="utf-8"?>
<SmoothStreamingMedia MajorVersion="2" MinorVersion="2" Duration="120000000" TimeScale="10000000">
  <StreamIndex Type="video" Name="video" Chunks="4" QualityLevels="2" MaxWidth="1280" MaxHeight="720"
      Url="QualityLevels({bitrate})/Fragments(video={start time})">
    <QualityLevel Index="0" Bitrate="1500000" FourCC="H264" MaxWidth="1280" MaxHeight="720"
        CodecPrivateData="000000016764001FACD9405005BB011000000300100000030320F18319A00000000168EBECB22C"/>
    <QualityLevel Index="1" Bitrate="400000" FourCC="AVC1" MaxWidth="640" MaxHeight="360" CodecPrivateData=""/>
    <c t="0" d="20000000" r="3"/>
    <c d="60000000"/>
  </StreamIndex>
  <StreamIndex Type="audio" Name="audio_eng" Language="eng" TimeScale="44100" Chunks="2" QualityLevels="1"
      Url="QualityLevels({Bitrate})/Fragments(audio_eng={start_time})">
    <QualityLevel Index="0" Bitrate="128000" FourCC="AACL" SamplingRate="44100" Channels="2" BitsPerSample="16"
        PacketSize="4" AudioTag="255" CodecPrivateData="1210"/>
    <c t="1000" d="88200"/>
    <c d="441000"/>
  </StreamIndex>
  <StreamIndex Type="text" Subtype="CAPT" Name="subs" Language="fr" Url="Q({bitrate})/F(subs={start time})">
    <QualityLevel Index="0" Bitrate="1000" FourCC="TTML"/>
    <c d="120000000"/>
  </StreamIndex>
</SmoothStreamingMedia>)~";

GST_START_TEST (test_vod_attributes)
{
  Manifest m = parse_ok (kVod);
  fail_unless_equals_uint64 (m.timescale, 10000000);
  fail_unless (m.duration && *m.duration == 120000000);
  fail_unless_equals_int (m.streams.size (), 3);
  fail_unless (m.protection.empty () && !m.has_playready ());

  const StreamIndex &video = m.streams[0];
  fail_unless (video.type == StreamType::Video);
  fail_unless_equals_string (video.name.c_str (), "video");
  fail_unless_equals_uint64 (video.timescale, 10000000);
  fail_unless_equals_int (video.quality_levels.size (), 2);
  const QualityLevel &hd = video.quality_levels[0];
  fail_unless_equals_uint64 (hd.bitrate, 1500000);
  fail_unless_equals_string (hd.fourcc.c_str (), "H264");
  fail_unless (hd.max_width == 1280u && hd.max_height == 720u);
  /* CodecPrivateData, spelled in either case, is kept as bytes. */
  fail_unless (hd.codec_private_data.compare (0, 8, std::string ("\x00\x00\x00\x01\x67\x64\x00\x1f", 8)) == 0);
  fail_unless_equals_int (video.quality_levels[1].index, 1);

  /* r repeats: t=0 d=2s r=3 gives 0, 2, 4 s; the next c follows at 6 s. */
  fail_unless_equals_int (video.fragments.size (), 4);
  const guint64 starts[] = { 0, 20000000, 40000000, 60000000 };
  for (int i = 0; i < 4; i++)
    fail_unless_equals_uint64 (video.fragments[i].start, starts[i]);
  fail_unless_equals_uint64 (video.fragments[3].duration, 60000000);

  const StreamIndex &audio = m.streams[1];
  fail_unless (audio.type == StreamType::Audio);
  fail_unless_equals_string (audio.language.c_str (), "eng");
  fail_unless_equals_uint64 (audio.timescale, 44100);
  const QualityLevel &aac = audio.quality_levels[0];
  fail_unless (aac.sampling_rate == 44100u && aac.channels == 2u && aac.bits_per_sample == 16u && aac.packet_size == 4u
      && aac.audio_tag == 255u);
  fail_unless_equals_uint64 (audio.fragments[1].start, 89200);

  const StreamIndex &text = m.streams[2];
  fail_unless (text.type == StreamType::Text);
  fail_unless_equals_string (text.subtype.c_str (), "CAPT");
  fail_unless_equals_uint64 (text.fragments[0].start, 0);
}
GST_END_TEST;

GST_START_TEST (test_fragment_urls)
{
  Manifest m = parse_ok (kVod);
  auto video = expand (m, 0, 1);
  fail_unless_equals_int (video.size (), 4);
  fail_unless_equals_string (video[0].url.c_str (), "http://example.com/vod/Movie.ism/QualityLevels(400000)/Fragments(video=0)");
  fail_unless_equals_string (video[2].url.c_str (),
      "http://example.com/vod/Movie.ism/QualityLevels(400000)/Fragments(video=40000000)");
  fail_unless_equals_uint64 (video[2].start_ns, 4 * GST_SECOND);
  fail_unless_equals_uint64 (video[3].duration_ns, 6 * GST_SECOND);

  auto audio = expand (m, 1, 0);
  fail_unless_equals_string (audio[1].url.c_str (),
      "http://example.com/vod/Movie.ism/QualityLevels(128000)/Fragments(audio_eng=89200)");
  fail_unless_equals_uint64 (audio[1].start_ns, gst_util_uint64_scale (89200, GST_SECOND, 44100));
  fail_unless_equals_uint64 (audio[0].start_ns + audio[0].duration_ns, audio[1].start_ns);

  /* A manifest URL with a query, and an absolute Url. */
  Manifest q = parse_ok (kVod, "https://cdn.example.org/a/b/Movie.ism/Manifest?token=1");
  std::string q_url = expand (q, 2, 0)[0].url;
  fail_unless_equals_string (q_url.c_str (), "https://cdn.example.org/a/b/Movie.ism/Q(1000)/F(subs=0)");
  std::string absolute = R"~(<SmoothStreamingMedia Duration="1"><StreamIndex Type="video"
      Url="http://other.example/x/QualityLevels({bitrate})/Fragments(v={start time})">
      <QualityLevel Bitrate="1"/><c d="5"/></StreamIndex></SmoothStreamingMedia>)~";
  Manifest a = parse_ok (absolute);
  std::string a_url = expand (a, 0, 0)[0].url;
  fail_unless_equals_string (a_url.c_str (), "http://other.example/x/QualityLevels(1)/Fragments(v=0)");
  /* No Index: the position. Default TimeScale. */
  fail_unless_equals_int (a.streams[0].quality_levels[0].index, 0);
  fail_unless_equals_uint64 (a.streams[0].timescale, kDefaultTimeScale);

  /* An unknown placeholder is an error, not a URL with braces. */
  std::string custom = R"~(<SmoothStreamingMedia><StreamIndex Type="video"
      Url="QualityLevels({bitrate},{Unknown})/Fragments(v={start time})">
      <QualityLevel Bitrate="1"/><c d="5"/></StreamIndex></SmoothStreamingMedia>)~";
  Manifest c = parse_ok (custom);
  g_autoptr (GError) error = nullptr;
  fail_unless (!expand_fragments (c, c.streams[0], c.streams[0].quality_levels[0], &error));
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT));
  fail_unless (strstr (error->message, "placeholder") != nullptr, "%s", error->message);
}
GST_END_TEST;

GST_START_TEST (test_chunk_times)
{
  /* Absent first t is 0; a later t jumps (a gap); absent t follows on. */
  Manifest m = parse_ok (R"~(<SmoothStreamingMedia><StreamIndex Type="audio" Url="F({start time})">
      <QualityLevel Bitrate="1"/><c d="10" r="2"/><c t="100" d="7"/><c d="3"/></StreamIndex></SmoothStreamingMedia>)~");
  const auto &f = m.streams[0].fragments;
  fail_unless_equals_int (f.size (), 4);
  const guint64 starts[] = { 0, 10, 100, 107 };
  for (int i = 0; i < 4; i++)
    fail_unless_equals_uint64 (f[i].start, starts[i]);

  /* StreamIndex TimeScale overrides the manifest's, which overrides the default. */
  Manifest ts = parse_ok (R"~(<SmoothStreamingMedia TimeScale="1000"><StreamIndex Type="video" Url="F({start time})">
      <QualityLevel Bitrate="1"/><c d="500"/></StreamIndex><StreamIndex Type="audio" TimeScale="48000" Url="A({start time})">
      <QualityLevel Bitrate="1"/><c d="48000"/></StreamIndex></SmoothStreamingMedia>)~");
  fail_unless_equals_uint64 (ts.streams[0].timescale, 1000);
  fail_unless_equals_uint64 (expand (ts, 0, 0)[0].duration_ns, GST_SECOND / 2);
  fail_unless_equals_uint64 (expand (ts, 1, 0)[0].duration_ns, GST_SECOND);
}
GST_END_TEST;

GST_START_TEST (test_live_and_protection)
{
  parse_fails (R"~(<SmoothStreamingMedia IsLive="TRUE"><StreamIndex Type="video" Url="F({start time})">
      <QualityLevel Bitrate="1"/><c d="5"/></StreamIndex></SmoothStreamingMedia>)~",
      GST_OFFLINE_ERROR_UNSUPPORTED, "live Smooth Streaming is not supported");
  /* IsLive="FALSE" is VOD. */
  parse_ok (R"~(<SmoothStreamingMedia IsLive="FALSE"><StreamIndex Type="video" Url="F({start time})">
      <QualityLevel Bitrate="1"/><c d="5"/></StreamIndex></SmoothStreamingMedia>)~");

  Manifest m = parse_ok (R"~(<SmoothStreamingMedia Duration="5">
      <Protection><ProtectionHeader SystemID="{9A04F079-9840-4286-AB92-E65BE0885F95}">
        AAAAAAAA
      </ProtectionHeader></Protection>
      <StreamIndex Type="video" Url="F({start time})"><QualityLevel Bitrate="1"/><c d="5"/></StreamIndex>
      </SmoothStreamingMedia>)~");
  fail_unless_equals_int (m.protection.size (), 1);
  fail_unless_equals_string (m.protection[0].system_id.c_str (), kPlayReadySystemId);
  fail_unless_equals_string (m.protection[0].header.c_str (), "AAAAAAAA");
  fail_unless (m.has_playready ());
  auto tracks = gst_offline::mss_tracks (m);
  fail_unless_equals_int (tracks[0].protection_systems.size (), 1);
  fail_unless_equals_string (tracks[0].protection_systems[0].c_str (), kPlayReadySystemId);

  parse_fails (R"~(<SmoothStreamingMedia><Protection><ProtectionHeader SystemID="playready">x</ProtectionHeader>
      </Protection><StreamIndex Type="video" Url="F({start time})"><QualityLevel Bitrate="1"/><c d="5"/></StreamIndex>
      </SmoothStreamingMedia>)~", GST_OFFLINE_ERROR_INVALID_ARGUMENT, "SystemID");
}
GST_END_TEST;

GST_START_TEST (test_tracks_and_stream_keys)
{
  Manifest m = parse_ok (kVod);
  auto tracks = gst_offline::mss_tracks (m);
  fail_unless_equals_int (tracks.size (), 4);
  fail_unless_equals_string (tracks[0].stream_key.c_str (), "0.0");
  fail_unless_equals_string (tracks[1].stream_key.c_str (), "0.1");
  fail_unless_equals_string (tracks[2].stream_key.c_str (), "1.0");
  fail_unless_equals_string (tracks[3].stream_key.c_str (), "2.0");
  fail_unless (tracks[0].type == gst_offline::TrackType::Video);
  fail_unless (tracks[1].height == 360u && tracks[1].bandwidth == 400000);
  fail_unless_equals_string (tracks[1].codecs.c_str (), "AVC1");
  fail_unless (tracks[2].type == gst_offline::TrackType::Audio && tracks[2].sampling_rate == 44100u);
  fail_unless_equals_string (tracks[2].channels->c_str (), "2");
  fail_unless_equals_string (tracks[2].language.c_str (), "eng");
  fail_unless (tracks[3].type == gst_offline::TrackType::Text);

  /* A QualityLevel without FourCC has its StreamIndex's Subtype. */
  std::string no_fourcc = kVod;
  no_fourcc.replace (no_fourcc.find ("FourCC=\"AACL\""), 13, "");
  no_fourcc.replace (no_fourcc.find ("Name=\"audio_eng\""), 0, "Subtype=\"AACL\" ");
  auto subtype_tracks = gst_offline::mss_tracks (parse_ok (no_fourcc));
  fail_unless_equals_string (subtype_tracks[2].codecs.c_str (), "AACL");

  gst_offline::TrackSelection selection;
  selection.video.kind = gst_offline::TrackSpec::Kind::Worst;
  g_autoptr (GError) error = nullptr;
  auto keys = gst_offline::select_tracks (tracks, selection, &error);
  fail_unless (keys.has_value ());
  fail_unless (*keys == std::vector<std::string> ({ "0.1", "1.0", "2.0" }));

  auto ref = gst_offline::parse_mss_stream_key ("1.0", m, &error);
  fail_unless (ref && ref->stream == 1 && ref->level == 0);
  for (const char *bad : { "", "1", "1.", ".1", "1.0.0", "a.b", "-1.0", "1.0x", "01.0", "1.00", "1..0",
           "18446744073709551616.0" }) {
    g_clear_error (&error);
    fail_unless (!gst_offline::parse_mss_stream_key (bad, m, &error), "'%s' accepted", bad);
    fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT));
  }
  g_clear_error (&error);
  fail_unless (!gst_offline::parse_mss_stream_key ("0.2", m, &error));
  fail_unless (strstr (error->message, "names no QualityLevel") != nullptr);
}
GST_END_TEST;

GST_START_TEST (test_malformed_manifests)
{
  const auto I = GST_OFFLINE_ERROR_INVALID_ARGUMENT;
  parse_fails ("", I, "not XML");
  parse_fails ("<SmoothStreamingMedia>", I, "not XML");
  parse_fails ("<MPD/>", I, "<MPD>");
  parse_fails ("<SmoothStreamingMedia/>", I, "no StreamIndex");
  parse_fails (R"~(<SmoothStreamingMedia TimeScale="x"><StreamIndex/></SmoothStreamingMedia>)~", I, "TimeScale");
  parse_fails (R"~(<SmoothStreamingMedia TimeScale="0"><StreamIndex/></SmoothStreamingMedia>)~", I, "TimeScale");
  parse_fails (R"~(<SmoothStreamingMedia Duration="-1"><StreamIndex/></SmoothStreamingMedia>)~", I, "Duration");
  parse_fails (R"~(<SmoothStreamingMedia><StreamIndex Url="F"><QualityLevel Bitrate="1"/><c d="1"/></StreamIndex>
      </SmoothStreamingMedia>)~", I, "StreamIndex 0 has no Type");
  parse_fails (R"~(<SmoothStreamingMedia><StreamIndex Type="video"><QualityLevel Bitrate="1"/><c d="1"/></StreamIndex>
      </SmoothStreamingMedia>)~", I, "has no Url");
  /* A StreamIndex without QualityLevels or fragments is skipped: none left. */
  parse_fails (R"~(<SmoothStreamingMedia><StreamIndex Type="video" Url="F"><c d="1"/></StreamIndex>
      </SmoothStreamingMedia>)~", I, "no StreamIndex with a QualityLevel and fragments");
  parse_fails (R"~(<SmoothStreamingMedia><StreamIndex Type="video" Url="F"><QualityLevel Bitrate="1"/></StreamIndex>
      </SmoothStreamingMedia>)~", I, "no StreamIndex with a QualityLevel and fragments");
  parse_fails (R"~(<SmoothStreamingMedia><StreamIndex Type="video" Url="F"><QualityLevel/><c d="1"/></StreamIndex>
      </SmoothStreamingMedia>)~", I, "QualityLevel 0 has no Bitrate");
  parse_fails (R"~(<SmoothStreamingMedia><StreamIndex Type="video" Url="F"><QualityLevel Bitrate="1"
      CodecPrivateData="ABC"/><c d="1"/></StreamIndex></SmoothStreamingMedia>)~", I, "CodecPrivateData");
  parse_fails (R"~(<SmoothStreamingMedia><StreamIndex Type="video" Url="F"><QualityLevel Bitrate="1"
      CodecPrivateData="zz"/><c d="1"/></StreamIndex></SmoothStreamingMedia>)~", I, "CodecPrivateData");
  parse_fails (R"~(<SmoothStreamingMedia><StreamIndex Type="video" Url="F"><QualityLevel Bitrate="1"
      MaxWidth="wide"/><c d="1"/></StreamIndex></SmoothStreamingMedia>)~", I, "MaxWidth");
  parse_fails (R"~(<SmoothStreamingMedia><StreamIndex Type="video" Url="F"><QualityLevel Bitrate="1"/><c t="5"/>
      </StreamIndex></SmoothStreamingMedia>)~", I, "c 0 has no duration");
  parse_fails (R"~(<SmoothStreamingMedia><StreamIndex Type="video" Url="F"><QualityLevel Bitrate="1"/><c d="0"/>
      </StreamIndex></SmoothStreamingMedia>)~", I, "c 0 has no duration");
  parse_fails (R"~(<SmoothStreamingMedia><StreamIndex Type="video" Url="F"><QualityLevel Bitrate="1"/><c d="1" r="0"/>
      </StreamIndex></SmoothStreamingMedia>)~", I, "r=\"0\"");
  parse_fails (R"~(<SmoothStreamingMedia><StreamIndex Type="video" Url="F"><QualityLevel Bitrate="1"/><c d="1" t=" 1"/>
      </StreamIndex></SmoothStreamingMedia>)~", I, "c 0: t=");
  parse_fails (R"~(<SmoothStreamingMedia><StreamIndex Type="video" Url="F"><QualityLevel Bitrate="1"/><c t="100" d="10"/>
      <c t="50" d="10"/></StreamIndex></SmoothStreamingMedia>)~", I, "before the previous fragment ends");
  parse_fails (R"~(<SmoothStreamingMedia><StreamIndex Type="video" Url="F"><QualityLevel Bitrate="1"/>
      <c t="18446744073709551000" d="1000"/></StreamIndex></SmoothStreamingMedia>)~", I, "largest time");
  parse_fails (R"~(<SmoothStreamingMedia><StreamIndex Type="video" Url="F"><QualityLevel Bitrate="1"/>
      <c d="1" r="99999999999999999999"/></StreamIndex></SmoothStreamingMedia>)~", I, "r=");
}
GST_END_TEST;

GST_START_TEST (test_hostile_sizes)
{
  /* A huge r is refused before anything is expanded. */
  parse_fails (R"~(<SmoothStreamingMedia><StreamIndex Type="video" Url="F"><QualityLevel Bitrate="1"/>
      <c d="1" r="4000000000"/></StreamIndex></SmoothStreamingMedia>)~", GST_OFFLINE_ERROR_INVALID_ARGUMENT, "fragments");
  /* The per-manifest cap across StreamIndexes. */
  std::string many = "<SmoothStreamingMedia>";
  for (int i = 0; i < 5; i++)
    many += R"~(<StreamIndex Type="video" Url="F"><QualityLevel Bitrate="1"/><c d="1" r="900000"/></StreamIndex>)~";
  many += "</SmoothStreamingMedia>";
  parse_fails (many, GST_OFFLINE_ERROR_INVALID_ARGUMENT, "in all");
  /* Larger than accepted. */
  std::string big (kMaxManifestSize + 1, ' ');
  parse_fails (big, GST_OFFLINE_ERROR_INVALID_ARGUMENT, "larger than");
  /* DOCTYPE and entities. */
  parse_fails (R"~(<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
      <SmoothStreamingMedia Duration="&lol2;"/>)~", GST_OFFLINE_ERROR_INVALID_ARGUMENT, "DOCTYPE");
  parse_fails (R"~(<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd"><SmoothStreamingMedia/>)~",
      GST_OFFLINE_ERROR_INVALID_ARGUMENT, "DOCTYPE");
}
GST_END_TEST;

/* Found by fuzzing: a 2 KiB Url repeated by r="1000000" took 2.1 GB and
 * 14 s to expand; the list's size is now known and refused first. Host-less
 * URLs GLib cannot write out are an error, not a NULL read. */
GST_START_TEST (test_fragment_list_budget_and_bad_urls)
{
  std::string long_url = std::string (2048, 'u') + "/{start time}";
  Manifest m = parse_ok ("<SmoothStreamingMedia><StreamIndex Type=\"video\" Name=\"v\" Url=\"" + long_url
      + "\"><QualityLevel Bitrate=\"1\"/><c d=\"1\" r=\"1000000\"/></StreamIndex></SmoothStreamingMedia>");
  g_autoptr (GError) error = nullptr;
  auto refs = expand_fragments (m, m.streams[0], m.streams[0].quality_levels[0], &error);
  fail_if (refs.has_value ());
  fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT));
  fail_unless (strstr (error->message, "64 MiB allowed for a fragment list"), "%s", error->message);
  g_clear_error (&error);
  /* Placeholders as many as the Url holds, each replaced (this was quadratic). */
  std::string many;
  for (int i = 0; i < 20000; i++)
    many += "{bitrate}{start time}";
  m = parse_ok ("<SmoothStreamingMedia><StreamIndex Type=\"video\" Url=\"" + many
      + "\"><QualityLevel Bitrate=\"7\"/><c t=\"3\" d=\"1\"/></StreamIndex></SmoothStreamingMedia>");
  auto expanded = expand (m, 0, 0);
  std::string expected_path;
  for (int i = 0; i < 20000; i++)
    expected_path += "73";
  std::string expected_url = "http://example.com/vod/Movie.ism/" + expected_path;
  fail_unless (expanded[0].url == expected_url, "%.80s... (%zu bytes)", expanded[0].url.c_str (), expanded[0].url.size ());
  /* A Url resolving to no URL. */
  m = parse_ok ("<SmoothStreamingMedia><StreamIndex Type=\"video\" Url=\"https:/..//x\"><QualityLevel Bitrate=\"1\"/>"
      "<c d=\"1\"/></StreamIndex></SmoothStreamingMedia>");
  refs = expand_fragments (m, m.streams[0], m.streams[0].quality_levels[0], &error);
  fail_if (refs.has_value ());
  fail_unless (strstr (error->message, "which is no URL"), "%s", error->message);
}
GST_END_TEST;

/* Real manifests have an empty text StreamIndex (no QualityLevel, no
 * fragments, sometimes no Url): mssdemux2 plays the others, so it is
 * skipped rather than the whole manifest refused. */
GST_START_TEST (test_empty_stream_index_is_skipped)
{
  Manifest m = parse_ok (R"~(<SmoothStreamingMedia Duration="10">
      <StreamIndex Type="text" Name="textstream_eng" Language="eng" Subtype="SUBT" Chunks="0" QualityLevels="0"/>
      <StreamIndex Type="video" Url="Q({bitrate})/F(video={start time})"><QualityLevel Bitrate="1" FourCC="H264"/>
        <c d="10"/></StreamIndex>
      <StreamIndex Type="text" Url="T({bitrate})/F({start time})"><QualityLevel Bitrate="1"/></StreamIndex>
    </SmoothStreamingMedia>)~");
  fail_unless_equals_int (m.streams.size (), 1);
  fail_unless (m.streams[0].type == StreamType::Video);

  /* {CustomAttributes}: the QualityLevel's CustomAttributes, Name=Value. */
  m = parse_ok (R"~(<SmoothStreamingMedia><StreamIndex Type="video"
      Url="QualityLevels({bitrate},{CustomAttributes})/Fragments(video={start_time})">
      <QualityLevel Bitrate="1536000" FourCC="WVC1"><CustomAttributes><Attribute Name="Compatibility" Value="Desktop"/>
      <Attribute Name="hd" Value="1"/></CustomAttributes></QualityLevel><c t="20" d="10"/></StreamIndex>
    </SmoothStreamingMedia>)~");
  auto refs = expand (m, 0, 0);
  fail_unless_equals_string (refs[0].url.c_str (),
      "http://example.com/vod/Movie.ism/QualityLevels(1536000,Compatibility=Desktop,hd=1)/Fragments(video=20)");
}
GST_END_TEST;

/* ffmpeg's smoothstreaming muxer: two video QualityLevels and one audio. */
static gchar *make_smooth (const char *name)
{
  gchar *dir = ot_make_temp_dir (name);
  g_autofree gchar *ism = g_build_filename (dir, "movie.ism", nullptr);
  const char *argv[] = { "ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-f",
    "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "6", "-map", "0:v", "-map", "0:v", "-map", "1:a",
    "-c:v", "libx264", "-g", "25", "-pix_fmt", "yuv420p", "-s:v:0", "320x180", "-s:v:1", "640x360", "-b:v:0", "200k",
    "-b:v:1", "800k", "-c:a", "aac", "-min_frag_duration", "2000000", "-f", "smoothstreaming", ism, nullptr };
  gchar *err = nullptr;
  gint status = 0;
  GError *error = nullptr;
  fail_unless (ot_spawn_sync (dir, (gchar **) argv, nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr, nullptr, &err,
      &status, &error), "%s", error ? error->message : "");
  fail_unless (g_spawn_check_wait_status (status, nullptr), "ffmpeg failed: %s", err);
  g_free (err);
  return dir;
}

/* The fragment files ffmpeg wrote, as paths relative to the .ism folder. */
static std::set<std::string> fragment_files (const char *ism)
{
  std::set<std::string> files;
  g_autoptr (GDir) d = g_dir_open (ism, 0, nullptr);
  while (const gchar *level = g_dir_read_name (d)) {
    g_autofree gchar *sub = g_build_filename (ism, level, nullptr);
    if (!g_file_test (sub, G_FILE_TEST_IS_DIR))
      continue;
    g_autoptr (GDir) l = g_dir_open (sub, 0, nullptr);
    while (const gchar *name = g_dir_read_name (l))
      if (g_str_has_prefix (name, "Fragments("))
        files.insert (std::string (level) + "/" + name);
  }
  return files;
}

/* The smallest start time of `kind` fragments in the first QualityLevel
 * folder that has them. */
static guint64 first_start (const std::set<std::string> &files, const std::string &kind)
{
  guint64 best = G_MAXUINT64;
  std::string prefix = "Fragments(" + kind + "=";
  for (const auto &f : files) {
    size_t at = f.find (prefix);
    if (at != std::string::npos)
      best = MIN (best, g_ascii_strtoull (f.c_str () + at + prefix.size (), nullptr, 10));
  }
  return best;
}

GST_START_TEST (test_ffmpeg_smoothstreaming)
{
  g_autofree gchar *dir = make_smooth ("ffmpeg-mss");
  g_autofree gchar *ism = g_build_filename (dir, "movie.ism", nullptr);
  g_autofree gchar *manifest_path = g_build_filename (ism, "Manifest", nullptr);
  g_autofree gchar *raw = nullptr;
  fail_unless (g_file_get_contents (manifest_path, &raw, nullptr, nullptr));
  std::set<std::string> files = fragment_files (ism);
  fail_unless (files.size () >= 9, "ffmpeg wrote %zu fragments", files.size ());

  /* As written: the first c has no t, which counts as 0; the times and the
   * fragment names disagree (ffmpeg 5.1 names them by their real start). */
  Manifest as_written = parse_ok (raw, "http://127.0.0.1/x/movie.ism/Manifest");
  fail_unless_equals_int (as_written.streams.size (), 2);
  fail_unless_equals_uint64 (as_written.streams[0].fragments[0].start, 0);

  /* With the first t added, the expansion lists exactly the files. */
  std::string fixed = raw;
  for (const char *kind : { "video", "audio" }) {
    guint64 t = first_start (files, kind);
    fail_unless (t != G_MAXUINT64);
    std::string marker = std::string ("Fragments(") + kind + "={start time})\">";
    size_t at = fixed.find (marker);
    fail_unless (at != std::string::npos);
    size_t c = fixed.find ("<c ", at);
    fail_unless (c != std::string::npos);
    fixed.insert (c + 3, "t=\"" + std::to_string (t) + "\" ");
  }
  const std::string base = "http://127.0.0.1/x/movie.ism/";
  Manifest m = parse_ok (fixed, (base + "Manifest").c_str ());
  std::set<std::string> expanded;
  size_t count = 0;
  for (guint s = 0; s < m.streams.size (); s++) {
    for (guint q = 0; q < m.streams[s].quality_levels.size (); q++) {
      auto refs = expand (m, s, q);
      for (size_t i = 0; i < refs.size (); i++) {
        fail_unless (g_str_has_prefix (refs[i].url.c_str (), base.c_str ()), "%s", refs[i].url.c_str ());
        expanded.insert (refs[i].url.substr (base.size ()));
        count++;
        if (i > 0)
          fail_unless_equals_uint64 (refs[i - 1].start_ns + refs[i - 1].duration_ns, refs[i].start_ns);
      }
    }
  }
  fail_unless_equals_int (count, expanded.size ());
  fail_unless (expanded == files, "the expansion differs from the files ffmpeg wrote");

  const StreamIndex &video = m.streams[0];
  fail_unless (video.type == StreamType::Video && video.quality_levels.size () == 2);
  fail_unless_equals_string (video.quality_levels[0].fourcc.c_str (), "H264");
  fail_unless (video.quality_levels[1].max_height == 360u);
  fail_unless (!video.quality_levels[1].codec_private_data.empty ());
  const StreamIndex &audio = m.streams[1];
  fail_unless_equals_string (audio.quality_levels[0].fourcc.c_str (), "AACL");
  fail_unless (audio.quality_levels[0].sampling_rate == 44100u);
}
GST_END_TEST;

static Suite *mss_manifest_suite (void)
{
  Suite *s = suite_create ("mss-manifest");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_vod_attributes);
  tcase_add_test (tc, test_fragment_urls);
  tcase_add_test (tc, test_chunk_times);
  tcase_add_test (tc, test_live_and_protection);
  tcase_add_test (tc, test_tracks_and_stream_keys);
  tcase_add_test (tc, test_malformed_manifests);
  tcase_add_test (tc, test_hostile_sizes);
  tcase_add_test (tc, test_fragment_list_budget_and_bad_urls);
  tcase_add_test (tc, test_empty_stream_index_is_skipped);
  tcase_add_test (tc, test_ffmpeg_smoothstreaming);
  return s;
}

GST_CHECK_MAIN (mss_manifest);
