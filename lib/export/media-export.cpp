/* GstOfflineExport: one download remuxed into one ordinary file (MP4,
 * Matroska, WebM) through GStreamer, without re-encoding:
 *
 *   cachesrc ─┬─ parsebin (demuxer, offlinedrm, parser) ─┐
 *             ├─ parsebin ───────────────────────────────┼─ mp4mux/matroskamux/webmmux ─ filesink (FILE's temporary)
 *             └─ subparse (WebVTT as UTF-8 text) ────────┘
 *
 * The file is written under a temporary name in FILE's directory and
 * renamed to FILE only once it is whole (after an fsync): a failure, a
 * cancellation or a crash never leaves a partial file under FILE's name.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/offline/offline-export.h>

#include <gst/offline/offline-download-index.h>
#include <gst/offline/offline-enum-types.h>
#include <gst/offline/offline-error.h>
#include <gst/offline/offline-playback-private.h>

#include "db/database.h"
#include "drm/license-policy.h"
#include "drm/license-store.h"
#include "util/fs.h"
#include "util/request-error.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <memory>
#include <mutex>
#include <algorithm>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_STATIC (export_debug);
#define GST_CAT_DEFAULT export_debug

namespace {

/* How often progress is reported, at most. */
constexpr guint kProgressIntervalMs = 100;

struct FormatInfo {
  GstOfflineExportFormat format;
  const char *name;    /* --format, gst_offline_export_format_to_string () */
  const char *person;  /* in messages */
  const char *muxer;
  const char *extensions[4];
};

const FormatInfo kFormats[] = {
    {GST_OFFLINE_EXPORT_FORMAT_MP4, "mp4", "MP4", "mp4mux", {".mp4", ".m4a", ".m4v", nullptr}},
    {GST_OFFLINE_EXPORT_FORMAT_MATROSKA, "mkv", "Matroska", "matroskamux", {".mkv", ".mka", nullptr}},
    {GST_OFFLINE_EXPORT_FORMAT_WEBM, "webm", "WebM", "webmmux", {".webm", nullptr}},
};

const FormatInfo *
format_info (GstOfflineExportFormat format)
{
  for (const FormatInfo &info : kFormats) {
    if (info.format == format)
      return &info;
  }
  return nullptr;
}

}  // namespace

/* ---- The run ---------------------------------------------------------------- */

struct ExportRun;

struct _GstOfflineExport {
  GObject parent;
  gchar *data_dir;  /* NULL: the default */
  gchar *download_id;
  gchar *path;
  GstOfflineExportFormat format;
  gboolean overwrite;
  /* The results of the last run that succeeded. */
  guint64 size;
  GstClockTime duration;
  GstStreamCollection *streams;
  /* The run under way, or none. */
  ExportRun *run;
};

G_DEFINE_TYPE (GstOfflineExport, gst_offline_export, G_TYPE_OBJECT)

enum { PROP_0, PROP_DATA_DIR, PROP_DOWNLOAD_ID, PROP_PATH, PROP_FORMAT, PROP_OVERWRITE, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum { SIGNAL_PROGRESS, N_SIGNALS };
static guint signals[N_SIGNALS];

/* One call of gst_offline_export_run_async (): everything below runs in the
 * caller's thread-default main context, except the pad callbacks (streaming
 * threads, under `lock`) and the two worker-thread steps (prepare, commit). */
struct ExportRun {
  GstOfflineExport *self = nullptr; /* weak: the task holds it */
  GTask *task = nullptr;
  GMainContext *context = nullptr;
  GCancellable *cancellable = nullptr;

  /* Set by prepare (worker thread) before anything else reads them. */
  std::string data_dir;
  std::string id;
  std::string path;
  std::string temp_path;
  const FormatInfo *format = nullptr;
  bool overwrite = false;
  std::string tracks;  /* cachesrc's tracks property; empty: progressive */
  GstClockTime total = GST_CLOCK_TIME_NONE;

  GstElement *pipeline = nullptr;
  GstElement *mux = nullptr;
  GSource *bus_source = nullptr;
  GSource *progress_source = nullptr;
  GSource *cancel_source = nullptr;

  std::mutex lock;
  std::string refusal; /* why a stream cannot go into the file (first one) */
  /* The gate: mp4mux takes no new pad once data flowed, so every stream is
   * held (a blocking probe) until all are known, then all are linked at
   * once. `pending`: pads of cachesrc whose reader has not exposed all its
   * streams yet; `source_done`: cachesrc said no-more-pads. */
  struct Held {
    GstPad *pad;
    GstCaps *caps;
    GstElement *reader;
    gulong probe;
    gulong query_probe; /* 0: none */
    guint order;
  };
  std::vector<Held> held;
  guint pending = 0;
  std::vector<GstElement *> ready; /* readers that exposed their streams */
  bool source_done = false;
  bool gate_open = false;
  std::atomic<guint64> position{0};      /* the end of the latest sample muxed */
  std::atomic<guint64> first{G_MAXUINT64}; /* the start of the first one */
  guint64 reported = G_MAXUINT64;
  bool finished = false;

  /* Results, read at EOS. */
  GstClockTime duration = GST_CLOCK_TIME_NONE;
  GstStreamCollection *streams = nullptr;
  guint64 size = 0;

