/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "downloader/dash-downloader.h"

#include "cache/cache-private.h"
#include "drm/license-manager.h"
#include "licensing/license-source.h"
#include "tracks/dash-tracks.h"
#include "tracks/track-selection.h"
#include "index/playback-plan.h"
#include "manifest/dash/mpd-parser.h"
#include "manifest/dash/sidx.h"
#include "manifest/dash/xs-duration.h"
#include "manifest/url-reference.h"
#include "http/http-request.h"
#include "tracks/track-size.h"

#include <gst/gst.h>

#include <algorithm>
#include <map>
#include <set>

namespace gst_offline {

namespace {

/* Larger than any MPD we accept (the parser's own cap). */
constexpr gsize kMaxManifestBytes = 64 * 1024 * 1024;
/* How many segment durations back from the end of a live window dash.js
 * starts without @suggestedPresentationDelay (its liveDelayFragmentCount). */
constexpr guint64 kDashJsEdgeSegments = 4;

std::optional<ByteRange> http_range (const std::optional<dash::ByteRange> &range)
{
  if (!range)
    return std::nullopt;
  return ByteRange { range->first, range->length () };
}


/* How a Representation's segments are packed, as cachesrc names it. */
std::optional<std::string> container_of (const dash::AdaptationSet &set, const dash::Representation &rep, GError **error)
{
  switch (dash::text_format (set, rep)) {
    case dash::TextFormat::WebVttFile: return std::string ("webvtt");
    case dash::TextFormat::TtmlFile: return std::string ("ttml");
    case dash::TextFormat::Mp4Wvtt:
    case dash::TextFormat::Mp4Stpp: return std::string ("fmp4");
    case dash::TextFormat::None: break;
  }
  const std::string &mime = rep.mime_type;
  if (mime == "video/mp4" || mime == "audio/mp4" || mime == "application/mp4")
    return std::string ("fmp4");
  if (mime == "video/mp2t")
    return std::string ("mpegts");
  g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
      "Representation '%s' has mimeType '%s', which gst-offline cannot play offline", rep.id.c_str (), mime.c_str ());
  return std::nullopt;
}

}  // namespace

DashDownloader::DashDownloader (const DownloadRecord &record, const DownloaderContext &context)
    : AdaptiveDownloader (record, context)
{
}

void DashDownloader::begin ()
{
  std::string uri = record_.uri;
  fetch_document (uri,
      [uri] (const std::string &prefix, GError **error) {
        return check_manifest_kind (prefix, "application/dash+xml", "a DASH manifest", uri, error);
      },
      kMaxManifestBytes, [this] (std::string bytes) { on_manifest (bytes); });
}

void DashDownloader::on_manifest (const std::string &bytes)
{
  g_autoptr (GError) error = nullptr;
  mpd_ = dash::parse_mpd (bytes, record_.uri, &error, dash::Dynamic::Accept);
  if (mpd_ && mpd_->is_dynamic () && mpd_->periods.size () != 1)
    g_set_error (&error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
        "%s is a live MPD of %" G_GSIZE_FORMAT " Periods: only a live MPD of one Period can be recorded",
        record_.uri.c_str (), mpd_->periods.size ());
  if (!mpd_ || error || !choose (&error)) {
    fail (error);
    return;
  }
  /* Protected content: the license first, so that a download that could
   * never play fails before its segments are fetched. */
  std::vector<const dash::Representation *> reps;
  for (const Chosen &c : chosen_)
    reps.push_back (&mpd_->periods[c.period].adaptation_sets[c.set].representations[c.representation]);
  auto license = dash_license_request (reps, license_source (record_), &error);
  if (!license) {
    fail (error);
    return;
  }
  if (license->kids.empty ()) {
    if (mpd_->is_dynamic ())
      start_recording ();
    else
      fetch_indexes ();
    return;
  }
  acquire_license (std::move (*license));
}

/* The license goes into the manager's DRM store (the application's, or
 * drm.db of the data directory), exchanged through the application's hooks. */
