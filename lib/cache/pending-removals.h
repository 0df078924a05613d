/* Downloads whose row in the index is gone while the rest of their rows
 * (the plan's segments, their resources) are still being deleted: a
 * removal makes the download invisible in one small transaction and
 * deletes the tens of thousands of rows a large download has afterwards,
 * off the caller's path. A mark records each such removal on disk, one file
 * a download under `removing/` of the data directory, named by the hash of
 * its id and holding the id: written and synced before the download's row
 * goes, unlinked once its other rows are gone. A manager that finds one
 * (at its start, or when the same id is added again) finishes that
 * removal, so a crash at any point leaves no download half-visible and no
 * rows behind for good.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include <string>
#include <vector>

namespace gst_offline {

/* Marks the removal of `id` as pending, durably (file and directory
 * synced). */
bool mark_pending_removal (const std::string &data_dir, const std::string &id, GError **error);
/* Its rows are gone: forgets the mark. */
void clear_pending_removal (const std::string &data_dir, const std::string &id);
bool is_pending_removal (const std::string &data_dir, const std::string &id);
/* The ids of every pending removal. */
std::vector<std::string> list_pending_removals (const std::string &data_dir);

}  // namespace gst_offline
