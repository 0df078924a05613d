/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "downloader/hls-downloader.h"

#include "util/request-error.h"
#include "util/main-context.h"

#include "cache/cache-private.h"
#include "drm/license-manager.h"
#include "drm/license-store.h"
#include "licensing/license-source.h"
#include "tracks/hls-tracks.h"
#include "tracks/track-selection.h"
#include "http/http-request.h"
#include "index/download-private.h"
#include "index/playback-plan.h"
#include "manifest/hls/playlist-parser.h"

#include <gst/gst.h>

#include <algorithm>

GST_DEBUG_CATEGORY_STATIC (hls_download_debug);
#define GST_CAT_DEFAULT hls_download_debug

namespace gst_offline {

namespace {

constexpr gsize kKeyLength = 16;


/* An HLS playlist starts with #EXTM3U, after a UTF-8 BOM if it has one. */
bool check_is_playlist (const std::string &prefix, const std::string &uri, GError **error)
{
  std::string_view text (prefix);
  if (text.rfind ("\xEF\xBB\xBF", 0) == 0)
    text.remove_prefix (3);
  if (text.rfind ("#EXTM3U", 0) == 0)
    return true;
  g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
      "%s is not an HLS playlist (it does not start with #EXTM3U)", uri.c_str ());
  return false;
}

std::optional<ByteRange> http_range (const std::optional<hls::ByteRange> &range)
{
  if (!range)
    return std::nullopt;
  return ByteRange { range->offset, range->length };
}

/* The lower-case extension of a URL's path, without the dot. */
std::string extension_of (const std::string &url)
{
  g_autoptr (GUri) parsed = g_uri_parse (url.c_str (), G_URI_FLAGS_NONE, nullptr);
  std::string path = parsed ? g_uri_get_path (parsed) : url;
  size_t slash = path.rfind ('/');
  size_t dot = path.rfind ('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
    return "";
  g_autofree gchar *lower = g_ascii_strdown (path.c_str () + dot + 1, -1);
  return lower;
}

/* How a media playlist's segments are packed, as cachesrc names it. */
std::optional<std::string> container_of (const hls::MediaPlaylist &media, bool subtitles, GError **error)
{
  bool init = std::any_of (media.segments.begin (), media.segments.end (),
      [] (const hls::Segment &s) { return s.init_section != nullptr; });
  if (init)
    return std::string ("fmp4");
  if (subtitles)
    return std::string ("webvtt");
  for (const hls::Segment &segment : media.segments) {
    std::string ext = extension_of (segment.uri);
    if (ext == "aac" || ext == "mp3" || ext == "ac3" || ext == "ec3" || ext == "eac3") {
      g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
          "%s: packed audio segments (.%s) are not supported", media.uri.c_str (), ext.c_str ());
      return std::nullopt;
    }
    if (ext == "mp4" || ext == "m4s" || ext == "m4a" || ext == "m4v" || ext == "cmfv" || ext == "cmfa")
      return std::string ("fmp4");
  }
  return std::string ("mpegts");
}

}  // namespace

HlsDownloader::HlsDownloader (const DownloadRecord &record, const DownloaderContext &context)
    : AdaptiveDownloader (record, context)
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (hls_download_debug, "offlinehls", 0, "gst-offline HLS downloads");
    g_once_init_leave (&once, 1);
  }
}

HlsDownloader::~HlsDownloader ()
{
  /* HEAD requests still out answer nobody. */
  if (sample_round_)
    sample_round_->owner = nullptr;
}

void HlsDownloader::begin ()
{
  fetch_playlist (record_.uri, [this] (std::string bytes) { on_playlist (bytes); });
}

void HlsDownloader::fetch_playlist (const std::string &uri, DocumentFn then)
{
  fetch_document (uri,
      [uri] (const std::string &prefix, GError **error) { return check_is_playlist (prefix, uri, error); },
      hls::ParseLimits ().max_bytes, std::move (then));
}

void HlsDownloader::on_playlist (const std::string &bytes)
{
  g_autoptr (GError) error = nullptr;
  auto playlist = hls::parse_playlist (bytes, record_.uri, &error, hls::ParseLimits ());
  if (!playlist || !choose (*playlist, &error)) {
    fail (error);
    return;
  }
  fetch_next_media_playlist ();
}

/* The media playlists the download's stream keys name, or the default
 * selection (see hls-downloader.h). */