void DashDownloader::acquire_license (LicenseRequest request)
{
  g_autoptr (GError) error = nullptr;
  drm_store_ = license_manager_store (context_.licenses, true, &error);
  if (!drm_store_) {
    g_prefix_error (&error, "cannot open the DRM store for the license of %s: ", record_.id.c_str ());
    fail (error);
    return;
  }
  license_ = std::move (request);
  fetch_license_async (*license_, license_manager_hooks (context_.licenses), cancellable_,
      [this] (std::optional<LicenseAnswer> answer, const GError *fetch_error) {
        g_autoptr (GError) error = nullptr;
        if (!answer) {
          fail (fetch_error);
          return;
        }
        if (!store_license (drm_store_, *license_, *answer, &error)
            || !note_license_in_index (cache_database (context_.cache), record_.id, true, &error)) {
          fail (error);
          return;
        }
        if (mpd_->is_dynamic ())
          start_recording ();
        else
          fetch_indexes ();
      });
}

void DashDownloader::fetch_indexes ()
{
  /* SegmentBase Representations list their segments in a sidx box: fetch
   * those first. */
  std::vector<SegmentSpec> indexes;
  for (const Chosen &c : chosen_) {
    if (c.index.sidx)
      indexes.push_back (segment_spec (c.index.sidx->url, http_range (c.index.sidx->range)));
  }
  fetch_segments (segment_source (std::move (indexes)), [] (const DownloadProgress &) {},
      [this] (const GError *e) { on_indexes (e); });
}

/* The Representations the download's stream keys name, or the default
 * selection when it has none, with their segment lists expanded. */
bool DashDownloader::choose (GError **error)
{
  auto keys = download_stream_keys (record_.stream_keys, dash_tracks (*mpd_), record_.uri, error);
  if (!keys)
    return false;
  for (const std::string &key : *keys) {
    auto ref = parse_dash_stream_key (key, *mpd_, error);
    if (!ref)
      return false;
    const dash::Period &period = mpd_->periods[ref->period];
    /* Checked whole now, so that a broken list fails before anything is
     * fetched; the segments themselves are made again as the plan is
     * written (draw_plan ()), never held. */
    /* A live MPD's segments are read from each reload (live_windows ()). */
    std::optional<dash::SegmentIndex> index;
    if (mpd_->is_dynamic ())
      index.emplace ();
    else
      index = dash::expand_segments (period, period.adaptation_sets[ref->set].representations[ref->representation],
          [] (dash::MediaSegment &&, GError **) { return true; }, error);
    if (!index)
      return false;
    chosen_.push_back ({ ref->period, ref->set, ref->representation, std::move (*index) });
  }
  return true;
}

void DashDownloader::on_indexes (const GError *fetch_error)
{
  if (fetch_error) {
    fail (fetch_error);
    return;
  }
  g_autoptr (GError) error = nullptr;
  for (Chosen &c : chosen_) {
    if (!c.index.sidx)
      continue;
    SegmentSpec sidx = segment_spec (c.index.sidx->url, http_range (c.index.sidx->range));
    auto bytes = cache_read_resource (context_.cache, sidx.fetch.cache_key, dash::kMaxIndexBytes, &error);
    if (!bytes || !dash::add_sidx_segments (c.index, reinterpret_cast<const guint8 *> (bytes->data ()), bytes->size (),
            &error)) {
      fail (error);
      return;
    }
  }
  fetch_plan ();
}

/* The DRM signalling of `rep` added to `t`'s: a track whose first Period
 * is clear and a later one protected is protected content (cachesrc sends
 * its clear Periods as a clear lead, see docs/architecture.md); and what a
 * license of it covers, for licensing it again later. */
bool DashDownloader::protect (Track &t, const dash::Representation &rep, GError **error)
{
  for (TrackProtection &p : dash_protection (rep)) {
    if (std::find (t.protection_systems.begin (), t.protection_systems.end (), p.system_id)
        == t.protection_systems.end ())
      t.protection_systems.push_back (p.system_id);
    if (std::none_of (t.protection.begin (), t.protection.end (),
            [&] (const TrackProtection &q) { return q.system_id == p.system_id; }))
      t.protection.push_back (std::move (p));
  }
  if (license_ && !license_->kids.empty ()) {
    DownloadRecord licensed = record_;
    licensed.license_url = license_->license_url;
    auto covered = dash_license_request ({ &rep }, license_source (licensed), error);
    if (!covered)
      return false;
    for (const KeyId &kid : covered->kids) {
      std::string hex = key_id_to_hex (kid);
      if (std::find (t.kids.begin (), t.kids.end (), hex) == t.kids.end ())
        t.kids.push_back (hex);
    }
    if (!covered->kids.empty ())
      t.license_url = license_->license_url;
  }
  return true;
}

/* What a live MPD's Representation must be for its segments to be listed:
 * a SegmentTemplate (with a SegmentTimeline, or @duration and a clock). */
