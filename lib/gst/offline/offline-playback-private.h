/* What only playback reads of a download: the parts of a track and of a
 * segment that say how to demux and decrypt it. Not installed and not
 * introspected: the library exports these for its own plugin (gst/), which
 * is compiled against the public headers and this one; applications see a
 * track and its segments through offline-track.h alone.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/offline/offline-cache.h>
#include <gst/offline/offline-download-index.h>
#include <gst/offline/offline-track.h>

G_BEGIN_DECLS

/* The units per second of the media times in its segments when they carry
 * no initialization segment that says it (Smooth Streaming: the
 * StreamIndex's TimeScale), or 0. */
GST_OFFLINE_API
guint64 gst_offline_track_get_timescale (GstOfflineTrack *self);

/* The codec setup of a track whose segments carry no initialization
 * segment, as its manifest gives it (Smooth Streaming: the QualityLevel's
 * CodecPrivateData, e.g. H.264 SPS and PPS with start codes, an AAC
 * AudioSpecificConfig); NULL if there is none. Transfer none. */
GST_OFFLINE_API
GBytes *gst_offline_track_get_codec_private_data (GstOfflineTrack *self);

/* Its audio sample depth in bits as the manifest says, or 0. */
GST_OFFLINE_API
guint gst_offline_track_get_bits_per_sample (GstOfflineTrack *self);

/* Its audio block alignment in bytes as the manifest says (Smooth
 * Streaming's PacketSize), or 0. */
GST_OFFLINE_API
guint gst_offline_track_get_packet_size (GstOfflineTrack *self);

/* Its audio format as a WAVE format tag (Smooth Streaming's AudioTag: 255
 * AAC, 85 MP3), or 0. */
GST_OFFLINE_API
guint gst_offline_track_get_audio_tag (GstOfflineTrack *self);

/* The DRM store name of the segment's HLS AES-128 key, or NULL. */
GST_OFFLINE_API
const gchar *gst_offline_segment_get_key_resource (const GstOfflineSegment *segment);

/* The 16-byte AES-128 IV that goes with its key, or NULL. Transfer none. */
GST_OFFLINE_API
GBytes *gst_offline_segment_get_iv (const GstOfflineSegment *segment);

/* How long before its start the segment really begins: a DASH segment
 * that begins before its Period starts at the Period's start in the plan,
 * its first frames not shown. 0 for the others. */
GST_OFFLINE_API
GstClockTime gst_offline_segment_get_early (const GstOfflineSegment *segment);

/* Where the segment's Period ends in presentation time: a DASH Period that
 * another one follows, whose last segment may hold frames past its end
 * that are not shown. GST_CLOCK_TIME_NONE when it ends with its media. */
GST_OFFLINE_API
GstClockTime gst_offline_segment_get_period_end (const GstOfflineSegment *segment);

/* The tracks of a download that play when nothing chooses others, by the
 * one selection rule of the library (the CLI's and the downloaders'
 * default SPECs): the best video track, one audio track (the main one of
 * the default choice, else its first) and, with `with_text`, the first
 * text track. `tracks` holds GstOfflineTrack; returns (transfer container)
 * the chosen ones, in the order of `tracks`. */
GST_OFFLINE_API
GPtrArray *gst_offline_track_choose_for_playback (GPtrArray *tracks, gboolean with_text);

/* The file of resource `key` while it is being written (a progressive
 * download still fetching it): its path, how many of its bytes are durable
 * (checkpointed: they stay as they are), and its whole length as the server
 * said, or -1. NULL with GST_OFFLINE_ERROR_NOT_FOUND if the cache holds no
 * partial resource for `key` (none yet, or it is whole now). The file is
 * renamed, not copied, once whole: an open descriptor reads on. */
GST_OFFLINE_API
gchar *gst_offline_cache_lookup_partial (GstOfflineCache *self, const gchar *key, guint64 *durable_length,
    gint64 *total_length, GError **error);

/* Asks the process downloading `id`, this one or another, to fetch the
 * segments from `position` on next (a player seeking beyond what is
 * downloaded waits for them), then those before it that are missing. The
 * download's manager learns of it through the index, as of a state change.
 * FALSE with GST_OFFLINE_ERROR_NOT_FOUND for an unknown id. */
GST_OFFLINE_API
gboolean gst_offline_download_index_request_position (GstOfflineDownloadIndex *self, const gchar *id,
    GstClockTime position, GError **error);

/* The file that every commit to the index of @self's data directory
 * rewrites, whichever process makes it (a write then a close: a
 * GFileMonitor on it reports each at once). A player of a download that is
 * still being fetched watches it to learn, without polling, that more of
 * the download is in the cache. Free it with g_free(). */
GST_OFFLINE_API
gchar *gst_offline_download_index_get_commit_signal_path (GstOfflineDownloadIndex *self);

/* Whether a process, this one or another, is fetching the download `id`
 * now or holds it in its queue to fetch: a download manager that is alive
 * (its locks and claims under the data directory's lock folder, which the
 * kernel drops with a process however it dies). A queued or downloading
 * row that no process fetches was left by one that died, or is queued
 * with no manager to start it: a player does not wait for it. */
GST_OFFLINE_API
gboolean gst_offline_download_index_is_fetched (GstOfflineDownloadIndex *self, const gchar *id);

/* The folder of those locks and claims: a process that lets one go (it
 * ends a download, or dies) closes a file there that it opened for
 * writing, which inotify's IN_CLOSE_WRITE reports; a player waiting for a
 * download watches it to learn at once that the download may have no
 * process any more. It may not exist yet. Free it with g_free(). */
GST_OFFLINE_API
gchar *gst_offline_download_index_get_lock_dir (GstOfflineDownloadIndex *self);

G_END_DECLS
