/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "util/hash.h"

#include <glib.h>

namespace gst_offline {

std::string sha256_hex (std::string_view text)
{
  g_autofree gchar *hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256,
      reinterpret_cast<const guchar *> (text.data ()), text.size ());
  return hex;
}

}  // namespace gst_offline
