/* Stress tests of the download manager: SIGKILL at named moments, a server
 * that fails at random, a full disk, the parallelism limit seen at the
 * server, and retries with backoff. The CLI and the in-process manager
 * download from a local libsoup server; results are checked at the server
 * and through the public library API.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>
#include <gst/offline/offline.h>

#include "adaptive-content.h"
#include "download-checks.h"
#include "private-tmpfs.h"
#include "test-support.h"

#include <gio/gio.h>
#include <glib/gstdio.h>

#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

using ot::assert_state;
using ot::state_name;

/* Media shared by the tests, made once by the parent before the tests fork. */
gchar *long_mp4 = nullptr;  /* several MB: killed and cut mid-way */
gchar *short_mp4 = nullptr; /* a few hundred KB: many downloads of it */

void
make_shared_media (void)
{
  if (long_mp4)
    return;
  gchar *dir = ot_make_temp_dir ("media");
  long_mp4 = ot_make_mp4 (dir, "long.mp4", 80, FALSE);
  short_mp4 = ot_make_mp4 (dir, "short.mp4", 8, FALSE);
  g_free (dir);
}

/* A run of the built CLI (ot::run). */
using CliResult = ot::Cli;

#define assert_status(r, expected)                                                                       \
  fail_unless ((r).status == (expected), "gst-offline exited with %d, expected %d\nstdout:\n%s\nstderr:\n%s", \
      (r).status, (expected), (r).out.c_str (), (r).err.c_str ())

gboolean
contains_ci (const std::string &haystack, const gchar *needle)
{
  gchar *h = g_ascii_strdown (haystack.c_str (), -1);
  gchar *n = g_ascii_strdown (needle, -1);
  gboolean found = strstr (h, n) != nullptr;
  g_free (h);
  g_free (n);
  return found;
}

gboolean
says_no_space (const std::string &text)
{
  return contains_ci (text, "space") || contains_ci (text, "disk full") || contains_ci (text, "disk is full");
}

/* "bytes=N-...": N; "" (no Range): 0. */
guint64
range_start_of (const gchar *range)
{
  if (!range || !*range)
    return 0;
  fail_unless (g_str_has_prefix (range, "bytes="), "odd Range header: %s", range);
  gchar *end = nullptr;
  guint64 start = g_ascii_strtoull (range + 6, &end, 10);
  fail_unless (end != range + 6 && *end == '-', "odd Range header: %s", range);
  return start;
}

guint64
last_range_start (OtServer *server, const gchar *path)
{
  gchar *range = ot_server_get_last_range (server, path);
  guint64 start = range_start_of (range);
  g_free (range);
  return start;
}

/* The bytes the server has sent for `path`, once it has stopped sending:
 * a response the client gave up on may still be draining into its socket
 * for a moment, and must not be counted against the next run. */
guint64
settled_bytes_sent (OtServer *server, const gchar *path)
{
  ot_server_wait_idle (server);
  return ot_server_get_bytes_sent (server, path);
}

/* The index says `id` is complete and the cache holds exactly `original` for `url`. */
void
assert_cached_whole (const gchar *data_dir, const gchar *id, const gchar *url, GBytes *original)
{
  gsize size = g_bytes_get_size (original);
  GstOfflineDownload *d = ot::index_download (data_dir, id);
  assert_state (d, GST_OFFLINE_DOWNLOAD_STATE_COMPLETED);
  fail_unless (gst_offline_download_get_bytes_downloaded (d) == size,
      "download %s: bytes_downloaded %" G_GUINT64_FORMAT " != size %" G_GSIZE_FORMAT, id,
      gst_offline_download_get_bytes_downloaded (d), size);
  g_object_unref (d);

  GError *error = nullptr;
  GstOfflineCache *cache = gst_offline_cache_new (data_dir, &error);
  fail_unless (cache != nullptr, "cannot open the cache: %s", error ? error->message : "?");
  guint64 length = 0;
  gchar *path = gst_offline_cache_lookup (cache, url, &length, &error);
  fail_unless (path != nullptr, "the cache has no whole resource for %s: %s", url, error ? error->message : "?");
  fail_unless (length == size, "cached length %" G_GUINT64_FORMAT " != %" G_GSIZE_FORMAT " for %s", length, size, url);
  GBytes *cached = ot_read_file (path);
  fail_unless (g_bytes_get_size (cached) == size, "cache file %s has %" G_GSIZE_FORMAT " bytes, expected %" G_GSIZE_FORMAT,
      path, g_bytes_get_size (cached), size);
  fail_unless (g_bytes_equal (cached, original), "cache file %s (for %s) differs from the original", path, url);
  g_bytes_unref (cached);
  g_free (path);
  g_object_unref (cache);
}

