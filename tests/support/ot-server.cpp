/* OtServer: a libsoup 3 HTTP server on 127.0.0.1 with scripted faults, run
 * in a thread of its own so that tests and child processes may block on it.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-support.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <cinttypes>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

/* Rate-limited bodies are released in slices every kTickMs. */
constexpr guint kTickMs = 20;

struct Fault {
  OtFaultKind kind = OT_FAULT_NONE;
  gint64 param = 0;
  gint remaining = 0; /* < 0: forever */
};

struct ServedFile {
  GBytes *data = nullptr;
  std::string etag;
  std::string last_modified;
  std::string content_type = "application/octet-stream";
  std::deque<Fault> faults; /* the front one applies; the next when it runs out */
  guint64 rate = 0;
  guint requests = 0;
  guint64 bytes_sent = 0;
  std::optional<std::string> last_range;
  std::map<std::string, std::string> last_headers; /* lower-case names */
  std::string redirect_to;                         /* set: answer 302 to it */
  /* Random faults (ot_server_set_random_faults); `random` NULL: none. */
  GRand *random = nullptr;
  gdouble status_503_probability = 0;
  gdouble cut_probability = 0;
  guint status_faults = 0;                         /* error answers sent */
  guint cut_faults = 0;                            /* bodies cut */
  std::vector<gint64> request_times;               /* monotonic, in arrival order */
  std::vector<std::string> ranges;                 /* "" for no Range */

  ServedFile () = default;
  ServedFile (const ServedFile &) = delete;
  ServedFile &operator= (const ServedFile &) = delete;
  ~ServedFile ()
  {
    g_clear_pointer (&data, g_bytes_unref);
    g_clear_pointer (&random, g_rand_free);
  }
};

struct ByteRange {
  guint64 start;
  guint64 end; /* inclusive */
};

enum class RangeRequest { NONE, SATISFIABLE, UNSATISFIABLE };

struct Delayed;

}  // namespace

struct _OtServer {
  GMutex lock;
  GCond cond;
  gboolean ready = FALSE;
  GThread *thread = nullptr;
  GMainContext *context = nullptr;
  GMainLoop *loop = nullptr;
  SoupServer *soup = nullptr;
  gchar *base_url = nullptr;
  std::map<std::string, std::unique_ptr<ServedFile>> files;
  guint in_flight = 0;
  guint max_in_flight = 0;
  guint latency_ms = 0;
  /* ot_server_hold_until: requests matching the pattern wait, paused,
   * until `hold_count` of them do (touched on the server thread). */
  std::string hold_pattern;
  guint hold_count = 0;
  std::vector<Delayed *> held;
};

