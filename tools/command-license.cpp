/* gst-offline license status|renew|release|register|acquire: the persistent
 * ClearKey license of a download (docs/cli.md).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "commands.h"
#include "data-dir.h"
#include "download-output.h"

#include <cstdio>
#include <cstring>

namespace cli {

namespace {

constexpr const char *kLicenseCommands = "status|renew|release|register|acquire";

GstOfflineLicenseManager *
open_licenses (Context &ctx)
{
  g_autoptr (GError) error = nullptr;
  GstOfflineLicenseManager *licenses = gst_offline_license_manager_new (ctx.data_dir.c_str (), nullptr, &error);
  if (!licenses)
    fail ("cannot open the licenses in %s: %s", ctx.data_dir.c_str (), error->message);
  return licenses;
}

/* What `status` shows of the license of `id`, or nothing (with `error`). */
std::optional<LicenseSummary>
license_summary (GstOfflineLicenseManager *licenses, const char *id, GError **error)
{
  LicenseSummary license;
  g_autoptr (GDateTime) expires_at = nullptr;
  g_autofree gchar *license_url = nullptr;
  if (!gst_offline_license_manager_get_info (licenses, id, &license.expires_in, &license.playable_for, &expires_at,
          &license_url, error))
    return std::nullopt;
  if (expires_at) {
    g_autofree gchar *text = g_date_time_format_iso8601 (expires_at);
    license.expires_at = text ? text : "";
  }
  license.license_url = license_url ? license_url : "";
  return license;
}

int
print_status (GstOfflineLicenseManager *licenses, const char *id, bool json)
{
  g_autoptr (GError) error = nullptr;
  std::optional<LicenseSummary> found = license_summary (licenses, id, &error);
  if (!found)
    return fail ("%s", error->message);
  const LicenseSummary &license = *found;
  if (json) {
    std::string text;
    JsonWriter w (text);
    w.begin_object ().member ("id").string (id);
    add_license_json (w, license);
    w.end_object ();
    text += "\n";
    fputs (text.c_str (), stdout);
  } else {
    printf ("%s: %s\n", id, license_text (license).c_str ());
  }
  return kExitSuccess;
}

}  // namespace

std::optional<LicenseSummary>
read_license (const char *data_dir, const char *id)
{
  /* One per process and data directory: `list --json` asks for every download. */
  static GstOfflineLicenseManager *licenses = nullptr;
  static std::string licenses_dir;
  if (!licenses || licenses_dir != data_dir) {
    g_clear_object (&licenses);
    licenses = gst_offline_license_manager_new (data_dir, nullptr, nullptr);
    licenses_dir = data_dir;
  }
  return licenses ? license_summary (licenses, id, nullptr) : std::nullopt;
}

