/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "manifest/dash/segment-index.h"
#include "manifest/url-reference.h"

#include <gst/gst.h>
#include <gst/offline/offline-error.h>

#include <algorithm>
#include <functional>
#include <tuple>

namespace gst_offline {
namespace dash {

namespace {

bool fail (GError **error, const std::string &where, const std::string &what,
    GstOfflineError code = GST_OFFLINE_ERROR_INVALID_ARGUMENT)
{
  g_set_error (error, GST_OFFLINE_ERROR, code, "%s MPD: %s: %s",
      code == GST_OFFLINE_ERROR_UNSUPPORTED ? "unsupported" : "invalid", where.c_str (), what.c_str ());
  return false;
}

/* ---- Templates ----------------------------------------------------------- */

struct TemplatePart {
  enum class Kind { Literal, RepresentationId, Number, Time, Bandwidth } kind = Kind::Literal;
  std::string literal;
  guint width = 0;
};

std::optional<std::vector<TemplatePart>> compile_template (std::string_view templ, bool allow_number_time,
    GError **error)
{
  auto bad = [&] (const std::string &why) -> std::optional<std::vector<TemplatePart>> {
    std::string shown (templ.substr (0, 200));
    g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT, "template '%s': %s",
        shown.c_str (), why.c_str ());
    return std::nullopt;
  };
  std::vector<TemplatePart> parts;
  auto literal = [&] (std::string_view text) {
    if (text.empty ())
      return;
    if (parts.empty () || parts.back ().kind != TemplatePart::Kind::Literal)
      parts.emplace_back ();
    parts.back ().literal += text;
  };
  size_t pos = 0;
  while (pos < templ.size ()) {
    size_t open = templ.find ('$', pos);
    if (open == std::string_view::npos) {
      literal (templ.substr (pos));
      break;
    }
    literal (templ.substr (pos, open - pos));
    size_t close = templ.find ('$', open + 1);
    if (close == std::string_view::npos)
      return bad ("a '$' is not closed");
    std::string_view inner = templ.substr (open + 1, close - open - 1);
    pos = close + 1;
    if (inner.empty ()) {
      literal ("$");
      continue;
    }
    size_t percent = inner.find ('%');
    std::string_view name = inner.substr (0, percent);
    TemplatePart part;
    if (name == "RepresentationID")
      part.kind = TemplatePart::Kind::RepresentationId;
    else if (name == "Number")
      part.kind = TemplatePart::Kind::Number;
    else if (name == "Time")
      part.kind = TemplatePart::Kind::Time;
    else if (name == "Bandwidth")
      part.kind = TemplatePart::Kind::Bandwidth;
    else
      return bad ("$" + std::string (inner.substr (0, 40)) + "$ is not a known identifier");
    if (!allow_number_time && (part.kind == TemplatePart::Kind::Number || part.kind == TemplatePart::Kind::Time))
      return bad ("$" + std::string (name) + "$ cannot be used here");
    if (percent != std::string_view::npos) {
      std::string_view format = inner.substr (percent);
      if (part.kind == TemplatePart::Kind::RepresentationId)
        return bad ("$RepresentationID$ takes no format");
      /* Only "%0<width>d" is defined (ISO/IEC 23009-1 5.3.9.4.4). */
      if (format.size () < 4 || format.size () > 5 || format[1] != '0' || format.back () != 'd')
        return bad ("format '" + std::string (format) + "' is not %0<width>d");
      for (char c : format.substr (2, format.size () - 3)) {
        if (c < '0' || c > '9')
          return bad ("format '" + std::string (format) + "' is not %0<width>d");
        part.width = part.width * 10 + static_cast<guint> (c - '0');
      }
    }
    parts.push_back (std::move (part));
  }
  return parts;
}

void append_padded (std::string &out, guint64 value, guint width)
{
  std::string digits = std::to_string (value);
  if (digits.size () < width)
    out.append (width - digits.size (), '0');
  out += digits;
}

std::string render_template (const std::vector<TemplatePart> &parts, const std::string &representation_id,
    guint64 bandwidth, guint64 number, guint64 time)
{
  std::string out;
  for (const auto &part : parts) {
    switch (part.kind) {
      case TemplatePart::Kind::Literal:
        out += part.literal;
        break;
      case TemplatePart::Kind::RepresentationId:
        out += representation_id;
        break;
      case TemplatePart::Kind::Number:
        append_padded (out, number, part.width);
        break;
      case TemplatePart::Kind::Time:
        append_padded (out, time, part.width);
        break;
      case TemplatePart::Kind::Bandwidth:
        append_padded (out, bandwidth, part.width);
        break;
    }
  }
  return out;
}

/* ---- Expansion ----------------------------------------------------------- */

class Expander {
 public:
  Expander (const Period &period, const Representation &rep, const MediaSegmentFn *each, GError **error)
      : period_ (period), rep_ (rep), info_ (rep.segments), each_ (each), error_ (error),
        where_ ((period.id ? "Period '" + *period.id + "' > " : std::string ()) + "Representation '" + rep.id + "'") {}