namespace {

/* One response body being streamed; lives from the handler until the message
 * is finished (or its connection stolen). Touched only on the server thread. */
struct Transfer {
  OtServer *server;
  SoupServerMessage *msg;
  std::string path;
  GBytes *data;            /* the whole file */
  guint64 offset;          /* first byte of the body in `data` */
  guint64 length;          /* bytes the headers announce (or that are sent when chunked) */
  guint64 limit;           /* bytes actually sent before closing (CLOSE_AFTER), else length */
  gboolean close_after;
  gboolean chunked;
  guint64 rate;
  guint64 appended = 0;    /* handed to libsoup */
  guint64 written = 0;     /* reported written by libsoup */
  gint64 start_us = 0;
  GSource *tick = nullptr;
  GSource *close_idle = nullptr;
  gboolean done = FALSE;   /* finished or stolen: no more work */
};

void
request_ended (OtServer *server)
{
  g_mutex_lock (&server->lock);
  g_assert (server->in_flight > 0);
  server->in_flight--;
  g_cond_broadcast (&server->cond);
  g_mutex_unlock (&server->lock);
}

void
transfer_stop_sources (Transfer *t)
{
  if (t->tick) {
    g_source_destroy (t->tick);
    g_source_unref (t->tick);
    t->tick = nullptr;
  }
  if (t->close_idle) {
    g_source_destroy (t->close_idle);
    g_source_unref (t->close_idle);
    t->close_idle = nullptr;
  }
}

void
transfer_free (gpointer data)
{
  auto *t = static_cast<Transfer *> (data);
  transfer_stop_sources (t);
  g_bytes_unref (t->data);
  delete t;
}

/* Appends up to `max` more body bytes to the response; `resume` wakes a
 * message that libsoup paused when it ran out of body. */
void
transfer_append (Transfer *t, guint64 max, gboolean resume)
{
  guint64 left = t->limit - t->appended;
  guint64 n = MIN (left, max);
  if (n > 0) {
    GBytes *slice = g_bytes_new_from_bytes (t->data, t->offset + t->appended, n);
    soup_message_body_append_bytes (soup_server_message_get_response_body (t->msg), slice);
    g_bytes_unref (slice);
    t->appended += n;
  }
  if (t->appended == t->limit && !t->close_after)
    soup_message_body_complete (soup_server_message_get_response_body (t->msg));
  if (resume)
    soup_server_message_unpause (t->msg);
}

gboolean
transfer_tick (gpointer data)
{
  auto *t = static_cast<Transfer *> (data);
  gint64 elapsed = g_get_monotonic_time () - t->start_us;
  /* One tick's worth ahead, so that the first slice goes out at once. */
  guint64 allowed = (guint64) ((gdouble) t->rate * (elapsed + kTickMs * 1000) / G_USEC_PER_SEC);
  if (allowed > t->appended)
    transfer_append (t, allowed - t->appended, TRUE);
  if (t->appended == t->limit) {
    g_source_unref (t->tick);
    t->tick = nullptr;
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

/* Drops the connection under a CLOSE_AFTER response: libsoup lets go of the
 * stream and we close it, so the client sees EOF before the announced length. */
gboolean
transfer_close_connection (gpointer data)
{
  auto *t = static_cast<Transfer *> (data);
  g_source_unref (t->close_idle);
  t->close_idle = nullptr;
  if (t->done)
    return G_SOURCE_REMOVE;
  t->done = TRUE;
  OtServer *server = t->server;
  SoupServerMessage *msg = t->msg;
  g_object_ref (msg);
  /* "finished" may or may not be emitted by the steal; our accounting must
   * not depend on it. */
  g_signal_handlers_disconnect_matched (msg, G_SIGNAL_MATCH_DATA, 0, 0, nullptr, nullptr, t);
  GIOStream *stream = soup_server_message_steal_connection (msg);
  if (stream) {
    g_io_stream_close (stream, nullptr, nullptr);
    g_object_unref (stream);
  }
  request_ended (server);
  g_object_unref (msg);
  return G_SOURCE_REMOVE;
}

void
transfer_schedule_close (Transfer *t)
{
  if (t->close_idle || t->done)
    return;
  t->close_idle = g_idle_source_new ();
  g_source_set_callback (t->close_idle, transfer_close_connection, t, nullptr);
  g_source_attach (t->close_idle, t->server->context);
}

void
on_wrote_headers (SoupServerMessage *, gpointer data)
{
  auto *t = static_cast<Transfer *> (data);
  if (t->close_after && t->limit == 0)
    transfer_schedule_close (t);
}

void
on_wrote_body_data (SoupServerMessage *, guint chunk_size, gpointer data)
{
  auto *t = static_cast<Transfer *> (data);
  t->written += chunk_size;
  OtServer *server = t->server;
  g_mutex_lock (&server->lock);
  auto it = server->files.find (t->path);
  if (it != server->files.end ())
    it->second->bytes_sent += chunk_size;
  g_mutex_unlock (&server->lock);
  if (t->close_after && t->written >= t->limit)
    transfer_schedule_close (t);
}

void
on_message_finished (SoupServerMessage *msg, gpointer data)
{
  auto *server = static_cast<OtServer *> (data);
  auto *t = static_cast<Transfer *> (g_object_get_data (G_OBJECT (msg), "ot-transfer"));
  if (t) {
    if (t->done)
      return;
    t->done = TRUE;
    transfer_stop_sources (t);
  }
  request_ended (server);
}

std::string
http_date (gint64 unix_seconds)
{
  GDateTime *dt = g_date_time_new_from_unix_utc (unix_seconds);
  gchar *s = soup_date_time_to_string (dt, SOUP_DATE_HTTP);
  std::string out (s);
  g_free (s);
  g_date_time_unref (dt);
  return out;
}

/* A single byte range ("bytes=A-B", "bytes=A-", "bytes=-N"); anything else
 * (several ranges, other units, garbage) is treated as no Range at all. */
RangeRequest
parse_range (const char *header, guint64 size, ByteRange *out)
{
  if (!header)
    return RangeRequest::NONE;
  std::string_view v (header);
  while (!v.empty () && v.front () == ' ')
    v.remove_prefix (1);
  if (v.substr (0, 6) != "bytes=")
    return RangeRequest::NONE;
  v.remove_prefix (6);
  if (v.find (',') != std::string_view::npos)
    return RangeRequest::NONE;
  auto dash = v.find ('-');
  if (dash == std::string_view::npos)
    return RangeRequest::NONE;
  std::string first (v.substr (0, dash)), last (v.substr (dash + 1));
  auto parse_num = [] (const std::string &s, guint64 *n) {
    if (s.empty ())
      return false;
    for (char c : s)
      if (!g_ascii_isdigit (c))
        return false;
    *n = g_ascii_strtoull (s.c_str (), nullptr, 10);
    return true;
  };
  guint64 a = 0, b = 0;
  if (first.empty ()) {
    if (!parse_num (last, &b))
      return RangeRequest::NONE;
    if (b == 0 || size == 0)
      return RangeRequest::UNSATISFIABLE;
    out->start = b >= size ? 0 : size - b;
    out->end = size - 1;
    return RangeRequest::SATISFIABLE;
  }
  if (!parse_num (first, &a))
    return RangeRequest::NONE;
  if (last.empty ()) {
    b = G_MAXUINT64;
  } else {
    if (!parse_num (last, &b))
      return RangeRequest::NONE;
    if (b < a)
      return RangeRequest::NONE;
  }
  if (a >= size)
    return RangeRequest::UNSATISFIABLE;
  out->start = a;
  out->end = MIN (b, size - 1);
  return RangeRequest::SATISFIABLE;
}

/* Answers `msg`; returns TRUE when it left the message paused (a
 * rate-limited body, released by its tick). */
gboolean
respond (OtServer *server, SoupServerMessage *msg, const char *path)
{
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
  const char *method = soup_server_message_get_method (msg);
  const char *range_header = soup_message_headers_get_one (req, "Range");

  g_mutex_lock (&server->lock);
  server->in_flight++;
  server->max_in_flight = MAX (server->max_in_flight, server->in_flight);
  g_signal_connect (msg, "finished", G_CALLBACK (on_message_finished), server);

  auto it = server->files.find (path);
  if (it == server->files.end ()) {
    g_mutex_unlock (&server->lock);
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, nullptr);
    return FALSE;
  }
  ServedFile *file = it->second.get ();
  /* A HEAD asks for a length (a size before downloading), it does not
   * fetch the file: it is not counted, and no fault is spent on it. */
  bool fetch = strcmp (method, SOUP_METHOD_HEAD) != 0;
  if (fetch) {
    file->requests++;
    file->request_times.push_back (g_get_monotonic_time ());
    file->ranges.emplace_back (range_header ? range_header : "");
    if (range_header)
      file->last_range = range_header;
    else
      file->last_range.reset ();
    file->last_headers.clear ();
    soup_message_headers_foreach (req, [] (const char *name, const char *value, gpointer headers) {
      g_autofree gchar *lower = g_ascii_strdown (name, -1);
      (*static_cast<std::map<std::string, std::string> *> (headers))[lower] = value;
    }, &file->last_headers);
  }
  if (!file->redirect_to.empty ()) {
    std::string location = file->redirect_to;
    g_mutex_unlock (&server->lock);
    soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, location.c_str ());
    return FALSE;
  }
  Fault fault;
  if (fetch && !file->faults.empty ()) {
    Fault &front = file->faults.front ();
    fault = front;
    if (front.remaining > 0 && --front.remaining == 0)
      file->faults.pop_front ();
  }
  /* A random cut closes after this share of the body (< 0: none). Three
   * draws per request whatever the outcome, so that the n-th request's fate
   * depends on the seed alone. */
  gdouble cut_share = -1;
  if (fetch && fault.kind == OT_FAULT_NONE && file->random) {
    gdouble status_draw = g_rand_double (file->random);
    gdouble cut_draw = g_rand_double (file->random);
    gdouble share = g_rand_double (file->random);
    if (status_draw < file->status_503_probability) {
      fault.kind = OT_FAULT_STATUS;
      fault.param = SOUP_STATUS_SERVICE_UNAVAILABLE;
    } else if (cut_draw < file->cut_probability) {
      fault.kind = OT_FAULT_CLOSE_AFTER;
      cut_share = share;
    }
  }
  if (fault.kind == OT_FAULT_STATUS)
    file->status_faults++;
  else if (fault.kind == OT_FAULT_CLOSE_AFTER)
    file->cut_faults++;
  GBytes *bytes = g_bytes_ref (file->data);
  std::string etag = file->etag, last_modified = file->last_modified, content_type = file->content_type;
  guint64 rate = file->rate;
  g_mutex_unlock (&server->lock);

  if (strcmp (method, SOUP_METHOD_GET) != 0 && strcmp (method, SOUP_METHOD_HEAD) != 0) {
    g_bytes_unref (bytes);
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_IMPLEMENTED, nullptr);
    return FALSE;
  }