  ~ExportRun ()
  {
    for (auto &h : held) {
      gst_caps_unref (h.caps);
      gst_object_unref (h.pad);
    }
    g_clear_object (&streams);
    g_clear_object (&cancellable);
    if (context)
      g_main_context_unref (context);
  }
};

static void export_run_fail (ExportRun *run, GError *error);

static GError *
export_error (ExportRun *run, GstOfflineError code, const std::string &why)
{
  return g_error_new (GST_OFFLINE_ERROR, code, "cannot export download '%s': %s", run->id.c_str (), why.c_str ());
}

/* ---- Prepare (worker thread): what is exported, and where ------------------ */

/* The tracks to export: the best video track (the library's one rule, as
 * cachesrc plays by default) and every downloaded audio and text track. */
static std::string
tracks_to_export (GPtrArray *tracks)
{
  std::string list;
  g_autoptr (GPtrArray) chosen = gst_offline_track_choose_for_playback (tracks, FALSE);
  for (guint i = 0; i < tracks->len; i++) {
    auto *track = GST_OFFLINE_TRACK (g_ptr_array_index (tracks, i));
    GstOfflineTrackType type = gst_offline_track_get_track_type (track);
    bool take = type == GST_OFFLINE_TRACK_TYPE_AUDIO || type == GST_OFFLINE_TRACK_TYPE_TEXT;
    if (type == GST_OFFLINE_TRACK_TYPE_VIDEO)
      take = g_ptr_array_find (chosen, track, nullptr);
    if (!take)
      continue;
    if (!list.empty ())
      list += ",";
    list += std::to_string (gst_offline_track_get_index (track));
  }
  return list;
}

/* A license that no longer allows playback refuses the export before any
 * file is made; the window of one that does is started by offlinedrm, as
 * for any playback. A download without a license needs none (offlinedrm
 * refuses encrypted samples without a key). */
static bool
check_license (ExportRun *run, GError **error)
{
  g_autoptr (GError) store_error = nullptr;
  g_autoptr (GstOfflineDrmStore) store = gst_offline::open_existing_drm_store (run->data_dir, &store_error);
  if (!store) {
    if (store_error) {
      g_propagate_error (error, export_error (run, GST_OFFLINE_ERROR_DATABASE,
          std::string ("cannot read its license: ") + store_error->message));
      return false;
    }
    return true;
  }
  g_autoptr (GError) load_error = nullptr;
  auto record = gst_offline::load_license (store, run->id, &load_error);
  if (!record) {
    if (g_error_matches (load_error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND))
      return true;
    g_propagate_error (error, export_error (run, GST_OFFLINE_ERROR_CORRUPT,
        std::string ("cannot read its license: ") + load_error->message));
    return false;
  }
  gst_offline::LicenseStatus status = gst_offline::license_status (record->policy, gst_offline::license_now_ms ());
  if (status.playable ())
    return true;
  std::string when = gst_offline::license_time_text (status.ended_at_ms);
  std::string why = status.window_used_up ? "the playback window of its license ended at " + when
                                          : "its license expired at " + when;
  g_propagate_error (error, export_error (run, GST_OFFLINE_ERROR_LICENSE_EXPIRED,
      why + ": renew it (gst-offline license renew " + run->id + ")"));
  return false;
}

/* The error of a `path` that exists when it may not be replaced. */
static GError *
exists_error (ExportRun *run)
{
  return g_error_new (G_IO_ERROR, G_IO_ERROR_EXISTS,
      "cannot export download '%s': %s exists (replacing it must be asked for)", run->id.c_str (), run->path.c_str ());
}

/* Whether something (a file, a directory, a dangling link) has `path`'s name. */
static bool
path_taken (const std::string &path)
{
  GStatBuf buf;
  return g_lstat (path.c_str (), &buf) == 0;
}

/* The temporary file beside `path`: ".NAME.part-XXXXXX", mode 0666 less the umask. */
static bool
make_temporary (ExportRun *run, GError **error)
{
  g_autofree gchar *dir = g_path_get_dirname (run->path.c_str ());
  g_autofree gchar *base = g_path_get_basename (run->path.c_str ());
  g_autofree gchar *name = g_strdup_printf (".%s.part-XXXXXX", base);
  g_autofree gchar *temp = g_build_filename (dir, name, nullptr);
  int fd = g_mkstemp_full (temp, O_RDWR | O_CLOEXEC, 0666);
  if (fd < 0) {
    int errsv = errno;
    g_autoptr (GError) io_error = nullptr;
    gst_offline::set_error_from_errno (&io_error, errsv, std::string ("cannot write in ") + dir);
    g_propagate_error (error, export_error (run, static_cast<GstOfflineError> (io_error->code), io_error->message));
    return false;
  }
  close (fd);
  run->temp_path = temp;
  return true;
}

/* How much content an export of `download` writes: its time range (as
 * cachesrc plays it) within `duration`, the whole presentation's. */
static GstClockTime
content_to_export (GstOfflineDownload *download, GstClockTime duration)
{
  GstOfflineDownloadRequest *request = gst_offline_download_get_request (download);
  GstClockTime start = request ? gst_offline_download_request_get_range_start (request) : GST_CLOCK_TIME_NONE;
  GstClockTime end = request ? gst_offline_download_request_get_range_end (request) : GST_CLOCK_TIME_NONE;
  if (duration == 0)
    duration = GST_CLOCK_TIME_NONE; /* not known: a progressive file */
  if (!GST_CLOCK_TIME_IS_VALID (start))
    start = 0;
  if (!GST_CLOCK_TIME_IS_VALID (end) || (GST_CLOCK_TIME_IS_VALID (duration) && end > duration))
    end = duration;
  return GST_CLOCK_TIME_IS_VALID (end) && end > start ? end - start : GST_CLOCK_TIME_NONE;
}

static void
prepare_in_thread (GTask *task, gpointer, gpointer task_data, GCancellable *cancellable)
{
  auto *run = static_cast<ExportRun *> (task_data);
  GError *error = nullptr;

  g_autoptr (GstOfflineDownloadIndex) index = gst_offline_download_index_new (run->data_dir.c_str (), &error);
  if (!index) {
    g_task_return_error (task, error);
    return;
  }
  g_autoptr (GstOfflineDownload) download = gst_offline_download_index_get_download (index, run->id.c_str (), &error);
  if (!download) {
    if (g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND)) {
      g_clear_error (&error);
      error = g_error_new (GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND, "no download with id '%s'",
          run->id.c_str ());
    }
    g_task_return_error (task, error);
    return;
  }
  GstOfflineDownloadState state = gst_offline_download_get_state (download);
  if (state != GST_OFFLINE_DOWNLOAD_STATE_COMPLETED) {
    g_task_return_error (task, export_error (run, GST_OFFLINE_ERROR_INCOMPLETE,
        std::string ("it is not complete (state: ") + gst_offline_download_state_to_string (state)
            + "): only a whole download can be exported"));
    return;
  }
  if (gst_offline_download_get_download_type (download) != GST_OFFLINE_DOWNLOAD_TYPE_PROGRESSIVE) {
    g_autoptr (GPtrArray) tracks = gst_offline_download_index_get_tracks (index, run->id.c_str (), &error);
    if (!tracks) {
      g_task_return_error (task, error);
      return;
    }
    run->tracks = tracks_to_export (tracks);
    if (run->tracks.empty ()) {
      g_task_return_error (task, export_error (run, GST_OFFLINE_ERROR_UNSUPPORTED, "it has no track to export"));
      return;
    }
  }
  run->total = content_to_export (download, gst_offline_download_index_get_duration (index, run->id.c_str ()));
  if (!run->overwrite && path_taken (run->path)) {
    g_task_return_error (task, exists_error (run));
    return;
  }
  if (!check_license (run, &error) || g_cancellable_set_error_if_cancelled (cancellable, &error)
      || !make_temporary (run, &error)) {
    g_task_return_error (task, error);
    return;
  }
  g_task_return_boolean (task, TRUE);
}

/* ---- Commit (worker thread): the whole file gets FILE's name ---------------- */

static void
commit_in_thread (GTask *task, gpointer, gpointer task_data, GCancellable *)
{
  auto *run = static_cast<ExportRun *> (task_data);
  GError *error = nullptr;
  int fd = g_open (run->temp_path.c_str (), O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0 || fsync (fd) != 0) {
    int errsv = errno;
    if (fd >= 0)
      close (fd);
    gst_offline::set_error_from_errno (&error, errsv, "writing " + run->temp_path);
    g_task_return_error (task, error);
    return;
  }
  close (fd);
  /* A cancellation before FILE exists still wins; after it, it is too late. */
  if (g_cancellable_set_error_if_cancelled (run->cancellable, &error)) {
    g_task_return_error (task, error);
    return;
  }
  /* A file that came under FILE's name while the export ran is not
   * replaced either, unless replacing was asked for. */
  int renamed = run->overwrite ? g_rename (run->temp_path.c_str (), run->path.c_str ())
                               : renameat2 (AT_FDCWD, run->temp_path.c_str (), AT_FDCWD, run->path.c_str (),
                                     RENAME_NOREPLACE);
  if (renamed != 0 && !run->overwrite && (errno == EINVAL || errno == ENOSYS)) {
    /* A file system without RENAME_NOREPLACE: look, then rename. */
    renamed = path_taken (run->path) ? (errno = EEXIST, -1) : g_rename (run->temp_path.c_str (), run->path.c_str ());
  }
  if (renamed != 0) {
    if (errno == EEXIST && !run->overwrite)
      error = exists_error (run);
    else
      gst_offline::set_error_from_errno (&error, errno, "renaming " + run->temp_path + " to " + run->path);
    g_task_return_error (task, error);
    return;
  }
  g_autofree gchar *dir = g_path_get_dirname (run->path.c_str ());
  g_autoptr (GError) sync_error = nullptr;
  if (!gst_offline::sync_directory (dir, &sync_error))
    GST_WARNING ("the rename to %s may not be durable: %s", run->path.c_str (), sync_error->message);
  run->size = (guint64) MAX (gst_offline::file_size (run->path), (gint64) 0);
  g_task_return_boolean (task, TRUE);
}

/* ---- The pipeline --------------------------------------------------------- */

/* The muxer's request pad template for a stream of `caps`: the first whose
 * caps have the same media type (the parsers before it convert stream
 * formats, such as H.264 byte-stream to avc). */
