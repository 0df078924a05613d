/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "live-origin.h"

#include <libsoup/soup.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ot {

namespace {

std::string read_file (const std::string &path)
{
  gchar *contents = nullptr;
  gsize length = 0;
  if (!g_file_get_contents (path.c_str (), &contents, &length, nullptr))
    return {};
  std::string text (contents, length);
  g_free (contents);
  return text;
}

/* The availabilityStartTime of a $Number$ MPD: any instant will do, as
 * long as the origin's clock counts from it. */
constexpr const char *kNumberedStart = "2020-01-01T00:00:00Z";

struct Served {
  LiveOrigin *origin;
  std::string track;
  guint sequence;
};

}  // namespace

LiveOrigin::LiveOrigin (const std::vector<Track> &tracks, guint window, guint initial, guint period_ms,
    const std::string &master)
    : tracks_ (tracks), window_ (window), period_ms_ (period_ms), master_ (master)
{
  g_mutex_init (&lock_);
  g_cond_init (&cond_);
  for (const Track &t : tracks_) {
    std::istringstream lines (read_file (t.dir + "/index.m3u8"));
    std::string line, duration;
    std::vector<Segment> &list = segments_[t.name];
    while (std::getline (lines, line)) {
      if (line.rfind ("#EXTINF:", 0) == 0) {
        duration = line.substr (8);
        if (!duration.empty () && duration.back () == ',')
          duration.pop_back ();
      } else if (!line.empty () && line[0] != '#') {
        list.push_back (Segment { line, duration });
      }
    }
    g_assert (!list.empty ());
    total_ = total_ == 0 ? list.size () : MIN (total_, list.size ());
  }
  published_ = MIN (initial, total_);
  start ();
}

LiveOrigin::LiveOrigin (Dash, const std::string &dir, guint window, guint initial, guint period_ms)
    : window_ (window), period_ms_ (period_ms)
{
  g_mutex_init (&lock_);
  g_cond_init (&cond_);
  static_mpd_ = read_file (dir + "/x.mpd");
  g_assert (!static_mpd_.empty ());
  time_shift_buffer_depth_ = window;
  if (static_mpd_.find ("<SegmentTimeline>") == std::string::npos) {
    numbered (dir);
    published_ = MIN (initial, total_);
    start ();
    return;
  }
  /* Each Representation's id, media template and timeline, in order. */
  g_autoptr (GRegex) rep_re = g_regex_new ("<Representation id=\"([^\"]+)\".*?media=\"([^\"]+)\".*?"
      "<SegmentTimeline>(.*?)</SegmentTimeline>", G_REGEX_DOTALL, (GRegexMatchFlags) 0, nullptr);
  g_autoptr (GRegex) s_re = g_regex_new ("<S( t=\"(\\d+)\")? d=\"(\\d+)\"( r=\"(\\d+)\")?", (GRegexCompileFlags) 0,
      (GRegexMatchFlags) 0, nullptr);
  GMatchInfo *rep_match = nullptr;
  g_regex_match (rep_re, static_mpd_.c_str (), (GRegexMatchFlags) 0, &rep_match);
  while (g_match_info_matches (rep_match)) {
    g_autofree gchar *id = g_match_info_fetch (rep_match, 1);
    g_autofree gchar *media = g_match_info_fetch (rep_match, 2);
    g_autofree gchar *timeline = g_match_info_fetch (rep_match, 3);
    rep_ids_.push_back (id);
    tracks_.push_back (Track { id, dir });
    std::vector<Segment> &list = segments_[id];
    guint64 t = 0;
    GMatchInfo *s_match = nullptr;
    g_regex_match (s_re, timeline, (GRegexMatchFlags) 0, &s_match);
    while (g_match_info_matches (s_match)) {
      g_autofree gchar *st = g_match_info_fetch (s_match, 2);
      g_autofree gchar *sd = g_match_info_fetch (s_match, 3);
      g_autofree gchar *sr = g_match_info_fetch (s_match, 5);
      if (st && *st)
        t = g_ascii_strtoull (st, nullptr, 10);
      guint64 d = g_ascii_strtoull (sd, nullptr, 10);
      guint64 r = sr && *sr ? g_ascii_strtoull (sr, nullptr, 10) : 0;
      for (guint64 k = 0; k <= r; k++, t += d) {
        std::string file = media;
        file.replace (file.find ("$RepresentationID$"), 18, id);
        file.replace (file.find ("$Time$"), 6, std::to_string (t));
        list.push_back (Segment { file, "", t, d });
      }
      g_match_info_next (s_match, nullptr);
    }
    g_match_info_free (s_match);
    g_assert (!list.empty ());
    /* ffmpeg's files of this Representation, by the time in their names. */
    std::string prefix = "chunk-stream" + std::string (id) + "-";
    std::vector<std::pair<gint64, std::string>> files;
    g_autoptr (GDir) listing = g_dir_open (dir.c_str (), 0, nullptr);
    g_assert (listing);
    while (const gchar *name = g_dir_read_name (listing)) {
      if (g_str_has_prefix (name, prefix.c_str ()))
        files.emplace_back (g_ascii_strtoll (name + prefix.size (), nullptr, 10), name);
    }
    std::sort (files.begin (), files.end ());
    g_assert (files.size () == list.size ());
    for (size_t i = 0; i < list.size (); i++)
      list[i].source = files[i].second;
    total_ = total_ == 0 ? list.size () : MIN (total_, list.size ());
    g_match_info_next (rep_match, nullptr);
  }
  g_match_info_free (rep_match);
  g_assert (!rep_ids_.empty ());
  published_ = MIN (initial, total_);
  start ();
}