  if (fault.kind == OT_FAULT_STATUS) {
    g_bytes_unref (bytes);
    soup_message_headers_set_content_length (resp, 0);
    soup_server_message_set_status (msg, (guint) fault.param, nullptr);
    return FALSE;
  }

  guint64 size = g_bytes_get_size (bytes);
  soup_message_headers_replace (resp, "ETag", etag.c_str ());
  soup_message_headers_replace (resp, "Last-Modified", last_modified.c_str ());
  soup_message_headers_replace (resp, "Accept-Ranges", "bytes");
  soup_message_headers_replace (resp, "Content-Type", content_type.c_str ());

  ByteRange range { 0, size > 0 ? size - 1 : 0 };
  RangeRequest kind = parse_range (range_header, size, &range);
  if (kind != RangeRequest::NONE) {
    const char *if_range = soup_message_headers_get_one (req, "If-Range");
    /* Strong comparison: a weak validator never matches. */
    if (if_range && etag != if_range && last_modified != if_range)
      kind = RangeRequest::NONE;
  }
  if (fault.kind == OT_FAULT_IGNORE_RANGE)
    kind = RangeRequest::NONE;

  if (kind == RangeRequest::UNSATISFIABLE) {
    g_bytes_unref (bytes);
    gchar *cr = g_strdup_printf ("bytes */%" G_GUINT64_FORMAT, size);
    soup_message_headers_replace (resp, "Content-Range", cr);
    g_free (cr);
    soup_message_headers_set_content_length (resp, 0);
    soup_server_message_set_status (msg, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE, nullptr);
    return FALSE;
  }