static GstPadTemplate *
muxer_template_for (GstElement *mux, GstCaps *caps)
{
  const gchar *media = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  for (GList *l = gst_element_class_get_pad_template_list (GST_ELEMENT_GET_CLASS (mux)); l; l = l->next) {
    auto *templ = GST_PAD_TEMPLATE (l->data);
    if (GST_PAD_TEMPLATE_DIRECTION (templ) != GST_PAD_SINK || GST_PAD_TEMPLATE_PRESENCE (templ) != GST_PAD_REQUEST)
      continue;
    GstCaps *accepted = GST_PAD_TEMPLATE_CAPS (templ);
    for (guint i = 0; i < gst_caps_get_size (accepted); i++) {
      if (g_str_equal (gst_structure_get_name (gst_caps_get_structure (accepted, i)), media))
        return templ;
    }
  }
  return nullptr;
}

/* Notes the first reason a stream cannot go into the file and stops the
 * export with it (from any thread: the error goes through the bus). */
static void
refuse_stream (ExportRun *run, GstElement *from, const std::string &why)
{
  {
    std::lock_guard<std::mutex> guard (run->lock);
    if (!run->refusal.empty ())
      return;
    run->refusal = why;
  }
  GST_ELEMENT_ERROR (from, STREAM, FORMAT, ("%s", why.c_str ()), (nullptr));
}

static GstPadProbeReturn
on_muxed_buffer (GstPad *, GstPadProbeInfo *info, gpointer user_data)
{
  auto *run = static_cast<ExportRun *> (user_data);
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstClockTime pts = GST_BUFFER_PTS_IS_VALID (buffer) ? GST_BUFFER_PTS (buffer) : GST_BUFFER_DTS (buffer);
  if (!GST_CLOCK_TIME_IS_VALID (pts))
    return GST_PAD_PROBE_OK;
  guint64 end = pts + (GST_BUFFER_DURATION_IS_VALID (buffer) ? GST_BUFFER_DURATION (buffer) : 0);
  guint64 first = run->first.load ();
  while (pts < first && !run->first.compare_exchange_weak (first, pts)) {
  }
  guint64 seen = run->position.load ();
  while (end > seen && !run->position.compare_exchange_weak (seen, end)) {
  }
  return GST_PAD_PROBE_OK;
}

/* The stream tags cachesrc gave the track a reader reads (its language and
 * title), or NULL. */
static GstTagList *
track_tags (GstElement *reader)
{
  g_autoptr (GstPad) sink = gst_element_get_static_pad (reader, "sink");
  g_autoptr (GstPad) source = sink ? gst_pad_get_peer (sink) : nullptr;
  GstTagList *tags = nullptr;
  GstEvent *event;
  for (guint i = 0; source && (event = gst_pad_get_sticky_event (source, GST_EVENT_TAG, i)); i++) {
    GstTagList *list = nullptr;
    gst_event_parse_tag (event, &list);
    if (gst_tag_list_get_scope (list) == GST_TAG_SCOPE_STREAM) {
      GstTagList *merged = gst_tag_list_merge (tags, list, GST_TAG_MERGE_REPLACE);
      if (tags)
        gst_tag_list_unref (tags);
      tags = merged;
    }
    gst_event_unref (event);
  }
  return tags;
}

/* What a reader's output carries to the muxer besides its data. */
struct TrackTagging {
  GstElement *reader;
  bool done = false;
};

/* Demuxers and parsers do not pass on the stream tags cachesrc gives each
 * track (qtdemux and tsdemux make tags of their own): they are added to the
 * stream tags the reader sends, or sent before its first data, so that the
 * muxer writes the track's language and title. */
static GstPadProbeReturn
tag_track (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  auto *tagging = static_cast<TrackTagging *> (user_data);
  bool event = GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM;
  if (event && GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) != GST_EVENT_TAG)
    return GST_PAD_PROBE_OK;
  GstTagList *ours = track_tags (tagging->reader);
  if (!ours)
    return GST_PAD_PROBE_REMOVE;
  if (event) {
    GstEvent *tag_event = GST_PAD_PROBE_INFO_EVENT (info);
    GstTagList *theirs = nullptr;
    gst_event_parse_tag (tag_event, &theirs);
    if (gst_tag_list_get_scope (theirs) == GST_TAG_SCOPE_STREAM) {
      GstTagList *merged = gst_tag_list_merge (theirs, ours, GST_TAG_MERGE_REPLACE);
      gst_tag_list_set_scope (merged, GST_TAG_SCOPE_STREAM);
      GST_PAD_PROBE_INFO_DATA (info) = gst_event_new_tag (merged);
      gst_event_unref (tag_event);
      tagging->done = true;
    }
    gst_tag_list_unref (ours);
    return GST_PAD_PROBE_OK;
  }
  /* The first data, and no stream tags came: ours go first (the sticky
   * events are with the peer already). */
  if (!tagging->done) {
    g_autoptr (GstPad) peer = gst_pad_get_peer (pad);
    gst_tag_list_set_scope (ours, GST_TAG_SCOPE_STREAM);
    if (peer)
      gst_pad_send_event (peer, gst_event_new_tag (ours));
    else
      gst_tag_list_unref (ours);
  } else {
    gst_tag_list_unref (ours);
  }
  return GST_PAD_PROBE_REMOVE;
}

/* Links `pad` (elementary stream of fixed caps) to a new request pad of the
 * muxer. Called from streaming threads. */
static void
link_to_muxer (ExportRun *run, GstElement *element, GstPad *pad, GstCaps *caps)
{
  GstPadTemplate *templ = muxer_template_for (run->mux, caps);
  if (!templ) {
    g_autofree gchar *description = gst_caps_to_string (caps);
    const gchar *media = gst_structure_get_name (gst_caps_get_structure (caps, 0));
    std::string why = std::string (run->format->person) + " cannot carry its " + media + " stream";
    if (g_str_has_prefix (media, "text/") || g_str_has_prefix (media, "application/x-subtitle"))
      why += " (text tracks go into Matroska: export to a .mkv file)";
    else if (run->format->format != GST_OFFLINE_EXPORT_FORMAT_MATROSKA)
      why += " (Matroska carries most codecs: export to a .mkv file)";
    GST_INFO ("no %s pad for %s", GST_OBJECT_NAME (run->mux), description);
    refuse_stream (run, element, why);
    return;
  }
  GstPad *sink = gst_element_request_pad (run->mux, templ, nullptr, nullptr);
  if (!sink) {
    refuse_stream (run, element, std::string (run->format->person) + " cannot take one more stream");
    return;
  }
  gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER, on_muxed_buffer, run, nullptr);
  /* A queue per audio or video stream: a demuxer that pushes several
   * streams from one thread (tsdemux) would otherwise wait in the muxer for
   * data of another stream it is to push itself. A few seconds hold any
   * interleaving. A text stream (subparse, alone in its thread) needs none,
   * and goes straight in: its tags must reach the muxer before any data
   * does (below). */
  const gchar *media = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  bool text = g_str_has_prefix (media, "text/");
  GstPadLinkReturn linked;
  if (text) {
    linked = gst_pad_link (pad, sink);
  } else {
    GstElement *queue = gst_element_factory_make ("queue", nullptr);
    g_object_set (queue, "max-size-buffers", 0, "max-size-bytes", 0, "max-size-time", 5 * GST_SECOND, nullptr);
    gst_bin_add (GST_BIN (run->pipeline), queue);
    gst_element_sync_state_with_parent (queue);
    g_autoptr (GstPad) queue_sink = gst_element_get_static_pad (queue, "sink");
    g_autoptr (GstPad) queue_src = gst_element_get_static_pad (queue, "src");
    linked = gst_pad_link (queue_src, sink);
    if (GST_PAD_LINK_SUCCESSFUL (linked))
      linked = gst_pad_link (pad, queue_sink);
  }
  if (GST_PAD_LINK_SUCCESSFUL (linked)) {
    gst_pad_add_probe (pad,
        static_cast<GstPadProbeType> (GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM | GST_PAD_PROBE_TYPE_BUFFER
            | GST_PAD_PROBE_TYPE_BUFFER_LIST),
        tag_track, new TrackTagging { element }, [] (gpointer data) { delete static_cast<TrackTagging *> (data); });
    /* The track's language and title go now, while its data is still held:
     * Matroska writes its track headers once the audio and video have
     * data, and would not wait for a sparse text track's first cue. (The
     * push sends the stream's stream-start, caps and segment first; for a
     * text track it returns once the muxer has them.) */
    if (GstTagList *ours = track_tags (element)) {
      gst_tag_list_set_scope (ours, GST_TAG_SCOPE_STREAM);
      gst_pad_push_event (pad, gst_event_new_tag (ours));
    }
  }
  if (GST_PAD_LINK_FAILED (linked)) {
    g_autofree gchar *description = gst_caps_to_string (caps);
    refuse_stream (run, element, std::string ("cannot put a stream of ") + description + " into " + run->format->person
        + " (" + gst_pad_link_get_name (linked) + ")");
  }
  gst_object_unref (sink);
}

