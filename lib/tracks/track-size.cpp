/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tracks/track-size.h"

#include <gst/gst.h>

#include <set>

namespace gst_offline {

gint64 estimate_segment_length (guint64 bandwidth, guint64 duration_ns)
{
  if (bandwidth == 0 || duration_ns == 0)
    return -1;
  return static_cast<gint64> (static_cast<double> (bandwidth) / 8 * static_cast<double> (duration_ns) / GST_SECOND);
}

void SizeEstimate::add_estimate (gint64 estimate)
{
  exact = false;
  if (estimate >= 0)
    bytes += static_cast<guint64> (estimate);
  else
    unknown++;
}

void SizeEstimate::add_measurable (const std::string &url)
{
  unknown++;
  to_measure.push_back (url);
}

void SizeEstimate::resolve (gint64 length)
{
  unknown--;
  if (length >= 0)
    bytes += static_cast<guint64> (length);
  else
    exact = false;
}

std::optional<guint64> SizeEstimate::total () const
{
  if (unknown > 0)
    return std::nullopt;
  return bytes;
}

void SizeEstimate::add (const SizeEstimate &other)
{
  bytes += other.bytes;
  exact = exact && other.exact;
  unknown += other.unknown;
  to_measure.insert (to_measure.end (), other.to_measure.begin (), other.to_measure.end ());
}

bool TimeRange::holds (guint64 start, guint64 duration_ns) const
{
  return (start_ns == 0 || start + duration_ns > start_ns) && (end_ns >= static_cast<guint64> (G_MAXINT64) || start < end_ns);
}

guint64 dash_period_cut (const dash::Mpd &mpd, guint period)
{
  const dash::Period &p = mpd.periods[period];
  if (p.duration && period + 1 < mpd.periods.size ())
    return p.start + *p.duration;
  return G_MAXUINT64;
}

bool dash_segment_played (const dash::Period &period, const dash::MediaSegment &m, guint64 cut)
{
  /* A segment that ends before its Period begins is not played, nor one
   * that begins where the next Period does or later. */
  if (m.start_ns < 0 && static_cast<guint64> (-m.start_ns) >= m.duration_ns)
    return false;
  return period.start + static_cast<guint64> (MAX (m.start_ns, 0)) < cut;
}

std::optional<SizeEstimate> dash_representation_size (const dash::Period &period, guint period_index,
    const dash::Representation &representation, guint64 cut, const dash::SegmentIndex *sidx_index,
    const TimeRange &range, GError **error)
{
  SizeEstimate size;
  RangedSize ranged (size, range);
  auto add_media = [&] (const dash::MediaSegment &m) {
    if (!dash_segment_played (period, m, cut))
      return;
    /* Its time in the plan (see DashDownloader::draw_plan ()). */
    guint64 start = period.start + static_cast<guint64> (MAX (m.start_ns, 0));
    ranged.add (period_index, start, MIN (m.duration_ns, cut - start), [&] (SizeEstimate &into) {
      if (m.range)
        into.add_exact (m.range->length ());
      else
        into.add_estimate (estimate_segment_length (representation.bandwidth, m.duration_ns));
    });
  };
  std::optional<dash::SegmentIndex> expanded;
  const dash::SegmentIndex *index = sidx_index;
  if (!index) {
    expanded = dash::expand_segments (period, representation,
        [&] (dash::MediaSegment &&m, GError **) {
          add_media (m);
          return true;
        },
        error);
    if (!expanded)
      return std::nullopt;
    index = &*expanded;
  } else {
    for (const dash::MediaSegment &m : index->media)
      add_media (m);
  }
  if (index->init) {
    if (index->init->range)
      size.add_exact (index->init->range->length ());
    else
      size.add_measurable (index->init->url);
  }
  if (index->sidx) {
    size.add_exact (index->sidx->range.length ());
    /* Its segments are listed in the sidx, not read here: the whole Period
     * at the bandwidth. */
    if (!sidx_index)
      size.add_estimate (period.duration ? estimate_segment_length (representation.bandwidth, *period.duration) : -1);
  }
  return size;
}

guint64 hls_estimate_bandwidth (const hls::Variant &variant)
{
  return variant.average_bandwidth.value_or (variant.bandwidth);
}

guint64 hls_variant_media_bandwidth (const hls::Variant &variant, const std::vector<guint64> &audio_bandwidths)
{
  guint64 bandwidth = hls_estimate_bandwidth (variant);
  guint64 audio = 0;
  for (guint64 a : audio_bandwidths)
    audio = MAX (audio, a);
  return audio < bandwidth ? bandwidth - audio : bandwidth;
}

std::vector<size_t> hls_sampled_segments (const hls::MediaPlaylist &media)
{
  std::vector<size_t> whole;
  for (size_t i = 0; i < media.segments.size (); i++) {
    if (!media.segments[i].gap && !media.segments[i].byte_range)
      whole.push_back (i);
  }
  if (whole.size () <= kHlsSampledSegments)
    return whole;
  std::vector<size_t> sampled;
  for (guint k = 0; k < kHlsSampledSegments; k++)
    sampled.push_back (whole[k * (whole.size () - 1) / (kHlsSampledSegments - 1)]);
  return sampled;
}

guint64 hls_sampled_bandwidth (const hls::MediaPlaylist &media, const std::vector<size_t> &sampled,
    const std::vector<gint64> &lengths)
{
  double bytes = 0, seconds = 0;
  for (size_t i = 0; i < sampled.size () && i < lengths.size (); i++) {
    if (lengths[i] < 0 || media.segments[sampled[i]].duration == 0)
      continue;
    bytes += static_cast<double> (lengths[i]);
    seconds += static_cast<double> (media.segments[sampled[i]].duration) / GST_SECOND;
  }
  if (seconds <= 0 || bytes <= 0)
    return 0;
  return static_cast<guint64> (bytes * 8 / seconds + 0.5);
}

guint64 hls_playlist_bandwidth (guint64 sampled, const hls::Variant *variant,
    const std::vector<guint64> &audio_bandwidths)
{
  if (sampled > 0 || !variant)
    return sampled;
  return hls_variant_media_bandwidth (*variant, audio_bandwidths);
}

guint64 hls_rendition_bandwidth (const hls::MediaPlaylist &media, guint64 sampled)
{
  double bits = 0, seconds = 0;
  for (const hls::Segment &segment : media.segments) {
    if (segment.gap)
      continue;
    if (segment.byte_range) {
      bits += 8.0 * static_cast<double> (segment.byte_range->length);
    } else if (sampled > 0) {
      bits += static_cast<double> (sampled) * static_cast<double> (segment.duration) / GST_SECOND;
    } else {
      return 0;
    }
    seconds += static_cast<double> (segment.duration) / GST_SECOND;
  }
  return seconds > 0 ? static_cast<guint64> (bits / seconds + 0.5) : 0;
}

SizeEstimate hls_media_size (const hls::MediaPlaylist &media, guint64 bandwidth, const TimeRange &range)
{
  SizeEstimate size;
  RangedSize ranged (size, range);
  std::set<const hls::InitSection *> inits;
  for (const hls::Segment &segment : media.segments) {
    /* Every init section is fetched, whatever the range (HlsDownloader::draw_plan ()). */
    if (segment.init_section && inits.insert (segment.init_section.get ()).second) {
      if (segment.init_section->byte_range)
        size.add_exact (segment.init_section->byte_range->length);
      else
        size.add_measurable (segment.init_section->uri);
    }
    if (segment.gap)
      continue;
    guint period = static_cast<guint> (MIN (segment.discontinuity_sequence, static_cast<guint64> (G_MAXUINT)));
    ranged.add (period, segment.start, segment.duration, [&] (SizeEstimate &into) {
      if (segment.byte_range)
        into.add_exact (segment.byte_range->length);
      else
        into.add_estimate (estimate_segment_length (bandwidth, segment.duration));
    });
  }
  return size;
}

std::optional<SizeEstimate> mss_level_size (const mss::Manifest &manifest, const mss::StreamIndex &stream,
    const mss::QualityLevel &level, const TimeRange &range, GError **error)
{
  SizeEstimate size;
  RangedSize ranged (size, range);
  if (!mss::expand_fragments (manifest, stream, level,
          [&] (mss::FragmentRef &&f, GError **) {
            ranged.add (0, f.start_ns, f.duration_ns, [&] (SizeEstimate &into) {
              into.add_estimate (estimate_segment_length (level.bitrate, f.duration_ns));
            });
            return true;
          },
          error))
    return std::nullopt;
  return size;
}

}  // namespace gst_offline
