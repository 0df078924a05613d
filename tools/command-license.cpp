/* gst-offline license status|renew|release|register ID: the persistent
 * ClearKey license of a download (docs/cli.md).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "commands.h"
#include "data-dir.h"
#include "download-output.h"

#include <cstdio>
#include <cstring>

namespace cli {

namespace {

constexpr const char *kLicenseCommands = "status|renew|release|register";

/* The download must exist (the usual message otherwise); then the license manager. */
GstOfflineLicenseManager *
open_licenses (Context &ctx, const char *id)
{
  int status = kExitSuccess;
  g_autoptr (GstOfflineDownloadIndex) index = open_index (ctx, &status);
  if (status != kExitSuccess)
    return nullptr;
  g_autoptr (GstOfflineDownload) download = get_download (index, id);
  if (!download)
    return nullptr;
  g_autoptr (GError) error = nullptr;
  GstOfflineLicenseManager *licenses = gst_offline_license_manager_new (ctx.data_dir.c_str (), nullptr, &error);
  if (!licenses)
    fail ("cannot open the licenses in %s: %s", ctx.data_dir.c_str (), error->message);
  return licenses;
}

}  // namespace

int
command_license (Context &ctx, int argc, char **argv)
{
  if (argc < 2 || argv[1][0] == '-') {
    if (argc >= 2 && (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h"))) {
      printf ("Usage:\n  gst-offline license %s ID\n\n"
              "  status ID [--json]   seconds until the license expires and of playback left (-1: unlimited)\n"
              "  renew ID             acquire the license again from its server (online)\n"
              "  release ID           remove the keys; the download's data stays\n"
              "  register ID [--license-url URL]\n"
              "                       acquire a license for a download made without one (online)\n",
          kLicenseCommands);
      return kExitSuccess;
    }
    return usage_error ("license", "license: missing command (%s)", kLicenseCommands);
  }
  const char *sub = argv[1];
  g_autofree gchar *name = g_strdup_printf ("license %s", sub);
  gboolean json = FALSE;
  gchar *license_url_option = nullptr;
  const GOptionEntry status_entries[] = {
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON object: id, expires_in, playable_for", nullptr},
      {},
  };
  const GOptionEntry register_entries[] = {
      {"license-url", 0, 0, G_OPTION_ARG_STRING, &license_url_option,
          "The ClearKey license server (default: the download's, else the manifest's Laurl)", "URL"},
      {},
  };
  const GOptionEntry no_entries[] = { {} };
  const GOptionEntry *entries;
  const char *summary;
  if (g_str_equal (sub, "status")) {
    entries = status_entries;
    summary = "Seconds until the download's license expires (expires_in) and of playback it still allows\n"
              "(playable_for); -1 is unlimited, 0 expired or used up.";
  } else if (g_str_equal (sub, "renew")) {
    entries = no_entries;
    summary = "Acquires the download's license again from its license server, replacing its keys and policy.";
  } else if (g_str_equal (sub, "release")) {
    entries = no_entries;
    summary = "Removes the download's keys and license; its data stays in the cache.";
  } else if (g_str_equal (sub, "register")) {
    entries = register_entries;
    summary = "Acquires a license for a protected download made without one, from its stored manifest.";
  } else {
    return usage_error ("license", "license: unknown command '%s' (%s)", sub, kLicenseCommands);
  }
  int sub_argc = argc - 1;
  char **sub_argv = argv + 1;
  int status = parse_command_options (ctx, name, "ID", summary, entries, &sub_argc, &sub_argv);
  g_autofree gchar *license_url = license_url_option;
  if (status == kExitSuccess)
    status = expect_arguments (name, sub_argc, sub_argv, 1, 1, "ID");
  if (status != kExitSuccess)
    return status;
  const char *id = sub_argv[1];
  if (license_url && !g_uri_is_valid (license_url, G_URI_FLAGS_NONE, nullptr))
    return usage_error (name, "%s: '%s' is not an absolute URL", name, license_url);

  g_autoptr (GstOfflineLicenseManager) licenses = open_licenses (ctx, id);
  if (!licenses)
    return kExitFailure;
  g_autoptr (GError) error = nullptr;

  if (g_str_equal (sub, "status")) {
    gint64 expires_in = -1, playable_for = -1;
    if (!gst_offline_license_manager_get_status (licenses, id, &expires_in, &playable_for, &error))
      return fail ("%s", error->message);
    if (json) {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_string_value (b, id);
      json_builder_set_member_name (b, "expires_in");
      json_builder_add_int_value (b, expires_in);
      json_builder_set_member_name (b, "playable_for");
      json_builder_add_int_value (b, playable_for);
      json_builder_end_object (b);
      g_autoptr (JsonNode) root = json_builder_get_root (b);
      fputs (json_to_string (root).c_str (), stdout);
    } else {
      printf ("expires_in: %" G_GINT64_FORMAT "\nplayable_for: %" G_GINT64_FORMAT "\n", expires_in, playable_for);
    }
    return kExitSuccess;
  }
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