  guint64 offset = 0, length = size;
  if (kind == RangeRequest::SATISFIABLE) {
    offset = range.start;
    length = range.end - range.start + 1;
    gchar *cr = g_strdup_printf ("bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT,
        range.start, range.end, size);
    soup_message_headers_replace (resp, "Content-Range", cr);
    g_free (cr);
    soup_server_message_set_status (msg, SOUP_STATUS_PARTIAL_CONTENT, nullptr);
  } else {
    soup_server_message_set_status (msg, SOUP_STATUS_OK, nullptr);
  }

  gboolean chunked = fault.kind == OT_FAULT_CHUNKED;
  if (chunked)
    soup_message_headers_set_encoding (resp, SOUP_ENCODING_CHUNKED);
  else
    soup_message_headers_set_content_length (resp, length);

  if (strcmp (method, SOUP_METHOD_HEAD) == 0) {
    g_bytes_unref (bytes);
    return FALSE;
  }

  auto *t = new Transfer ();
  t->server = server;
  t->msg = msg;
  t->path = path;
  t->data = bytes;
  t->offset = offset;
  t->length = length;
  t->close_after = fault.kind == OT_FAULT_CLOSE_AFTER;
  if (cut_share >= 0)
    t->limit = (guint64) (cut_share * (gdouble) length);
  else
    t->limit = t->close_after ? MIN ((guint64) MAX (fault.param, 0), length) : length;
  t->chunked = chunked;
  t->rate = rate;
  t->start_us = g_get_monotonic_time ();
  g_object_set_data_full (G_OBJECT (msg), "ot-transfer", t, transfer_free);

  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  /* Streamed: libsoup neither keeps the chunks nor rewrites a 200 into a
   * 206 by itself. */
  soup_message_body_set_accumulate (body, FALSE);
  g_signal_connect (msg, "wrote-headers", G_CALLBACK (on_wrote_headers), t);
  g_signal_connect (msg, "wrote-body-data", G_CALLBACK (on_wrote_body_data), t);

  if (t->rate == 0) {
    transfer_append (t, G_MAXUINT64, FALSE);
  } else {
    soup_server_message_pause (msg);
    t->tick = g_timeout_source_new (kTickMs);
    g_source_set_callback (t->tick, transfer_tick, t, nullptr);
    g_source_attach (t->tick, server->context);
    return TRUE;
  }
  return FALSE;
}

