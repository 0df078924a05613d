/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "downloader/progressive-downloader.h"

#include <gst/base/gsttypefindhelper.h>
#include <gst/gst.h>

#include <cstring>

namespace gst_offline {

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
