/* A Smooth Streaming download: the manifest (kept in the cache), then the
 * playback plan and the chosen QualityLevels' fragments, several at a time
 * in start-time order. Fragments carry no initialization segment: the plan's
 * tracks say "mss-fmp4" and carry the FourCC as codecs.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "downloader/adaptive-downloader.h"
#include "manifest/mss/manifest-parser.h"

namespace gst_offline {

class MssDownloader : public AdaptiveDownloader {
 public:
  MssDownloader (const DownloadRecord &record, const DownloaderContext &context);

 private:
  /* A chosen QualityLevel (its fragments are made as the plan is written). */
  struct Chosen {
    guint stream;
    guint level;
  };

  void begin () override;
  void on_manifest (const std::string &bytes);
  bool choose (GError **error);
  bool draw_plan (Plan *plan, playback_plan::Writer &segments, GError **error) override;
  void drop_segment_lists () override;

  std::optional<mss::Manifest> manifest_;
  std::vector<Chosen> chosen_;
};

}  // namespace gst_offline