/* A request waiting out the server's latency (or held back by
 * ot_server_hold_until) before it is answered. */
struct Delayed {
  OtServer *server;
  SoupServerMessage *msg;  /* a reference */
  std::string path;
  gulong finished_id = 0;
  gboolean gone = FALSE;   /* the client went away while it waited */
};

void
delayed_free (gpointer data)
{
  auto *d = static_cast<Delayed *> (data);
  if (d->finished_id)
    g_signal_handler_disconnect (d->msg, d->finished_id);
  g_object_unref (d->msg);
  delete d;
}

gboolean
delayed_respond (gpointer data)
{
  auto *d = static_cast<Delayed *> (data);
  if (!d->gone && !respond (d->server, d->msg, d->path.c_str ()))
    soup_server_message_unpause (d->msg);
  return G_SOURCE_REMOVE;
}

/* `msg`, paused, waiting to be answered by delayed_respond. */
Delayed *
delayed_new (OtServer *server, SoupServerMessage *msg, const char *path)
{
  auto *d = new Delayed ();
  d->server = server;
  d->msg = SOUP_SERVER_MESSAGE (g_object_ref (msg));
  d->path = path;
  d->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (+[] (SoupServerMessage *, gpointer data) {
    static_cast<Delayed *> (data)->gone = TRUE;
  }), d);
  soup_server_message_pause (msg);
  return d;
}

void
server_handler (SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *, gpointer data)
{
  auto *server = static_cast<OtServer *> (data);
  g_mutex_lock (&server->lock);
  guint latency_ms = server->latency_ms;
  /* Only fetches are held (see respond () for HEAD). */
  gboolean hold = server->hold_count > 0 && g_pattern_match_simple (server->hold_pattern.c_str (), path)
      && strcmp (soup_server_message_get_method (msg), SOUP_METHOD_HEAD) != 0;
  std::vector<Delayed *> release;
  if (hold) {
    server->held.push_back (delayed_new (server, msg, path));
    g_cond_broadcast (&server->cond); /* ot_server_wait_held */
    if (server->held.size () >= server->hold_count) {
      server->hold_count = 0;
      release.swap (server->held);
    }
  }
  g_mutex_unlock (&server->lock);
  if (hold) {
    /* All answered in this one dispatch: they are open at once. */
    for (Delayed *d : release) {
      delayed_respond (d);
      delayed_free (d);
    }
    return;
  }
  if (latency_ms == 0) {
    respond (server, msg, path);
    return;
  }
  /* Paused, the message waits on a timeout of this thread: other requests
   * go on being served meanwhile. */
  Delayed *d = delayed_new (server, msg, path);
  GSource *source = g_timeout_source_new (latency_ms);
  g_source_set_callback (source, delayed_respond, d, delayed_free);
  g_source_attach (source, server->context);
  g_source_unref (source);
}

