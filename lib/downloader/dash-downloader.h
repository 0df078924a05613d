/* A DASH download: the MPD (kept in the cache), the chosen Representations'
 * sidx boxes where SegmentBase needs them, then the playback plan and every
 * init and media segment, several at a time in start-time order.
 *
 * A dynamic (live) MPD is recorded by a LiveRecorder (live-recorder.h): the
 * MPD is fetched again every @minimumUpdatePeriod (else every segment
 * duration), and the segments its SegmentTemplate lists now are each
 * chosen Representation's window. With a SegmentTimeline ($Time$ or
 * $Number$) the window is the timeline as written. DASH segments have no
 * number of their own that lasts (an origin with $Time$ may leave
 * @startNumber at 1 while its timeline slides), so a segment is numbered
 * by its presentation time on a grid of the main track's usual (median)
 * segment duration: the same instant has the same number in every track
 * and in a process started again after one was killed, and a jump in the
 * timeline counts the segments it skipped, as a gap of their length. A
 * segment keeps the number it was first given; one whose grid number is
 * taken (shorter segments) takes the next one, and one that would come
 * between two known ones (the timeline rewrote its past) is left out. The live edge is where dash.js
 * starts: @suggestedPresentationDelay back from the end of the window when
 * the MPD has one (ExoPlayer too), else four (usual: the median) segment durations (dash.js's
 * liveDelayFragmentCount; ExoPlayer's own fallback is 30 s, more than most
 * windows hold). A template with @duration and no SegmentTimeline lists
 * the segments available now (dash::expand_live_segments): "now" is the
 * MPD's UTCTiming (urn:mpeg:dash:utc:http-iso, http-xsdate, http-head
 * or direct:2014, read at every reload, as dash.js and ExoPlayer sync to
 * it; ntp, http-ntp and sntp are skipped with a warning), else the
 * context's clock (DownloaderContext::now_us: the system's). With
 * --live-from-start a SegmentTimeline's segments that ended more than
 * @timeShiftBufferDepth before its end are not recorded (no longer
 * available, though still listed). Refused with UNSUPPORTED: a live MPD
 * of several Periods, SegmentBase or SegmentList Representations in one.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "downloader/adaptive-downloader.h"
#include "drm/license-manager.h"
#include "util/handles.h"
#include "manifest/dash/mpd-model.h"
#include "manifest/dash/segment-index.h"

#include <map>
#include <set>

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
  bool protect (Track &track, const dash::Representation &rep, GError **error);
  bool check_recordable (const dash::Representation &rep, GError **error);
  void start_recording ();
  void reload_mpd ();
  bool needs_clock () const;
  void read_clock (size_t timing, std::function<void (gint64 now_us)> done);
  bool live_windows (std::vector<LiveWindow> *windows, gint64 now_us, GError **error);
  bool draw_plan (Plan *plan, playback_plan::Writer &segments, GError **error) override;
  void drop_segment_lists () override;

  std::optional<dash::Mpd> mpd_;
  /* UTCTiming schemes skipped (and said so) already. */
  std::set<std::string> unsupported_timings_;
  std::vector<Chosen> chosen_;
  GstOfflineDrmStore *drm_store_ = nullptr;  /* the license manager's */
  std::optional<LicenseRequest> license_;     /* what the license covers */
  /* A live MPD: the chosen Representations recorded (indexes into
   * chosen_, in track order), each one's segment numbers by media time,
   * and who waits for a reload. */
  std::vector<size_t> live_chosen_;
  std::vector<std::map<guint64, guint64>> live_numbers_;
  /* The segment duration that numbers live segments (see above). */
  guint64 live_grid_ns_ = 0;
  LiveRecorder::WindowsFn reloaded_;
};

}  // namespace gst_offline