bool HlsDownloader::choose (const hls::Playlist &playlist, GError **error)
{
  if (playlist.is_media ()) {
    for (const std::string &key : record_.stream_keys) {
      if (!parse_hls_stream_key (key, playlist, error))
        return false;
    }
    Chosen c;
    c.track = hls_tracks (playlist).front ();
    c.uri = record_.uri;
    c.media = playlist.media ();
    chosen_.push_back (std::move (c));
    return true;
  }
  const hls::MasterPlaylist &master = playlist.master ();
  std::vector<Track> listed = hls_tracks (playlist);
  auto keys = download_stream_keys (record_.stream_keys, listed, record_.uri, error);
  if (!keys)
    return false;
  for (const std::string &key : *keys) {
    auto ref = parse_hls_stream_key (key, playlist, error);
    if (!ref)
      return false;
    Chosen c;
    auto found = std::find_if (listed.begin (), listed.end (), [&] (const Track &t) { return t.stream_key == key; });
    if (found != listed.end ())
      c.track = *found;
    c.track.stream_key = key;
    if (ref->kind == HlsTrackRef::Kind::Variant) {
      c.uri = master.variants[ref->variant].uri;
      c.variant = master.variants[ref->variant];
    } else {
      const hls::Rendition &r = *ref->rendition;
      c.uri = *r.uri;
      if (r.type == hls::RenditionType::Audio)
        c.audio_group = r.group_id;
      c.subtitles = r.type == hls::RenditionType::Subtitles;
      if (c.subtitles && hls::is_ttml_in_mp4_codec (master.subtitles_codec (r.group_id))) {
        /* Left out of a default choice; refused when asked for. */
        if (record_.stream_keys.empty ())
          continue;
        g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
            "HLS subtitles '%s' are TTML in MP4 (%s), which is not supported (WebVTT is)", r.name.c_str (),
            master.subtitles_codec (r.group_id).c_str ());
        return false;
      }
      if (c.subtitles)
        c.track.codecs = "wvtt";
    }
    /* One playlist may be named twice (two variants with the same URI). */
    if (std::none_of (chosen_.begin (), chosen_.end (), [&] (const Chosen &o) { return o.uri == c.uri; }))
      chosen_.push_back (std::move (c));
  }
  return true;
}

/* Media playlists are few and small: one after the other. */
void HlsDownloader::fetch_next_media_playlist ()
{
  while (next_playlist_ < chosen_.size () && chosen_[next_playlist_].media)
    next_playlist_++;
  if (next_playlist_ == chosen_.size ()) {
    g_autoptr (GError) error = nullptr;
    if (!check_media_playlists (&error)) {
      fail (error);
      return;
    }
    keys_done_ = [this] (const GError *error) {
      if (error) {
        fail (error);
        return;
      }
      if (live_) {
        start_recording ();
        return;
      }
      for (Chosen &c : chosen_)
        c.sampled = hls_sampled_segments (*c.media);
      sample_segments ();
    };
    fetch_next_key ();
    return;
  }
  fetch_playlist (chosen_[next_playlist_].uri, [this] (std::string bytes) { on_media_playlist (bytes); });
}

void HlsDownloader::on_media_playlist (const std::string &bytes)
{
  g_autoptr (GError) error = nullptr;
  Chosen &c = chosen_[next_playlist_];
  c.media = hls::parse_media_playlist (bytes, c.uri, &error, hls::ParseLimits ());
  if (!c.media) {
    fail (error);
    return;
  }
  next_playlist_++;
  fetch_next_media_playlist ();
}

