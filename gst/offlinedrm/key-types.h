/* The Common Encryption key id and content key as offlinedrm handles them.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include <array>

namespace gst_offline {

/* A Common Encryption key id (the 16 bytes of a tenc/senc default_KID). */
using KeyId = std::array<guint8, 16>;
/* An AES-128 content key. */
using ContentKey = std::array<guint8, 16>;

}  // namespace gst_offline