bool DashDownloader::check_recordable (const dash::Representation &rep, GError **error)
{
  if (!mpd_->is_dynamic ())
    return true;
  if (rep.segments.kind != dash::SegmentKind::Template) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
        "Representation '%s' of the live (dynamic) MPD %s has no SegmentTemplate: it cannot be recorded",
        rep.id.c_str (), record_.uri.c_str ());
    return false;
  }
  if (!rep.segments.timeline && !rep.segments.duration) {
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
        "Representation '%s' of the live (dynamic) MPD %s has a SegmentTemplate with neither a SegmentTimeline "
        "nor @duration", rep.id.c_str (), record_.uri.c_str ());
    return false;
  }
  return true;
}

/* A live MPD: one plan track per chosen Representation of a playable type,
 * recorded from the windows live_windows () gives. */
void DashDownloader::start_recording ()
{
  g_autoptr (GError) error = nullptr;
  std::vector<Track> listed = dash_tracks (*mpd_);
  std::vector<Track> tracks;
  for (size_t i = 0; i < chosen_.size (); i++) {
    const Chosen &c = chosen_[i];
    const dash::AdaptationSet &set = mpd_->periods[c.period].adaptation_sets[c.set];
    const dash::Representation &rep = set.representations[c.representation];
    std::string key = std::to_string (c.period) + "." + std::to_string (c.set) + "." + std::to_string (c.representation);
    auto listed_track = std::find_if (listed.begin (), listed.end (), [&] (const Track &t) { return t.stream_key == key; });
    if (listed_track == listed.end ())
      continue;  /* not a playable type */
    auto container = container_of (set, rep, &error);
    if (!container || !check_recordable (rep, &error)) {
      fail (error);
      return;
    }
    Track t = *listed_track;
    t.index = static_cast<guint> (tracks.size ());
    t.period = 0;
    t.container = *container;
    if (!protect (t, rep, &error)) {
      fail (error);
      return;
    }
    tracks.push_back (std::move (t));
    live_chosen_.push_back (i);
  }
  live_numbers_.resize (live_chosen_.size ());
  /* Every window, the first too, from the MPD fetched again: the one in
   * the cache may be a stopped process's, older than the live window. */
  GST_INFO ("%s: a live MPD: recording %" G_GSIZE_FORMAT " tracks", record_.id.c_str (), tracks.size ());
  record_live (std::move (tracks), [this] (LiveRecorder::WindowsFn done) {
    reloaded_ = std::move (done);
    reload_mpd ();
  });
}

/* The MPD again, into memory (what the recording keeps of it is its plan):
 * the same Representations, at the same places, by the same ids. */
void DashDownloader::reload_mpd ()
{
  HttpRequest request;
  request.url = record_.uri;
  request.headers = record_.headers;
  request.retry = context_.retry;
  request.max_size = kMaxManifestBytes;
  request.what = "cannot reload the live MPD";
  http_request_async (std::move (request), cancellable_, [this] (HttpResponse *response, const GError *fetch_error) {
    g_autoptr (GError) error = nullptr;
    auto done = std::move (reloaded_);
    if (fetch_error) {
      done (nullptr, fetch_error);
      return;
    }
    std::optional<dash::Mpd> mpd;
    if (check_manifest_kind (response->body.substr (0, 512), "application/dash+xml", "a DASH manifest", record_.uri,
            &error))
      mpd = dash::parse_mpd (response->body, record_.uri, &error, dash::Dynamic::Accept);
    for (size_t i = 0; mpd && !error && i < live_chosen_.size (); i++) {
      const Chosen &c = chosen_[live_chosen_[i]];
      const auto &old_rep = mpd_->periods[c.period].adaptation_sets[c.set].representations[c.representation];
      bool same = mpd->periods.size () == mpd_->periods.size () && c.set < mpd->periods[c.period].adaptation_sets.size ()
          && c.representation < mpd->periods[c.period].adaptation_sets[c.set].representations.size ()
          && mpd->periods[c.period].adaptation_sets[c.set].representations[c.representation].id == old_rep.id;
      if (!same)
        g_set_error (&error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_FAILED,
            "the live MPD %s no longer has Representation '%s' where it was", record_.uri.c_str (), old_rep.id.c_str ());
    }
    if (!mpd || error) {
      done (nullptr, error);
      return;
    }
    mpd_ = std::move (mpd);
    auto list = [this, done = std::move (done)] (gint64 now_us) {
      g_autoptr (GError) error = nullptr;
      std::vector<LiveWindow> windows;
      if (!live_windows (&windows, now_us, &error))
        done (nullptr, error);
      else
        done (&windows, nullptr);
    };
    if (needs_clock ())
      read_clock (0, std::move (list));
    else
      list (0);
  });
}