/* `gst-offline verify` finds nothing: exit 0, nothing printed. */
void
assert_verify_clean (const gchar *data_dir)
{
  CliResult r = ot::run (data_dir, { "verify" });
  assert_status (r, 0);
  fail_unless (r.out.empty () && r.err.empty (), "verify printed something:\nstdout:\n%s\nstderr:\n%s", r.out.c_str (),
      r.err.c_str ());
}

/* ---- An in-process manager driven by a GMainLoop --------------------------*/

struct ManagerWatch {
  GstOfflineDownloadManager *manager = nullptr;
  GMainLoop *loop = nullptr;
  std::map<std::string, GstOfflineDownload *> last; /* newest snapshot per id */
  std::set<std::string> waiting;                    /* ids not terminal yet */
  std::set<std::string> downloading;                /* ids whose last state is downloading */
  guint max_downloading = 0;
  /* Called on every progress signal (may be NULL). */
  void (*on_progress) (ManagerWatch *, GstOfflineDownload *) = nullptr;
  gpointer user_data = nullptr;

  ~ManagerWatch ()
  {
    for (auto &entry : last)
      g_object_unref (entry.second);
    if (loop)
      g_main_loop_unref (loop);
    if (manager) {
      g_signal_handlers_disconnect_by_data (manager, this);
      g_object_unref (manager);
    }
  }
};

void
on_download_changed (GstOfflineDownloadManager *, GstOfflineDownload *download, gpointer data)
{
  auto *watch = static_cast<ManagerWatch *> (data);
  std::string id = gst_offline_download_get_id (download);
  GST_INFO ("download-changed: %s is %s", id.c_str (), state_name (download));
  auto found = watch->last.find (id);
  if (found != watch->last.end ())
    g_object_unref (found->second);
  watch->last[id] = GST_OFFLINE_DOWNLOAD (g_object_ref (download));
  if (gst_offline_download_get_state (download) == GST_OFFLINE_DOWNLOAD_STATE_DOWNLOADING)
    watch->downloading.insert (id);
  else
    watch->downloading.erase (id);
  watch->max_downloading = MAX (watch->max_downloading, (guint) watch->downloading.size ());
  if (gst_offline_download_is_terminal (download)) {
    watch->waiting.erase (id);
    if (watch->waiting.empty ())
      g_main_loop_quit (watch->loop);
  }
}

void
on_download_progress (GstOfflineDownloadManager *, GstOfflineDownload *download, gpointer data)
{
  auto *watch = static_cast<ManagerWatch *> (data);
  if (watch->on_progress)
    watch->on_progress (watch, download);
}

struct ManagerOptions {
  guint max_parallel = 3;
  guint retries = 5;
  gint64 min_free_space = -1; /* -1: the default */
};

/* A manager on `data_dir`, its options set at construction. */
void
watch_init (ManagerWatch *watch, const gchar *data_dir, const ManagerOptions &options)
{
  GError *error = nullptr;
  GObject *object;
  g_type_class_unref (g_type_class_ref (GST_OFFLINE_TYPE_DOWNLOAD_MANAGER));
  /* min-free-space is newer than the manager; without it no margin is kept. */
  gboolean has_min_free_space = g_object_class_find_property (
      G_OBJECT_CLASS (g_type_class_peek (GST_OFFLINE_TYPE_DOWNLOAD_MANAGER)), "min-free-space") != nullptr;
  if (options.min_free_space >= 0 && has_min_free_space)
    object = G_OBJECT (g_initable_new (GST_OFFLINE_TYPE_DOWNLOAD_MANAGER, nullptr, &error, "data-dir", data_dir,
        "max-parallel-downloads", options.max_parallel, "min-retry-count", options.retries, "min-free-space",
        (guint64) options.min_free_space, nullptr));
  else
    object = G_OBJECT (g_initable_new (GST_OFFLINE_TYPE_DOWNLOAD_MANAGER, nullptr, &error, "data-dir", data_dir,
        "max-parallel-downloads", options.max_parallel, "min-retry-count", options.retries, nullptr));
  fail_unless (object != nullptr, "cannot open a manager on %s: %s", data_dir, error ? error->message : "?");
  watch->manager = GST_OFFLINE_DOWNLOAD_MANAGER (object);
  watch->loop = g_main_loop_new (nullptr, FALSE);
  g_signal_connect (watch->manager, "download-changed", G_CALLBACK (on_download_changed), watch);
  g_signal_connect (watch->manager, "download-progress", G_CALLBACK (on_download_progress), watch);
}

void
watch_add (ManagerWatch *watch, const gchar *id, const gchar *url)
{
  GstOfflineDownloadRequest *request = gst_offline_download_request_new (id, url);
  GError *error = nullptr;
  GstOfflineDownload *d = gst_offline_download_manager_add_download (watch->manager, request, &error);
  fail_unless (d != nullptr, "cannot add %s: %s", id, error ? error->message : "?");
  g_object_unref (d);
  g_object_unref (request);
  watch->waiting.insert (id);
}