gpointer
server_thread (gpointer data)
{
  auto *server = static_cast<OtServer *> (data);
  g_main_context_push_thread_default (server->context);

  server->soup = soup_server_new ("server-header", "ot-server ", nullptr);
  /* Headers and body go out as separate writes: with Nagle's algorithm the
   * body of every keep-alive answer would wait for the client's delayed ACK
   * (40 ms), which is not how a real server behaves. */
  g_signal_connect (server->soup, "request-started",
      G_CALLBACK (+[] (SoupServer *, SoupServerMessage *message, gpointer) {
        if (GSocket *socket = soup_server_message_get_socket (message))
          g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, nullptr);
      }),
      nullptr);
  soup_server_add_handler (server->soup, nullptr, server_handler, server, nullptr);
  GError *error = nullptr;
  GInetAddress *loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *address = g_inet_socket_address_new (loopback, 0);
  if (!soup_server_listen (server->soup, address, (SoupServerListenOptions) 0, &error))
    g_error ("ot-server: cannot listen on 127.0.0.1: %s", error->message);
  g_object_unref (address);
  g_object_unref (loopback);

  GSList *uris = soup_server_get_uris (server->soup);
  g_assert (uris);
  guint port = g_uri_get_port (static_cast<GUri *> (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_mutex_lock (&server->lock);
  server->base_url = g_strdup_printf ("http://127.0.0.1:%u", port);
  server->ready = TRUE;
  g_cond_broadcast (&server->cond);
  g_mutex_unlock (&server->lock);

  g_main_loop_run (server->loop);

  soup_server_disconnect (server->soup);
  g_clear_object (&server->soup);
  while (g_main_context_iteration (server->context, FALSE))
    ;
  g_main_context_pop_thread_default (server->context);
  return nullptr;
}

std::string
compute_etag (GBytes *data)
{
  gsize size = 0;
  const guchar *p = static_cast<const guchar *> (g_bytes_get_data (data, &size));
  gchar *md5 = g_compute_checksum_for_data (G_CHECKSUM_MD5, p ? p : (const guchar *) "", size);
  std::string etag = std::string ("\"") + std::string (md5, 16) + "-" + std::to_string (size) + "\"";
  g_free (md5);
  return etag;
}

struct SyncPoint {
  GMutex lock;
  GCond cond;
  gboolean reached = FALSE;
};

/* Waits until the server thread has finished what it was doing: a client may
 * have read the bytes of a write whose "wrote-body-data" the server has yet
 * to count, and the observations must include them. */
void
sync_with_server_thread (OtServer *server)
{
  if (g_main_context_is_owner (server->context))
    return;
  SyncPoint sync;
  g_mutex_init (&sync.lock);
  g_cond_init (&sync.cond);
  g_main_context_invoke (server->context,
      [] (gpointer data) -> gboolean {
        auto *sync = static_cast<SyncPoint *> (data);
        g_mutex_lock (&sync->lock);
        sync->reached = TRUE;
        g_cond_signal (&sync->cond);
        g_mutex_unlock (&sync->lock);
        return G_SOURCE_REMOVE;
      },
      &sync);
  g_mutex_lock (&sync.lock);
  while (!sync.reached)
    g_cond_wait (&sync.cond, &sync.lock);
  g_mutex_unlock (&sync.lock);
  g_mutex_clear (&sync.lock);
  g_cond_clear (&sync.cond);
}

ServedFile *
lookup_locked (OtServer *server, const gchar *path)
{
  auto it = server->files.find (path);
  return it == server->files.end () ? nullptr : it->second.get ();
}

}  // namespace

OtServer *
ot_server_new (void)
{
  auto *server = new OtServer ();
  g_mutex_init (&server->lock);
  g_cond_init (&server->cond);
  server->context = g_main_context_new ();
  server->loop = g_main_loop_new (server->context, FALSE);
  server->thread = g_thread_new ("ot-server", server_thread, server);
  g_mutex_lock (&server->lock);
  while (!server->ready)
    g_cond_wait (&server->cond, &server->lock);
  g_mutex_unlock (&server->lock);
  return server;
}

void
ot_server_free (OtServer *server)
{
  if (!server)
    return;
  /* Quit from inside the loop: a server freed right after ot_server_new()
   * may not have entered g_main_loop_run() yet, and a quit before it would
   * be lost (the run then never returns and the join hangs). A source
   * attached to the context is dispatched only by the running loop. */
  GSource *quit = g_idle_source_new ();
  g_source_set_callback (quit,
      [] (gpointer loop) -> gboolean {
        g_main_loop_quit (static_cast<GMainLoop *> (loop));
        return G_SOURCE_REMOVE;
      },
      server->loop, nullptr);
  g_source_attach (quit, server->context);
  g_source_unref (quit);
  g_thread_join (server->thread);
  for (Delayed *d : server->held)
    delayed_free (d);
  g_main_loop_unref (server->loop);
  g_main_context_unref (server->context);
  g_free (server->base_url);
  server->files.clear ();
  g_mutex_clear (&server->lock);
  g_cond_clear (&server->cond);
  delete server;
}

const gchar *
ot_server_get_base_url (OtServer *server)
{
  return server->base_url;
}

gchar *
ot_server_add_file (OtServer *server, const gchar *path, const gchar *local_file)
{
  g_return_val_if_fail (path && path[0] == '/', nullptr);
  GBytes *data = ot_read_file (local_file);
  auto file = std::make_unique<ServedFile> ();
  file->data = data;
  file->etag = compute_etag (data);
  GStatBuf st;
  gint64 mtime = g_stat (local_file, &st) == 0 ? (gint64) st.st_mtime : g_get_real_time () / G_USEC_PER_SEC;
  file->last_modified = http_date (mtime);
  g_mutex_lock (&server->lock);
  /* Replacing a file keeps its counters and faults. */
  ServedFile *old = lookup_locked (server, path);
  if (old) {
    file->faults = old->faults;
    file->rate = old->rate;
    file->requests = old->requests;
    file->bytes_sent = old->bytes_sent;
    file->last_range = old->last_range;
    file->random = old->random;
    old->random = nullptr;
    file->status_503_probability = old->status_503_probability;
    file->cut_probability = old->cut_probability;
    file->status_faults = old->status_faults;
    file->cut_faults = old->cut_faults;
    file->request_times = old->request_times;
    file->ranges = old->ranges;
  }
  server->files[path] = std::move (file);
  g_mutex_unlock (&server->lock);
  return g_strconcat (server->base_url, path, nullptr);
}

