/* An HLS download: the playlist (kept in the cache), the chosen media
 * playlists (kept too), the AES-128 keys (into the DRM store, never the
 * cache), then the playback plan and every init section and segment,
 * several at a time in start-time order.
 *
 * Without stream keys a master playlist gives the default selection of
 * tracks/track-selection.h, the one rule of every format: the best variant
 * (largest resolution, then bandwidth), from that variant's AUDIO group one
 * rendition per language (the DEFAULT=YES one, else the group's first), and
 * every rendition of its SUBTITLES group. A variant without an AUDIO group
 * carries its own audio; audio-only variants are taken only when there is
 * no video variant. With stream keys (tracks/hls-tracks.h) exactly the
 * named variants and renditions are taken.
 *
 * Live playlists (no EXT-X-ENDLIST, not of type VOD) are recorded by a
 * LiveRecorder (live-recorder.h): every chosen media playlist is reloaded
 * (the master is not: RFC 8216 6.3.4, hls.js and ExoPlayer reload media
 * playlists only), and the segments it adds are recorded by media sequence
 * number. A key a reload names anew that cannot be had is a failed reload
 * (the recorder tries again), not the recording's end.
 *
 * Refused with UNSUPPORTED: a master whose chosen playlists are live and
 * not live at once, SAMPLE-AES and SAMPLE-AES-CTR,
 * AES-128 keys in another KEYFORMAT than "identity", encrypted EXT-X-MAP
 * sections and packed audio (.aac, .mp3, .ac3, .ec3 segments).
 *
 * Each EXT-X-BYTERANGE is fetched as its own ranged resource; merging
 * adjacent ranges of one file into one request is a later optimisation.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "downloader/adaptive-downloader.h"
#include "index/track-model.h"
#include "manifest/hls/playlist-model.h"

#include <gst/offline/offline-drm-store.h>

#include <memory>
#include <set>

namespace gst_offline {

class HlsDownloader : public AdaptiveDownloader {
 public:
  HlsDownloader (const DownloadRecord &record, const DownloaderContext &context);
  ~HlsDownloader () override;

 private:
  /* A chosen media playlist and its track, as hls_tracks() lists it. */
  struct Chosen {
    Track track;
    std::string uri;
    /* What its segments' sizes are estimated with: the rate of its
     * sampled segments, else a variant's estimate bandwidth less its chosen
     * audio renditions' (tracks/track-size.h). */
    guint64 estimate_bandwidth = 0;
    guint64 sampled_bandwidth = 0;
    bool subtitles = false;
    std::optional<hls::MediaPlaylist> media;
    /* A variant: itself; an audio rendition: its GROUP-ID. */
    std::optional<hls::Variant> variant;
    std::optional<std::string> audio_group;
    /* Its sampled segments (hls_sampled_segments ()) and the lengths
     * their servers told. */
    std::vector<size_t> sampled;
    std::vector<gint64> sampled_lengths;
  };

  void begin () override;
  void fetch_playlist (const std::string &uri, DocumentFn then);
  void on_playlist (const std::string &bytes);
  bool choose (const hls::Playlist &playlist, GError **error);
  void fetch_next_media_playlist ();
  void on_media_playlist (const std::string &bytes);
  bool check_media_playlists (GError **error);
  void sample_segments ();
  void estimate_bandwidths ();
  void fetch_next_key ();
  void start_recording ();
  void reload_next_media_playlist ();
  std::vector<LiveWindow> live_windows () const;
  void on_key (const std::string *key, const GError *error);
  void keys_done (const GError *error);
  bool draw_plan (Plan *plan, playback_plan::Writer &segments, GError **error) override;
  void drop_segment_lists () override;

  /* The HEAD requests of sample_segments () (head_lengths_async ()):
   * their answer reaches this downloader while `owner` is set (not after
   * it is gone). */
  struct SampleRound {
    HlsDownloader *owner = nullptr;
  };

  std::vector<Chosen> chosen_;
  size_t next_playlist_ = 0;
  std::shared_ptr<SampleRound> sample_round_;
  /* AES-128 key URIs still to fetch, in order, and the next one. */
  std::vector<std::string> key_uris_;
  size_t next_key_ = 0;
  GstOfflineDrmStore *drm_store_ = nullptr;  /* the license manager's */
  /* The chosen playlists are live: recorded. */
  bool live_ = false;
  /* What comes once the keys are fetched, or with the error if one cannot be. */
  std::function<void (const GError *error)> keys_done_;
  /* A reload of the live playlists: the next to reload, and who waits. */
  size_t next_reload_ = 0;
  LiveRecorder::WindowsFn reloaded_;
};

}  // namespace gst_offline