/* ffmpeg's $Number$ template: each Representation's files, by number. */
void LiveOrigin::numbered (const std::string &dir)
{
  numbered_ = true;
  g_autoptr (GRegex) rep_re = g_regex_new ("<Representation id=\"([^\"]+)\".*?media=\"([^\"]+)\".*?"
      "startNumber=\"(\\d+)\"", G_REGEX_DOTALL, (GRegexMatchFlags) 0, nullptr);
  GMatchInfo *rep_match = nullptr;
  g_regex_match (rep_re, static_mpd_.c_str (), (GRegexMatchFlags) 0, &rep_match);
  while (g_match_info_matches (rep_match)) {
    g_autofree gchar *id = g_match_info_fetch (rep_match, 1);
    g_autofree gchar *media = g_match_info_fetch (rep_match, 2);
    g_autofree gchar *start_number = g_match_info_fetch (rep_match, 3);
    rep_ids_.push_back (id);
    tracks_.push_back (Track { id, dir });
    std::vector<Segment> &list = segments_[id];
    std::string templ = media;
    templ.replace (templ.find ("$RepresentationID$"), 18, id);
    size_t number = templ.find ("$Number%05d$");
    g_assert (number != std::string::npos);
    for (guint64 n = g_ascii_strtoull (start_number, nullptr, 10);; n++) {
      g_autofree gchar *digits = g_strdup_printf ("%05" G_GUINT64_FORMAT, n);
      std::string file = templ;
      file.replace (number, 12, digits);
      if (!g_file_test ((dir + "/" + file).c_str (), G_FILE_TEST_EXISTS))
        break;
      list.push_back (Segment { file, "", 0, 0, file });
    }
    g_assert (!list.empty ());
    total_ = total_ == 0 ? list.size () : MIN (total_, list.size ());
    g_match_info_next (rep_match, nullptr);
  }
  g_match_info_free (rep_match);
  g_assert (!rep_ids_.empty ());
}

void LiveOrigin::start ()
{
  context_ = g_main_context_new ();
  loop_ = g_main_loop_new (context_, FALSE);
  thread_ = g_thread_new ("live-origin", thread_main, this);
  g_mutex_lock (&lock_);
  while (base_url_.empty ())
    g_cond_wait (&cond_, &lock_);
  g_mutex_unlock (&lock_);
}