namespace {

void
add_fault (OtServer *server, const gchar *path, OtFaultKind kind, gint64 param, gint count, gboolean replace)
{
  g_mutex_lock (&server->lock);
  ServedFile *file = lookup_locked (server, path);
  if (!file) {
    g_mutex_unlock (&server->lock);
    g_error ("ot-server: cannot set a fault on %s: it is not served", path);
  }
  if (replace)
    file->faults.clear ();
  /* A queued NONE stands for that many clean answers; set to NONE clears. */
  if (count != 0 && (kind != OT_FAULT_NONE || !replace)) {
    Fault fault;
    fault.kind = kind;
    fault.param = param;
    fault.remaining = count;
    file->faults.push_back (fault);
  }
  g_mutex_unlock (&server->lock);
}

}  // namespace

void
ot_server_set_fault (OtServer *server, const gchar *path, OtFaultKind kind, gint64 param, gint count)
{
  add_fault (server, path, kind, param, count, TRUE);
}

void
ot_server_queue_fault (OtServer *server, const gchar *path, OtFaultKind kind, gint64 param, gint count)
{
  add_fault (server, path, kind, param, count, FALSE);
}

void
ot_server_set_rate (OtServer *server, const gchar *path, guint64 bytes_per_second)
{
  g_mutex_lock (&server->lock);
  ServedFile *file = lookup_locked (server, path);
  if (!file) {
    g_mutex_unlock (&server->lock);
    g_error ("ot_server_set_rate: %s is not served", path);
  }
  file->rate = bytes_per_second;
  g_mutex_unlock (&server->lock);
}

void
ot_server_set_content_type (OtServer *server, const gchar *path, const gchar *content_type)
{
  g_mutex_lock (&server->lock);
  ServedFile *file = lookup_locked (server, path);
  if (!file) {
    g_mutex_unlock (&server->lock);
    g_error ("ot_server_set_content_type: %s is not served", path);
  }
  file->content_type = content_type;
  g_mutex_unlock (&server->lock);
}

guint
ot_server_get_request_count (OtServer *server, const gchar *path)
{
  sync_with_server_thread (server);
  g_mutex_lock (&server->lock);
  ServedFile *file = lookup_locked (server, path);
  guint n = file ? file->requests : 0;
  g_mutex_unlock (&server->lock);
  return n;
}

guint64
ot_server_get_bytes_sent (OtServer *server, const gchar *path)
{
  sync_with_server_thread (server);
  g_mutex_lock (&server->lock);
  ServedFile *file = lookup_locked (server, path);
  guint64 n = file ? file->bytes_sent : 0;
  g_mutex_unlock (&server->lock);
  return n;
}

gchar *
ot_server_get_last_range (OtServer *server, const gchar *path)
{
  sync_with_server_thread (server);
  g_mutex_lock (&server->lock);
  ServedFile *file = lookup_locked (server, path);
  gchar *range = file && file->last_range ? g_strdup (file->last_range->c_str ()) : nullptr;
  g_mutex_unlock (&server->lock);
  return range;
}

gchar *
ot_server_get_last_header (OtServer *server, const gchar *path, const gchar *name)
{
  sync_with_server_thread (server);
  g_autofree gchar *lower = g_ascii_strdown (name, -1);
  g_mutex_lock (&server->lock);
  ServedFile *file = lookup_locked (server, path);
  gchar *value = nullptr;
  if (file) {
    auto found = file->last_headers.find (lower);
    if (found != file->last_headers.end ())
      value = g_strdup (found->second.c_str ());
  }
  g_mutex_unlock (&server->lock);
  return value;
}

