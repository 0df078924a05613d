/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "downloader/mss-downloader.h"

#include "tracks/mss-tracks.h"
#include "tracks/track-selection.h"
#include "index/playback-plan.h"

#include <gst/gst.h>

#include <algorithm>

namespace gst_offline {

MssDownloader::MssDownloader (const DownloadRecord &record, const DownloaderContext &context)
    : AdaptiveDownloader (record, context)
{
}

void MssDownloader::begin ()
{
  std::string uri = record_.uri;
  fetch_document (uri,
      [uri] (const std::string &prefix, GError **error) {
        return check_manifest_kind (prefix, "application/vnd.ms-sstr+xml", "a Smooth Streaming manifest", uri, error);
      },
      mss::kMaxManifestSize, [this] (std::string bytes) { on_manifest (bytes); });
}

void MssDownloader::on_manifest (const std::string &bytes)
{
  g_autoptr (GError) error = nullptr;
  manifest_ = mss::parse_manifest (bytes, record_.uri, &error);
  if (manifest_ && manifest_->has_playready ()) {
    g_set_error (&error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
        "PlayReady-protected Smooth Streaming is not supported");
    fail (error);
    return;
  }
  if (manifest_ && !manifest_->protection.empty ()) {
    g_set_error (&error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
        "protected Smooth Streaming (system %s) is not supported", manifest_->protection[0].system_id.c_str ());
    fail (error);
    return;
  }
  if (!manifest_ || !choose (&error)) {
    fail (error);
    return;
  }
  fetch_plan ();
}

/* The QualityLevels the download's stream keys name, or the default
 * selection when it has none, with their fragments expanded. */
bool MssDownloader::choose (GError **error)
{
  auto keys = download_stream_keys (record_.stream_keys, mss_tracks (*manifest_), record_.uri, error);
  if (!keys)
    return false;
  for (const std::string &key : *keys) {
    auto ref = parse_mss_stream_key (key, *manifest_, error);
    if (!ref)
      return false;
    const mss::StreamIndex &stream = manifest_->streams[ref->stream];
    if (stream.type == mss::StreamType::Other) {
      g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
          "stream key '%s' names a StreamIndex of Type '%s', which gst-offline cannot play offline", key.c_str (),
          stream.type_name.c_str ());
      return false;
    }
    /* Checked whole now, so that a broken list fails before anything is
     * fetched; the fragments are made again as the plan is written. */
    if (!mss::expand_fragments (*manifest_, stream, stream.quality_levels[ref->level],
            [] (mss::FragmentRef &&, GError **) { return true; }, error))
      return false;
    chosen_.push_back ({ ref->stream, ref->level });
  }
  return true;
}

/* One plan track per chosen QualityLevel; fragments have no init segment. */
bool MssDownloader::draw_plan (Plan *plan, playback_plan::Writer &segments, GError **error)
{
  std::vector<Track> listed = mss_tracks (*manifest_);
  std::vector<Track> &tracks = plan->tracks;
  for (const Chosen &c : chosen_) {
    const mss::StreamIndex &stream = manifest_->streams[c.stream];
    const mss::QualityLevel &level = stream.quality_levels[c.level];
    std::string key = std::to_string (c.stream) + "." + std::to_string (c.level);
    auto listed_track = std::find_if (listed.begin (), listed.end (), [&] (const Track &t) { return t.stream_key == key; });
    if (listed_track == listed.end ())
      continue;
    if (std::any_of (tracks.begin (), tracks.end (), [&] (const Track &t) { return t.stream_key == key; }))
      continue;  /* named twice */
    guint track = static_cast<guint> (tracks.size ());
    Track t = *listed_track;
    t.index = track;
    t.container = "mss-fmp4";
    tracks.push_back (std::move (t));
    guint64 number = 0;
    bool ok = mss::expand_fragments (*manifest_, stream, level, [&] (mss::FragmentRef &&f, GError **add_error) {
      SegmentSpec spec = segment_spec (f.url, std::nullopt);
      spec.expected_length = estimate_segment_length (level.bitrate, f.duration_ns);
      PlanSegment s;
      s.track = track;
      s.number = number++;
      s.start_ns = f.start_ns;
      s.duration_ns = f.duration_ns;
      fetch_with (s, spec);
      return segments.add (s, add_error);
    }, error);
    if (!ok)
      return false;
  }
  return true;
}

void MssDownloader::drop_segment_lists ()
{
  chosen_ = {};
  manifest_.reset ();
}

}  // namespace gst_offline