  /* A live @duration template: only the segments [first, first + count)
   * of the Period, not as many as cover it. */
  void set_live_span (guint64 first, guint64 count) { live_span_ = std::make_pair (first, count); }

  std::optional<SegmentIndex> run ();

 private:
  bool resolve (const std::string &reference, std::string &out);
  bool init_from_ref (SegmentIndex &index);
  bool add_segment (SegmentIndex &index, std::string url, std::optional<ByteRange> range, guint64 number,
      guint64 time, guint64 duration, guint64 timescale);
  bool whole_period_segment (SegmentIndex &index, std::optional<ByteRange> range);
  /* Fails when `count` segments with URLs like `sample_url` would exceed kMaxIndexBytes. */
  bool check_budget (guint64 count, gsize sample_url_size);
  std::optional<guint64> period_end_ticks ();
  /* Calls `emit (time, duration)` for each segment of the SegmentTimeline,
   * at most `limit` times. */
  bool walk_timeline (guint64 limit, const std::function<bool (guint64, guint64)> &emit);
  bool expand_template (SegmentIndex &index);
  bool expand_list (SegmentIndex &index);
  bool expand_base (SegmentIndex &index);

  const Period &period_;
  const Representation &rep_;
  const SegmentInfo &info_;
  /* Where the media segments go, or null: into the index. */
  const MediaSegmentFn *each_;
  GError **error_;
  guint64 made_ = 0;
  std::string where_;
  std::optional<std::pair<guint64, guint64>> live_span_;
  gsize sample_url_size_ = 0;
  guint64 bytes_ = 0;
};

bool Expander::resolve (const std::string &reference, std::string &out)
{
  std::string why;
  auto resolved = resolve_url_reference (rep_.base_url, reference, &why);
  if (!resolved)
    return fail (error_, where_, "URL '" + reference.substr (0, 200) + "' cannot be resolved: " + why);
  out = std::move (*resolved);
  return true;
}

bool Expander::init_from_ref (SegmentIndex &index)
{
  if (!info_.initialization)
    return true;
  InitSegment init;
  if (!resolve (info_.initialization->source_url.value_or (""), init.url))
    return false;
  init.range = info_.initialization->range;
  index.init = std::move (init);
  return true;
}

bool Expander::add_segment (SegmentIndex &index, std::string url, std::optional<ByteRange> range, guint64 number,
    guint64 time, guint64 duration, guint64 timescale)
{
  guint64 time_ns = gst_util_uint64_scale (time, GST_SECOND, timescale);
  guint64 pto_ns = gst_util_uint64_scale (info_.presentation_time_offset, GST_SECOND, info_.timescale);
  guint64 duration_ns = gst_util_uint64_scale (duration, GST_SECOND, timescale);
  if (time_ns >= static_cast<guint64> (G_MAXINT64) || pto_ns >= static_cast<guint64> (G_MAXINT64)
      || duration_ns >= static_cast<guint64> (G_MAXINT64))
    return fail (error_, where_, "segment " + std::to_string (number) + " has a time too large to represent");
  /* A guard on top of check_budget(): URLs of a SegmentList vary in length. */
  bytes_ += sizeof (MediaSegment) + url.size ();
  if (bytes_ > kMaxIndexBytes)
    return check_budget (G_MAXUINT64, 0);
  MediaSegment segment;
  segment.url = std::move (url);
  segment.range = range;
  segment.number = number;
  segment.time = time;
  segment.duration = duration;
  segment.timescale = timescale;
  segment.start_ns = static_cast<gint64> (time_ns) - static_cast<gint64> (pto_ns);
  segment.duration_ns = duration_ns;
  made_++;
  if (each_)
    return (*each_) (std::move (segment), error_);
  index.media.push_back (std::move (segment));
  return true;
}

bool Expander::check_budget (guint64 count, gsize sample_url_size)
{
  guint64 per_segment = sizeof (MediaSegment) + sample_url_size;
  if (count > kMaxIndexBytes / per_segment)
    return fail (error_, where_, "its segment list would take more than " + std::to_string (kMaxIndexBytes >> 20)
        + " MiB of memory");
  return true;
}

bool Expander::whole_period_segment (SegmentIndex &index, std::optional<ByteRange> range)
{
  if (!period_.duration)
    return fail (error_, where_, "its single segment needs the Period's duration, which is unknown");
  /* In nanoseconds from the presentationTimeOffset: it starts with the Period. */
  guint64 pto_ns = gst_util_uint64_scale (info_.presentation_time_offset, GST_SECOND, info_.timescale);
  return add_segment (index, rep_.base_url, range, info_.start_number, pto_ns, *period_.duration, GST_SECOND);
}

std::optional<guint64> Expander::period_end_ticks ()
{
  if (!period_.duration)
    return std::nullopt;
  guint64 ticks = gst_util_uint64_scale_round (*period_.duration, info_.timescale, GST_SECOND);
  if (ticks == G_MAXUINT64 || ticks > G_MAXUINT64 - info_.presentation_time_offset)
    return std::nullopt;
  return info_.presentation_time_offset + ticks;
}

bool Expander::walk_timeline (guint64 limit, const std::function<bool (guint64, guint64)> &emit)
{
  /* Validate and count the whole timeline first, so that a hostile one
   * fails before a single segment is made. */
  struct Run {
    guint64 t, d, count;
  };
  const auto &entries = *info_.timeline;
  if (entries.empty ())
    return fail (error_, where_, "the SegmentTimeline has no S element");
  std::vector<Run> runs;
  runs.reserve (entries.size ());
  guint64 total = 0;
  guint64 next_time = 0;
  std::optional<guint64> previous_start;
  for (size_t i = 0; i < entries.size (); i++) {
    const TimelineEntry &s = entries[i];
    std::string here = where_ + ": SegmentTimeline S[" + std::to_string (i) + "]";
    guint64 t = s.t.value_or (next_time);
    /* A small overlap happens with rounding packagers; going back before
     * the previous segment's start is a broken timeline. */
    if (previous_start && t < *previous_start)
      return fail (error_, here, "@t goes back in time");
    guint64 count;
    if (s.r >= 0) {
      count = static_cast<guint64> (s.r) + 1;
    } else {
      /* r="-1": repeat up to the next S@t or the end of the Period. */
      guint64 end;
      if (i + 1 < entries.size ()) {
        if (!entries[i + 1].t)
          return fail (error_, here, "@r=\"-1\" is followed by an S without @t");
        end = *entries[i + 1].t;
      } else {
        auto period_end = period_end_ticks ();
        if (!period_end)
          return fail (error_, here, "@r=\"-1\" needs the Period's duration, which is unknown");
        end = *period_end;
      }
      count = end > t ? (end - t) / s.d + ((end - t) % s.d != 0 ? 1 : 0) : 0;
    }
    if (count > kMaxSegments || total + count > kMaxSegments)
      return fail (error_, where_, "the SegmentTimeline has more than " + std::to_string (kMaxSegments) + " segments");
    if (count > 0 && (count - 1 > (G_MAXUINT64 - t) / s.d || (count - 1) * s.d + t > G_MAXUINT64 - s.d))
      return fail (error_, here, "segment times overflow");
    total += count;
    runs.push_back (Run { t, s.d, count });
    next_time = t + count * s.d;
    if (count > 0)
      previous_start = next_time - s.d;
  }
  if (!check_budget (std::min (total, limit), sample_url_size_))
    return false;
  guint64 emitted = 0;
  for (const Run &run : runs)
    for (guint64 k = 0; k < run.count && emitted < limit; k++, emitted++)
      if (!emit (run.t + k * run.d, run.d))
        return false;
  return true;
}

bool Expander::expand_template (SegmentIndex &index)
{
  g_autoptr (GError) local = nullptr;
  if (info_.initialization_template) {
    auto parts = compile_template (*info_.initialization_template, false, &local);
    if (!parts)
      return fail (error_, where_, std::string ("SegmentTemplate@initialization: ") + local->message);
    InitSegment init;
    if (!resolve (render_template (*parts, rep_.id, rep_.bandwidth, 0, 0), init.url))
      return false;
    index.init = std::move (init);
  } else if (!init_from_ref (index)) {
    return false;
  }

  auto media = compile_template (*info_.media_template, true, &local);
  if (!media)
    return fail (error_, where_, std::string ("SegmentTemplate@media: ") + local->message);
  /* Numbers and times add at most 20 digits each to the first URL's length. */
  sample_url_size_ = rep_.base_url.size () + render_template (*media, rep_.id, rep_.bandwidth, 0, 0).size () + 40;
  guint64 number = info_.start_number;
  auto emit = [&] (guint64 time, guint64 duration) {
    if (number == G_MAXUINT64)
      return fail (error_, where_, "segment numbers overflow");
    std::string url;
    if (!resolve (render_template (*media, rep_.id, rep_.bandwidth, number, time), url))
      return false;
    return add_segment (index, std::move (url), std::nullopt, number++, time, duration, info_.timescale);
  };
  if (info_.timeline)
    return walk_timeline (G_MAXUINT64, emit);
  if (!info_.duration)
    return fail (error_, where_, "the SegmentTemplate has neither @duration nor a SegmentTimeline");
  guint64 d = *info_.duration;
  guint64 first = 0, count = 0;
  if (live_span_) {
    std::tie (first, count) = *live_span_;
  } else {
    /* 5.3.9.5.3: as many segments of @duration as it takes to cover the Period. */
    if (!period_.duration)
      return fail (error_, where_, "the SegmentTemplate's segment count needs the Period's duration, which is unknown");
    guint64 period_ticks = gst_util_uint64_scale_round (*period_.duration, info_.timescale, GST_SECOND);
    if (period_ticks == G_MAXUINT64)
      return fail (error_, where_, "the SegmentTemplate has more than " + std::to_string (kMaxSegments) + " segments");
    count = period_ticks / d + (period_ticks % d != 0 ? 1 : 0);
  }
  if (count > kMaxSegments)
    return fail (error_, where_, "the SegmentTemplate has more than " + std::to_string (kMaxSegments) + " segments");
  if (!check_budget (count, sample_url_size_))
    return false;
  if (first > G_MAXUINT64 - count || (first + count > 0 && (first + count - 1 > (G_MAXUINT64 - info_.presentation_time_offset) / d))
      || info_.start_number > G_MAXUINT64 - first - count)
    return fail (error_, where_, "segment times overflow");
  if (!each_)
    index.media.reserve (count);
  number = info_.start_number + first;
  for (guint64 i = first; i < first + count; i++)
    if (!emit (info_.presentation_time_offset + i * d, d))
      return false;
  return true;
}

bool Expander::expand_list (SegmentIndex &index)
{
  if (!init_from_ref (index))
    return false;
  const auto &urls = info_.segment_urls;
  if (urls.empty ())
    return fail (error_, where_, "the SegmentList has no SegmentURL");
  if (urls.size () > kMaxSegments)
    return fail (error_, where_, "the SegmentList has more than " + std::to_string (kMaxSegments) + " segments");
  if (info_.start_number > G_MAXUINT64 - urls.size ())
    return fail (error_, where_, "segment numbers overflow");
  /* Each relative SegmentURL becomes the BaseURL plus its own text. */
  sample_url_size_ = rep_.base_url.size ();
  if (!check_budget (urls.size (), sample_url_size_))
    return false;
  auto emit = [&] (guint64 time, guint64 duration) {
    size_t i = made_;
    std::string url;
    if (!resolve (urls[i].media.value_or (""), url))
      return false;
    return add_segment (index, std::move (url), urls[i].media_range, info_.start_number + i, time, duration,
        info_.timescale);
  };
  if (info_.timeline) {
    if (!walk_timeline (urls.size (), emit))
      return false;
    if (made_ < urls.size ())
      return fail (error_, where_, "the SegmentTimeline has fewer segments than the SegmentList");
    return true;
  }
  if (info_.duration) {
    guint64 d = *info_.duration;
    if (!urls.empty () && (urls.size () - 1 > (G_MAXUINT64 - info_.presentation_time_offset) / d))
      return fail (error_, where_, "segment times overflow");
    /* The Period's end cuts the durations: packagers such as ffmpeg list a
     * last segment at or past it (a few samples more), which is fetched and
     * played as listed but adds nothing to the presentation's duration. */
    auto end = period_end_ticks ();
    for (size_t i = 0; i < urls.size (); i++) {
      guint64 start = info_.presentation_time_offset + i * d;
      guint64 duration = !end ? d : *end > start ? std::min (d, *end - start) : 0;
      if (!emit (start, duration))
        return false;
    }
    return true;
  }
  if (urls.size () > 1)
    return fail (error_, where_, "the SegmentList has several segments but neither @duration nor a SegmentTimeline");
  if (urls.size () == 1) {
    auto end = period_end_ticks ();
    if (!end)
      return fail (error_, where_, "its single segment needs the Period's duration, which is unknown");
    return emit (info_.presentation_time_offset, *end - info_.presentation_time_offset);
  }
  return true;
}

bool Expander::expand_base (SegmentIndex &index)
{
  if (info_.representation_index)
    return fail (error_, where_, "SegmentBase with a RepresentationIndex is not supported", GST_OFFLINE_ERROR_UNSUPPORTED);
  if (!init_from_ref (index))
    return false;
  index.timescale = info_.timescale;
  index.presentation_time_offset = info_.presentation_time_offset;
  if (info_.index_range) {
    index.sidx = SidxLocation { rep_.base_url, *info_.index_range };
    return true;
  }
  /* No index: the whole file is one segment. */
  return whole_period_segment (index, std::nullopt);
}

std::optional<SegmentIndex> Expander::run ()
{
  SegmentIndex index;
  index.timescale = info_.timescale;
  index.presentation_time_offset = info_.presentation_time_offset;
  bool ok = false;
  switch (info_.kind) {
    case SegmentKind::Template:
      ok = expand_template (index);
      break;
    case SegmentKind::List:
      ok = expand_list (index);
      break;
    case SegmentKind::Base:
      ok = expand_base (index);
      break;
    case SegmentKind::None:
      /* 5.3.9.2: without segment information the Representation is one
       * segment at its BaseURL (a sidecar WebVTT or TTML file). */
      if (!rep_.has_own_base_url)
        ok = fail (error_, where_, "it has no segment information (SegmentBase, SegmentList or SegmentTemplate) "
            "and no BaseURL");
      else
        ok = whole_period_segment (index, std::nullopt);
      break;
  }
  if (!ok)
    return std::nullopt;
  return index;
}

}  // namespace

std::optional<std::string> fill_template (std::string_view templ, const std::string &representation_id,
    guint64 bandwidth, std::optional<guint64> number, std::optional<guint64> time, GError **error)
{
  auto parts = compile_template (templ, number && time, error);
  if (!parts)
    return std::nullopt;
  return render_template (*parts, representation_id, bandwidth, number.value_or (0), time.value_or (0));
}

std::optional<SegmentIndex> expand_segments (const Period &period, const Representation &representation,
    GError **error)
{
  return Expander (period, representation, nullptr, error).run ();
}

std::optional<SegmentIndex> expand_segments (const Period &period, const Representation &representation,
    const MediaSegmentFn &each, GError **error)
{
  return Expander (period, representation, &each, error).run ();
}

std::optional<SegmentIndex> expand_live_segments (const Mpd &mpd, const Period &period,
    const Representation &representation, gint64 now_us, const MediaSegmentFn &each, GError **error)
{
  const SegmentInfo &info = representation.segments;
  Expander expander (period, representation, &each, error);
  if (info.kind == SegmentKind::Template && !info.timeline && info.duration && *info.duration > 0
      && mpd.is_dynamic ()) {
    std::string where = "Representation '" + representation.id + "'";
    if (!mpd.availability_start_time_us) {
      g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
          "%s: a live SegmentTemplate with @duration needs the MPD's @availabilityStartTime", where.c_str ());
      return std::nullopt;
    }
    /* Ticks of the Period's timeline elapsed at `now_us`; segment k is
     * available once it ended (k + 1 segments elapsed) and while it is
     * within timeShiftBufferDepth of now. */
    gint64 since_us = now_us - *mpd.availability_start_time_us;
    guint64 elapsed_ns = since_us > 0 ? static_cast<guint64> (since_us) * GST_USECOND : 0;
    elapsed_ns = elapsed_ns > period.start ? elapsed_ns - period.start : 0;
    guint64 d = *info.duration;
    guint64 available = gst_util_uint64_scale (elapsed_ns, info.timescale, GST_SECOND) / d;
    if (period.duration) {
      guint64 period_ticks = gst_util_uint64_scale_round (*period.duration, info.timescale, GST_SECOND);
      available = MIN (available, period_ticks / d + (period_ticks % d != 0 ? 1 : 0));
    }
    guint64 first = available > kMaxLiveSegments ? available - kMaxLiveSegments : 0;
    if (mpd.time_shift_buffer_depth) {
      guint64 depth = gst_util_uint64_scale (*mpd.time_shift_buffer_depth, info.timescale, GST_SECOND) / d;
      first = MAX (first, available > depth ? available - depth : 0);
    }
    expander.set_live_span (first, available - first);
  }
  return expander.run ();
}

}  // namespace dash
}  // namespace gst_offline
