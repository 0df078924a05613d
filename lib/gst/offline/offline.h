/* gst-offline: download adaptive streams and progressive files into a local
 * cache and play them back offline through GStreamer.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/offline/offline-prelude.h>
#include <gst/offline/offline-error.h>
#include <gst/offline/offline-types.h>
#include <gst/offline/offline-enum-types.h>
#include <gst/offline/offline-download-request.h>
#include <gst/offline/offline-download.h>
#include <gst/offline/offline-track.h>
#include <gst/offline/offline-download-index.h>
#include <gst/offline/offline-cache.h>
#include <gst/offline/offline-download-manager.h>
#include <gst/offline/offline-download-helper.h>
#include <gst/offline/offline-drm-store.h>
#include <gst/offline/offline-license-manager.h>
#include <gst/offline/offline-export.h>