/* Refuses what cannot be played offline, and lists the keys to fetch. */
bool HlsDownloader::check_media_playlists (GError **error)
{
  bool any_live = std::any_of (chosen_.begin (), chosen_.end (), [] (const Chosen &c) { return c.media->is_live (); });
  bool all_live = std::all_of (chosen_.begin (), chosen_.end (), [] (const Chosen &c) { return c.media->is_live (); });
  if (any_live && !all_live) {
    for (const Chosen &c : chosen_) {
      if (!hls::check_not_live (*c.media, error)) {
        g_prefix_error (error, "the chosen playlists are live and not live at once: ");
        break;
      }
    }
    return false;
  }
  live_ = any_live;
  for (const Chosen &c : chosen_) {
    const hls::MediaPlaylist &media = *c.media;
    if (media.segments.empty () && !live_) {
      g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT, "%s has no segment",
          media.uri.c_str ());
      return false;
    }
    for (const hls::Segment &segment : media.segments) {
      const hls::Key *keys[] = { segment.key.get (),
        segment.init_section ? segment.init_section->key.get () : nullptr };
      for (const hls::Key *key : keys) {
        if (!key || key->method == hls::KeyMethod::None)
          continue;
        if (key->method == hls::KeyMethod::SampleAes || key->method == hls::KeyMethod::SampleAesCtr) {
          g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
              "HLS SAMPLE-AES is not supported (%s: METHOD=%s on line %" G_GSIZE_FORMAT ")", media.uri.c_str (),
              hls::key_method_name (key->method), key->line);
          return false;
        }
        if (key->key_format != "identity") {
          g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
              "%s: AES-128 with KEYFORMAT \"%s\" is not supported (line %" G_GSIZE_FORMAT ")", media.uri.c_str (),
              key->key_format.c_str (), key->line);
          return false;
        }
        if (key == keys[1]) {
          g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_UNSUPPORTED,
              "%s: an encrypted EXT-X-MAP is not supported (line %" G_GSIZE_FORMAT ")", media.uri.c_str (),
              segment.init_section->line);
          return false;
        }
        if (std::find (key_uris_.begin (), key_uris_.end (), key->uri) == key_uris_.end ())
          key_uris_.push_back (key->uri);
      }
    }
  }
  return true;
}

/* The lengths of a few segments of each chosen media playlist (a
 * rendition has no bandwidth of its own, a variant's BANDWIDTH may be far
 * from its rate), as the helper samples them: HEAD requests, all sent at
 * once, so that what the download will take is known before it fetches
 * anything. Last before the plan, once nothing else can refuse the
 * download. */
void HlsDownloader::sample_segments ()
{
  std::vector<std::string> urls;
  for (const Chosen &c : chosen_) {
    for (size_t k : c.sampled)
      urls.push_back (c.media->segments[k].uri);
  }
  auto round = std::make_shared<SampleRound> ();
  round->owner = this;
  sample_round_ = round;
  head_lengths_async (urls, record_.headers, cancellable_, [round] (std::vector<gint64> lengths, const GError *cancelled) {
    HlsDownloader *self = round->owner;
    if (!self)
      return;  /* gone already */
    round->owner = nullptr;
    self->sample_round_.reset ();
    if (cancelled) {
      self->fail (cancelled);
      return;
    }
    size_t next = 0;
    for (Chosen &c : self->chosen_) {
      c.sampled_lengths.assign (lengths.begin () + next, lengths.begin () + next + c.sampled.size ());
      next += c.sampled.size ();
    }
    self->estimate_bandwidths ();
    self->fetch_plan ();
  });
}

void HlsDownloader::estimate_bandwidths ()
{
  for (Chosen &c : chosen_)
    c.sampled_bandwidth = hls_sampled_bandwidth (*c.media, c.sampled, c.sampled_lengths);
  for (Chosen &c : chosen_) {
    /* A variant whose server told no length: its BANDWIDTH, which counts
     * its audio rendition too. */
    std::vector<guint64> audio;
    if (c.variant && c.sampled_bandwidth == 0) {
      for (const Chosen &r : chosen_) {
        if (r.audio_group && *r.audio_group == c.variant->audio_group && r.uri != c.uri)
          audio.push_back (hls_rendition_bandwidth (*r.media, r.sampled_bandwidth));
      }
    }
    c.estimate_bandwidth = hls_playlist_bandwidth (c.sampled_bandwidth, c.variant ? &*c.variant : nullptr, audio);
  }
}

/* Each distinct key URI once, into the license of the download in the
 * manager's DRM store; a key already there (an earlier attempt of this
 * download) is not fetched again. */