/* Runs the main loop until every added download is terminal (a download
 * that never ends is caught by the harness's timeout). */
void
watch_run (ManagerWatch *watch)
{
  if (watch->waiting.empty ())
    return;
  g_main_loop_run (watch->loop);
}

GstOfflineDownload *
watch_last (ManagerWatch *watch, const gchar *id)
{
  auto found = watch->last.find (id);
  fail_unless (found != watch->last.end (), "no download-changed signal for %s", id);
  return found->second;
}

/* Writes zeros to `path` until the file system is full; returns the bytes written. */
guint64
fill_disk (const gchar *path)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  fail_unless (fd >= 0, "cannot create %s: %s", path, g_strerror (errno));
  static const gchar zeros[16 * 1024] = { 0 };
  guint64 written = 0;
  for (;;) {
    ssize_t n = write (fd, zeros, sizeof zeros);
    if (n > 0) {
      written += (guint64) n;
      continue;
    }
    fail_unless (n < 0 && (errno == ENOSPC || errno == EINTR), "writing %s: %s", path, g_strerror (errno));
    if (errno == ENOSPC)
      break;
  }
  /* The last partial block: byte by byte would be slow; small writes will do. */
  gchar byte = 0;
  while (write (fd, &byte, 1) == 1)
    written++;
  close (fd);
  return written;
}

/* Where a run of `download` is killed: named moments of the download, seen
 * in the index the run writes (the test wakes on each change of the data
 * directory, never on a clock). */
enum class KillMoment {
  Spawned,          /* at once: the CLI is starting up */
  Started,          /* the run's manager marked the download downloading */
  FirstCheckpoint,  /* the run recorded progress beyond what the index had */
  QuarterMegabyte,  /* the run recorded 256 KiB more than the index had */
};

struct KillWatch {
  GstOfflineDownloadIndex *index;
  const gchar *id;
  KillMoment moment;
  gint64 update_time_before;  /* -1: no row */
  guint64 bytes_before;
};

gboolean
kill_moment_reached (gpointer data)
{
  auto *watch = static_cast<KillWatch *> (data);
  GstOfflineDownload *d = gst_offline_download_index_get_download (watch->index, watch->id, nullptr);
  if (!d)
    return FALSE;
  bool started = gst_offline_download_get_update_time (d) != watch->update_time_before
      && gst_offline_download_get_state (d) == GST_OFFLINE_DOWNLOAD_STATE_DOWNLOADING;
  guint64 bytes = gst_offline_download_get_bytes_downloaded (d);
  g_object_unref (d);
  switch (watch->moment) {
    case KillMoment::Spawned:
      return TRUE;
    case KillMoment::Started:
      return started;
    case KillMoment::FirstCheckpoint:
      return started && bytes > watch->bytes_before;
    case KillMoment::QuarterMegabyte:
      return started && bytes >= watch->bytes_before + 256 * 1024;
  }
  return FALSE;
}

const char *
kill_moment_name (KillMoment moment)
{
  switch (moment) {
    case KillMoment::Spawned:
      return "at start-up";
    case KillMoment::Started:
      return "once started";
    case KillMoment::FirstCheckpoint:
      return "after its first checkpoint";
    case KillMoment::QuarterMegabyte:
      return "after 256 KiB more";
  }
  return "?";
}

}  // namespace

/* 1. SIGKILL at ten named moments while a rate-limited download runs: at
 * start-up, once the manager has started the download (before a byte is
 * durable), after the run's first checkpoint, after a quarter megabyte more;
 * then one run completes. The durable progress never goes back, the last
 * run resumes with a Range, the bytes are the original's and verify is
 * clean. */
