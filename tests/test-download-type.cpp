/* What a URL is: its suffix, then the server's Content-Type, then its first
 * bytes (lib/downloader/downloader.h), the one detection of inspect and
 * download.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "manifest/download-type.h"

#include <gst/check/gstcheck.h>

using namespace gst_offline;

GST_START_TEST (test_suffix_then_content_type_then_bytes)
{
  const std::string mpd = "<?xml version=\"1.0\"?>\n<!-- packaged by a CDN -->\n<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" "
                          "type=\"static\">";
  const std::string hls = "\xEF\xBB\xBF#EXTM3U\n#EXT-X-VERSION:3\n";
  const std::string mss = "<?xml version=\"1.0\" encoding=\"utf-8\"?><SmoothStreamingMedia MajorVersion=\"2\">";
  const std::string html = "<!DOCTYPE html><html><body>Sign in</body></html>";
  const struct {
    const char *uri, *content_type;
    const std::string *bytes;
    GstOfflineDownloadType type;
  } cases[] = {
    /* The suffix says it, whatever the rest says. */
    { "http://h/a/movie.mpd?t=1", "text/plain", &html, GST_OFFLINE_DOWNLOAD_TYPE_DASH },
    { "http://h/a/index.M3U8", "", &html, GST_OFFLINE_DOWNLOAD_TYPE_HLS },
    { "http://h/mss/movie.ism/Manifest", "", &html, GST_OFFLINE_DOWNLOAD_TYPE_MSS },
    { "http://h/a/clip.mp4", "application/dash+xml", &mpd, GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE },
    /* Else the Content-Type. */
    { "http://h/stream", "application/dash+xml; charset=utf-8", &html, GST_OFFLINE_DOWNLOAD_TYPE_DASH },
    { "http://h/playlist", "application/vnd.apple.mpegurl", &html, GST_OFFLINE_DOWNLOAD_TYPE_HLS },
    { "http://h/playlist", "Audio/X-MpegURL", &html, GST_OFFLINE_DOWNLOAD_TYPE_HLS },
    { "http://h/mss/Manifest", "application/vnd.ms-sstr+xml", &html, GST_OFFLINE_DOWNLOAD_TYPE_MSS },
    /* Else the bytes. */
    { "http://h/stream", "application/octet-stream", &mpd, GST_OFFLINE_DOWNLOAD_TYPE_DASH },
    { "http://h/playlist", "text/plain", &hls, GST_OFFLINE_DOWNLOAD_TYPE_HLS },
    { "http://h/mss/Manifest", "", &mss, GST_OFFLINE_DOWNLOAD_TYPE_MSS },
    /* Nothing else: taken for media, which the progressive check judges. */
    { "http://h/page", "text/html", &html, GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE },
  };
  for (const auto &c : cases) {
    GstOfflineDownloadType type = detect_download_type (c.uri, c.content_type, *c.bytes);
    fail_unless (type == c.type, "%s (%s): %s, expected %s", c.uri, c.content_type,
        gst_offline_download_type_to_string (type), gst_offline_download_type_to_string (c.type));
  }
  fail_unless (gst_offline_download_type_from_uri ("http://h/stream") == GST_OFFLINE_DOWNLOAD_TYPE_AUTO);
  fail_unless (gst_offline_download_type_from_uri ("http://h/x.mpd") == GST_OFFLINE_DOWNLOAD_TYPE_DASH);
  fail_unless (guess_download_type ("http://h/stream") == GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE);
}
GST_END_TEST;

static Suite *download_type_suite (void)
{
  Suite *s = suite_create ("download-type");
  TCase *tc = tcase_create ("detection");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_suffix_then_content_type_then_bytes);
  return s;
}

GST_CHECK_MAIN (download_type);
