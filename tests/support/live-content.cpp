/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "live-content.h"

#include "adaptive-content.h"

namespace ot {

void
make_live_video (const std::string &dir)
{
  g_mkdir_with_parents (dir.c_str (), 0700);
  g_autofree gchar *video = g_strdup_printf ("testsrc2=size=320x240:rate=25:duration=%u", kLiveClipSeconds);
  run_or_fail ({ "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", video,
                   "-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0",
                   "-bf", "0", "-pix_fmt", "yuv420p", "-threads", "1", "-fflags", "+bitexact", "-flags:v", "+bitexact",
                   "-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod", "-hls_segment_filename", "seg%d.ts",
                   "index.m3u8" },
      dir.c_str ());
}

void
make_live_audio (const std::string &dir, guint frequency)
{
  g_mkdir_with_parents (dir.c_str (), 0700);
  g_autofree gchar *sine = g_strdup_printf ("sine=frequency=%u:beep_factor=4:sample_rate=44100:duration=%u",
      frequency, kLiveClipSeconds);
  run_or_fail ({ "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", sine, "-c:a",
                   "aac", "-b:a", "64k", "-ac", "2", "-flags:a", "+bitexact", "-fflags", "+bitexact", "-f", "hls",
                   "-hls_time", "1", "-hls_playlist_type", "vod", "-hls_segment_filename", "seg%d.ts", "index.m3u8" },
      dir.c_str ());
}

std::string
live_master_playlist (const std::vector<LiveRendition> &audio)
{
  std::string text = "#EXTM3U\n#EXT-X-VERSION:3\n";
  for (const LiveRendition &r : audio)
    text += "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"" + r.name + "\",LANGUAGE=\"" + r.language
        + "\",DEFAULT=" + (r.main ? "YES" : "NO") + ",AUTOSELECT=YES,URI=\"" + r.track + "/index.m3u8\"\n";
  return text + "#EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=320x240,CODECS=\"avc1.64000d,mp4a.40.2\",AUDIO=\"aud\"\n"
      "video/index.m3u8\n";
}

}  // namespace ot