GST_START_TEST (test_sigkill_at_named_moments)
{
  const gchar *path = "/long.mp4", *id = "long";
  gchar *dir = ot_make_temp_dir ("sigkill");
  gchar *data_dir = g_build_filename (dir, "data", nullptr);
  /* Watched from the start. */
  fail_unless (g_mkdir_with_parents (data_dir, 0700) == 0);
  OtServer *server = ot_server_new ();
  gchar *url = ot_server_add_file (server, path, long_mp4);
  GBytes *original = ot_read_file (long_mp4);
  gsize size = g_bytes_get_size (original);
  fail_unless (size > 3 * 1024 * 1024, "the long MP4 has only %" G_GSIZE_FORMAT " bytes", size);
  const guint64 rate = 160 * 1024;
  ot_server_set_rate (server, path, rate);

  GError *error = nullptr;
  GstOfflineDownloadIndex *index = gst_offline_download_index_new (data_dir, &error);
  fail_unless (index != nullptr, "%s", error ? error->message : "");
  const KillMoment moments[] = { KillMoment::Spawned, KillMoment::Started, KillMoment::FirstCheckpoint,
    KillMoment::QuarterMegabyte, KillMoment::Started, KillMoment::FirstCheckpoint, KillMoment::Spawned,
    KillMoment::QuarterMegabyte, KillMoment::FirstCheckpoint, KillMoment::Started };
  const gchar *argv[] = { "download", url, "--id", id, nullptr };
  guint run = 0;
  for (KillMoment moment : moments) {
    KillWatch watch { index, id, moment, -1, 0 };
    if (GstOfflineDownload *before = gst_offline_download_index_get_download (index, id, nullptr)) {
      watch.update_time_before = gst_offline_download_get_update_time (before);
      watch.bytes_before = gst_offline_download_get_bytes_downloaded (before);
      g_object_unref (before);
    }
    GPid pid = ot_spawn_cli (data_dir, argv);
    ot_wait_for_changes (data_dir, kill_moment_reached, &watch);
    kill (pid, SIGKILL);
    gint status = ot_wait_pid (pid);
    fail_unless (status == 128 + SIGKILL, "run %u (killed %s): gst-offline exited with %d first", run,
        kill_moment_name (moment), status);
    GST_INFO ("run %u: killed %s, %" G_GUINT64_FORMAT " bytes sent so far", run, kill_moment_name (moment),
        ot_server_get_bytes_sent (server, path));
    run++;
  }
  g_object_unref (index);
  guint64 sent_killed = ot_server_get_bytes_sent (server, path);
  fail_unless (sent_killed > 0, "no byte was sent in ten killed runs");
  fail_unless (sent_killed < size, "the killed runs fetched %" G_GUINT64_FORMAT " bytes, the whole file: too fast for this test",
      sent_killed);

  /* Each request starts where the durable data ended: never before the
   * previous request's start (progress that was made durable is not lost). */
  GPtrArray *ranges = ot_server_get_ranges (server, path);
  guint64 previous = 0;
  for (guint i = 0; i < ranges->len; i++) {
    guint64 start = range_start_of ((const gchar *) g_ptr_array_index (ranges, i));
    fail_unless (start >= previous, "request %u asked from byte %" G_GUINT64_FORMAT ", before request %u's %" G_GUINT64_FORMAT,
        i, start, i - 1, previous);
    previous = start;
  }
  g_ptr_array_unref (ranges);

  ot_server_set_rate (server, path, 0);
  guint requests_before = ot_server_get_request_count (server, path);
  CliResult r = ot::run (data_dir, { "download", url, "--id", id });
  assert_status (r, 0);
  fail_unless (ot_server_get_request_count (server, path) > requests_before || sent_killed == size,
      "the last run made no request");
  guint64 start = last_range_start (server, path);
  fail_unless (start > 0, "the last run did not resume: no Range after %" G_GUINT64_FORMAT " bytes were sent before",
      sent_killed);
  guint64 sent_total = ot_server_get_bytes_sent (server, path);
  guint64 sent_last = sent_total - sent_killed;
  /* The server may still count a few bytes it wrote to a killed run's
   * connection after we looked: a little slack above the exact rest. */
  fail_unless (sent_last >= size - start && sent_last <= size - start + 256 * 1024,
      "the last run fetched %" G_GUINT64_FORMAT " bytes from byte %" G_GUINT64_FORMAT " of %" G_GSIZE_FORMAT,
      sent_last, start, size);
  /* Well below 10x: the file once, plus at most what the killed runs fetched. */
  fail_unless (sent_total <= size + sent_killed && sent_total < 2 * size,
      "%" G_GUINT64_FORMAT " bytes sent in all for a %" G_GSIZE_FORMAT "-byte file (%" G_GUINT64_FORMAT " in the killed runs)",
      sent_total, size, sent_killed);
  GST_INFO ("killed runs fetched %" G_GUINT64_FORMAT " bytes; the last resumed at %" G_GUINT64_FORMAT "; %" G_GUINT64_FORMAT
      " sent in all for %" G_GSIZE_FORMAT, sent_killed, start, sent_total, size);

  assert_cached_whole (data_dir, id, url, original);
  assert_verify_clean (data_dir);

  g_bytes_unref (original);
  g_free (url);
  ot_server_free (server);
  g_free (data_dir);
  g_free (dir);
}
GST_END_TEST;

/* 2. A server that answers 10% of requests with 503 and cuts 10% of bodies
 * mid-way (seeded): twelve downloads all complete with the original bytes. */
