/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "progress.h"

#include "download-output.h"
#include "format.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>

namespace cli {

namespace {

constexpr gint64 kBarInterval = G_USEC_PER_SEC / 10;
constexpr gint64 kLineInterval = G_USEC_PER_SEC;

guint
terminal_columns ()
{
  struct winsize size {};
  if (ioctl (STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
    return size.ws_col;
  return 80;
}

/* ", 1.2 MiB/s, ETA 0:05" from the library's measure, or "" while it has none
 * (the first moments of a run). */
std::string
speed_text (GstOfflineDownload *download, const char *separator)
{
  gdouble speed = gst_offline_download_get_speed (download);
  if (speed <= 0)
    return "";
  std::string text = separator + format_speed (speed);
  gint64 eta = gst_offline_download_get_eta (download);
  if (eta >= 0)
    text += separator + std::string ("ETA ") + format_eta (eta);
  return text;
}

}  // namespace

ProgressDisplay::ProgressDisplay (std::string id, bool terminal)
    : id_ (std::move (id)), terminal_ (terminal)
{
}

ProgressDisplay::~ProgressDisplay ()
{
  clear ();
}

void
ProgressDisplay::update (GstOfflineDownload *download)
{
  guint64 bytes = gst_offline_download_get_bytes_downloaded (download);

  /* Before the server has answered there is nothing worth showing. */
  if (bytes == 0 && gst_offline_download_get_content_length (download) < 0)
    return;
  gdouble percent = gst_offline_download_get_percent_downloaded (download);
  std::string size = progress_text (download);
  /* A live recording: what it holds and lost, and its lag, instead of a speed. */
  if (gst_offline_download_is_recording (download)) {
    std::string live = size + ", " + recording_text (download);
    show (percent, live, live);
    return;
  }
  show (percent, size + speed_text (download, "  "), size + speed_text (download, ", "));
}

void
ProgressDisplay::update (gdouble percent, const std::string &text)
{
  show (percent, text, text);
}

void
ProgressDisplay::show (gdouble percent, const std::string &bar_text, const std::string &line_text)
{
  gint64 now = g_get_monotonic_time ();
  /* Running again after a wait, or done: show it at once (the end is what
   * a fast run shows, however soon after the last redraw it comes). */
  bool now_due = !waiting_.empty () || (percent >= 100.0 && !end_shown_);
  end_shown_ = end_shown_ || percent >= 100.0;
  waiting_.clear ();
  if (terminal_) {
    if (!now_due && bar_drawn_ && now - last_output_ < kBarInterval)
      return;
    draw_bar (percent, bar_text);
  } else {
    if (!now_due && last_output_ != 0 && now - last_output_ < kLineInterval)
      return;
    print_line (percent, line_text);
  }
  last_output_ = now;
}

void
ProgressDisplay::show_waiting (const std::string &reason)
{
  if (reason == waiting_)
    return;
  waiting_ = reason;
  if (terminal_) {
    std::string line = id_ + " " + reason;
    guint columns = terminal_columns ();
    if (line.size () >= columns)
      line.resize (columns - 1);
    fprintf (stderr, "\r%s\033[K", line.c_str ());
    fflush (stderr);
    bar_drawn_ = true;
  } else {
    printf ("%s: %s\n", id_.c_str (), reason.c_str ());
    fflush (stdout);
  }
  last_output_ = g_get_monotonic_time ();
}

void
ProgressDisplay::clear ()
{
  if (!bar_drawn_)
    return;
  fputs ("\r\033[K", stderr);
  fflush (stderr);
  bar_drawn_ = false;
}

void
ProgressDisplay::draw_bar (gdouble percent, const std::string &detail)
{
  std::string text = format_percent (percent) + "  " + detail;

  std::string line = id_ + " ";
  guint columns = terminal_columns ();
  /* "id [bar] text": the bar gets what the longest text leaves, between 10
   * and 40 cells, so that it does not change width as the text does. */
  constexpr gint kLongestText = sizeof ("100.0%  1023.9 MiB of about 1023.9 MiB  1023.9 MiB/s  ETA 99:59:59") - 1;
  gint room = (gint) columns - 1 - (gint) line.size () - 3 - kLongestText;
  if (percent >= 0 && room >= 10) {
    gint width = MIN (room, 40);
    gint filled = (gint) (width * CLAMP (percent, 0.0, 100.0) / 100.0);
    line += "[" + std::string (filled, '#') + std::string (width - filled, '-') + "] ";
  }
  line += text;
  if (line.size () >= columns)
    line.resize (columns - 1);

  fprintf (stderr, "\r%s\033[K", line.c_str ());
  fflush (stderr);
  bar_drawn_ = true;
}

void
ProgressDisplay::print_line (gdouble percent, const std::string &text)
{
  if (percent >= 0)
    printf ("%s: %s %s\n", id_.c_str (), format_percent (percent).c_str (), text.c_str ());
  else
    printf ("%s: %s\n", id_.c_str (), text.c_str ());
  fflush (stdout);
}

}  // namespace cli