LiveOrigin::~LiveOrigin ()
{
  g_main_context_invoke (context_, [] (gpointer loop) -> gboolean {
    g_main_loop_quit (static_cast<GMainLoop *> (loop));
    return G_SOURCE_REMOVE;
  }, loop_);
  g_thread_join (thread_);
  g_main_loop_unref (loop_);
  g_main_context_unref (context_);
  g_cond_clear (&cond_);
  g_mutex_clear (&lock_);
}

gpointer LiveOrigin::thread_main (gpointer data)
{
  auto self = static_cast<LiveOrigin *> (data);
  g_main_context_push_thread_default (self->context_);
  SoupServer *soup = soup_server_new ("server-header", "live-origin ", nullptr);
  soup_server_add_handler (soup, nullptr, [] (SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *,
      gpointer user_data) {
    auto origin = static_cast<LiveOrigin *> (user_data);
    std::string track;
    guint i = 0;
    bool segment = origin->locate (path, &track, &i);
    g_mutex_lock (&origin->lock_);
    guint latency = segment ? origin->latency_ms_ : 0;
    if (segment) {
      origin->in_flight_++;
      origin->max_in_flight_ = MAX (origin->max_in_flight_, origin->in_flight_);
    }
    g_mutex_unlock (&origin->lock_);
    if (segment) {
      g_signal_connect (msg, "finished", G_CALLBACK (+[] (SoupServerMessage *, LiveOrigin *o) {
        g_mutex_lock (&o->lock_);
        o->in_flight_--;
        g_mutex_unlock (&o->lock_);
      }), origin);
    }
    if (latency == 0) {
      origin->answer (msg, path);
      return;
    }
    /* Answered once the latency has passed. */
    struct Held {
      LiveOrigin *origin;
      SoupServerMessage *msg;
      std::string path;
    };
    soup_server_message_pause (msg);
    GSource *timer = g_timeout_source_new (latency);
    g_source_set_callback (timer, [] (gpointer data) -> gboolean {
      auto held = static_cast<Held *> (data);
      held->origin->held_.erase (g_main_current_source ());
      held->origin->answer (held->msg, held->path.c_str ());
      soup_server_message_unpause (held->msg);
      return G_SOURCE_REMOVE;
    }, new Held { origin, SOUP_SERVER_MESSAGE (g_object_ref (msg)), path }, [] (gpointer data) {
      auto held = static_cast<Held *> (data);
      g_object_unref (held->msg);
      delete held;
    });
    g_source_attach (timer, origin->context_);
    origin->held_.insert (timer);
    g_source_unref (timer);
  }, self, nullptr);
  GInetAddress *loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *address = g_inet_socket_address_new (loopback, 0);
  GError *error = nullptr;
  if (!soup_server_listen (soup, address, (SoupServerListenOptions) 0, &error))
    g_error ("live-origin: cannot listen on 127.0.0.1: %s", error->message);
  g_object_unref (address);
  g_object_unref (loopback);
  GSList *uris = soup_server_get_uris (soup);
  guint port = g_uri_get_port (static_cast<GUri *> (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  GSource *timer = g_timeout_source_new (self->period_ms_);
  g_source_set_callback (timer, publish_next, self, nullptr);
  g_source_attach (timer, self->context_);

  g_mutex_lock (&self->lock_);
  self->base_url_ = "http://127.0.0.1:" + std::to_string (port);
  g_cond_broadcast (&self->cond_);
  g_mutex_unlock (&self->lock_);

  g_main_loop_run (self->loop_);

  g_source_destroy (timer);
  g_source_unref (timer);
  /* Answers still held are not given. */
  for (GSource *held : self->held_)
    g_source_destroy (held);
  self->held_.clear ();
  soup_server_disconnect (soup);
  g_object_unref (soup);
  while (g_main_context_iteration (self->context_, FALSE))
    ;
  g_main_context_pop_thread_default (self->context_);
  return nullptr;
}

/* The origin's clock (under the lock): a $Number$ MPD's availabilityStartTime
 * plus one segment duration (1 s: ffmpeg's -seg_duration) per segment
 * published. */
static GDateTime *
origin_clock (guint published)
{
  g_autoptr (GDateTime) start = g_date_time_new_from_iso8601 (kNumberedStart, nullptr);
  return g_date_time_add_seconds (start, published);
}

void LiveOrigin::answer (SoupServerMessage *msg, const char *path)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  bool head = g_str_equal (soup_server_message_get_method (msg), "HEAD");
  g_mutex_lock (&lock_);
  if (time_by_head_ && g_str_equal (path, "/dash/time")) {
    /* http-head: the time is the Date header's, of a HEAD answer only. */
    if (head) {
      time_heads_++;
      g_autoptr (GDateTime) now = origin_clock (published_);
      g_autofree gchar *date = soup_date_time_to_string (now, SOUP_DATE_HTTP);
      soup_message_headers_replace (headers, "Date", date);
    }
    g_mutex_unlock (&lock_);
    soup_server_message_set_status (msg, head ? SOUP_STATUS_OK : SOUP_STATUS_METHOD_NOT_ALLOWED, nullptr);
    return;
  }
  g_mutex_unlock (&lock_);
  guint status = SOUP_STATUS_NOT_FOUND;
  std::string body, type = "application/octet-stream";
  handle (path, &status, &body, &type);
  soup_server_message_set_status (msg, status, nullptr);
  if (status != SOUP_STATUS_OK)
    return;
  soup_message_headers_append (headers, "Cache-Control", "no-cache");
  soup_server_message_set_response (msg, type.c_str (), SOUP_MEMORY_COPY, body.data (), body.size ());
  /* A segment counts as served once its last byte went out. */
  std::string track;
  guint i = 0;
  if (locate (path, &track, &i)) {
    auto served = new Served { this, track, i };
    g_signal_connect_data (msg, "finished", G_CALLBACK (+[] (SoupServerMessage *, gpointer d) {
      auto s = static_cast<Served *> (d);
      g_mutex_lock (&s->origin->lock_);
      s->origin->served_[s->track].insert (s->sequence);
      g_cond_broadcast (&s->origin->cond_);
      g_mutex_unlock (&s->origin->lock_);
    }), served, [] (gpointer d, GClosure *) { delete static_cast<Served *> (d); }, G_CONNECT_DEFAULT);
  }
}

/* AES-128-CBC (PKCS7) of `clear` under the key of segment `sequence`, the
 * IV its media sequence number (RFC 8216 5.2: no IV attribute). */
std::string LiveOrigin::encrypted (const std::string &clear, guint sequence) const
{
  std::string key_bytes = key (sequence < *rotate_at_ ? 0 : 1);
  unsigned char iv[16] = {};
  for (int b = 0; b < 4; b++)
    iv[15 - b] = static_cast<unsigned char> (sequence >> (8 * b));
  std::string out (clear.size () + 16, '\0');
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new ();
  int len = 0, tail = 0;
  bool ok = ctx && EVP_EncryptInit_ex (ctx, EVP_aes_128_cbc (), nullptr,
                       reinterpret_cast<const unsigned char *> (key_bytes.data ()), iv) == 1
      && EVP_EncryptUpdate (ctx, reinterpret_cast<unsigned char *> (out.data ()), &len,
             reinterpret_cast<const unsigned char *> (clear.data ()), static_cast<int> (clear.size ())) == 1
      && EVP_EncryptFinal_ex (ctx, reinterpret_cast<unsigned char *> (out.data ()) + len, &tail) == 1;
  EVP_CIPHER_CTX_free (ctx);
  g_assert (ok);
  out.resize (static_cast<size_t> (len + tail));
  return out;
}

std::string LiveOrigin::key (guint index)
{
  std::string bytes (16, '\0');
  for (guint b = 0; b < 16; b++)
    bytes[b] = static_cast<char> (0x10 * (index + 1) + b);
  return bytes;
}

/* Wall-clock time passes: the next segment is published. */
gboolean LiveOrigin::publish_next (gpointer data)
{
  auto self = static_cast<LiveOrigin *> (data);
  g_mutex_lock (&self->lock_);
  if (self->published_ < self->total_)
    self->published_++;
  g_cond_broadcast (&self->cond_);
  g_mutex_unlock (&self->lock_);
  return G_SOURCE_CONTINUE;
}

std::string LiveOrigin::playlist (const std::string &track)
{
  const std::vector<Segment> &list = segments_[track];
  guint first = published_ > window_ ? published_ - window_ : 0;
  double target = 1;
  for (const Segment &s : list)
    target = MAX (target, std::ceil (g_ascii_strtod (s.duration.c_str (), nullptr)));
  std::string text = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:" + std::to_string ((int) target)
      + "\n#EXT-X-MEDIA-SEQUENCE:" + std::to_string (first) + "\n";
  for (guint i = first; i < published_; i++) {
    if (rotate_at_ && (i == first || i == *rotate_at_))
      text += "#EXT-X-KEY:METHOD=AES-128,URI=\"/keys/" + std::to_string (i < *rotate_at_ ? 0 : 1) + "\"\n";
    text += "#EXTINF:" + list[i].duration + ",\n" + list[i].file + "\n";
  }
  if (end_ && published_ == total_)
    text += "#EXT-X-ENDLIST\n";
  return text;
}

/* The track and sequence number of the segment at `path`. */
bool LiveOrigin::locate (const std::string &path, std::string *track, guint *sequence) const
{
  size_t slash = path.find ('/', 1);
  if (slash == std::string::npos)
    return false;
  std::string dir = path.substr (1, slash - 1), file = path.substr (slash + 1);
  for (const auto &[name, list] : segments_) {
    if (static_mpd_.empty () && name != dir)
      continue;
    for (guint i = 0; i < list.size (); i++) {
      if (list[i].file == file) {
        *track = name;
        *sequence = i;
        return true;
      }
    }
  }
  return false;
}

int LiveOrigin::sequence_of (const std::string &track, const std::string &file) const
{
  std::string found;
  guint sequence = 0;
  std::string dir = static_mpd_.empty () ? track : "dash";
  if (!locate ("/" + dir + "/" + file, &found, &sequence) || found != track)
    return -1;
  return static_cast<int> (sequence);
}

/* The dynamic MPD: ffmpeg's, live, each SegmentTimeline the window's. */
std::string LiveOrigin::mpd ()
{
  guint first = published_ > window_ ? published_ - window_ : 0;
  std::string text = static_mpd_;
  auto replace = [&text] (const std::string &from, const std::string &to) {
    size_t at = text.find (from);
    g_assert (at != std::string::npos);
    text.replace (at, from.size (), to);
  };
  replace ("type=\"static\"", "type=\"dynamic\" availabilityStartTime=\"" + std::string (numbered_ ? kNumberedStart : "1970-01-01T00:00:00Z")
      + "\" timeShiftBufferDepth=\"PT" + std::to_string (time_shift_buffer_depth_) + "S\" minimumUpdatePeriod=\"PT1S\"");
  size_t duration = text.find ("mediaPresentationDuration=\"");
  g_assert (duration != std::string::npos);
  text.erase (duration, text.find ('"', duration + 27) + 1 - duration);
  /* $Number$: the segments are the time's; the time is the origin's. */
  if (numbered_) {
    if (time_by_head_)
      replace ("</MPD>", "\t<UTCTiming schemeIdUri=\"urn:mpeg:dash:utc:ntp:2014\" value=\"ntp.invalid\"/>\n"
          "\t<UTCTiming schemeIdUri=\"urn:mpeg:dash:utc:http-head:2014\" value=\"" + url ("/dash/time") + "\"/>\n</MPD>");
    else
      replace ("</MPD>", "\t<UTCTiming schemeIdUri=\"urn:mpeg:dash:utc:http-iso:2014\" value=\"" + url ("/dash/time")
          + "\"/>\n</MPD>");
    return text;
  }
  size_t from = 0;
  for (const std::string &id : rep_ids_) {
    size_t open = text.find ("<SegmentTimeline>", from) + 17;
    size_t close = text.find ("</SegmentTimeline>", open);
    std::string entries;
    const std::vector<Segment> &list = segments_[id];
    for (guint i = first; i < published_; i++)
      entries += "<S t=\"" + std::to_string (list[i].t) + "\" d=\"" + std::to_string (list[i].d) + "\"/>";
    text.replace (open, close - open, entries);
    from = open + entries.size ();
  }
  return text;
}

void LiveOrigin::handle (const std::string &path, guint *status, std::string *body, std::string *type)
{
  g_mutex_lock (&lock_);
  if (!static_mpd_.empty ()) {
    std::string track;
    guint sequence = 0;
    std::string file = path.substr (path.rfind ('/') + 1);
    if (path == "/dash/time" && numbered_) {
      g_autoptr (GDateTime) now = origin_clock (published_);
      g_autofree gchar *text = g_date_time_format_iso8601 (now);
      *status = SOUP_STATUS_OK;
      *body = text;
      *type = "text/plain";
    } else if (path == "/dash/live.mpd" && failing_playlists_ > 0) {
      failing_playlists_--;
      *status = SOUP_STATUS_SERVICE_UNAVAILABLE;
    } else if (path == "/dash/live.mpd") {
      *status = SOUP_STATUS_OK;
      *body = mpd ();
      *type = "application/dash+xml";
    } else if (g_str_has_prefix (path.c_str (), "/dash/init-")) {
      *body = read_file (tracks_.front ().dir + "/" + file);
      *status = body->empty () ? SOUP_STATUS_NOT_FOUND : SOUP_STATUS_OK;
      *type = "video/mp4";
    } else if (locate (path, &track, &sequence) && sequence < published_ && !dropped_.count (sequence)) {
      *body = read_file (tracks_.front ().dir + "/" + segments_[track][sequence].source);
      *status = SOUP_STATUS_OK;
      *type = "video/mp4";
    }
    g_mutex_unlock (&lock_);
    return;
  }
  if (rotate_at_ && g_str_has_prefix (path.c_str (), "/keys/")) {
    guint index = static_cast<guint> (g_ascii_strtoull (path.c_str () + 6, nullptr, 10));
    auto &[unavailable, truncated] = broken_keys_[index];
    *type = "application/octet-stream";
    if (unavailable > 0) {
      unavailable--;
      *status = SOUP_STATUS_SERVICE_UNAVAILABLE;
    } else {
      *status = SOUP_STATUS_OK;
      *body = key (index);
      if (truncated > 0) {
        truncated--;
        body->resize (15);
      }
    }
    g_mutex_unlock (&lock_);
    return;
  }
  if (path == "/master.m3u8" && !master_.empty ()) {
    *status = SOUP_STATUS_OK;
    *body = master_;
    *type = "application/vnd.apple.mpegurl";
  }
  size_t slash = path.find ('/', 1);
  if (slash != std::string::npos) {
    std::string track = path.substr (1, slash - 1), file = path.substr (slash + 1);
    auto list = segments_.find (track);
    if (list != segments_.end () && file == "index.m3u8" && failing_playlists_ > 0) {
      failing_playlists_--;
      *status = SOUP_STATUS_SERVICE_UNAVAILABLE;
    } else if (list != segments_.end () && file == "index.m3u8") {
      *status = SOUP_STATUS_OK;
      *body = playlist (track);
      *type = "application/vnd.apple.mpegurl";
    } else if (list != segments_.end ()) {
      for (guint i = 0; i < published_; i++) {
        if (list->second[i].file != file || dropped_.count (i))
          continue;
        for (const Track &t : tracks_) {
          if (t.name == track)
            *body = read_file (t.dir + "/" + file);
        }
        if (rotate_at_)
          *body = encrypted (*body, i);
        *status = SOUP_STATUS_OK;
        *type = "video/mp2t";
      }
    }
  }
  g_mutex_unlock (&lock_);
}

std::string LiveOrigin::url (const std::string &path) const
{
  return base_url_ + path;
}

void LiveOrigin::drop (guint sequence)
{
  g_mutex_lock (&lock_);
  dropped_.insert (sequence);
  g_mutex_unlock (&lock_);
}

void LiveOrigin::fail_playlists (guint count)
{
  g_mutex_lock (&lock_);
  failing_playlists_ = count;
  g_mutex_unlock (&lock_);
}

void LiveOrigin::set_time_shift_buffer_depth (guint seconds)
{
  g_mutex_lock (&lock_);
  time_shift_buffer_depth_ = seconds;
  g_mutex_unlock (&lock_);
}

void LiveOrigin::time_by_head ()
{
  g_mutex_lock (&lock_);
  time_by_head_ = true;
  g_mutex_unlock (&lock_);
}

guint LiveOrigin::time_heads ()
{
  g_mutex_lock (&lock_);
  guint count = time_heads_;
  g_mutex_unlock (&lock_);
  return count;
}

void LiveOrigin::encrypt (guint rotate_at)
{
  g_mutex_lock (&lock_);
  rotate_at_ = rotate_at;
  g_mutex_unlock (&lock_);
}

void LiveOrigin::break_key (guint index, guint unavailable, guint truncated)
{
  g_mutex_lock (&lock_);
  broken_keys_[index] = { unavailable, truncated };
  g_mutex_unlock (&lock_);
}

void LiveOrigin::set_latency (guint ms)
{
  g_mutex_lock (&lock_);
  latency_ms_ = ms;
  g_mutex_unlock (&lock_);
}

guint LiveOrigin::max_in_flight ()
{
  g_mutex_lock (&lock_);
  guint count = max_in_flight_;
  g_mutex_unlock (&lock_);
  return count;
}

void LiveOrigin::end_when_published ()
{
  g_mutex_lock (&lock_);
  end_ = true;
  g_mutex_unlock (&lock_);
}

void LiveOrigin::publish (guint count)
{
  g_mutex_lock (&lock_);
  published_ = MIN (published_ + count, total_);
  g_cond_broadcast (&cond_);
  g_mutex_unlock (&lock_);
}

void LiveOrigin::wait_published (guint count)
{
  g_mutex_lock (&lock_);
  g_assert (count <= total_);
  while (published_ < count)
    g_cond_wait (&cond_, &lock_);
  g_mutex_unlock (&lock_);
}

guint LiveOrigin::published ()
{
  g_mutex_lock (&lock_);
  guint count = published_;
  g_mutex_unlock (&lock_);
  return count;
}

void LiveOrigin::wait_served (const std::string &track, guint count)
{
  g_mutex_lock (&lock_);
  while (served_[track].size () < count)
    g_cond_wait (&cond_, &lock_);
  g_mutex_unlock (&lock_);
}

std::set<guint> LiveOrigin::served (const std::string &track)
{
  g_mutex_lock (&lock_);
  std::set<guint> copy = served_[track];
  g_mutex_unlock (&lock_);
  return copy;
}

std::string LiveOrigin::segment_file (const std::string &track, guint sequence) const
{
  for (const Track &t : tracks_) {
    if (t.name == track)
      return t.dir + "/" + (static_mpd_.empty () ? segments_.at (track).at (sequence).file
                                                  : segments_.at (track).at (sequence).source);
  }
  return {};
}

}  // namespace ot