GST_START_TEST (test_random_server_faults)
{
  const guint kDownloads = 12;
  gchar *dir = ot_make_temp_dir ("random-faults");
  gchar *data_dir = g_build_filename (dir, "data", nullptr);
  OtServer *server = ot_server_new ();
  GBytes *original = ot_read_file (short_mp4);
  std::vector<std::string> paths, ids, urls;
  for (guint i = 0; i < kDownloads; i++) {
    gchar *path = g_strdup_printf ("/random/%02u.mp4", i);
    gchar *id = g_strdup_printf ("random-%02u", i);
    gchar *url = ot_server_add_file (server, path, short_mp4);
    /* Slow enough that a cut lands mid-body rather than in one write. */
    ot_server_set_rate (server, path, 2 * 1024 * 1024);
    ot_server_set_random_faults (server, path, 0.10, 0.10, 0xfa017000 + i);
    paths.emplace_back (path);
    ids.emplace_back (id);
    urls.emplace_back (url);
    g_free (path);
    g_free (id);
    g_free (url);
  }

  for (guint i = 0; i < kDownloads; i++) {
    CliResult r = ot::run (data_dir, { "download", urls[i].c_str (), "--id", ids[i].c_str (), "--retries", "50" });
    assert_status (r, 0);
  }

  guint status_faults = 0, cuts = 0, requests = 0;
  for (guint i = 0; i < kDownloads; i++) {
    status_faults += ot_server_get_fault_count (server, paths[i].c_str (), OT_FAULT_STATUS);
    cuts += ot_server_get_fault_count (server, paths[i].c_str (), OT_FAULT_CLOSE_AFTER);
    requests += ot_server_get_request_count (server, paths[i].c_str ());
    assert_cached_whole (data_dir, ids[i].c_str (), urls[i].c_str (), original);
  }
  GST_INFO ("%u requests, %u answered 503, %u cut", requests, status_faults, cuts);
  /* The seeds are fixed: these faults did happen, so the test tested them. */
  fail_unless (status_faults > 0 && cuts > 0, "the seeded faults did not happen: %u requests, %u 503s, %u cuts",
      requests, status_faults, cuts);
  fail_unless (requests == kDownloads + status_faults + cuts,
      "%u requests for %u downloads with %u 503s and %u cuts: some download asked more than it needed", requests,
      kDownloads, status_faults, cuts);
  assert_verify_clean (data_dir);

  g_bytes_unref (original);
  ot_server_free (server);
  g_free (data_dir);
  g_free (dir);
}
GST_END_TEST;

/* 3. The disk fills up mid-download (a small tmpfs, filled by another
 * writer): the download fails with NO_SPACE saying so, the index says
 * failed, the bytes written are kept; once space is freed, adding it again
 * resumes with a Range and completes with the original bytes. */
struct FillState {
  gchar *filler;
  guint64 threshold;
  guint64 filled = 0;
  gboolean done = FALSE;
};

