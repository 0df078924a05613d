/* A live origin for the recording tests: a libsoup server on 127.0.0.1,
 * in a thread of its own, that publishes the segments of VOD content made
 * by ffmpeg one at a time as wall-clock time passes (one every
 * `period_ms`), and lists the last `window` published: for HLS in a
 * sliding media playlist without EXT-X-ENDLIST (EXT-X-MEDIA-SEQUENCE = the
 * first listed), for DASH in a dynamic MPD at /dash/live.mpd made from
 * ffmpeg's static one, whose SegmentTimelines list the window (startNumber
 * left as ffmpeg wrote it, as origins with $Time$ often do; the
 * availabilityStartTime is the epoch, so that media time is its own
 * timeline), or, when ffmpeg wrote a SegmentTemplate with $Number$ and
 * @duration, that MPD made dynamic: its window is the time, which the
 * origin's own clock gives (availabilityStartTime plus one segment
 * duration per segment published), served at /dash/time and named by the
 * MPD's UTCTiming, so that a recorder reading it sees exactly the
 * segments published. Tests wait on its events (a segment published, a
 * segment served), never on the clock. Faults on demand: segments gone
 * (404), playlists unavailable (503), AES-128 keys unavailable or short,
 * a latency before every segment's answer (it counts the segment requests
 * in flight at once).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

typedef struct _SoupServerMessage SoupServerMessage;

namespace ot {

class LiveOrigin {
 public:
  struct Track {
    std::string name;  /* served at /NAME/index.m3u8 and /NAME/<segment> */
    std::string dir;   /* ffmpeg's index.m3u8 (VOD) and its segments */
  };

  /* `initial` segments are published at once; `master` (may be empty) is
   * served at /master.m3u8. */
  LiveOrigin (const std::vector<Track> &tracks, guint window, guint initial, guint period_ms,
      const std::string &master = "");
  /* DASH: ffmpeg's x.mpd in `dir` (SegmentTemplate with a SegmentTimeline
   * per Representation, or with $Number$ and @duration; one track per
   * Representation, named by its id). */
  struct Dash {};
  LiveOrigin (Dash, const std::string &dir, guint window, guint initial, guint period_ms);
  ~LiveOrigin ();
  LiveOrigin (const LiveOrigin &) = delete;
  LiveOrigin &operator= (const LiveOrigin &) = delete;

  /* http://127.0.0.1:PORT`path` */
  std::string url (const std::string &path) const;
  /* Segment `sequence` of every track answers 404, as one that left the
   * origin's window does. */
  void drop (guint sequence);
  /* The next `count` playlist requests answer 503. */
  void fail_playlists (guint count);
  /* DASH: the MPD's @timeShiftBufferDepth, in seconds (default: the
   * window's length). */
  void set_time_shift_buffer_depth (guint seconds);
  /* DASH $Number$: the MPD names an NTP server first (unsupported:
   * skipped), then the origin's clock as the Date header of a HEAD answer
   * at /dash/time (urn:mpeg:dash:utc:http-head:2014), which answers HEAD
   * only. */
  void time_by_head ();
  /* HEAD requests /dash/time answered. */
  guint time_heads ();
  /* HLS: every segment is served encrypted with AES-128 (CBC, PKCS7, the
   * IV its media sequence number), under key 0 (/keys/0) before sequence
   * `rotate_at` and key 1 (/keys/1) from it on, as the playlists' EXT-X-KEY
   * tags say. */
  void encrypt (guint rotate_at);
  /* The bytes of key `index`. */
  static std::string key (guint index);
  /* The next `unavailable` requests of key `index` answer 503, the
   * `truncated` after them 15 bytes. */
  void break_key (guint index, guint unavailable, guint truncated);
  /* Every segment's answer starts `ms` after its request came. */
  void set_latency (guint ms);
  /* The most segment requests the origin held at once (from their
   * arrival to their last byte). */
  guint max_in_flight ();
  /* The stream ends once every segment is published (EXT-X-ENDLIST). */
  void end_when_published ();
  /* Publishes the next `count` segments now: with a `period_ms` of
   * G_MAXINT the test is the origin's clock, time passing when it says. */
  void publish (guint count);
  /* Blocks until at least `count` segments are published. */
  void wait_published (guint count);
  guint published ();
  /* Blocks until `count` segments of `track` were served whole. */
  void wait_served (const std::string &track, guint count);
  /* The segments of `track` served whole, by sequence number. */
  std::set<guint> served (const std::string &track);
  /* The file of segment `sequence` of `track` (for DASH the one ffmpeg
   * wrote, whatever its name in the MPD). */
  std::string segment_file (const std::string &track, guint sequence) const;
  /* The sequence number (0 the first of the content) of the segment file
   * `file` of `track`, -1 if none. */
  int sequence_of (const std::string &track, const std::string &file) const;
  guint total () const { return total_; }

 private:
  struct Segment {
    std::string file;
    std::string duration;  /* as ffmpeg wrote it in EXTINF */
    guint64 t = 0, d = 0;  /* DASH: its S@t and S@d */
    /* DASH: the file ffmpeg wrote it to (its first audio segment's name
     * has the time before the encoder's priming, -1024, not its S@t). */
    std::string source;
  };
  void start ();
  void numbered (const std::string &dir);
  bool locate (const std::string &path, std::string *track, guint *sequence) const;
  std::string mpd ();
  static gpointer thread_main (gpointer data);
  static gboolean publish_next (gpointer data);
  void handle (const std::string &path, guint *status, std::string *body, std::string *type);
  void answer (SoupServerMessage *msg, const char *path);
  std::string encrypted (const std::string &clear, guint sequence) const;
  std::string playlist (const std::string &track);

  std::vector<Track> tracks_;
  std::map<std::string, std::vector<Segment>> segments_;
  guint window_;
  guint period_ms_;
  std::string master_;
  /* DASH: ffmpeg's MPD, and its Representation ids in document order. */
  std::string static_mpd_;
  std::vector<std::string> rep_ids_;
  /* DASH: $Number$ and @duration (no SegmentTimeline); @timeShiftBufferDepth. */
  bool numbered_ = false;
  guint time_shift_buffer_depth_ = 0;
  guint total_ = 0;

  GMutex lock_;
  GCond cond_;
  guint published_ = 0;
  bool end_ = false;
  std::set<guint> dropped_;
  guint failing_playlists_ = 0;
  std::map<std::string, std::set<guint>> served_;
  std::string base_url_;
  bool time_by_head_ = false;
  guint time_heads_ = 0;
  std::optional<guint> rotate_at_;
  std::map<guint, std::pair<guint, guint>> broken_keys_;
  guint latency_ms_ = 0;
  guint in_flight_ = 0;
  guint max_in_flight_ = 0;
  /* The answers waiting for their latency (the origin's thread only). */
  std::set<GSource *> held_;

  GMainContext *context_ = nullptr;
  GMainLoop *loop_ = nullptr;
  GThread *thread_ = nullptr;
};

}  // namespace ot