/* Whether a recorded Representation's window depends on the time. */
bool DashDownloader::needs_clock () const
{
  return std::any_of (live_chosen_.begin (), live_chosen_.end (), [this] (size_t i) {
    const Chosen &c = chosen_[i];
    const dash::SegmentInfo &info = mpd_->periods[c.period].adaptation_sets[c.set].representations[c.representation].segments;
    return info.kind == dash::SegmentKind::Template && !info.timeline;
  });
}

/* "Now" for the window: from the MPD's first UTCTiming (from `timing` on)
 * that answers, else from the context's clock. http-iso and http-xsdate
 * read the time in the body of a GET, http-head in the Date header of a
 * HEAD; NTP and SNTP (ntp, http-ntp, sntp) are not supported: skipped. */
void DashDownloader::read_clock (size_t timing, std::function<void (gint64 now_us)> done)
{
  for (; timing < mpd_->utc_timings.size (); timing++) {
    const dash::Descriptor &utc = mpd_->utc_timings[timing];
    const std::string &scheme = utc.scheme_id_uri;
    if (scheme == "urn:mpeg:dash:utc:direct:2014") {
      if (auto now = parse_xs_date_time (utc.value.value_or (""))) {
        done (*now);
        return;
      }
      GST_WARNING ("%s: UTCTiming direct value '%s' is no xs:dateTime", record_.id.c_str (), utc.value.value_or ("").c_str ());
      continue;
    }
    bool head = scheme == "urn:mpeg:dash:utc:http-head:2014";
    if (!head && scheme != "urn:mpeg:dash:utc:http-iso:2014" && scheme != "urn:mpeg:dash:utc:http-xsdate:2014") {
      /* Read at every reload: said once. */
      if (unsupported_timings_.insert (scheme).second)
        GST_WARNING ("%s: UTCTiming scheme %s is not supported: skipped", record_.id.c_str (), scheme.c_str ());
      continue;
    }
    std::string why;
    auto url = resolve_url_reference (mpd_->base_url, utc.value.value_or (""), &why);
    if (!url) {
      GST_WARNING ("%s: UTCTiming '%s': %s", record_.id.c_str (), utc.value.value_or ("").c_str (), why.c_str ());
      continue;
    }
    HttpRequest request;
    request.method = head ? "HEAD" : "GET";
    request.url = *url;
    request.headers = record_.headers;
    request.retry = context_.retry;
    request.max_size = 4096;
    request.what = "cannot read the time of the live MPD";
    http_request_async (std::move (request), cancellable_,
        [this, timing, head, done = std::move (done)] (HttpResponse *response, const GError *error) mutable {
          std::optional<gint64> now;
          if (!error)
            now = head ? response->date_us : parse_xs_date_time (response->body);
          if (now) {
            done (*now);
            return;
          }
          GST_WARNING ("%s: UTCTiming %s gave no time: %s", record_.id.c_str (), mpd_->utc_timings[timing].value->c_str (),
              error ? error->message : head ? "its answer has no valid Date header" : "its answer is no xs:dateTime");
          read_clock (timing + 1, std::move (done));
        });
    return;
  }
  done (context_.now_us ? context_.now_us () : g_get_real_time ());
}

/* What each recorded Representation's SegmentTemplate lists now, numbered
 * by media time (see dash-downloader.h). */
