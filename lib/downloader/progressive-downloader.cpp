/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "downloader/progressive-downloader.h"

#include <gst/base/gsttypefindhelper.h>
#include <gst/gst.h>

#include <cstring>

namespace gst_offline {

namespace {

/* Media types typefinders report for containers and streams that are not
 * under audio/ or video/. */
const char *const kMediaApplicationTypes[] = {
  "application/ogg",
  "application/x-id3",
  "application/x-apetag",
  "application/mxf",
  "application/x-3gp",
  "application/vnd.rn-realmedia",
  "application/x-annodex",
};

/* What to call a known non-media type in an error. */
const char *describe_non_media (const char *type)
{
  if (strcmp (type, "application/dash+xml") == 0)
    return "a DASH manifest";
  if (strcmp (type, "application/x-hls") == 0)
    return "an HLS playlist";
  if (strcmp (type, "application/vnd.ms-sstr+xml") == 0)
    return "a Smooth Streaming manifest";
  return nullptr;
}

}  // namespace

bool check_is_media (const std::string &prefix, const std::string &uri, GError **error)
{
  GstTypeFindProbability probability = GST_TYPE_FIND_NONE;
  g_autoptr (GstCaps) caps = gst_type_find_helper_for_data (nullptr,
      reinterpret_cast<const guint8 *> (prefix.data ()), prefix.size (), &probability);
  const char *type = caps && !gst_caps_is_empty (caps) ? gst_structure_get_name (gst_caps_get_structure (caps, 0)) : nullptr;
  if (type) {
    if (g_str_has_prefix (type, "video/") || g_str_has_prefix (type, "audio/"))
      return true;
    for (const char *media : kMediaApplicationTypes) {
      if (strcmp (type, media) == 0)
        return true;
    }
  }
  const char *what = type ? describe_non_media (type) : nullptr;
  if (what)
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
        "%s is %s, not a media file; download it with its manifest type", uri.c_str (), what);
  else
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED, "%s is not a media file (%s)", uri.c_str (),
        type ? type : "unrecognised content");
  return false;
}

ProgressiveDownloader::ProgressiveDownloader (const DownloadRecord &record, const DownloaderContext &context)
    : record_ (record), context_ (context)
{
}

void ProgressiveDownloader::start (GCancellable *cancellable, ProgressFn progress, DoneFn done)
{
  FetchSpec spec { record_.uri, progressive_cache_key (record_), record_.id, record_.headers };
  fetch_ = ResourceFetch::create (context_.session, context_.cache, std::move (spec), context_.retry,
      context_.check_space, cancellable);
  std::string uri = record_.uri;
  fetch_->start (
      [progress] (size_t, guint64 held, gint64 total) {
        DownloadProgress p;
        p.bytes = held;
        p.content_length = p.estimated_length = total;
        p.percent = total > 0 ? MIN (100.0, 100.0 * static_cast<double> (held) / static_cast<double> (total))
                              : (total == 0 ? 100.0 : -1.0);
        progress (p);
      },
      [uri] (const std::string &prefix, GError **error) { return check_is_media (prefix, uri, error); },
      std::move (done));
}

}  // namespace gst_offline
