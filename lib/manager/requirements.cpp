/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "manager/requirements.h"

#include "util/request-error.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/offline/offline-error.h>

#include <sys/statvfs.h>

namespace gst_offline {

bool uri_is_loopback (const std::string &uri)
{
  if (uri.empty ())
    return false;
  g_autoptr (GUri) parsed = g_uri_parse (uri.c_str (), G_URI_FLAGS_NONE, nullptr);
  const char *host = parsed ? g_uri_get_host (parsed) : nullptr;
  if (!host)
    return false;
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return true;
  g_autoptr (GInetAddress) address = g_inet_address_new_from_string (host);
  return address && g_inet_address_get_is_loopback (address);
}

namespace {

/* Free bytes for an unprivileged writer, or -1 if the file system cannot be
 * asked (a data directory not made yet: ask its nearest existing parent). */
gint64 free_bytes (const std::string &data_dir)
{
  std::string dir = data_dir;
  struct statvfs st;
  while (statvfs (dir.c_str (), &st) != 0) {
    g_autofree gchar *parent = g_path_get_dirname (dir.c_str ());
    if (dir == parent)
      return -1;
    dir = parent;
  }
  return static_cast<gint64> (st.f_bavail) * static_cast<gint64> (st.f_frsize);
}

std::string mib (guint64 bytes)
{
  g_autofree gchar *text = g_format_size_full (bytes, G_FORMAT_SIZE_IEC_UNITS);
  return text;
}

}  // namespace

GstOfflineRequirements requirements_not_met (GstOfflineRequirements requirements, const std::string &data_dir,
    guint64 min_free_space, const std::string &uri)
{
  int not_met = GST_OFFLINE_REQUIREMENTS_NONE;
  if ((requirements & (GST_OFFLINE_REQUIREMENTS_NETWORK | GST_OFFLINE_REQUIREMENTS_NETWORK_UNMETERED))
      && !uri_is_loopback (uri)) {
    GNetworkMonitor *monitor = g_network_monitor_get_default ();
    bool available = g_network_monitor_get_network_available (monitor);
    if ((requirements & GST_OFFLINE_REQUIREMENTS_NETWORK) && !available)
      not_met |= GST_OFFLINE_REQUIREMENTS_NETWORK;
    if ((requirements & GST_OFFLINE_REQUIREMENTS_NETWORK_UNMETERED)
        && (!available || g_network_monitor_get_network_metered (monitor)))
      not_met |= GST_OFFLINE_REQUIREMENTS_NETWORK_UNMETERED;
  }
  if (requirements & GST_OFFLINE_REQUIREMENTS_STORAGE_NOT_LOW) {
    gint64 available = free_bytes (data_dir);
    if (available >= 0 && static_cast<guint64> (available) < min_free_space)
      not_met |= GST_OFFLINE_REQUIREMENTS_STORAGE_NOT_LOW;
  }
  return static_cast<GstOfflineRequirements> (not_met);
}

bool check_free_space (const std::string &data_dir, guint64 bytes, guint64 min_free_space, GError **error)
{
  gint64 available = free_bytes (data_dir);
  if (available < 0 || static_cast<guint64> (available) >= bytes + min_free_space)
    return true;
  if (!error)
    return false;
  g_set_error (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NO_SPACE,
      "not enough space in %s: %s more are needed and %s are free (%s are kept free)", data_dir.c_str (),
      mib (bytes).c_str (), mib (static_cast<guint64> (available)).c_str (), mib (min_free_space).c_str ());
  set_no_space_reason (*error, GST_OFFLINE_NO_SPACE_REASON_REFUSED);
  return false;
}

}  // namespace gst_offline

/**
 * gst_offline_requirements_get_not_met:
 * @requirements: the requirements to check
 * @data_dir: (nullable) (type filename): the data directory, %NULL for the default
 * @min_free_space: the bytes %GST_OFFLINE_REQUIREMENTS_STORAGE_NOT_LOW keeps free
 * @uri: (nullable): the URI of one download, or %NULL for any download
 *
 * Checks requirements without a manager (for a process that only reports,
 * such as `gst-offline status`), as a manager would: downloads from loopback
 * hosts need no network.
 *
 * Returns: the requirements that are not met now.
 */
GstOfflineRequirements gst_offline_requirements_get_not_met (GstOfflineRequirements requirements, const gchar *data_dir,
    guint64 min_free_space, const gchar *uri)
{
  g_autofree gchar *dir = data_dir ? g_strdup (data_dir) : gst_offline_get_default_data_dir ();
  return gst_offline::requirements_not_met (requirements, dir, min_free_space, uri ? uri : "");
}

gchar *gst_offline_requirements_to_string (GstOfflineRequirements requirements)
{
  static const struct {
    GstOfflineRequirements flag;
    const char *name;
  } names[] = {
    { GST_OFFLINE_REQUIREMENTS_NETWORK, "network" },
    { GST_OFFLINE_REQUIREMENTS_NETWORK_UNMETERED, "unmetered-network" },
    { GST_OFFLINE_REQUIREMENTS_STORAGE_NOT_LOW, "storage-not-low" },
  };
  GString *text = g_string_new (nullptr);
  for (const auto &entry : names) {
    if (requirements & entry.flag)
      g_string_append_printf (text, "%s%s", text->len ? ", " : "", entry.name);
  }
  if (text->len == 0)
    g_string_append (text, "none");
  return g_string_free (text, FALSE);
}