bool DashDownloader::live_windows (std::vector<LiveWindow> *windows, gint64 now_us, GError **error)
{
  for (size_t i = 0; i < live_chosen_.size (); i++) {
    const Chosen &c = chosen_[live_chosen_[i]];
    const dash::Period &period = mpd_->periods[c.period];
    const dash::Representation &rep = period.adaptation_sets[c.set].representations[c.representation];
    if (!check_recordable (rep, error))
      return false;
    std::map<guint64, guint64> &numbers = live_numbers_[i];
    LiveWindow w;
    std::vector<dash::MediaSegment> listed;
    auto index = dash::expand_live_segments (*mpd_, period, rep, now_us, [&] (dash::MediaSegment &&m, GError **) {
      listed.push_back (std::move (m));
      return true;
    }, error);
    if (!index)
      return false;
    /* Listed but ended more than the time-shift buffer before the
     * window's end (5.3.9.5.3: available until its end plus the depth):
     * no longer available, not to be recorded from the window's start. */
    if (mpd_->time_shift_buffer_depth && !listed.empty ()) {
      const dash::MediaSegment &last = listed.back ();
      gint64 end = last.start_ns + static_cast<gint64> (last.duration_ns);
      gint64 oldest = end - static_cast<gint64> (MIN (*mpd_->time_shift_buffer_depth, static_cast<guint64> (G_MAXINT64)));
      listed.erase (std::remove_if (listed.begin (), listed.end (), [oldest] (const dash::MediaSegment &m) {
        return m.start_ns + static_cast<gint64> (m.duration_ns) < oldest;
      }), listed.end ());
    }
    std::optional<SegmentSpec> init;
    if (index->init)
      init = segment_spec (index->init->url, http_range (index->init->range));
    /* The grid: the main track's usual (median) segment duration in the
     * first window this process reads. */
    if (live_grid_ns_ == 0) {
      std::vector<guint64> durations;
      for (const dash::MediaSegment &m : listed)
        durations.push_back (m.duration_ns);
      std::sort (durations.begin (), durations.end ());
      live_grid_ns_ = durations.empty () ? 0 : MAX (durations[durations.size () / 2], GST_MSECOND);
    }
    for (const dash::MediaSegment &m : listed) {
      guint64 sequence;
      auto known = numbers.find (m.time);
      if (known != numbers.end ()) {
        sequence = known->second;
      } else {
        /* Its presentation time on the grid, after the number of any
         * segment seen before it and below that of any seen after it. */
        guint64 at = period.start + static_cast<guint64> (MAX (m.start_ns, 0));
        sequence = (at + live_grid_ns_ / 2) / live_grid_ns_;
        auto after = numbers.upper_bound (m.time);
        if (after != numbers.begin ())
          sequence = MAX (sequence, std::prev (after)->second + 1);
        if (after != numbers.end () && sequence >= after->second)
          continue;  /* the timeline changed its past: nothing to record */
      }
      numbers[m.time] = sequence;
      LiveSegment s;
      s.sequence = sequence;
      s.duration_ns = m.duration_ns;
      s.spec = segment_spec (m.url, http_range (m.range));
      s.spec.expected_length = estimate_segment_length (rep.bandwidth, m.duration_ns);
      s.init = init;
      w.target_duration_ns = MAX (w.target_duration_ns, m.duration_ns);
      w.segments.push_back (std::move (s));
    }
    /* Only the times still listed are needed (and the last one seen). */
    if (!listed.empty ()) {
      auto keep = numbers.lower_bound (listed.front ().time);
      if (keep == numbers.end ())
        keep = std::prev (numbers.end ());
      numbers.erase (numbers.begin (), keep);
    }
    std::sort (w.segments.begin (), w.segments.end (),
        [] (const LiveSegment &a, const LiveSegment &b) { return a.sequence < b.sequence; });
    w.ended = !mpd_->is_dynamic ();
    if (mpd_->minimum_update_period && *mpd_->minimum_update_period > 0)
      w.reload_ns = *mpd_->minimum_update_period;
    /* dash.js counts segments of the duration the window's segments
     * usually have (its median: not an odd long one). */
    std::vector<guint64> durations;
    for (const LiveSegment &segment : w.segments)
      durations.push_back (segment.duration_ns);
    std::sort (durations.begin (), durations.end ());
    guint64 usual = durations.empty () ? 0 : durations[durations.size () / 2];
    w.edge_delay_ns = mpd_->suggested_presentation_delay.value_or (kDashJsEdgeSegments * usual);
    windows->push_back (std::move (w));
  }
  return true;
}

/* One plan track per chosen Representation's type, language and rank, each
 * init segment fetched once. */