GST_START_TEST (test_disk_full_mid_download)
{
  const gchar *path = "/long.mp4", *id = "long";
  gchar *dir = ot_make_temp_dir ("disk-full");
  gchar *mnt = g_build_filename (dir, "mnt", nullptr);
  fail_unless (g_mkdir (mnt, 0700) == 0);
  GBytes *original = ot_read_file (long_mp4);
  gsize size = g_bytes_get_size (original);
  /* Room for the file and the database at the start. */
  guint size_kib = (guint) (size / 1024) + 2048;
  ot::mount_private_tmpfs (mnt, size_kib);
  gchar *data_dir = g_build_filename (mnt, "data", nullptr);
  OtServer *server = ot_server_new ();
  gchar *url = ot_server_add_file (server, path, long_mp4);
  ot_server_set_rate (server, path, 1024 * 1024);

  FillState fill;
  fill.filler = g_build_filename (mnt, "filler", nullptr);
  fill.threshold = 256 * 1024;
  {
    ManagerWatch watch;
    /* No free-space margin: the disk itself runs out. */
    ManagerOptions options;
    options.min_free_space = 0;
    watch_init (&watch, data_dir, options);
    watch.user_data = &fill;
    watch.on_progress = [] (ManagerWatch *w, GstOfflineDownload *d) {
      auto *f = static_cast<FillState *> (w->user_data);
      if (!f->done && gst_offline_download_get_bytes_downloaded (d) >= f->threshold) {
        f->done = TRUE;
        f->filled = fill_disk (f->filler);
        GST_INFO ("filled the disk with %" G_GUINT64_FORMAT " bytes at %" G_GUINT64_FORMAT " downloaded", f->filled,
            gst_offline_download_get_bytes_downloaded (d));
      }
    };
    watch_add (&watch, id, url);
    watch_run (&watch);
    fail_unless (fill.done, "the download ended before it reached %" G_GUINT64_FORMAT " bytes", fill.threshold);
    GstOfflineDownload *d = watch_last (&watch, id);
    assert_state (d, GST_OFFLINE_DOWNLOAD_STATE_FAILED);
    const gchar *message = gst_offline_download_get_failure_message (d);
    fail_unless (message && says_no_space (message), "the failure does not say the disk is full: %s",
        GST_STR_NULL (message));
    fail_unless (gst_offline_download_get_failure_code (d) == GST_OFFLINE_ERROR_NO_SPACE,
        "failure code %d, expected NO_SPACE (%s)", gst_offline_download_get_failure_code (d), message);
  }
  /* What another process sees: the persisted row. */
  GstOfflineDownload *d = ot::index_download (data_dir, id);
  assert_state (d, GST_OFFLINE_DOWNLOAD_STATE_FAILED);
  fail_unless (says_no_space (GST_STR_NULL (gst_offline_download_get_failure_message (d))),
      "the index's failure does not say the disk is full: %s", GST_STR_NULL (gst_offline_download_get_failure_message (d)));
  guint64 kept = gst_offline_download_get_bytes_downloaded (d);
  fail_unless (kept > 0, "the index keeps no byte of the %" G_GUINT64_FORMAT " written before the disk filled",
      fill.threshold);
  g_object_unref (d);

  /* Free the space and go again: it resumes. */
  fail_unless (g_unlink (fill.filler) == 0);
  ot_server_set_rate (server, path, 0);
  guint64 sent_before = settled_bytes_sent (server, path);
  guint requests_before = ot_server_get_request_count (server, path);
  {
    ManagerWatch watch;
    ManagerOptions options;
    options.min_free_space = 0;
    watch_init (&watch, data_dir, options);
    watch_add (&watch, id, url);
    watch_run (&watch);
    assert_state (watch_last (&watch, id), GST_OFFLINE_DOWNLOAD_STATE_COMPLETED);
  }
  /* The first request after freeing space says where the resume began; a
   * retry within the run (a loaded machine may cut a response) continues
   * from where that one stopped, so together they send exactly the rest. */
  GPtrArray *ranges = ot_server_get_ranges (server, path);
  fail_unless (ranges->len > requests_before, "no request after freeing space");
  guint64 start = range_start_of (static_cast<const gchar *> (g_ptr_array_index (ranges, requests_before)));
  g_ptr_array_unref (ranges);
  fail_unless (start > 0, "the run after freeing space did not resume (%" G_GUINT64_FORMAT " bytes were kept)", kept);
  fail_unless (ot_server_get_bytes_sent (server, path) - sent_before == size - start,
      "the resume from byte %" G_GUINT64_FORMAT " fetched %" G_GUINT64_FORMAT " bytes", start,
      ot_server_get_bytes_sent (server, path) - sent_before);
  assert_cached_whole (data_dir, id, url, original);
  assert_verify_clean (data_dir);

  g_free (fill.filler);
  g_free (url);
  ot_server_free (server);
  g_bytes_unref (original);
  g_free (data_dir);
  g_free (mnt);
  g_free (dir);
}
GST_END_TEST;

/* 3b. The same through the CLI with its defaults: a file larger than the
 * free space of a small tmpfs fails with exit 1 and a reason that says
 * space (up front, leaving nothing behind, or when the disk fills, keeping
 * what it wrote); after a remount with room, the same command completes
 * (resuming if bytes were kept). */
