/* Shared fixtures for the gst-offline tests: a real libsoup HTTP server on
 * 127.0.0.1 with scripted faults, media made at test time, the built CLI, and
 * per-frame decode checksums taken in a process without network.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <gst/gst.h>

G_BEGIN_DECLS

/* ---- HTTP server --------------------------------------------------------
 * Runs in its own thread with its own GMainContext, so the test thread (or a
 * child process) can make blocking requests to it. Every path is served from
 * a local file with Content-Length, ETag, Last-Modified, Accept-Ranges and
 * correct 206/416 Range answers unless a fault says otherwise. */
typedef struct _OtServer OtServer;

typedef enum {
  OT_FAULT_NONE,
  OT_FAULT_STATUS,          /* answer with HTTP status `param` and no body */
  OT_FAULT_CLOSE_AFTER,     /* send headers claiming the full length, then close after `param` body bytes */
  OT_FAULT_IGNORE_RANGE,    /* answer 200 with the whole body even when a Range was asked */
  OT_FAULT_CHUNKED,         /* no Content-Length: chunked transfer encoding */
} OtFaultKind;

OtServer *ot_server_new (void);
void ot_server_free (OtServer *server);
/* http://127.0.0.1:PORT */
const gchar *ot_server_get_base_url (OtServer *server);
/* Serves `local_file` at `path` (which starts with '/'); returns the full URL (free it). */
gchar *ot_server_add_file (OtServer *server, const gchar *path, const gchar *local_file);
/* Applies `kind` to the next `count` requests of `path` (count < 0: all of them). */
void ot_server_set_fault (OtServer *server, const gchar *path, OtFaultKind kind, gint64 param, gint count);
/* Like ot_server_set_fault, but takes effect once the faults already set for
 * `path` have run out (e.g. cut the first answer at 40%, then every later one
 * at 0 bytes). OT_FAULT_NONE with a count queues that many clean answers. */
void ot_server_queue_fault (OtServer *server, const gchar *path, OtFaultKind kind, gint64 param, gint count);
/* Limits the body rate of `path` (0: unlimited); lets a test kill a download mid-way. */
void ot_server_set_rate (OtServer *server, const gchar *path, guint64 bytes_per_second);
/* Delays the start of every later answer by `ms` milliseconds (0: none),
 * as a distant server would; requests wait concurrently, never one after
 * the other. A request then counts as arriving when its wait ends. */
void ot_server_set_latency (OtServer *server, guint ms);
/* The Content-Type answers for `path` carry (default application/octet-stream). */
void ot_server_set_content_type (OtServer *server, const gchar *path, const gchar *content_type);
/* Holds the next requests whose path matches `pattern` (a
 * g_pattern_match_simple glob, e.g. "/chunk-*") unanswered until `count` of
 * them wait, then answers those together (all open at once) and lets later
 * requests through: however slowly a loaded machine delivers them, a client
 * that opens `count` requests at once is seen doing so, and one that never
 * does is never answered (its test times out). */
void ot_server_hold_until (OtServer *server, const gchar *pattern, guint count);
/* Holds every later request whose path matches `pattern` (a glob as
 * above) unanswered until ot_server_release(): a download that reaches it
 * stops there for as long as the test wants, whatever the machine's speed. */
void ot_server_hold (OtServer *server, const gchar *pattern);
/* Blocks until `count` requests are held (by ot_server_hold or _until). */
void ot_server_wait_held (OtServer *server, guint count);
/* Answers the requests held and holds no more. */
void ot_server_release (OtServer *server);
/* Blocks until no request is being answered (each one finished, or its
 * connection closed): what the server sent is then all it will send for
 * them. Only for clients in other processes or threads. */
void ot_server_wait_idle (OtServer *server);
/* Observations at the server. They count fetches (GET): a HEAD request,
 * which asks for a length, is answered but neither counted, held nor given
 * a fault. */