static void open_gate_locked (ExportRun *run, GstPad *current);

/* A reader has exposed all its streams: parsebin exposes a group's pads at
 * once and only then lets data through (it signals no no-more-pads), so
 * its first buffer says it. Called with run->lock held. */
static void
reader_ready_locked (ExportRun *run, GstElement *reader, GstPad *current)
{
  if (std::find (run->ready.begin (), run->ready.end (), reader) != run->ready.end ())
    return;
  run->ready.push_back (reader);
  if (run->pending > 0)
    run->pending--;
  open_gate_locked (run, current);
}

static GstPadProbeReturn
hold_stream (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  auto *run = static_cast<ExportRun *> (user_data);
  /* Sticky events before the data may pass (they are stored on the pad and
   * sent again once it is linked); data waits for the gate. */
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
    if (GST_EVENT_IS_STICKY (event) && GST_EVENT_TYPE (event) != GST_EVENT_EOS)
      return GST_PAD_PROBE_PASS;
  }
  std::lock_guard<std::mutex> guard (run->lock);
  if (run->gate_open)
    return GST_PAD_PROBE_REMOVE;
  /* A parsebin's pad (a WebVTT stream is ready from the start). */
  g_autoptr (GstObject) reader = gst_pad_get_parent (pad);
  if (reader && GST_IS_BIN (reader))
    reader_ready_locked (run, GST_ELEMENT (reader), pad);
  return run->gate_open ? GST_PAD_PROBE_REMOVE : GST_PAD_PROBE_OK;
}

/* The place of a stream in the file: video, then audio, then the rest, each
 * in the order of cachesrc's pads. */
static guint
stream_order (GstCaps *caps, GstPad *source_pad)
{
  const gchar *media = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  guint rank = g_str_has_prefix (media, "video/") ? 0 : g_str_has_prefix (media, "audio/") ? 1 : 2;
  guint number = 0;
  if (source_pad)
    sscanf (GST_PAD_NAME (source_pad), "src_%u", &number);
  return rank * 100000 + MIN (number, 99999u);
}

/* Once every stream is known: links them all to the muxer, then lets them
 * flow. Called with run->lock held. */
static void
open_gate_locked (ExportRun *run, GstPad *current)
{
  if (run->gate_open || !run->source_done || run->pending > 0)
    return;
  run->gate_open = true;
  std::vector<ExportRun::Held> held;
  held.swap (run->held);
  std::stable_sort (held.begin (), held.end (),
      [] (const ExportRun::Held &a, const ExportRun::Held &b) { return a.order < b.order; });
  GST_DEBUG ("all %zu streams known: linking them to the muxer", held.size ());
  run->lock.unlock ();
  for (auto &h : held) {
    /* The muxer answers for itself from now on. */
    if (h.query_probe)
      gst_pad_remove_probe (h.pad, h.query_probe);
    link_to_muxer (run, h.reader, h.pad, h.caps);
  }
  for (auto &h : held) {
    /* The probe running now removes itself (GST_PAD_PROBE_REMOVE). */
    if (h.pad != current)
      gst_pad_remove_probe (h.pad, h.probe);
    gst_caps_unref (h.caps);
    gst_object_unref (h.pad);
  }
  run->lock.lock ();
}

/* While a stream is held its pad has no peer, yet the parser behind it
 * negotiates its output then (its caps event passes the hold): it is told
 * what the muxer's pad for it takes, as the muxer would tell it once
 * linked. Without an answer a parser keeps its input's format (aacparse:
 * ADTS), fixes its pad to it, and the link then finds no common format. */
static GstPadProbeReturn
answer_for_muxer (GstPad *, GstPadProbeInfo *info, gpointer user_data)
{
  auto *templ = static_cast<GstPadTemplate *> (user_data);
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);
  GstCaps *accepted = GST_PAD_TEMPLATE_CAPS (templ);
  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_CAPS: {
      GstCaps *filter = nullptr;
      gst_query_parse_caps (query, &filter);
      g_autoptr (GstCaps) result = filter ? gst_caps_intersect_full (filter, accepted, GST_CAPS_INTERSECT_FIRST)
                                          : gst_caps_ref (accepted);
      gst_query_set_caps_result (query, result);
      return GST_PAD_PROBE_HANDLED;
    }
    case GST_QUERY_ACCEPT_CAPS: {
      GstCaps *caps = nullptr;
      gst_query_parse_accept_caps (query, &caps);
      gst_query_set_accept_caps_result (query, gst_caps_is_subset (caps, accepted));
      return GST_PAD_PROBE_HANDLED;
    }
    default:
      return GST_PAD_PROBE_OK;
  }
}

/* Holds `pad` (an elementary stream of `reader`) until the gate opens; links
 * it at once after (a stream that comes later, which MP4 refuses). */
static void
hold_or_link (ExportRun *run, GstElement *reader, GstPad *pad, GstCaps *caps, GstPad *source_pad)
{
  std::unique_lock<std::mutex> guard (run->lock);
  if (run->gate_open) {
    guard.unlock ();
    link_to_muxer (run, reader, pad, caps);
    return;
  }
  gulong probe = gst_pad_add_probe (pad,
      static_cast<GstPadProbeType> (GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM), hold_stream, run, nullptr);
  /* No template: the stream is refused when the gate opens. */
  GstPadTemplate *templ = muxer_template_for (run->mux, caps);
  gulong query_probe = templ ? gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM, answer_for_muxer, templ,
                                   nullptr)
                             : 0;
  run->held.push_back ({ GST_PAD (gst_object_ref (pad)), gst_caps_ref (caps), reader, probe, query_probe,
      stream_order (caps, source_pad) });
}

/* The pad of cachesrc a reader reads. */
static GstPad *
source_pad_of (GstElement *reader)
{
  g_autoptr (GstPad) sink = gst_element_get_static_pad (reader, "sink");
  return sink ? gst_pad_get_peer (sink) : nullptr;
}

static void
on_parsed_pad (GstElement *parsebin, GstPad *pad, gpointer user_data)
{
  auto *run = static_cast<ExportRun *> (user_data);
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  if (!caps)
    caps = gst_pad_query_caps (pad, nullptr);
  if (gst_caps_is_empty (caps) || gst_caps_is_any (caps)) {
    refuse_stream (run, parsebin, "a stream of unknown type");
    return;
  }
  GST_DEBUG ("parsebin pad %s: %" GST_PTR_FORMAT, GST_PAD_NAME (pad), caps);
  g_autoptr (GstPad) source_pad = source_pad_of (parsebin);
  hold_or_link (run, parsebin, pad, caps, source_pad);
}

static void
on_source_done (GstElement *, gpointer user_data)
{
  auto *run = static_cast<ExportRun *> (user_data);
  std::lock_guard<std::mutex> guard (run->lock);
  run->source_done = true;
  open_gate_locked (run, nullptr);
}