GST_START_TEST (test_disk_full_cli)
{
  const gchar *path = "/long.mp4", *id = "long";
  gchar *dir = ot_make_temp_dir ("disk-full-cli");
  gchar *mnt = g_build_filename (dir, "mnt", nullptr);
  fail_unless (g_mkdir (mnt, 0700) == 0);
  GBytes *original = ot_read_file (long_mp4);
  gsize size = g_bytes_get_size (original);
  guint small_kib = (guint) (size / 1024 / 2);
  ot::mount_private_tmpfs (mnt, small_kib);
  gchar *data_dir = g_build_filename (mnt, "data", nullptr);
  OtServer *server = ot_server_new ();
  gchar *url = ot_server_add_file (server, path, long_mp4);

  /* It must end by itself, saying there is no space (a run that never ends
   * is caught by the harness's timeout). */
  CliResult full = ot::run (data_dir, { "download", url, "--id", id });
  fail_unless (full.status == 1, "gst-offline download exited with %d on a full disk, expected 1", full.status);
  fail_unless (says_no_space (ot::reason_of (full).c_str ()), "the failure does not say space: %s", full.err.c_str ());
  guint64 kept = 0;
  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (data_dir, nullptr);
  g_autoptr (GError) error = nullptr;
  g_autoptr (GstOfflineDownload) d = gst_offline_download_index_get_download (index, id, &error);
  if (d) {
    /* The disk filled up while writing: what was written stays. */
    assert_state (d, GST_OFFLINE_DOWNLOAD_STATE_FAILED);
    const gchar *message = gst_offline_download_get_failure_message (d);
    fail_unless (message && says_no_space (message), "the failure does not say space: %s", GST_STR_NULL (message));
    fail_unless (gst_offline_download_get_failure_code (d) == GST_OFFLINE_ERROR_NO_SPACE, "failure code %d (%s)",
        gst_offline_download_get_failure_code (d), message);
    kept = gst_offline_download_get_bytes_downloaded (d);
  } else {
    /* Refused up front (the server says the length): nothing is left. */
    fail_unless (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND), "%s", error->message);
  }
  GST_INFO ("failed on a full disk with %" G_GUINT64_FORMAT " bytes kept: %s", kept, full.err.c_str ());

  /* Room for the file and the default free-space margin. */
  ot::remount_tmpfs (mnt, (guint) (size / 1024) + 200 * 1024);
  CliResult r = ot::run (data_dir, { "download", url, "--id", id });
  assert_status (r, 0);
  if (kept > 0)
    fail_unless (last_range_start (server, path) > 0, "the run after the remount did not resume (%" G_GUINT64_FORMAT
        " bytes were kept)", kept);
  assert_cached_whole (data_dir, id, url, original);
  assert_verify_clean (data_dir);

  g_free (url);
  ot_server_free (server);
  g_bytes_unref (original);
  g_free (data_dir);
  g_free (mnt);
  g_free (dir);
}
GST_END_TEST;

/* 4. max-parallel-downloads=2 with six overlapping downloads: the server
 * never answers more than two requests at once, and does answer two. */
GST_START_TEST (test_max_parallel_downloads)
{
  const guint kDownloads = 6;
  gchar *dir = ot_make_temp_dir ("parallel");
  gchar *data_dir = g_build_filename (dir, "data", nullptr);
  OtServer *server = ot_server_new ();
  GBytes *original = ot_read_file (short_mp4);
  gsize size = g_bytes_get_size (original);
  std::vector<std::string> ids, urls;
  ManagerWatch watch;
  ManagerOptions options;
  options.max_parallel = 2;
  watch_init (&watch, data_dir, options);
  for (guint i = 0; i < kDownloads; i++) {
    gchar *path = g_strdup_printf ("/parallel/%u.mp4", i);
    gchar *id = g_strdup_printf ("parallel-%u", i);
    gchar *url = ot_server_add_file (server, path, short_mp4);
    /* About a second each, so that they overlap. */
    ot_server_set_rate (server, path, size);
    ids.emplace_back (id);
    urls.emplace_back (url);
    g_free (path);
    g_free (id);
    g_free (url);
  }
  for (guint i = 0; i < kDownloads; i++)
    watch_add (&watch, ids[i].c_str (), urls[i].c_str ());
  watch_run (&watch);

  for (guint i = 0; i < kDownloads; i++)
    assert_state (watch_last (&watch, ids[i].c_str ()), GST_OFFLINE_DOWNLOAD_STATE_COMPLETED);
  guint max = ot_server_get_max_concurrent (server);
  fail_unless (max == 2, "the server answered up to %u requests at once with max-parallel-downloads=2", max);
  fail_unless (watch.max_downloading <= 2, "the manager reported %u downloads downloading at once", watch.max_downloading);
  for (guint i = 0; i < kDownloads; i++)
    assert_cached_whole (data_dir, ids[i].c_str (), urls[i].c_str (), original);
  assert_verify_clean (data_dir);

  g_bytes_unref (original);
  ot_server_free (server);
  g_free (data_dir);
  g_free (dir);
}
GST_END_TEST;

/* 5. Retries: min-retry-count 3 outlasts three 503s, with a backoff that
 * grows; min-retry-count 2 gives up after exactly three requests, saying
 * 503; and the count starts again when bytes arrive. */
static void
run_one (const gchar *data_dir, const gchar *id, const gchar *url, guint retries, GstOfflineDownloadState expected,
    GstOfflineDownload **result)
{
  ManagerWatch watch;
  ManagerOptions options;
  options.retries = retries;
  watch_init (&watch, data_dir, options);
  watch_add (&watch, id, url);
  watch_run (&watch);
  GstOfflineDownload *d = watch_last (&watch, id);
  assert_state (d, expected);
  if (result)
    *result = GST_OFFLINE_DOWNLOAD (g_object_ref (d));
}

