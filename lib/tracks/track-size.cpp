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

std::optional<SizeEstimate> dash_representation_size (const dash::Period &period,
    const dash::Representation &representation, guint64 cut, const dash::SegmentIndex *sidx_index, GError **error)
{
  SizeEstimate size;
  auto add_media = [&] (const dash::MediaSegment &m) {
    if (!dash_segment_played (period, m, cut))
      return;
    if (m.range)
      size.add_exact (m.range->length ());
    else
      size.add_estimate (estimate_segment_length (representation.bandwidth, m.duration_ns));
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

SizeEstimate hls_media_size (const hls::MediaPlaylist &media, guint64 bandwidth)
{
  SizeEstimate size;
  std::set<const hls::InitSection *> inits;
  for (const hls::Segment &segment : media.segments) {
    if (segment.init_section && inits.insert (segment.init_section.get ()).second) {
      if (segment.init_section->byte_range)
        size.add_exact (segment.init_section->byte_range->length);
      else
        size.add_measurable (segment.init_section->uri);
    }
    if (segment.gap)
      continue;
    if (segment.byte_range)
      size.add_exact (segment.byte_range->length);
    else
      size.add_estimate (estimate_segment_length (bandwidth, segment.duration));
  }
  return size;
}

std::optional<SizeEstimate> mss_level_size (const mss::Manifest &manifest, const mss::StreamIndex &stream,
    const mss::QualityLevel &level, GError **error)
{
  SizeEstimate size;
  if (!mss::expand_fragments (manifest, stream, level,
          [&] (mss::FragmentRef &&f, GError **) {
            size.add_estimate (estimate_segment_length (level.bitrate, f.duration_ns));
            return true;
          },
          error))
    return std::nullopt;
  return size;
}

}  // namespace gst_offline
