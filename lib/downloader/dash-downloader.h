/* A DASH download: the MPD (kept in the cache), the chosen Representations'
 * sidx boxes where SegmentBase needs them, then the playback plan and every
 * init and media segment, several at a time in start-time order.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "downloader/adaptive-downloader.h"
#include "drm/license-manager.h"
#include "util/handles.h"
#include "manifest/dash/mpd-model.h"
#include "manifest/dash/segment-index.h"

namespace gst_offline {

class DashDownloader : public AdaptiveDownloader {
 public:
  DashDownloader (const DownloadRecord &record, const DownloaderContext &context);

 private:
  /* A chosen Representation: where its segments come from (they are made
   * as the plan is written; only a sidx's are held, in `index.media`). */
  struct Chosen {
    guint period;
    guint set;
    guint representation;
    dash::SegmentIndex index;
  };

  void begin () override;
  void on_manifest (const std::string &bytes);
  void acquire_license (LicenseRequest request);
  void fetch_indexes ();
  bool choose (GError **error);
  void on_indexes (const GError *error);
  bool draw_plan (Plan *plan, playback_plan::Writer &segments, GError **error) override;
  void drop_segment_lists () override;

  std::optional<dash::Mpd> mpd_;
  std::vector<Chosen> chosen_;
  GstOfflineDrmStore *drm_store_ = nullptr;  /* the license manager's */
  std::optional<LicenseRequest> license_;     /* what the license covers */
};

}  // namespace gst_offline