GST_START_TEST (test_retry_backoff)
{
  const gchar *path = "/retry.mp4";
  gchar *dir = ot_make_temp_dir ("retry");
  OtServer *server = ot_server_new ();
  gchar *url = ot_server_add_file (server, path, short_mp4);
  GBytes *original = ot_read_file (short_mp4);

  /* Three 503s, then the file: three retries are enough. */
  gchar *data_a = g_build_filename (dir, "a", nullptr);
  ot_server_set_fault (server, path, OT_FAULT_STATUS, 503, 3);
  run_one (data_a, "retry", url, 3, GST_OFFLINE_DOWNLOAD_STATE_COMPLETED, nullptr);
  fail_unless_equals_int (ot_server_get_request_count (server, path), 4);
  GArray *times = ot_server_get_request_times (server, path);
  fail_unless_equals_int (times->len, 4);
  gdouble gaps[3];
  for (guint i = 0; i < 3; i++)
    gaps[i] = (g_array_index (times, gint64, i + 1) - g_array_index (times, gint64, i)) / 1e6;
  g_array_unref (times);
  GST_INFO ("gaps between the requests: %.3f s, %.3f s, %.3f s", gaps[0], gaps[1], gaps[2]);
  fail_unless (gaps[2] >= 1.5 * gaps[0], "the backoff does not grow: gaps of %.3f s, %.3f s, %.3f s", gaps[0], gaps[1],
      gaps[2]);
  fail_unless (gaps[0] >= 0.1, "the first retry came at once (%.3f s): no backoff", gaps[0]);
  assert_cached_whole (data_a, "retry", url, original);

  /* 503 forever, two retries: three requests, then failed saying 503. */
  gchar *data_b = g_build_filename (dir, "b", nullptr);
  OtServer *server_b = ot_server_new ();
  gchar *url_b = ot_server_add_file (server_b, path, short_mp4);
  ot_server_set_fault (server_b, path, OT_FAULT_STATUS, 503, -1);
  GstOfflineDownload *failed = nullptr;
  run_one (data_b, "retry", url_b, 2, GST_OFFLINE_DOWNLOAD_STATE_FAILED, &failed);
  fail_unless_equals_int (ot_server_get_request_count (server_b, path), 3);
  const gchar *message = gst_offline_download_get_failure_message (failed);
  fail_unless (message && strstr (message, "503"), "the failure does not name the 503: %s", GST_STR_NULL (message));
  fail_unless (gst_offline_download_get_failure_code (failed) == GST_OFFLINE_ERROR_HTTP, "failure code %d",
      gst_offline_download_get_failure_code (failed));
  g_object_unref (failed);
  GstOfflineDownload *row = ot::index_download (data_b, "retry");
  assert_state (row, GST_OFFLINE_DOWNLOAD_STATE_FAILED);
  g_object_unref (row);
  /* No further request once it failed, until its manager was gone (run_one
   * disposed of it): whatever it had asked is answered by now. */
  ot_server_wait_idle (server_b);
  fail_unless_equals_int (ot_server_get_request_count (server_b, path), 3);

  /* Two retries, but a cut answer in between brings bytes: 503, 503, a
   * third of the file then the connection lost, 503, the rest. Without the
   * reset the third request would be the last. */
  gchar *data_c = g_build_filename (dir, "c", nullptr);
  OtServer *server_c = ot_server_new ();
  gchar *url_c = ot_server_add_file (server_c, path, short_mp4);
  gsize size = g_bytes_get_size (original);
  ot_server_set_fault (server_c, path, OT_FAULT_STATUS, 503, 2);
  ot_server_queue_fault (server_c, path, OT_FAULT_CLOSE_AFTER, size / 3, 1);
  ot_server_queue_fault (server_c, path, OT_FAULT_STATUS, 503, 1);
  run_one (data_c, "retry", url_c, 2, GST_OFFLINE_DOWNLOAD_STATE_COMPLETED, nullptr);
  fail_unless_equals_int (ot_server_get_request_count (server_c, path), 5);
  fail_unless (last_range_start (server_c, path) == size / 3, "the last request did not resume at byte %" G_GSIZE_FORMAT,
      size / 3);
  assert_cached_whole (data_c, "retry", url_c, original);

  ot_server_free (server_c);
  ot_server_free (server_b);
  ot_server_free (server);
  g_free (url_c);
  g_free (url_b);
  g_free (url);
  g_free (data_c);
  g_free (data_b);
  g_free (data_a);
  g_bytes_unref (original);
  g_free (dir);
}
GST_END_TEST;

static Suite *
manager_stress_suite (void)
{
  Suite *s = suite_create ("manager-stress");
  TCase *tc = tcase_create ("stress");
  make_shared_media ();
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_sigkill_at_named_moments);
  tcase_add_test (tc, test_random_server_faults);
  tcase_add_test (tc, test_disk_full_mid_download);
  tcase_add_test (tc, test_disk_full_cli);
  tcase_add_test (tc, test_max_parallel_downloads);
  tcase_add_test (tc, test_retry_backoff);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (manager_stress);
