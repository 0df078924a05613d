/* File-system steps of the crash-safe write path, with errno mapped to
 * GST_OFFLINE_ERROR codes (a full disk or a file size limit is NO_SPACE).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <string>

namespace gst_offline {

/* Sets `error` from errno value `errsv`, prefixed by `what` (e.g. "writing /x"). */
void set_error_from_errno (GError **error, int errsv, const std::string &what);

/* Creates `path` and its parents (mode 0700 for new ones). */
bool make_directories (const std::string &path, GError **error);

/* Makes a rename or unlink in `dir` durable. */
bool sync_directory (const std::string &dir, GError **error);

/* Size of the regular file at `path`, or -1 if there is none. */
gint64 file_size (const std::string &path);

/* Milliseconds since the epoch. */
inline gint64 now_ms () { return g_get_real_time () / 1000; }

}  // namespace gst_offline