/* What reads one pad of cachesrc: subparse for WebVTT (parsebin would fix
 * its output to Pango markup, which no muxer takes; linked to the muxer
 * first, subparse gives plain UTF-8 text), parsebin for the rest. */
static bool
plug_reader (ExportRun *run, GstPad *pad, GstCaps *caps)
{
  bool text = caps && g_str_has_prefix (gst_structure_get_name (gst_caps_get_structure (caps, 0)), "application/x-subtitle");
  GstElement *reader = gst_element_factory_make (text ? "subparse" : "parsebin", nullptr);
  if (!reader) {
    refuse_stream (run, run->pipeline, std::string ("the GStreamer element '") + (text ? "subparse" : "parsebin")
        + "' is missing (gstreamer1.0-plugins-base)");
    return false;
  }
  gst_bin_add (GST_BIN (run->pipeline), reader);
  if (text) {
    /* subparse negotiates before its first push: it must see a peer that
     * wants UTF-8 while its stream is held. */
    g_autoptr (GstCaps) utf8 = gst_caps_from_string ("text/x-raw, format=(string)utf8");
    GstElement *filter = gst_element_factory_make ("capsfilter", nullptr);
    g_object_set (filter, "caps", utf8, nullptr);
    gst_bin_add (GST_BIN (run->pipeline), filter);
    gst_element_link (reader, filter);
    gst_element_sync_state_with_parent (filter);
    g_autoptr (GstPad) src = gst_element_get_static_pad (filter, "src");
    hold_or_link (run, reader, src, utf8, pad);
  } else {
    g_signal_connect (reader, "pad-added", G_CALLBACK (on_parsed_pad), run);
  }
  gst_element_sync_state_with_parent (reader);
  g_autoptr (GstPad) sink = gst_element_get_static_pad (reader, "sink");
  bool linked = GST_PAD_LINK_SUCCESSFUL (gst_pad_link (pad, sink));
  if (text) {
    std::lock_guard<std::mutex> guard (run->lock);
    reader_ready_locked (run, reader, nullptr);
  }
  return linked;
}

/* A pad of cachesrc is linked when its caps come (an adaptive track), or
 * its first data without them (a progressive file, which parsebin types). */
static GstPadProbeReturn
on_source_data (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  auto *run = static_cast<ExportRun *> (user_data);
  GstCaps *caps = nullptr;
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
    if (GST_EVENT_TYPE (event) == GST_EVENT_STREAM_START)
      return GST_PAD_PROBE_OK;
    if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS)
      gst_event_parse_caps (event, &caps);
  }
  /* A track nobody reads would keep the gate shut: the export stops. */
  if (!plug_reader (run, pad, caps)) {
    g_autofree gchar *description = caps ? gst_caps_to_string (caps) : g_strdup ("data of no type");
    refuse_stream (run, run->pipeline, std::string ("cannot read a track of ") + description);
  }
  return GST_PAD_PROBE_REMOVE;
}

static void
on_source_pad (GstElement *, GstPad *pad, gpointer user_data)
{
  auto *run = static_cast<ExportRun *> (user_data);
  {
    std::lock_guard<std::mutex> guard (run->lock);
    if (!run->gate_open)
      run->pending++;
  }
  gst_pad_add_probe (pad,
      static_cast<GstPadProbeType> (GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM | GST_PAD_PROBE_TYPE_BUFFER
          | GST_PAD_PROBE_TYPE_BUFFER_LIST),
      on_source_data, user_data, nullptr);
}

/* The streams written: one GstStream per muxer pad, with its caps and tags. */
static GstStreamCollection *
collect_streams (ExportRun *run)
{
  GstStreamCollection *collection = gst_stream_collection_new (nullptr);
  GstIterator *it = gst_element_iterate_sink_pads (run->mux);
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    auto *pad = GST_PAD (g_value_get_object (&item));
    g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
    g_autofree gchar *stream_id = gst_pad_get_stream_id (pad);
    GstStreamType type = GST_STREAM_TYPE_UNKNOWN;
    if (caps && !gst_caps_is_empty (caps)) {
      const gchar *media = gst_structure_get_name (gst_caps_get_structure (caps, 0));
      if (g_str_has_prefix (media, "video/") || g_str_has_prefix (media, "image/"))
        type = GST_STREAM_TYPE_VIDEO;
      else if (g_str_has_prefix (media, "audio/"))
        type = GST_STREAM_TYPE_AUDIO;
      else if (g_str_has_prefix (media, "text/") || g_str_has_prefix (media, "application/x-subtitle")
          || g_str_has_prefix (media, "subtitle/"))
        type = GST_STREAM_TYPE_TEXT;
    }
    GstStream *stream = gst_stream_new (stream_id, caps, type, GST_STREAM_FLAG_NONE);
    GstTagList *tags = gst_tag_list_new_empty ();
    GstEvent *event;
    for (guint i = 0; (event = gst_pad_get_sticky_event (pad, GST_EVENT_TAG, i)); i++) {
      GstTagList *more = nullptr;
      gst_event_parse_tag (event, &more);
      gst_tag_list_insert (tags, more, GST_TAG_MERGE_KEEP);
      gst_event_unref (event);
    }
    gst_stream_set_tags (stream, tags);
    gst_tag_list_unref (tags);
    gst_stream_collection_add_stream (collection, stream);
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  return collection;
}

static void
stop_pipeline (ExportRun *run)
{
  g_clear_pointer (&run->progress_source, [] (GSource *s) { g_source_destroy (s); g_source_unref (s); });
  g_clear_pointer (&run->cancel_source, [] (GSource *s) { g_source_destroy (s); g_source_unref (s); });
  g_clear_pointer (&run->bus_source, [] (GSource *s) { g_source_destroy (s); g_source_unref (s); });
  if (run->pipeline) {
    gst_element_set_state (run->pipeline, GST_STATE_NULL);
    gst_clear_object (&run->pipeline);
  }
}

static void
export_run_complete (ExportRun *run, GError *error)
{
  GstOfflineExport *self = run->self;
  GTask *task = run->task;
  stop_pipeline (run);
  if (error) {
    if (!run->temp_path.empty () && g_unlink (run->temp_path.c_str ()) != 0 && errno != ENOENT)
      GST_WARNING ("could not remove %s: %s", run->temp_path.c_str (), g_strerror (errno));
  } else {
    self->size = run->size;
    self->duration = run->duration;
    g_clear_object (&self->streams);
    self->streams = static_cast<GstStreamCollection *> (g_steal_pointer (&run->streams));
  }
  self->run = nullptr;
  delete run;
  if (error)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
export_run_fail (ExportRun *run, GError *error)
{
  if (run->finished) {
    g_error_free (error);
    return;
  }
  run->finished = true;
  export_run_complete (run, error);
}

static void
on_committed (GObject *, GAsyncResult *result, gpointer user_data)
{
  auto *run = static_cast<ExportRun *> (user_data);
  GError *error = nullptr;
  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      export_run_complete (run, error);
      return;
    }
    GError *wrapped = export_error (run, static_cast<GstOfflineError> (error->domain == GST_OFFLINE_ERROR
                                             ? error->code : GST_OFFLINE_ERROR_IO), error->message);
    g_error_free (error);
    export_run_complete (run, wrapped);
    return;
  }
  /* The temporary name is FILE's now. */
  run->temp_path.clear ();
  export_run_complete (run, nullptr);
}

