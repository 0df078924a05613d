/* What of a download record its license depends on (drm/ knows licenses,
 * not downloads).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "drm/license-manager.h"
#include "index/download-record.h"

#include <string>

namespace gst_offline {

inline LicenseSource license_source (const DownloadRecord &record)
{
  return { record.id, record.uri, record.headers, record.license_url };
}

/* Records in the index that the download holds a license (its key_set_id
 * names it) or no longer does. A download that is not in the index (a
 * license acquired before its download is added) is not an error. The drm
 * layer never writes the index: the callers that tie licenses to downloads
 * do, through this. */
bool note_license_in_index (Database &index_db, const std::string &download_id, bool held, GError **error);

}  // namespace gst_offline
