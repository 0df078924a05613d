/* gst-offline CLI: the progress of a running download — a bar redrawn on
 * stderr when it is a terminal, else plain lines on stdout at most once a
 * second (`ID: 42.0% 1.2 MiB of 2.9 MiB, 100.0 KiB/s, ETA 0:17`) — and why
 * a download that is not running waits (`ID: paused`).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/offline/offline.h>

#include <string>

namespace cli {

class ProgressDisplay {
 public:
  /* `terminal`: draw a bar on stderr; otherwise write lines on stdout. */
  ProgressDisplay (std::string id, bool terminal);
  ~ProgressDisplay ();
  ProgressDisplay (const ProgressDisplay &) = delete;
  ProgressDisplay &operator= (const ProgressDisplay &) = delete;

  /* A snapshot of the running download. */
  void update (GstOfflineDownload *download);
  /* Progress of other work (an export): `percent` (negative: unknown) and
   * what follows it, e.g. "0:00:02.000 of 0:00:06.000". */
  void update (gdouble percent, const std::string &text);
  /* The download does not run, for `reason` ("paused", "waiting for:
   * network"): shown once, until the reason or the progress changes. */
  void show_waiting (const std::string &reason);
  /* Erases the bar, so that what follows starts on a clean line. */
  void clear ();

 private:
  /* Draws the bar or prints a line, at most as often as each is due. */
  void show (gdouble percent, const std::string &bar_text, const std::string &line_text);
  void draw_bar (gdouble percent, const std::string &text);
  void print_line (gdouble percent, const std::string &text);

  std::string id_;
  bool terminal_;
  bool bar_drawn_ = false;
  bool end_shown_ = false;  /* 100% was shown: once at once, then as usual */
  gint64 last_output_ = 0;  /* monotonic µs of the last bar or line */
  std::string waiting_;     /* the reason shown last, empty while running */
};

}  // namespace cli