int
command_license (Context &ctx, int argc, char **argv)
{
  if (argc < 2 || argv[1][0] == '-') {
    if (argc >= 2 && (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h"))) {
      printf ("Usage:\n  gst-offline license %s ID\n\n"
              "  status ID [--json]   seconds until the license expires and of playback left (-1: unlimited),\n"
              "                       when it expires and its license server\n"
              "  renew ID             acquire the license again from its server (online)\n"
              "  release ID           remove the license and its keys; the download's data stays\n"
              "  register ID [--license-url URL]\n"
              "                       acquire a license for a download made without one (online)\n"
              "  acquire URL --id ID [--license-url URL] [--header 'K: V']...\n"
              "                       acquire the license of a DASH manifest without its media (online)\n",
          kLicenseCommands);
      return kExitSuccess;
    }
    return usage_error ("license", "license: missing command (%s)", kLicenseCommands);
  }
  const char *sub = argv[1];
  g_autofree gchar *name = g_strdup_printf ("license %s", sub);
  gboolean json = FALSE;
  gchar *license_url_option = nullptr;
  gchar *id_option = nullptr;
  gchar **header_option = nullptr;
  const GOptionEntry status_entries[] = {
      {"json", 0, 0, G_OPTION_ARG_NONE, &json,
          "Print one JSON object: id, expires_in, playable_for, expires_at, license_url", nullptr},
      {},
  };
  const GOptionEntry register_entries[] = {
      {"license-url", 0, 0, G_OPTION_ARG_STRING, &license_url_option,
          "The ClearKey license server (default: the download's, else the manifest's Laurl)", "URL"},
      {},
  };
  const GOptionEntry acquire_entries[] = {
      {"id", 0, 0, G_OPTION_ARG_STRING, &id_option, "The download the license is for", "ID"},
      {"license-url", 0, 0, G_OPTION_ARG_STRING, &license_url_option,
          "The ClearKey license server (default: the manifest's Laurl)", "URL"},
      {"header", 0, 0, G_OPTION_ARG_STRING_ARRAY, &header_option,
          "An HTTP header sent with the manifest and license requests (repeatable)", "'K: V'"},
      {},
  };
  const GOptionEntry no_entries[] = { {} };
  const GOptionEntry *entries;
  const char *summary;
  const char *parameter = "ID";
  if (g_str_equal (sub, "status")) {
    entries = status_entries;
    summary = "Seconds until the download's license expires (expires_in) and of playback it still allows\n"
              "(playable_for), -1 unlimited, 0 expired or used up; when it expires and its license server.";
  } else if (g_str_equal (sub, "renew")) {
    entries = no_entries;
    summary = "Acquires the download's license again from its license server, replacing its keys and policy.";
  } else if (g_str_equal (sub, "release")) {
    entries = no_entries;
    summary = "Removes the download's license and keys; its data stays in the cache.";
  } else if (g_str_equal (sub, "register")) {
    entries = register_entries;
    summary = "Acquires a license for a protected download made without one, for the KIDs of its tracks.";
  } else if (g_str_equal (sub, "acquire")) {
    entries = acquire_entries;
    parameter = "URL";
    summary = "Acquires the license a download of a DASH manifest needs, without downloading its media\n"
              "(the KIDs of the tracks a download would take), and keeps it under --id.";
  } else {
    return usage_error ("license", "license: unknown command '%s' (%s)", sub, kLicenseCommands);
  }
  int sub_argc = argc - 1;
  char **sub_argv = argv + 1;
  int status = parse_command_options (ctx, name, parameter, summary, entries, &sub_argc, &sub_argv);
  g_autofree gchar *license_url = license_url_option;
  g_autofree gchar *id_value = id_option;
  g_auto (GStrv) headers = header_option;
  if (status == kExitSuccess)
    status = expect_arguments (name, sub_argc, sub_argv, 1, 1, parameter);
  if (status != kExitSuccess)
    return status;
  if (license_url && !g_uri_is_valid (license_url, G_URI_FLAGS_NONE, nullptr))
    return usage_error (name, "%s: '%s' is not an absolute URL", name, license_url);

  g_autoptr (GstOfflineLicenseManager) licenses = open_licenses (ctx);
  if (!licenses)
    return kExitFailure;
  g_autoptr (GError) error = nullptr;

  if (g_str_equal (sub, "acquire")) {
    const char *url = sub_argv[1];
    if (!id_value || !*id_value)
      return usage_error (name, "%s: --id ID is required", name);
    if (!g_uri_is_valid (url, G_URI_FLAGS_NONE, nullptr))
      return usage_error (name, "%s: '%s' is not an absolute URL", name, url);
    g_autoptr (GstOfflineDownloadRequest) request = gst_offline_download_request_new (id_value, url);
    for (gchar **h = headers; h && *h; h++) {
      if (!gst_offline_download_request_add_header (request, *h, &error))
        return usage_error (name, "%s: invalid header '%s': %s", name, *h, error->message);
    }
    if (license_url)
      gst_offline_download_request_set_license_url (request, license_url);
    if (!gst_offline_license_manager_acquire (licenses, request, nullptr, &error))
      return fail ("cannot acquire a license for %s: %s", id_value, error->message);
    printf ("acquired %s\n", id_value);
    return kExitSuccess;
  }

  const char *id = sub_argv[1];
  if (g_str_equal (sub, "status"))
    return print_status (licenses, id, json);
  if (g_str_equal (sub, "renew")) {
    if (!gst_offline_license_manager_renew (licenses, id, nullptr, &error))
      return fail ("cannot renew the license of %s: %s", id, error->message);
    printf ("renewed %s\n", id);
    return kExitSuccess;
  }
  if (g_str_equal (sub, "release")) {
    /* Releasing nothing is not "released": the user named the wrong download. */
    if (!gst_offline_license_manager_get_status (licenses, id, nullptr, nullptr, &error))
      return fail ("%s", error->message);
    if (!gst_offline_license_manager_release (licenses, id, &error))
      return fail ("cannot release the license of %s: %s", id, error->message);
    printf ("released %s\n", id);
    return kExitSuccess;
  }
  if (!gst_offline_license_manager_register_asset (licenses, id, license_url, nullptr, &error))
    return fail ("cannot register a license for %s: %s", id, error->message);
  printf ("registered %s\n", id);
  return kExitSuccess;
}

}  // namespace cli