/* EOS: every stream is in the file; close it, then give it FILE's name. */
static void
on_end_of_stream (ExportRun *run)
{
  if (run->finished)
    return;
  run->finished = true;
  run->streams = collect_streams (run);
  guint64 first = run->first.load ();
  guint64 end = run->position.load ();
  run->duration = end > 0 && first <= end ? end - first : GST_CLOCK_TIME_NONE;
  stop_pipeline (run);
  g_signal_emit (run->self, signals[SIGNAL_PROGRESS], 0, (guint64) run->duration, (guint64) run->duration);
  /* Cancelled at the end (from that signal, say): no FILE. */
  GError *cancelled = nullptr;
  if (g_cancellable_set_error_if_cancelled (run->cancellable, &cancelled)) {
    export_run_complete (run, cancelled);
    return;
  }
  GTask *commit = g_task_new (run->self, nullptr, on_committed, run);
  g_task_set_task_data (commit, run, nullptr);
  g_task_run_in_thread (commit, commit_in_thread);
  g_object_unref (commit);
}

/* The error a pipeline's error message is, for the caller. */
static GError *
pipeline_error (ExportRun *run, GstMessage *message)
{
  g_autoptr (GError) error = nullptr;
  g_autofree gchar *debug = nullptr;
  gst_message_parse_error (message, &error, &debug);
  GST_INFO ("error from %s: %s (%s)", GST_MESSAGE_SRC_NAME (message), error->message, debug ? debug : "");
  GstOfflineError code = GST_OFFLINE_ERROR_FAILED;
  std::string why = error->message;
  bool to_file = GST_MESSAGE_SRC (message) && GST_IS_ELEMENT (GST_MESSAGE_SRC (message))
      && gst_element_get_factory (GST_ELEMENT (GST_MESSAGE_SRC (message)))
      && g_str_equal (GST_OBJECT_NAME (gst_element_get_factory (GST_ELEMENT (GST_MESSAGE_SRC (message)))), "filesink");
  if (g_error_matches (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NO_SPACE_LEFT)) {
    code = GST_OFFLINE_ERROR_NO_SPACE;
    g_autofree gchar *dir = g_path_get_dirname (run->path.c_str ());
    why = std::string ("not enough space in ") + dir + ": the disk filled up (" + error->message + ")";
  } else if (to_file && error->domain == GST_RESOURCE_ERROR) {
    code = GST_OFFLINE_ERROR_IO;
    why = "cannot write " + run->path + ": " + error->message;
  } else if (g_error_matches (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECRYPT_NOKEY)) {
    code = GST_OFFLINE_ERROR_NOT_FOUND;
  } else if (g_error_matches (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECRYPT)) {
    code = GST_OFFLINE_ERROR_LICENSE_EXPIRED;
  } else if (g_error_matches (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT)) {
    code = GST_OFFLINE_ERROR_UNSUPPORTED;
  } else if (g_error_matches (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN)) {
    code = GST_OFFLINE_ERROR_UNSUPPORTED;
  }
  GError *result = export_error (run, code, why);
  gst_offline::set_no_space_reason (result, GST_OFFLINE_NO_SPACE_REASON_DISK_FULL);
  return result;
}

