/* gst-offline export: a complete download remuxed into one ordinary file
 * (GstOfflineExport does the work), with progress.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "commands.h"
#include "data-dir.h"
#include "format.h"
#include "json-writer.h"
#include "progress.h"
#include "scoped.h"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <string>

namespace cli {

namespace {

struct ExportWatch {
  GMainLoop *loop = nullptr;
  GCancellable *cancellable = nullptr;
  std::unique_ptr<ProgressDisplay> progress;
  GError *error = nullptr;
  bool done = false;
  bool interrupted = false;

  ~ExportWatch () { g_clear_error (&error); }
};

void
on_progress (GstOfflineExport *, guint64 position, guint64 duration, gpointer user_data)
{
  auto *watch = static_cast<ExportWatch *> (user_data);
  if (!watch->progress)
    return;
  gdouble percent = -1;
  std::string text = format_duration (position);
  if (GST_CLOCK_TIME_IS_VALID (duration) && duration > 0) {
    percent = MIN (100.0, 100.0 * (gdouble) position / (gdouble) duration);
    text += " of " + format_duration (duration);
  }
  watch->progress->update (percent, text);
}

void
on_exported (GObject *source, GAsyncResult *result, gpointer user_data)
{
  auto *watch = static_cast<ExportWatch *> (user_data);
  gst_offline_export_run_finish (GST_OFFLINE_EXPORT (source), result, &watch->error);
  watch->done = true;
  g_main_loop_quit (watch->loop);
}

/* Ctrl-C or SIGTERM: the library stops and deletes what it wrote. */
gboolean
on_interrupt (gpointer user_data)
{
  auto *watch = static_cast<ExportWatch *> (user_data);
  watch->interrupted = true;
  g_cancellable_cancel (watch->cancellable);
  return G_SOURCE_CONTINUE;
}

const char *
stream_type_name (GstStreamType type)
{
  if (type & GST_STREAM_TYPE_VIDEO)
    return "video";
  if (type & GST_STREAM_TYPE_AUDIO)
    return "audio";
  if (type & GST_STREAM_TYPE_TEXT)
    return "text";
  return "other";
}

/* The media type of a stream's caps ("video/x-h264"), and its language tag or "". */
std::string
stream_media (GstStream *stream)
{
  g_autoptr (GstCaps) caps = gst_stream_get_caps (stream);
  if (!caps || gst_caps_is_empty (caps) || gst_caps_is_any (caps))
    return "unknown";
  return gst_structure_get_name (gst_caps_get_structure (caps, 0));
}

std::string
stream_language (GstStream *stream)
{
  g_autoptr (GstTagList) tags = gst_stream_get_tags (stream);
  g_autofree gchar *language = nullptr;
  if (tags && gst_tag_list_get_string (tags, GST_TAG_LANGUAGE_CODE, &language))
    return language;
  return "";
}

void
print_json (GstOfflineExport *exported, const char *id)
{
  std::string out;
  JsonWriter w (out);
  GstClockTime duration = gst_offline_export_get_duration (exported);
  w.begin_object ();
  w.member ("id").string (id);
  w.member ("path").string (gst_offline_export_get_path (exported));
  GstOfflineExportFormat format = gst_offline_export_get_format (exported);
  if (format == GST_OFFLINE_EXPORT_FORMAT_AUTO)
    format = gst_offline_export_format_from_path (gst_offline_export_get_path (exported));
  w.member ("format").string (gst_offline_export_format_to_string (format));
  w.member ("size").integer ((gint64) gst_offline_export_get_size (exported));
  w.member ("duration");
  if (GST_CLOCK_TIME_IS_VALID (duration))
    w.number ((gdouble) duration / GST_SECOND);
  else
    w.null ();
  w.member ("tracks").begin_array ();
  GstStreamCollection *streams = gst_offline_export_get_streams (exported);
  for (guint i = 0; streams && i < gst_stream_collection_get_size (streams); i++) {
    GstStream *stream = gst_stream_collection_get_stream (streams, i);
    std::string language = stream_language (stream);
    w.begin_object ();
    w.member ("type").string (stream_type_name (gst_stream_get_stream_type (stream)));
    w.member ("media_type").string (stream_media (stream).c_str ());
    w.member ("language").string (language.empty () ? nullptr : language.c_str ());
    w.end_object ();
  }
  w.end_array ();
  w.end_object ();
  printf ("%s\n", out.c_str ());
}

