/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "downloader/mss-downloader.h"

#include "cache/cache-private.h"
#include "downloader/dash-downloader.h"
#include "helper/mss-tracks.h"
#include "helper/track-selection.h"
#include "index/playback-plan.h"

#include <gst/gst.h>

#include <algorithm>

namespace gst_offline {

MssDownloader::MssDownloader (const DownloadRecord &record, const DownloaderContext &context)
    : record_ (record), context_ (context)
{
}

void MssDownloader::start (GCancellable *cancellable, ProgressFn progress, DoneFn done)
{
  cancellable_ = cancellable;
  progress_ = std::move (progress);
  done_ = std::move (done);
  std::string uri = record_.uri;
  manifest_fetch_ = fetch_manifest (context_, record_, uri, cancellable_,
      [uri] (const std::string &prefix, GError **error) {
        return check_manifest_kind (prefix, "application/vnd.ms-sstr+xml", "a Smooth Streaming manifest", uri, error);
      },
      mss::kMaxManifestSize,
      [this] (std::optional<std::string> bytes, const GError *error) { on_manifest (std::move (bytes), error); });
}

void MssDownloader::on_manifest (std::optional<std::string> bytes, const GError *fetch_error)
{
  manifest_fetch_.reset ();
  if (!bytes) {
    done_ (fetch_error);
    return;
  }
  g_autoptr (GError) error = nullptr;
  manifest_ = mss::parse_manifest (*bytes, record_.uri, &error);
  if (manifest_ && manifest_->has_playready ()) {
    g_set_error (&error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
        "PlayReady-protected Smooth Streaming is not supported");
    done_ (error);
    return;
  }
  if (manifest_ && !manifest_->protection.empty ()) {
    g_set_error (&error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
        "protected Smooth Streaming (system %s) is not supported", manifest_->protection[0].system_id.c_str ());
    done_ (error);
    return;
  }
  std::vector<SegmentSpec> segments;
  if (!manifest_ || !choose (&error) || !store_plan (&segments, &error)) {
    done_ (error);
    return;
  }
  fetcher_ = SegmentFetcher::create (context_, std::move (segments), context_.segment_parallelism, cancellable_);
  fetcher_->start (
      [this] (const SegmentFetcher::Progress &p) { progress_ (p.bytes, p.content_length, p.percent); },
      [this] (const GError *e) {
        fetcher_.reset ();
        done_ (e);
      });
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
    auto fragments = mss::expand_fragments (*manifest_, stream, stream.quality_levels[ref->level], error);
    if (!fragments)
      return false;
    chosen_.push_back ({ ref->stream, ref->level, std::move (*fragments) });
  }
  return true;
}

/* Writes the playback plan (one track per chosen QualityLevel) and lists
 * the fragments of all tracks by start time, so that a partial download
 * plays from its start. */
bool MssDownloader::store_plan (std::vector<SegmentSpec> *segments, GError **error)
{
  std::vector<Track> listed = mss_tracks (*manifest_);
  std::vector<PlanTrack> tracks;
  std::vector<PlanSegment> plan;
  std::vector<std::pair<guint64, SegmentSpec>> media;
  for (const Chosen &c : chosen_) {
    const mss::StreamIndex &stream = manifest_->streams[c.stream];
    const mss::QualityLevel &level = stream.quality_levels[c.level];
    std::string key = std::to_string (c.stream) + "." + std::to_string (c.level);
    auto listed_track = std::find_if (listed.begin (), listed.end (), [&] (const Track &t) { return t.stream_key == key; });
    if (listed_track == listed.end ())
      continue;
    if (std::any_of (tracks.begin (), tracks.end (), [&] (const PlanTrack &t) { return t.stream_key == key; }))
      continue;  /* named twice */
    guint track = static_cast<guint> (tracks.size ());
    PlanTrack t;
    t.index = track;
    t.stream_key = key;
    t.type = listed_track->type;
    t.container = "mss-fmp4";
    t.codecs = listed_track->codecs;
    t.language = stream.language;
    t.label = stream.name;
    t.bandwidth = level.bitrate;
    t.width = level.max_width;
    t.height = level.max_height;
    /* The fragments have no init segment: cachesrc builds the caps qtdemux
     * reads them with from these, as mssdemux does from the manifest. */
    t.timescale = stream.timescale;
    t.codec_private_data = level.codec_private_data;
    t.sampling_rate = level.sampling_rate;
    t.channels = level.channels;
    t.bits_per_sample = level.bits_per_sample;
    t.packet_size = level.packet_size;
    t.audio_tag = level.audio_tag;
    tracks.push_back (std::move (t));
    guint64 number = 0;
    for (const mss::FragmentRef &f : c.fragments) {
      SegmentSpec spec { FetchSpec { f.url, segment_cache_key (f.url, std::nullopt), record_.id, record_.headers,
          std::nullopt }, -1 };
      spec.expected_length = estimate_segment_length (level.bitrate, f.duration_ns);
      PlanSegment s;
      s.track = track;
      s.number = number++;
      s.start_ns = f.start_ns;
      s.duration_ns = f.duration_ns;
      s.resource = spec.fetch.cache_key;
      plan.push_back (std::move (s));
      media.emplace_back (f.start_ns, std::move (spec));
    }
  }
  if (!playback_plan::store (cache_database (context_.cache), record_.id, tracks, plan, error))
    return false;
  std::stable_sort (media.begin (), media.end (), [] (const auto &a, const auto &b) { return a.first < b.first; });
  for (auto &entry : media)
    segments->push_back (std::move (entry.second));
  return true;
}

}  // namespace gst_offline