static gboolean
on_bus_message (GstBus *, GstMessage *message, gpointer user_data)
{
  auto *run = static_cast<ExportRun *> (user_data);
  switch (GST_MESSAGE_TYPE (message)) {
    case GST_MESSAGE_EOS:
      on_end_of_stream (run);
      return G_SOURCE_REMOVE;
    case GST_MESSAGE_ERROR:
      export_run_fail (run, pipeline_error (run, message));
      return G_SOURCE_REMOVE;
    case GST_MESSAGE_WARNING: {
      g_autoptr (GError) warning = nullptr;
      gst_message_parse_warning (message, &warning, nullptr);
      GST_WARNING ("%s: %s", GST_MESSAGE_SRC_NAME (message), warning->message);
      break;
    }
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_progress_tick (gpointer user_data)
{
  auto *run = static_cast<ExportRun *> (user_data);
  guint64 position = run->position.load ();
  guint64 first = run->first.load ();
  position = first <= position ? position - first : 0;
  if (position != run->reported) {
    run->reported = position;
    g_signal_emit (run->self, signals[SIGNAL_PROGRESS], 0, position, (guint64) run->total);
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_cancelled (GCancellable *, gpointer user_data)
{
  auto *run = static_cast<ExportRun *> (user_data);
  GError *error = nullptr;
  g_cancellable_set_error_if_cancelled (run->cancellable, &error);
  export_run_fail (run, error);
  return G_SOURCE_REMOVE;
}

static GSource *
attach (ExportRun *run, GSource *source)
{
  g_source_attach (source, run->context);
  return source;
}

static void
start_pipeline (ExportRun *run)
{
  GstElement *source = gst_element_factory_make ("cachesrc", nullptr);
  GstElement *mux = gst_element_factory_make (run->format->muxer, nullptr);
  GstElement *sink = gst_element_factory_make ("filesink", nullptr);
  if (!source || !mux || !sink) {
    const char *missing = !source ? "cachesrc (the gst-offline plugin: is it in GST_PLUGIN_PATH?)"
                          : !mux  ? run->format->muxer
                                  : "filesink";
    for (GstElement *e : {source, mux, sink}) {
      if (e)
        gst_object_unref (gst_object_ref_sink (e));
    }
    export_run_fail (run, export_error (run, GST_OFFLINE_ERROR_UNSUPPORTED,
        std::string ("the GStreamer element ") + missing + " is missing"));
    return;
  }
  g_object_set (source, "cache-dir", run->data_dir.c_str (), "download-id", run->id.c_str (), nullptr);
  if (!run->tracks.empty ())
    g_object_set (source, "tracks", run->tracks.c_str (), nullptr);
  g_object_set (sink, "location", run->temp_path.c_str (), nullptr);

  run->pipeline = GST_ELEMENT (gst_object_ref_sink (gst_pipeline_new ("gst-offline-export")));
  run->mux = mux;
  gst_bin_add_many (GST_BIN (run->pipeline), source, mux, sink, nullptr);
  gst_element_link (mux, sink);
  g_signal_connect (source, "pad-added", G_CALLBACK (on_source_pad), run);
  g_signal_connect (source, "no-more-pads", G_CALLBACK (on_source_done), run);

  g_autoptr (GstBus) bus = gst_element_get_bus (run->pipeline);
  run->bus_source = attach (run, gst_bus_create_watch (bus));
  g_source_set_callback (run->bus_source, G_SOURCE_FUNC (on_bus_message), run, nullptr);
  run->progress_source = attach (run, g_timeout_source_new (kProgressIntervalMs));
  g_source_set_callback (run->progress_source, on_progress_tick, run, nullptr);
  if (run->cancellable) {
    run->cancel_source = attach (run, g_cancellable_source_new (run->cancellable));
    g_source_set_callback (run->cancel_source, G_SOURCE_FUNC (on_cancelled), run, nullptr);
  }
  /* No clock: the file is written as fast as the data come. A failure to
   * start is an error message on the bus too. */
  gst_pipeline_use_clock (GST_PIPELINE (run->pipeline), nullptr);
  GST_INFO ("exporting %s (tracks %s) into %s through %s", run->id.c_str (),
      run->tracks.empty () ? "all" : run->tracks.c_str (), run->temp_path.c_str (), run->format->muxer);
  gst_element_set_state (run->pipeline, GST_STATE_PLAYING);
  /* Nothing written yet, and how much there is to write. */
  run->reported = 0;
  g_signal_emit (run->self, signals[SIGNAL_PROGRESS], 0, (guint64) 0, (guint64) run->total);
}

static void
on_prepared (GObject *, GAsyncResult *result, gpointer user_data)
{
  auto *run = static_cast<ExportRun *> (user_data);
  GError *error = nullptr;
  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    export_run_fail (run, error);
    return;
  }
  if (g_cancellable_set_error_if_cancelled (run->cancellable, &error)) {
    export_run_fail (run, error);
    return;
  }
  start_pipeline (run);
}

/* ---- GObject -------------------------------------------------------------- */

static void
gst_offline_export_finalize (GObject *object)
{
  GstOfflineExport *self = GST_OFFLINE_EXPORT (object);
  g_free (self->data_dir);
  g_free (self->download_id);
  g_free (self->path);
  g_clear_object (&self->streams);
  G_OBJECT_CLASS (gst_offline_export_parent_class)->finalize (object);
}

static void
gst_offline_export_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GstOfflineExport *self = GST_OFFLINE_EXPORT (object);
  switch (prop_id) {
    case PROP_DATA_DIR:
      g_free (self->data_dir);
      self->data_dir = g_value_dup_string (value);
      break;
    case PROP_DOWNLOAD_ID:
      g_free (self->download_id);
      self->download_id = g_value_dup_string (value);
      break;
    case PROP_PATH:
      g_free (self->path);
      self->path = g_value_dup_string (value);
      break;
    case PROP_FORMAT:
      self->format = static_cast<GstOfflineExportFormat> (g_value_get_enum (value));
      break;
    case PROP_OVERWRITE:
      self->overwrite = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
gst_offline_export_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GstOfflineExport *self = GST_OFFLINE_EXPORT (object);
  switch (prop_id) {
    case PROP_DATA_DIR:
      g_value_set_string (value, self->data_dir);
      break;
    case PROP_DOWNLOAD_ID:
      g_value_set_string (value, self->download_id);
      break;
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_FORMAT:
      g_value_set_enum (value, self->format);
      break;
    case PROP_OVERWRITE:
      g_value_set_boolean (value, self->overwrite);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
gst_offline_export_class_init (GstOfflineExportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->finalize = gst_offline_export_finalize;
  object_class->set_property = gst_offline_export_set_property;
  object_class->get_property = gst_offline_export_get_property;

  /**
   * GstOfflineExport:data-dir: (type filename)
   *
   * The data directory that holds the download; %NULL for the default.
   */
  properties[PROP_DATA_DIR] = g_param_spec_string ("data-dir", "Data directory",
      "The data directory that holds the download (NULL: the default)", nullptr,
      static_cast<GParamFlags> (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
  /**
   * GstOfflineExport:download-id:
   *
   * The id of the download to export.
   */
  properties[PROP_DOWNLOAD_ID] = g_param_spec_string ("download-id", "Download id", "The id of the download to export",
      nullptr, static_cast<GParamFlags> (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
  /**
   * GstOfflineExport:path: (type filename)
   *
   * The file to write. It appears only once it is whole. If something has
   * its name already, the export is refused unless
   * #GstOfflineExport:overwrite is set.
   */
  properties[PROP_PATH] = g_param_spec_string ("path", "Path", "The file to write", nullptr,
      static_cast<GParamFlags> (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
  /**
   * GstOfflineExport:format:
   *
   * The container to write; %GST_OFFLINE_EXPORT_FORMAT_AUTO (the default)
   * chooses it by the extension of #GstOfflineExport:path.
   */
  properties[PROP_FORMAT] = g_param_spec_enum ("format", "Format", "The container to write (auto: by the file's extension)",
      GST_OFFLINE_TYPE_EXPORT_FORMAT, GST_OFFLINE_EXPORT_FORMAT_AUTO,
      static_cast<GParamFlags> (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  /**
   * GstOfflineExport:overwrite:
   *
   * Whether a file that has the name of #GstOfflineExport:path is replaced
   * (once the export is whole). %FALSE (the default): the export is refused
   * with %G_IO_ERROR_EXISTS before anything is written, and a file that
   * comes under that name while it runs is not replaced either.
   */
  properties[PROP_OVERWRITE] = g_param_spec_boolean ("overwrite", "Overwrite",
      "Whether a file of the path's name is replaced (else the export is refused)", FALSE,
      static_cast<GParamFlags> (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * GstOfflineExport::progress:
   * @self: the export
   * @position: how far the file is written, in nanoseconds of the content
   * @duration: how much content the export writes: the duration of the
   *   download, or of its time range (#GstOfflineDownloadRequest:range-start
   *   to #GstOfflineDownloadRequest:range-end) for a download of one; or
   *   %GST_CLOCK_TIME_NONE if unknown
   *
   * Emitted in the main context of the caller of
   * gst_offline_export_run_async() while the export runs: once as it starts
   * (@position 0), then at most ten times a second, and once at the end with
   * @position and @duration both the duration of the file written.
   */
  signals[SIGNAL_PROGRESS] = g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, nullptr,
      nullptr, nullptr, G_TYPE_NONE, 2, G_TYPE_UINT64, G_TYPE_UINT64);

  GST_DEBUG_CATEGORY_INIT (export_debug, "offlineexport", 0, "gst-offline: export of a download into one file");
}

static void
gst_offline_export_init (GstOfflineExport *self)
{
  self->duration = GST_CLOCK_TIME_NONE;
}

/* ---- Public API ------------------------------------------------------------ */

/**
 * SECTION:offline-export
 * @title: GstOfflineExport
 * @short_description: one download remuxed into one ordinary file
 *
 * #GstOfflineExport writes a complete download into one MP4, Matroska or
 * WebM file that any player opens, without re-encoding: `cachesrc` reads
 * the download, `parsebin` demuxes and parses each track (and `offlinedrm`
 * decrypts ClearKey content, while its license allows playback), and the
 * muxer of the format writes them. The best video track and every audio
 * and text track of the download are exported.
 *
 * The file is written under a temporary name (`.NAME.part-XXXXXX`) in the
 * same directory and renamed to its path only once it is whole and synced
 * (a file already there is replaced only if #GstOfflineExport:overwrite
 * says so):
 * a failure or a cancellation deletes it, and nothing is ever left under
 * the path's name that is not the whole export.
 *
 * It needs GStreamer initialised and the `offline` plugin (cachesrc,
 * offlinedrm) where GStreamer finds it.
 */

/**
 * gst_offline_export_format_from_path:
 * @path: (type filename): a file name
 *
 * Returns: the format its extension names (`.mp4`, `.m4a`, `.m4v`: MP4;
 *   `.mkv`, `.mka`: Matroska; `.webm`: WebM; case does not matter), or
 *   %GST_OFFLINE_EXPORT_FORMAT_AUTO for another.
 */
GstOfflineExportFormat
gst_offline_export_format_from_path (const gchar *path)
{
  g_return_val_if_fail (path != nullptr, GST_OFFLINE_EXPORT_FORMAT_AUTO);
  g_autofree gchar *lower = g_ascii_strdown (path, -1);
  for (const FormatInfo &info : kFormats) {
    for (const char *const *e = info.extensions; *e; e++) {
      if (g_str_has_suffix (lower, *e))
        return info.format;
    }
  }
  return GST_OFFLINE_EXPORT_FORMAT_AUTO;
}

/**
 * gst_offline_export_format_from_string:
 * @name: `mp4`, `mkv` (or `matroska`) or `webm`
 *
 * Returns: the format @name names, or %GST_OFFLINE_EXPORT_FORMAT_AUTO for
 *   another name.
 */
GstOfflineExportFormat
gst_offline_export_format_from_string (const gchar *name)
{
  g_return_val_if_fail (name != nullptr, GST_OFFLINE_EXPORT_FORMAT_AUTO);
  if (g_ascii_strcasecmp (name, "matroska") == 0)
    return GST_OFFLINE_EXPORT_FORMAT_MATROSKA;
  for (const FormatInfo &info : kFormats) {
    if (g_ascii_strcasecmp (name, info.name) == 0)
      return info.format;
  }
  return GST_OFFLINE_EXPORT_FORMAT_AUTO;
}

/**
 * gst_offline_export_format_to_string:
 * @format: a #GstOfflineExportFormat
 *
 * Returns: `mp4`, `mkv`, `webm`, or `auto`.
 */
const gchar *
gst_offline_export_format_to_string (GstOfflineExportFormat format)
{
  const FormatInfo *info = format_info (format);
  return info ? info->name : "auto";
}

/**
 * gst_offline_export_new:
 * @data_dir: (nullable) (type filename): the data directory, %NULL for the default
 * @download_id: the id of a complete download
 * @path: (type filename): the file to write
 *
 * Returns: (transfer full): an export of @download_id into @path, in the
 *   format its extension names until gst_offline_export_set_format() says
 *   another. Nothing runs before gst_offline_export_run_async().
 */
GstOfflineExport *
gst_offline_export_new (const gchar *data_dir, const gchar *download_id, const gchar *path)
{
  g_return_val_if_fail (download_id != nullptr, nullptr);
  g_return_val_if_fail (path != nullptr, nullptr);
  return GST_OFFLINE_EXPORT (g_object_new (GST_OFFLINE_TYPE_EXPORT, "data-dir", data_dir, "download-id", download_id,
      "path", path, nullptr));
}

/**
 * gst_offline_export_set_format:
 * @self: a #GstOfflineExport
 * @format: the container, %GST_OFFLINE_EXPORT_FORMAT_AUTO for the one the
 *   path's extension names
 */
void
gst_offline_export_set_format (GstOfflineExport *self, GstOfflineExportFormat format)
{
  g_return_if_fail (GST_OFFLINE_IS_EXPORT (self));
  if (self->format == format)
    return;
  self->format = format;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FORMAT]);
}

/**
 * gst_offline_export_get_format:
 * @self: a #GstOfflineExport
 *
 * Returns: the format set, or %GST_OFFLINE_EXPORT_FORMAT_AUTO.
 */
GstOfflineExportFormat
gst_offline_export_get_format (GstOfflineExport *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_EXPORT (self), GST_OFFLINE_EXPORT_FORMAT_AUTO);
  return self->format;
}

/**
 * gst_offline_export_set_overwrite:
 * @self: a #GstOfflineExport
 * @overwrite: whether a file of the path's name is replaced
 *
 * Sets #GstOfflineExport:overwrite: without it, an export to a path that
 * exists is refused (%G_IO_ERROR_EXISTS).
 */
void
gst_offline_export_set_overwrite (GstOfflineExport *self, gboolean overwrite)
{
  g_return_if_fail (GST_OFFLINE_IS_EXPORT (self));
  overwrite = !!overwrite;
  if (self->overwrite == overwrite)
    return;
  self->overwrite = overwrite;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OVERWRITE]);
}

/**
 * gst_offline_export_get_overwrite:
 * @self: a #GstOfflineExport
 *
 * Returns: whether a file of the path's name is replaced.
 */
gboolean
gst_offline_export_get_overwrite (GstOfflineExport *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_EXPORT (self), FALSE);
  return self->overwrite;
}

/**
 * gst_offline_export_get_download_id:
 * @self: a #GstOfflineExport
 *
 * Returns: the id of the download exported.
 */
const gchar *
gst_offline_export_get_download_id (GstOfflineExport *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_EXPORT (self), nullptr);
  return self->download_id;
}

/**
 * gst_offline_export_get_path:
 * @self: a #GstOfflineExport
 *
 * Returns: (type filename): the file written.
 */
const gchar *
gst_offline_export_get_path (GstOfflineExport *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_EXPORT (self), nullptr);
  return self->path;
}

/**
 * gst_offline_export_run_async:
 * @self: a #GstOfflineExport not running
 * @cancellable: (nullable): a #GCancellable; cancelling it stops the export
 *   and deletes what was written
 * @callback: (scope async): called in the thread-default main context of
 *   the caller when the file is whole under its name, or the export failed
 * @user_data: data for @callback
 *
 * Exports the download. Reading the index and syncing the file happen on
 * worker threads and the pipeline runs on its own streaming threads: the
 * caller's main context is never blocked on I/O. #GstOfflineExport::progress
 * reports how far it is.
 */
void
gst_offline_export_run_async (GstOfflineExport *self, GCancellable *cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  g_return_if_fail (GST_OFFLINE_IS_EXPORT (self));
  g_return_if_fail (cancellable == nullptr || G_IS_CANCELLABLE (cancellable));
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, reinterpret_cast<gpointer> (gst_offline_export_run_async));
  if (self->run) {
    g_task_return_new_error (task, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_BUSY, "the export of %s into %s is running",
        self->download_id, self->path);
    g_object_unref (task);
    return;
  }
  GstOfflineExportFormat format =
      self->format != GST_OFFLINE_EXPORT_FORMAT_AUTO ? self->format : gst_offline_export_format_from_path (self->path);
  if (format == GST_OFFLINE_EXPORT_FORMAT_AUTO) {
    g_task_return_new_error (task, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_INVALID_ARGUMENT,
        "cannot tell the format of %s from its name: end it with .mp4, .m4a, .m4v, .mkv, .mka or .webm, or choose "
        "the format", self->path);
    g_object_unref (task);
    return;
  }

  auto *run = new ExportRun;
  run->self = self;
  run->task = task;
  run->context = g_main_context_ref_thread_default ();
  run->cancellable = cancellable ? G_CANCELLABLE (g_object_ref (cancellable)) : nullptr;
  run->data_dir = gst_offline::resolve_data_dir (self->data_dir);
  run->id = self->download_id;
  run->path = self->path;
  run->format = format_info (format);
  run->overwrite = self->overwrite;
  self->run = run;

  GTask *prepare = g_task_new (self, cancellable, on_prepared, run);
  g_task_set_task_data (prepare, run, nullptr);
  g_task_run_in_thread (prepare, prepare_in_thread);
  g_object_unref (prepare);
}

/**
 * gst_offline_export_run_finish:
 * @self: a #GstOfflineExport
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE once the file is whole under its path; %FALSE with
 *   %GST_OFFLINE_ERROR_NOT_FOUND (no such download, or no key for its
 *   encrypted content), %GST_OFFLINE_ERROR_INCOMPLETE (the download is not
 *   complete), %GST_OFFLINE_ERROR_LICENSE_EXPIRED (its license no longer
 *   allows playback; the message says when it ended),
 *   %GST_OFFLINE_ERROR_UNSUPPORTED (a track the format cannot carry, say
 *   text in WebM; the message names it), %GST_OFFLINE_ERROR_INVALID_ARGUMENT
 *   (a path whose format is unknown), %G_IO_ERROR_EXISTS (something has
 *   the path's name and #GstOfflineExport:overwrite is not set; it is left
 *   as it is), %GST_OFFLINE_ERROR_IO or
 *   %GST_OFFLINE_ERROR_NO_SPACE (writing failed), %G_IO_ERROR_CANCELLED,
 *   or another error of the pipeline. Nothing is left at the path then.
 */
gboolean
gst_offline_export_run_finish (GstOfflineExport *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (GST_OFFLINE_IS_EXPORT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * gst_offline_export_get_size:
 * @self: a #GstOfflineExport
 *
 * Returns: the size in bytes of the file the last export wrote, 0 before
 *   one succeeded.
 */
guint64
gst_offline_export_get_size (GstOfflineExport *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_EXPORT (self), 0);
  return self->size;
}

/**
 * gst_offline_export_get_duration:
 * @self: a #GstOfflineExport
 *
 * Returns: the duration of the file the last export that succeeded wrote
 *   (from the start of its first sample to the end of its last one), or
 *   %GST_CLOCK_TIME_NONE.
 */
GstClockTime
gst_offline_export_get_duration (GstOfflineExport *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_EXPORT (self), GST_CLOCK_TIME_NONE);
  return self->duration;
}

/**
 * gst_offline_export_get_streams:
 * @self: a #GstOfflineExport
 *
 * Returns: (transfer none) (nullable): the streams the last export that
 *   succeeded wrote, one #GstStream per track of the file (its type, caps
 *   and tags, such as the language), or %NULL before one succeeded.
 */
GstStreamCollection *
gst_offline_export_get_streams (GstOfflineExport *self)
{
  g_return_val_if_fail (GST_OFFLINE_IS_EXPORT (self), nullptr);
  return self->streams;
}