gchar *
ot_server_add_redirect (OtServer *server, const gchar *path, const gchar *location)
{
  g_return_val_if_fail (path && path[0] == '/', nullptr);
  auto file = std::make_unique<ServedFile> ();
  file->data = g_bytes_new (nullptr, 0);
  file->redirect_to = location;
  g_mutex_lock (&server->lock);
  server->files[path] = std::move (file);
  g_mutex_unlock (&server->lock);
  return g_strconcat (server->base_url, path, nullptr);
}

guint
ot_server_get_max_concurrent (OtServer *server)
{
  sync_with_server_thread (server);
  g_mutex_lock (&server->lock);
  guint n = server->max_in_flight;
  g_mutex_unlock (&server->lock);
  return n;
}

void
ot_server_set_random_faults (OtServer *server, const gchar *path, gdouble status_503_probability,
    gdouble cut_probability, guint32 seed)
{
  g_mutex_lock (&server->lock);
  ServedFile *file = lookup_locked (server, path);
  if (!file) {
    g_mutex_unlock (&server->lock);
    g_error ("ot_server_set_random_faults: %s is not served", path);
  }
  g_clear_pointer (&file->random, g_rand_free);
  file->status_503_probability = status_503_probability;
  file->cut_probability = cut_probability;
  if (status_503_probability > 0 || cut_probability > 0)
    file->random = g_rand_new_with_seed (seed);
  g_mutex_unlock (&server->lock);
}

guint
ot_server_get_fault_count (OtServer *server, const gchar *path, OtFaultKind kind)
{
  sync_with_server_thread (server);
  g_mutex_lock (&server->lock);
  ServedFile *file = lookup_locked (server, path);
  guint n = 0;
  if (file && kind == OT_FAULT_STATUS)
    n = file->status_faults;
  else if (file && kind == OT_FAULT_CLOSE_AFTER)
    n = file->cut_faults;
  g_mutex_unlock (&server->lock);
  return n;
}

GArray *
ot_server_get_request_times (OtServer *server, const gchar *path)
{
  sync_with_server_thread (server);
  GArray *times = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_mutex_lock (&server->lock);
  ServedFile *file = lookup_locked (server, path);
  if (file && !file->request_times.empty ())
    g_array_append_vals (times, file->request_times.data (), file->request_times.size ());
  g_mutex_unlock (&server->lock);
  return times;
}

GPtrArray *
ot_server_get_ranges (OtServer *server, const gchar *path)
{
  sync_with_server_thread (server);
  GPtrArray *ranges = g_ptr_array_new_with_free_func (g_free);
  g_mutex_lock (&server->lock);
  ServedFile *file = lookup_locked (server, path);
  if (file) {
    for (const auto &range : file->ranges)
      g_ptr_array_add (ranges, g_strdup (range.c_str ()));
  }
  g_mutex_unlock (&server->lock);
  return ranges;
}

void
ot_server_wait_idle (OtServer *server)
{
  g_mutex_lock (&server->lock);
  while (server->in_flight > 0)
    g_cond_wait (&server->cond, &server->lock);
  g_mutex_unlock (&server->lock);
  sync_with_server_thread (server);
}

void
ot_server_hold_until (OtServer *server, const gchar *pattern, guint count)
{
  g_mutex_lock (&server->lock);
  g_assert (server->held.empty ());
  server->hold_pattern = pattern;
  server->hold_count = count;
  g_mutex_unlock (&server->lock);
}

void
ot_server_hold (OtServer *server, const gchar *pattern)
{
  ot_server_hold_until (server, pattern, G_MAXUINT);
}

void
ot_server_wait_held (OtServer *server, guint count)
{
  g_mutex_lock (&server->lock);
  while (server->held.size () < count)
    g_cond_wait (&server->cond, &server->lock);
  g_mutex_unlock (&server->lock);
}

void
ot_server_release (OtServer *server)
{
  /* Answered on the server's thread, as every answer is. */
  g_main_context_invoke (server->context, [] (gpointer data) -> gboolean {
    auto *server = static_cast<OtServer *> (data);
    std::vector<Delayed *> release;
    g_mutex_lock (&server->lock);
    server->hold_count = 0;
    release.swap (server->held);
    g_mutex_unlock (&server->lock);
    for (Delayed *d : release) {
      delayed_respond (d);
      delayed_free (d);
    }
    return G_SOURCE_REMOVE;
  }, server);
}

void
ot_server_set_latency (OtServer *server, guint ms)
{
  g_mutex_lock (&server->lock);
  server->latency_ms = ms;
  g_mutex_unlock (&server->lock);
}