guint ot_server_get_request_count (OtServer *server, const gchar *path);
guint64 ot_server_get_bytes_sent (OtServer *server, const gchar *path);
/* The Range header of the last request of `path`, or NULL (free it). */
gchar *ot_server_get_last_range (OtServer *server, const gchar *path);
/* The value of header `name` (any case) in the last request of `path`, or NULL (free it). */
gchar *ot_server_get_last_header (OtServer *server, const gchar *path, const gchar *name);
/* Answers requests of `path` with 302 to `location`; returns the full URL of `path` (free it). */
gchar *ot_server_add_redirect (OtServer *server, const gchar *path, const gchar *location);
/* The maximum number of requests that were being answered at the same time. */
guint ot_server_get_max_concurrent (OtServer *server);
/* Random faults for `path`, used by the requests no scripted fault applies
 * to: each request is answered with 503 (and no body) with probability
 * `status_503_probability`, else its body is cut (the connection closed
 * after a random share of the announced bytes, as OT_FAULT_CLOSE_AFTER) with
 * probability `cut_probability`. The draws come from a generator seeded with
 * `seed`, so the n-th request of `path` meets the same fate every run.
 * Probabilities of 0 turn them off. */
void ot_server_set_random_faults (OtServer *server, const gchar *path, gdouble status_503_probability,
    gdouble cut_probability, guint32 seed);
/* How many requests of `path` met a fault of `kind` (scripted or random):
 * OT_FAULT_STATUS counts error answers, OT_FAULT_CLOSE_AFTER cut bodies. */
guint ot_server_get_fault_count (OtServer *server, const gchar *path, OtFaultKind kind);
/* When each request of `path` arrived (g_get_monotonic_time(), in order). */
GArray *ot_server_get_request_times (OtServer *server, const gchar *path);
/* The Range header of each request of `path`, in order ("" for none). */
GPtrArray *ot_server_get_ranges (OtServer *server, const gchar *path);

/* ---- Files and media -----------------------------------------------------*/
/* A new empty directory under the test's temporary root, removed at exit. */
gchar *ot_make_temp_dir (const gchar *name);
/* An MP4 with H.264 video and AAC audio made by ffmpeg; `moov_at_end` keeps
 * ffmpeg's default layout, otherwise +faststart. Aborts the test on failure. */
gchar *ot_make_mp4 (const gchar *dir, const gchar *name, guint seconds, gboolean moov_at_end);
/* Reads a whole file; aborts the test on failure. */
GBytes *ot_read_file (const gchar *path);
/* Writes `size` pseudo-random bytes. */
gchar *ot_make_random_file (const gchar *dir, const gchar *name, gsize size);

/* ---- The built programs ----------------------------------------------------
 * Runs the built gst-offline with GST_OFFLINE_DIR=data_dir and the build's
 * plugin path, NULL-terminated arguments after `data_dir`. Returns the exit
 * status (0, 1, 2, or 128+signal); stdout/stderr may be NULL. */
gint ot_run_cli (const gchar *data_dir, gchar **out, gchar **err, ...) G_GNUC_NULL_TERMINATED;
gint ot_run_cliv (const gchar *data_dir, const gchar *const *argv, gchar **out, gchar **err);
/* Starts it without waiting; returns the pid (kill it, then ot_wait_pid). */
GPid ot_spawn_cli (const gchar *data_dir, const gchar *const *argv);
/* Waits for the child `pid` to end and returns its status as ot_run_cli;
 * one still running ot_subprocess_timeout() seconds after the call is
 * reported, killed and fails the test as with ot_spawn_sync(). */
gint ot_wait_pid (GPid pid);

/* ---- Running programs --------------------------------------------------------
 * g_spawn_sync() with a deadline: how the tests run every program they wait
 * for (ffmpeg, the CLI, ot-decode, gst-launch-1.0 ...). Same arguments and
 * contract (G_SPAWN_DO_NOT_REAP_CHILD is implied). A child still running
 * after ot_subprocess_timeout() seconds is reported on stderr — its command
 * line, the backtraces of every thread of it and of the processes it
 * started (gdb -p, when gdb is installed), the end of its stderr so far —
 * then killed with its process group, and the test fails naming the
 * command: a hang says where it is instead of ending in check's silent
 * "Test timeout expired". The child runs in a process group of its own and
 * dies with the test process. Its stdout and stderr are read as they come
 * (no deadlock on a full pipe); a stderr the caller does not take is copied
 * to the test's stderr as it comes. */
gboolean ot_spawn_sync (const gchar *working_directory, gchar **argv, gchar **envp, GSpawnFlags flags,
    GSpawnChildSetupFunc child_setup, gpointer user_data, gchar **standard_output, gchar **standard_error,
    gint *wait_status, GError **error);