void HlsDownloader::fetch_next_key ()
{
  g_autoptr (GError) error = nullptr;
  if (!key_uris_.empty () && !drm_store_) {
    drm_store_ = license_manager_store (context_.licenses, true, &error);
    if (!drm_store_) {
      g_prefix_error (&error, "cannot open the DRM store for the AES-128 keys of %s: ", record_.id.c_str ());
      keys_done (error);
      return;
    }
  }
  if (next_key_ < key_uris_.size ()) {
    auto license = load_license (drm_store_, record_.id, nullptr);
    while (license && next_key_ < key_uris_.size () && license->find (hls_key_name (record_.id, key_uris_[next_key_])))
      next_key_++;
  }
  if (next_key_ == key_uris_.size ()) {
    keys_done (nullptr);
    return;
  }
  GST_DEBUG ("fetching AES-128 key %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT, next_key_ + 1, key_uris_.size ());
  /* Into memory (never into the cache), with the download's headers and
   * retry policy; neither the key nor anything derived from it is logged. */
  HttpRequest request;
  request.url = key_uris_[next_key_];
  request.headers = record_.headers;
  request.retry = context_.retry;
  request.max_size = kKeyLength;
  request.secret = true;
  request.what = "cannot fetch the AES-128 key";
  http_request_async (std::move (request), cancellable_, [this] (HttpResponse *response, const GError *e) {
    on_key (response ? &response->body : nullptr, e);
  });
}

void HlsDownloader::on_key (const std::string *key, const GError *fetch_error)
{
  if (fetch_error) {
    keys_done (fetch_error);
    return;
  }
  g_autoptr (GError) error = nullptr;
  if (key->size () != kKeyLength) {
    error = request_error_new (GST_OFFLINE_ERROR_INVALID_ARGUMENT, key_uris_[next_key_], SOUP_STATUS_OK,
        "the AES-128 key %s is %" G_GSIZE_FORMAT " bytes long, not 16", key_uris_[next_key_].c_str (), key->size ());
    keys_done (error);
    return;
  }
  /* An HLS key has no license server: it never expires. */
  ContentKey content_key {};
  std::copy (key->begin (), key->end (), content_key.begin ());
  std::string name = hls_key_name (record_.id, key_uris_[next_key_]);
  bool stored = add_license_key (drm_store_, record_.id, name, content_key, &error);
  std::fill (content_key.begin (), content_key.end (), 0);
  g_autoptr (GError) index_error = nullptr;
  if (stored && !note_license_in_index (cache_database (context_.cache), record_.id, true, &index_error))
    GST_WARNING ("%s: the index does not name its license: %s", record_.id.c_str (), index_error->message);
  if (!stored) {
    g_prefix_error (&error, "cannot store the AES-128 key %s: ", key_uris_[next_key_].c_str ());
    keys_done (error);
    return;
  }
  next_key_++;
  fetch_next_key ();
}

/* The keys are all in the store, or one could not be had (`error`): then
 * the download fails, or, during a recording, the reload does (the
 * recorder tries again later; the key is the next to fetch then). */
void HlsDownloader::keys_done (const GError *error)
{
  auto done = std::move (keys_done_);
  done (error);
}

/* The plan's tracks are the chosen playlists', as for a whole download. */
void HlsDownloader::start_recording ()
{
  std::vector<Track> tracks;
  for (const Chosen &c : chosen_) {
    g_autoptr (GError) error = nullptr;
    auto container = container_of (*c.media, c.subtitles, &error);
    if (!container) {
      fail (error);
      return;
    }
    Track t = c.track;
    t.index = static_cast<guint> (tracks.size ());
    t.container = *container;
    tracks.push_back (std::move (t));
  }
  GST_INFO ("%s: a live stream: recording %" G_GSIZE_FORMAT " tracks", record_.id.c_str (), tracks.size ());
  record_live (std::move (tracks), [this] (LiveRecorder::WindowsFn done) {
    reloaded_ = std::move (done);
    next_reload_ = 0;
    reload_next_media_playlist ();
  });
}

/* The chosen playlists again, one after the other, into memory (what the
 * recording keeps of them is its plan); then any key they add. */
void HlsDownloader::reload_next_media_playlist ()
{
  if (next_reload_ == chosen_.size ()) {
    g_autoptr (GError) error = nullptr;
    if (!check_media_playlists (&error)) {
      auto done = std::move (reloaded_);
      done (nullptr, error);
      return;
    }
    /* A key that cannot be had now is a reload that failed, not the
     * recording's end: its segments cannot be listed without it. */
    keys_done_ = [this] (const GError *error) {
      auto done = std::move (reloaded_);
      if (error) {
        done (nullptr, error);
        return;
      }
      std::vector<LiveWindow> windows = live_windows ();
      done (&windows, nullptr);
    };
    fetch_next_key ();
    return;
  }
  HttpRequest request;
  request.url = chosen_[next_reload_].uri;
  request.headers = record_.headers;
  request.retry = context_.retry;
  request.max_size = hls::ParseLimits ().max_bytes;
  request.what = "cannot reload the live playlist";
  http_request_async (std::move (request), cancellable_, [this] (HttpResponse *response, const GError *fetch_error) {
    g_autoptr (GError) error = nullptr;
    Chosen &c = chosen_[next_reload_];
    std::optional<hls::MediaPlaylist> media;
    if (!fetch_error && check_is_playlist (response->body.substr (0, 16), c.uri, &error))
      media = hls::parse_media_playlist (response->body, c.uri, &error, hls::ParseLimits ());
    if (fetch_error || !media) {
      auto done = std::move (reloaded_);
      done (nullptr, fetch_error ? fetch_error : error);
      return;
    }
    c.media = std::move (media);
    next_reload_++;
    reload_next_media_playlist ();
  });
}

std::vector<LiveWindow> HlsDownloader::live_windows () const
{
  std::vector<LiveWindow> windows;
  for (const Chosen &c : chosen_) {
    const hls::MediaPlaylist &media = *c.media;
    LiveWindow w;
    w.target_duration_ns = media.target_duration;
    w.ended = !media.is_live ();
    bool discontinuity = false;
    for (const hls::Segment &segment : media.segments) {
      discontinuity = discontinuity || segment.discontinuity;
      if (segment.gap)
        continue;  /* missing on the server: playback skips the hole */
      LiveSegment s;
      s.sequence = segment.media_sequence;
      s.duration_ns = segment.duration;
      s.discontinuity = discontinuity;
      discontinuity = false;
      s.spec = segment_spec (segment.uri, http_range (segment.byte_range));
      if (c.estimate_bandwidth > 0)
        s.spec.expected_length = estimate_segment_length (c.estimate_bandwidth, segment.duration);
      if (segment.init_section)
        s.init = segment_spec (segment.init_section->uri, http_range (segment.init_section->byte_range));
      if (segment.key && segment.key->method == hls::KeyMethod::Aes128) {
        s.key_resource = hls_key_name (record_.id, segment.key->uri);
        hls::Iv iv = segment.iv ();
        s.iv.assign (reinterpret_cast<const char *> (iv.data ()), iv.size ());
      }
      w.segments.push_back (std::move (s));
    }
    windows.push_back (std::move (w));
  }
  return windows;
}

/* One plan track per media playlist; each init section and segment is
 * fetched once. */
bool HlsDownloader::draw_plan (Plan *plan, playback_plan::Writer &segments, GError **error)
{
  std::vector<Track> &tracks = plan->tracks;
  std::set<std::string> fetched;
  for (const Chosen &c : chosen_) {
    auto container = container_of (*c.media, c.subtitles, error);
    if (!container)
      return false;
    Track t = c.track;
    t.index = static_cast<guint> (tracks.size ());
    t.container = *container;
    guint64 number = 0;
    for (const hls::Segment &segment : c.media->segments) {
      if (segment.gap)
        continue;  /* missing on the server: playback skips the hole */
      SegmentSpec spec = segment_spec (segment.uri, http_range (segment.byte_range));
      spec.expected_length = estimate_segment_length (c.estimate_bandwidth, segment.duration);
      PlanSegment s;
      s.track = t.index;
      s.number = number++;
      s.period = static_cast<guint> (MIN (segment.discontinuity_sequence, static_cast<guint64> (G_MAXUINT)));
      s.start_ns = segment.start;
      s.duration_ns = segment.duration;
      s.discontinuity = segment.discontinuity;
      if (segment.init_section) {
        SegmentSpec init = segment_spec (segment.init_section->uri, http_range (segment.init_section->byte_range));
        s.init_resource = init.fetch.cache_key;
        if (fetched.insert (init.fetch.cache_key).second)
          plan->first.push_back (std::move (init));
      }
      if (segment.key && segment.key->method == hls::KeyMethod::Aes128) {
        s.key_resource = hls_key_name (record_.id, segment.key->uri);
        hls::Iv iv = segment.iv ();
        s.iv.assign (reinterpret_cast<const char *> (iv.data ()), iv.size ());
      }
      /* A resource that several segments name is fetched once. */
      if (fetched.insert (spec.fetch.cache_key).second)
        fetch_with (s, spec);
      else
        s.resource = spec.fetch.cache_key;
      if (!segments.add (s, error))
        return false;
    }
    tracks.push_back (std::move (t));
  }
  GST_INFO ("%s: %" G_GSIZE_FORMAT " tracks, %" G_GSIZE_FORMAT " resources to fetch", record_.id.c_str (),
      tracks.size (), fetched.size ());
  return true;
}

void HlsDownloader::drop_segment_lists ()
{
  for (Chosen &c : chosen_)
    c.media.reset ();
}

}  // namespace gst_offline