bool DashDownloader::draw_plan (Plan *plan, playback_plan::Writer &segments, GError **error)
{
  /* One plan track per type, language and rank within a Period: the same
   * track continues across Periods. */
  std::map<std::tuple<int, std::string, guint>, guint> track_of;
  std::map<std::pair<guint, std::string>, guint> rank_in_period;
  std::vector<Track> &tracks = plan->tracks;
  std::set<std::string> inits;
  std::vector<Track> listed = dash_tracks (*mpd_);
  /* Segments are numbered in play order within their track as they are
   * written: a Representation's segments follow each other in time, so the
   * Representations are taken Period by Period in time order (in the order
   * the keys name them within one). */
  std::vector<const Chosen *> by_period;
  for (const Chosen &c : chosen_)
    by_period.push_back (&c);
  std::stable_sort (by_period.begin (), by_period.end (), [this] (const Chosen *a, const Chosen *b) {
    return std::make_pair (mpd_->periods[a->period].start, a->period)
        < std::make_pair (mpd_->periods[b->period].start, b->period);
  });
  std::vector<guint64> next_number;
  for (const Chosen *chosen : by_period) {
    const Chosen &c = *chosen;
    const dash::Period &period = mpd_->periods[c.period];
    const dash::AdaptationSet &set = period.adaptation_sets[c.set];
    const dash::Representation &rep = set.representations[c.representation];
    std::string key = std::to_string (c.period) + "." + std::to_string (c.set) + "." + std::to_string (c.representation);
    auto listed_track = std::find_if (listed.begin (), listed.end (), [&] (const Track &t) { return t.stream_key == key; });
    if (listed_track == listed.end ())
      continue;  /* not a playable type */
    auto container = container_of (set, rep, error);
    if (!container)
      return false;
    std::string language = set.lang.value_or ("");
    guint rank = rank_in_period[{ c.period, std::string (track_type_name (listed_track->type)) + "/" + language }]++;
    auto slot = std::make_tuple (static_cast<int> (listed_track->type), language, rank);
    guint track;
    auto found = track_of.find (slot);
    if (found != track_of.end ()) {
      track = found->second;
    } else {
      track = static_cast<guint> (tracks.size ());
      track_of[slot] = track;
      next_number.push_back (0);
      Track t = *listed_track;
      t.index = track;
      t.period = 0;  /* it runs on through the Periods that follow */
      t.container = *container;
      tracks.push_back (std::move (t));
    }
    if (!protect (tracks[track], rep, error))
      return false;
    std::string init_key;
    if (c.index.init) {
      SegmentSpec init = segment_spec (c.index.init->url, http_range (c.index.init->range));
      init_key = init.fetch.cache_key;
      if (inits.insert (init_key).second)
        plan->first.push_back (init);
    }
    /* The last Period ends with its media, as with GStreamer's adaptive
     * demuxers (ffmpeg writes a last short segment past the MPD's
     * duration); another Period follows the others, and playback stops
     * each of those at its end. */
    guint64 next_period = dash_period_cut (*mpd_, c.period);
    std::optional<guint64> period_end;
    if (next_period != G_MAXUINT64)
      period_end = next_period;
    if (std::none_of (plan->periods.begin (), plan->periods.end (), [&] (const PlanPeriod &p) { return p.period == c.period; }))
      plan->periods.push_back ({ c.period, period.start, period_end });
    auto add = [&] (const dash::MediaSegment &m, GError **add_error) {
      /* A segment that begins before its Period plays from the Period's
       * start (the plan keeps how much earlier it begins); one that ends
       * before the Period or begins where the next one does or later is not
       * played (nor fetched), one that runs into the next one is given the
       * duration up to it. */
      if (!dash_segment_played (period, m, next_period))
        return true;
      guint64 start = period.start + static_cast<guint64> (MAX (m.start_ns, 0));
      SegmentSpec spec = segment_spec (m.url, http_range (m.range));
      spec.expected_length = estimate_segment_length (rep.bandwidth, m.duration_ns);
      PlanSegment s;
      s.track = track;
      s.number = next_number[track]++;
      s.period = c.period;
      s.start_ns = start;
      s.early_ns = m.start_ns < 0 ? static_cast<guint64> (-m.start_ns) : 0;
      s.duration_ns = MIN (m.duration_ns, next_period - start);
      s.init_resource = init_key;
      fetch_with (s, spec);
      return segments.add (s, add_error);
    };
    /* A sidx's segments are in memory already (the box's own size); the
     * others are made one at a time. */
    if (c.index.sidx) {
      for (const dash::MediaSegment &m : c.index.media) {
        if (!add (m, error))
          return false;
      }
    } else if (!dash::expand_segments (period, rep,
                   [&] (dash::MediaSegment &&m, GError **add_error) { return add (m, add_error); }, error)) {
      return false;
    }
  }
  return true;
}

void DashDownloader::drop_segment_lists ()
{
  chosen_ = {};
  mpd_.reset ();
}

}  // namespace gst_offline