/* ot_spawn_sync() without failing the test at the deadline: the child is
 * reported and killed the same way, then this returns FALSE with
 * G_IO_ERROR_TIMED_OUT (its message names the command) and the report in
 * *report (when not NULL; free it). */
gboolean ot_spawn_sync_or_report (const gchar *working_directory, gchar **argv, gchar **envp, GSpawnFlags flags,
    GSpawnChildSetupFunc child_setup, gpointer user_data, gchar **standard_output, gchar **standard_error,
    gint *wait_status, gchar **report, GError **error);
/* The deadline in seconds: $OT_SUBPROCESS_TIMEOUT, else 90, below check's
 * 120 s default timeout with time left for the report. */
guint ot_subprocess_timeout (void);
/* tcase_set_timeout (tc, seconds), and a watch over each test of `tc`: one
 * still running 20 s before check kills it (CK_TIMEOUT_MULTIPLIER
 * counted) prints gdb's backtraces of the test process's threads, so a
 * test that hangs in itself, not in a child, says where too. */
typedef struct TCase TCase; /* check's */
void ot_tcase_set_timeout (TCase *tc, guint seconds); /* one `seconds` per program */

/* ---- Waiting for another process -----------------------------------------
 * Runs the thread-default main context until `check` returns TRUE, checking
 * it at once and again whenever a file in `dir` changes (inotify, through a
 * GFileMonitor): how a test waits for what another process (or thread)
 * writes to a data directory — its database's WAL, the cache's files —
 * without polling on a clock. `dir` must exist. A condition that never
 * comes is ended by the test harness's timeout. */
typedef gboolean (*OtCheckFunc) (gpointer user_data);
void ot_wait_for_changes (const gchar *dir, OtCheckFunc check, gpointer user_data);

/* ---- Decoding ------------------------------------------------------------
 * Decodes `uri` with uridecodebin into appsinks and returns one line per
 * decoded buffer: "video <pts-ns> <md5 of the raw frame>" or
 * "audio <pts-ns> <md5>", video lines first, then audio. With `no_network`
 * the decode runs in a child process under `unshare -n`, so nothing can reach
 * the network. Returns NULL and sets `error_message` when the pipeline posts
 * an error (the element's message). */
GPtrArray *ot_decode_checksums (const gchar *uri, const gchar *data_dir, gboolean no_network, gchar **error_message);
typedef enum {
  OT_DECODE_NO_NETWORK = 1 << 0,   /* under `unshare -n` */
  OT_DECODE_URIDECODEBIN3 = 1 << 1, /* what mssdemux2 and the other streams-aware demuxers need */
  OT_DECODE_PLAYBIN = 1 << 2,       /* a player's playbin, its sinks taking the checksums */
  OT_DECODE_PLAYBIN3 = 1 << 3,      /* the same with playbin3 */
} OtDecodeFlags;
/* Like ot_decode_checksums, with uridecodebin3, playbin or playbin3 if asked; with `seek` a valid
 * time, the first line is "duration <ns>" (queried after preroll), then
 * come the buffers decoded after a flushing accurate seek to `seek`. */
GPtrArray *ot_decode_checksums_full (const gchar *uri, const gchar *data_dir, OtDecodeFlags flags, GstClockTime seek,
    gchar **error_message);
/* The decoder those run (ot-decode, as $OT_DECODE names it); fails the test
 * when it is not set (a test run without `meson test`). */
const gchar *ot_decoder_path (void);
/* Asserts two checksum lists are equal and non-empty, naming the first difference. */
void ot_assert_same_frames (GPtrArray *expected, GPtrArray *actual);

/* ---- Decoded buffers (checksum-lines.cpp, also built into ot-decode) -------- */

/* What a decoded pad carries, by its caps' media type, or by its name while
 * the caps are not fixed (uridecodebin3 may add video_0 or audio_0 before
 * they are): "video", "audio" or "text" (a text/ media type), else NULL. */
const gchar *ot_pad_kind (GstPad *pad);
/* The checksum line of a decoded buffer, as ot-decode prints it:
 * "<kind> <pts-ns> <md5 of its bytes>", the PTS -1 when it has none; NULL
 * when the buffer cannot be mapped. Free it. */
gchar *ot_checksum_line (const gchar *kind, GstBuffer *buffer);

G_END_DECLS