void
print_text (GstOfflineExport *exported, const char *id)
{
  std::string tracks;
  GstStreamCollection *streams = gst_offline_export_get_streams (exported);
  for (guint i = 0; streams && i < gst_stream_collection_get_size (streams); i++) {
    GstStream *stream = gst_stream_collection_get_stream (streams, i);
    std::string language = stream_language (stream);
    tracks += std::string (i ? ", " : "") + stream_type_name (gst_stream_get_stream_type (stream)) + " "
        + stream_media (stream) + (language.empty () ? "" : " (" + language + ")");
  }
  guint64 size = gst_offline_export_get_size (exported);
  printf ("exported %s to %s: %" G_GUINT64_FORMAT " bytes (%s), duration %s, tracks: %s\n", id,
      gst_offline_export_get_path (exported), size, format_size (size).c_str (),
      format_duration (gst_offline_export_get_duration (exported)).c_str (), tracks.c_str ());
}

}  // namespace

int
command_export (Context &ctx, int argc, char **argv)
{
  gchar *format_option = nullptr;
  gboolean json = FALSE;
  gboolean force = FALSE;
  const GOptionEntry entries[] = {
      {"format", 0, 0, G_OPTION_ARG_STRING, &format_option,
          "The container: mp4, mkv or webm (default: by FILE's extension)", "FORMAT"},
      {"force", 0, 0, G_OPTION_ARG_NONE, &force, "Replace FILE if it exists (else the export is refused)", nullptr},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json,
          "At the end print a JSON object: id, path, format, size, duration, tracks (docs/cli.md)", nullptr},
      {},
  };
  int status = parse_command_options (ctx, "export", "ID FILE",
      "Writes a complete download into FILE, one MP4 (.mp4, .m4a, .m4v), Matroska (.mkv, .mka) or WebM\n"
      "(.webm) file, remuxed without re-encoding and decrypted if its license allows playback. FILE\n"
      "appears only once it is whole; one that exists is replaced only with --force.",
      entries, &argc, &argv);
  g_autofree gchar *format_text = format_option;
  if (status == kExitSuccess)
    status = expect_arguments ("export", argc, argv, 2, 2, "ID and FILE");
  if (status != kExitSuccess)
    return status;
  const char *id = argv[1];
  const char *path = argv[2];

  GstOfflineExportFormat format = GST_OFFLINE_EXPORT_FORMAT_AUTO;
  if (format_text) {
    format = gst_offline_export_format_from_string (format_text);
    if (format == GST_OFFLINE_EXPORT_FORMAT_AUTO)
      return usage_error ("export", "export: --format must be mp4, mkv or webm, not '%s'", format_text);
  } else if (gst_offline_export_format_from_path (path) == GST_OFFLINE_EXPORT_FORMAT_AUTO) {
    return usage_error ("export", "export: cannot tell the format of %s from its name: end it with .mp4, .m4a, "
        ".m4v, .mkv, .mka or .webm, or use --format", path);
  }
  if (!data_dir_exists (ctx))
    return fail ("no download with id '%s'", id);

  g_autoptr (GstOfflineExport) exporter = gst_offline_export_new (ctx.data_dir.c_str (), id, path);
  gst_offline_export_set_format (exporter, format);
  gst_offline_export_set_overwrite (exporter, force);

  g_autoptr (GMainLoop) loop = g_main_loop_new (nullptr, FALSE);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  ExportWatch watch;
  watch.loop = loop;
  watch.cancellable = cancellable;
  bool terminal = isatty (STDERR_FILENO);
  /* With --json, stdout holds the object alone: a bar on a terminal only. */
  if (terminal || !json)
    watch.progress = std::make_unique<ProgressDisplay> (id, terminal);
  SignalConnection progress (exporter, "progress", G_CALLBACK (on_progress), &watch);
  UnixSignalWatch sigint (SIGINT, on_interrupt, &watch);
  UnixSignalWatch sigterm (SIGTERM, on_interrupt, &watch);

  gst_offline_export_run_async (exporter, cancellable, on_exported, &watch);
  while (!watch.done)
    g_main_loop_run (loop);
  if (watch.progress)
    watch.progress->clear ();

  if (watch.error) {
    if (watch.interrupted && g_error_matches (watch.error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      fail ("export of %s interrupted: %s was not written", id, path);
      return kExitInterrupted;
    }
    if (g_error_matches (watch.error, G_IO_ERROR, G_IO_ERROR_EXISTS))
      return fail ("export of %s refused: %s exists (--force replaces it)", id, path);
    return fail ("%s", watch.error->message);
  }
  if (json)
    print_json (exporter, id);
  else
    print_text (exporter, id);
  return kExitSuccess;
}

}  // namespace cli
