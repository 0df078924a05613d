/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "segment-source.h"

#include "adaptive-stream.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

GST_DEBUG_CATEGORY_EXTERN (gst_cache_src_debug);
#define GST_CAT_DEFAULT gst_cache_src_debug

namespace gst_offline {

namespace {

/* Segments read from the plan at a time: memory stays flat in their number. */
constexpr guint SEGMENT_BATCH = 64;

/* What a stream that waited for the download has in the cache before it
 * plays again (as queue2's low watermark): playback does not stop at each
 * next segment of a download that runs about as fast as it. */
constexpr GstClockTime kBufferAhead = 4 * GST_SECOND;
/* At most this many segments make it (durations may be unknown). */
constexpr guint kBufferAheadSegments = 16;

} // namespace

SegmentSource::SegmentSource (AdaptiveStream *stream, GstElement *element, GstPad *pad,
    std::shared_ptr<AdaptivePlayback> playback, GstOfflineTrack *track, guint blocksize)
    : stream_ (stream),
      element_ (element),
      pad_ (pad),
      playback_ (std::move (playback)),
      track_ (GST_OFFLINE_TRACK (g_object_ref (track))),
      track_index_ (gst_offline_track_get_index (track)),
      blocksize_ (blocksize)
{
}

SegmentSource::~SegmentSource ()
{
  if (batch_)
    g_ptr_array_unref (batch_);
}

const gchar *
SegmentSource::stream_key () const
{
  return gst_offline_track_get_stream_key (track_.get ());
}

void
SegmentSource::restart (GstClockTime start_time)
{
  start_time_ = start_time;
  located_ = false;
  interrupted_ = false;
  if (batch_) {
    g_ptr_array_unref (batch_);
    batch_ = nullptr;
  }
}

void
SegmentSource::set_track (GstOfflineTrack *track)
{
  track_.reset (GST_OFFLINE_TRACK (g_object_ref (track)));
  track_index_ = gst_offline_track_get_index (track);
  restart (start_time_);
}

/* ---- The plan ------------------------------------------------------------- */

GstOfflineSegment *
SegmentSource::next_segment (GstFlowReturn *ret)
{
  *ret = GST_FLOW_OK;
  bool waiting = false; /* for a recording to add segments */
  auto stop_waiting = [&] {
    if (waiting)
      playback_->end_waiting (stream_);
    waiting = false;
  };
  if (!located_) {
    g_autoptr (GError) error = nullptr;
    g_autoptr (GstOfflineSegment) found = nullptr;
    for (;;) {
      guint64 seen = playback_->commits ();
      g_clear_error (&error);
      found = playback_->find_segment (track_index_, start_time_, &error);
      if (found || !g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND))
        break;
      if (!wait_for_recording (&waiting, seen)) {
        if (interrupted_) {
          *ret = GST_FLOW_FLUSHING;
          return nullptr;
        }
        GST_DEBUG_OBJECT (pad_, "track %s has no segments", stream_key ());
        return nullptr;
      }
    }
    stop_waiting ();
    if (!found) {
      plan_error ("find_segment", error);
      *ret = GST_FLOW_ERROR;
      return nullptr;
    }
    GST_DEBUG_OBJECT (pad_, "%" GST_TIME_FORMAT " is in segment %" G_GUINT64_FORMAT " (%" GST_TIME_FORMAT ")",
        GST_TIME_ARGS (start_time_), found->number, GST_TIME_ARGS (found->start));
    if (!locate_real_start (&found)) {
      *ret = GST_FLOW_ERROR;
      return nullptr;
    }
    next_number_ = found->number;
    located_ = true;
  }

  if (!batch_ || batch_pos_ >= batch_->len) {
    if (batch_) {
      g_ptr_array_unref (batch_);
      batch_ = nullptr;
    }
    for (;;) {
      guint64 seen = playback_->commits ();
      g_autoptr (GError) error = nullptr;
      batch_ = playback_->segments (track_index_, next_number_, SEGMENT_BATCH, &error);
      batch_pos_ = 0;
      if (!batch_) {
        stop_waiting ();
        plan_error ("segments", error);
        *ret = GST_FLOW_ERROR;
        return nullptr;
      }
      GST_LOG_OBJECT (pad_, "read %u segments from %" G_GUINT64_FORMAT, batch_->len, next_number_);
      if (batch_->len > 0)
        break;
      /* The end, unless the plan went with its download, or a recording
       * that runs adds to it. */
      if (report_if_removed ()) {
        stop_waiting ();
        *ret = GST_FLOW_ERROR;
        return nullptr;
      }
      g_clear_pointer (&batch_, g_ptr_array_unref);
      if (!wait_for_recording (&waiting, seen)) {
        if (interrupted_)
          *ret = GST_FLOW_FLUSHING;
        return nullptr;
      }
    }
    if (waiting)
      GST_INFO_OBJECT (pad_, "the recording added segment %" G_GUINT64_FORMAT " on", next_number_);
    stop_waiting ();
  }

  auto *segment = static_cast<GstOfflineSegment *> (g_ptr_array_index (batch_, batch_pos_++));
  next_number_ = segment->number + 1;
  return segment;
}

bool
SegmentSource::wait_for_recording (bool *waiting, guint64 seen)
{
  if (!playback_->recording_runs ()) {
    if (*waiting)
      playback_->end_waiting (stream_);
    *waiting = false;
    return false;
  }
  if (!*waiting) {
    /* Watching from now on: look again before waiting. */
    GST_INFO_OBJECT (pad_, "track %s is at the end of what the recording holds (segment %" G_GUINT64_FORMAT
        "): waiting for the next one", stream_key (), next_number_);
    *waiting = true;
    playback_->begin_waiting (stream_);
    return true;
  }
  if (!playback_->wait_for_commit (stream_, seen)) {
    GST_DEBUG_OBJECT (pad_, "the wait for the recording was interrupted");
    playback_->end_waiting (stream_);
    *waiting = false;
    interrupted_ = true;
    return false;
  }
  return true;
}

bool
SegmentSource::report_if_removed ()
{
  if (!playback_->removed ())
    return false;
  GST_ELEMENT_ERROR (element_, RESOURCE, NOT_FOUND,
      ("Download '%s' was removed", playback_->download_id ().c_str ()),
      ("track %s: the download is no longer in the index", stream_key ()));
  return true;
}

void
SegmentSource::plan_error (const gchar *what, const GError *error)
{
  if (report_if_removed ())
    return;
  GST_ELEMENT_ERROR (element_, RESOURCE, READ,
      ("Could not read the playback plan of download '%s' (track %s)", playback_->download_id ().c_str (),
          stream_key ()),
      ("%s from %" GST_TIME_FORMAT " (segment %" G_GUINT64_FORMAT "): %s", what, GST_TIME_ARGS (start_time_),
          next_number_, error->message));
}

bool
SegmentSource::locate_real_start (GstOfflineSegment **found)
{
  /* $Number$ and EXTINF times are nominal, and packagers cut at keyframes:
   * the segment the plan says holds start_time_ may really begin after it,
   * and then the frames in between are in the one before. Where it begins
   * is where its first picture is shown, its tfdt (a decode time) plus
   * that picture's composition offset: with B-frames the pictures shown
   * between the two (4.0 and 4.04 s for a segment from 4.0 s whose first
   * picture is shown 2 frames late) are the last ones of the segment
   * before. */
  const gchar *container = gst_offline_track_get_container (track_.get ());
  if (!g_str_equal (container, "fmp4") && !g_str_equal (container, "mss-fmp4"))
    return true; /* tsdemux and subparse time by the buffers: nothing to refine */
  TimeMapper &mapper = playback_->time_mapper ();
  while ((*found)->number > 0) {
    bool error;
    gint64 offset = mapper.media_offset (track_.get (), *found, *this, &error);
    if (error)
      return false;
    auto media = mapper.media_time_of (track_.get (), *found, *this, &error);
    if (error)
      return false;
    if (!media)
      return true;
    GstClockTime lead = mapper.composition_lead (track_.get (), *found, *this, &error);
    if (error)
      return false;
    gint64 shown = static_cast<gint64> (*media + lead) - offset;
    if (shown <= static_cast<gint64> (start_time_))
      return true;
    g_autoptr (GError) read_error = nullptr;
    g_autoptr (GPtrArray) previous = playback_->segments (track_index_, (*found)->number - 1, 1, &read_error);
    if (!previous) {
      plan_error ("segments", read_error);
      return false;
    }
    auto *before = previous->len > 0 ? static_cast<GstOfflineSegment *> (g_ptr_array_index (previous, 0)) : nullptr;
    if (!before || before->number >= (*found)->number || before->period != (*found)->period)
      return true;
    GST_DEBUG_OBJECT (pad_, "segment %" G_GUINT64_FORMAT " really starts at %" GST_TIME_FORMAT ", after %"
        GST_TIME_FORMAT ": starting from segment %" G_GUINT64_FORMAT, (*found)->number,
        GST_TIME_ARGS (static_cast<GstClockTime> (shown)), GST_TIME_ARGS (start_time_),
        before->number);
    gst_offline_segment_free (*found);
    *found = gst_offline_segment_copy (before);
  }
  return true;
}

/* ---- The cache ------------------------------------------------------------ */

namespace {

/* "12.3 s" */
std::string
seconds (GstClockTime time)
{
  g_autofree gchar *text = g_strdup_printf ("%.1f s", static_cast<double> (time) / GST_SECOND);
  return text;
}

} // namespace

bool
SegmentSource::being_fetched ()
{
  g_autoptr (GstOfflineDownload) download = playback_->download (nullptr);
  return download && is_being_fetched (gst_offline_download_get_state (download)) && playback_->is_fetched ();
}

gint
SegmentSource::buffered_percent (const GstOfflineSegment *segment)
{
  GstClockTime have = 0, want = 0;
  bool whole = true; /* every segment of the window is in the cache */
  guint64 number = segment->number;
  guint seen = 0;
  while (want < kBufferAhead && seen < kBufferAheadSegments) {
    g_autoptr (GError) error = nullptr;
    g_autoptr (GPtrArray) batch = playback_->segments (track_index_, number, kBufferAheadSegments, &error);
    if (!batch || batch->len == 0)
      break; /* the end (an error: the stream meets it when it gets there) */
    for (guint i = 0; i < batch->len && want < kBufferAhead && seen < kBufferAheadSegments; i++, seen++) {
      auto *next = static_cast<GstOfflineSegment *> (g_ptr_array_index (batch, i));
      GstClockTime duration = GST_CLOCK_TIME_IS_VALID (next->duration) ? next->duration : 0;
      duration = std::min (duration, kBufferAhead - want);
      want += duration;
      /* Each one that is there counts, in whatever order they come. */
      guint64 length = 0;
      g_autofree gchar *path = playback_->lookup (next->resource, &length, nullptr);
      if (path)
        have += duration;
      else
        whole = false;
      number = next->number + 1;
    }
  }
  if (!whole)
    return MIN (99, static_cast<gint> (want ? gst_util_uint64_scale (have, 100, want) : 0));
  return 100;
}

bool
SegmentSource::await_resource (const gchar *key, bool is_init, GstClockTime at, const GstOfflineSegment *segment,
    gchar **path, guint64 *length)
{
  bool waiting = false;
  auto stop_waiting = [&] {
    if (waiting)
      playback_->end_waiting (stream_);
    waiting = false;
  };
  for (;;) {
    guint64 seen = playback_->commits ();
    g_autoptr (GError) error = nullptr;
    *path = playback_->lookup (key, length, &error);
    if (*path && (!waiting || !segment))
      break;
    if (*path) {
      /* Here; and what comes after it? Played now if nobody fetches it. */
      if (!being_fetched ())
        break;
    } else {
      /* No whole resource for the key (a segment is in the cache only once
       * whole and committed), or a file missing or damaged (CORRUPT). */
      g_autoptr (GError) row_error = nullptr;
      g_autoptr (GstOfflineDownload) download = playback_->download (&row_error);
      if (!download && g_error_matches (row_error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND)) {
        stop_waiting ();
        report_if_removed ();
        return false;
      }
      bool absent = g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND);
      /* Queued or downloading, but by nobody (the process that had it died,
       * or no manager runs to start it) is as good as stopped. Looked at
       * again once the watch began (begin_waiting ()), which tells of a
       * process that lets go of it from then on. */
      if (!download || !absent || !is_being_fetched (gst_offline_download_get_state (download))
          || !playback_->is_fetched ()) {
        stop_waiting ();
        missing_error (key, is_init, at, download, error);
        return false;
      }
      if (!waiting) {
        /* Watching from now on: look again before waiting. */
        GST_INFO_OBJECT (pad_, "%s %s is not downloaded yet (download %s): waiting for it",
            is_init ? "init segment" : "segment", key, gst_offline_download_state_to_string (
                gst_offline_download_get_state (download)));
        waiting = true;
        playback_->begin_waiting (stream_);
        continue;
      }
    }
    if (segment) {
      gint percent = buffered_percent (segment);
      if (*path && percent >= 100)
        break;
      playback_->set_waiting_percent (stream_, percent);
    }
    g_clear_pointer (path, g_free);
    if (!playback_->wait_for_commit (stream_, seen)) {
      GST_DEBUG_OBJECT (pad_, "the wait for %s was interrupted", key);
      stop_waiting ();
      interrupted_ = true;
      return false;
    }
  }
  if (waiting)
    GST_INFO_OBJECT (pad_, "%s is downloaded now", key);
  stop_waiting ();
  return true;
}

void
SegmentSource::missing_error (const gchar *key, bool is_init, GstClockTime at, GstOfflineDownload *download,
    const GError *error)
{
  const std::string &id = playback_->download_id ();
  const gchar *what = is_init ? "init segment" : "segment";
  GstOfflineDownloadState state = download ? gst_offline_download_get_state (download)
                                           : GST_OFFLINE_DOWNLOAD_STATE_COMPLETED;
  if (state == GST_OFFLINE_DOWNLOAD_STATE_COMPLETED
      || !g_error_matches (error, GST_OFFLINE_ERROR, GST_OFFLINE_ERROR_NOT_FOUND)) {
    GST_ELEMENT_ERROR (element_, RESOURCE, NOT_FOUND,
        ("The cached %s of track %s of download '%s' is missing or damaged: run 'gst-offline verify'", what,
            stream_key (), id.c_str ()),
        ("cache lookup of %s: %s", key, error ? error->message : "not found"));
    return;
  }
  /* Not downloaded yet, and nobody fetches it now. */
  std::string where;
  GstClockTime duration = playback_->duration ();
  if (GST_CLOCK_TIME_IS_VALID (at)) {
    where = ", from " + seconds (at);
    if (GST_CLOCK_TIME_IS_VALID (duration))
      where += " of " + seconds (duration);
  }
  gdouble percent = gst_offline_download_get_percent_downloaded (download);
  g_autofree gchar *done = percent >= 0 ? g_strdup_printf (", %d%% downloaded", static_cast<int> (percent))
                                        : g_strdup ("");
  std::string how = how_to_go_on (state, id);
  const gchar *failure = gst_offline_download_get_failure_message (download);
  GST_ELEMENT_ERROR (element_, RESOURCE, NOT_FOUND,
      ("Download '%s' is not complete (%s%s): track %s is not downloaded yet%s; %s", id.c_str (),
          gst_offline_download_state_to_string (state), done, stream_key (), where.c_str (), how.c_str ()),
      ("%s %s is not in the cache%s%s", what, key, failure ? "; the download failed: " : "",
          failure ? failure : ""));
}

bool
SegmentSource::open_reader (const gchar *key, bool is_init, Reader *reader, GstClockTime at,
    const GstOfflineSegment *segment)
{
  const std::string &id = playback_->download_id ();

  guint64 length = 0;
  g_autofree gchar *path = nullptr;
  if (!await_resource (key, is_init, at, segment, &path, &length))
    return false;

  UniqueFd fd (open (path, O_RDONLY | O_CLOEXEC));
  struct stat st;
  if (!fd || fstat (fd.get (), &st) != 0) {
    int saved_errno = errno;
    if (report_if_removed ())
      return false;
    GST_ELEMENT_ERROR (element_, RESOURCE, OPEN_READ,
        ("The cached %s of track %s of download '%s' is missing: run 'gst-offline verify'",
            is_init ? "init segment" : "segment", stream_key (), id.c_str ()),
        ("%s (%s): %s", key, path, g_strerror (saved_errno)));
    return false;
  }
  if (!S_ISREG (st.st_mode) || static_cast<guint64> (st.st_size) != length) {
    GST_ELEMENT_ERROR (element_, RESOURCE, READ,
        ("The cached %s of track %s of download '%s' is damaged (wrong length): run 'gst-offline verify'",
            is_init ? "init segment" : "segment", stream_key (), id.c_str ()),
        ("%s (%s) has %" G_GINT64_FORMAT " bytes, the cache recorded %" G_GUINT64_FORMAT, key, path,
            static_cast<gint64> (st.st_size), length));
    return false;
  }

  reader->fd = std::move (fd);
  reader->key = key;
  reader->size = length;
  reader->offset = 0;
  reader->is_init = is_init;
  GST_LOG_OBJECT (pad_, "opened %s %s (%" G_GUINT64_FORMAT " bytes)", is_init ? "init" : "segment", key, length);
  return true;
}

bool
SegmentSource::open_media (const GstOfflineSegment *segment, Reader *reader)
{
  if (!open_reader (segment->resource, false, reader, segment->start, segment))
    return false;
  reader->number = segment->number;
  return !gst_offline_segment_get_key_resource (segment) || start_decryption (segment, reader);
}

bool
SegmentSource::start_decryption (const GstOfflineSegment *segment, Reader *reader)
{
  const std::string &id = playback_->download_id ();
  gsize iv_size = 0;
  GBytes *iv_bytes = gst_offline_segment_get_iv (segment);
  const guint8 *iv = iv_bytes ? static_cast<const guint8 *> (g_bytes_get_data (iv_bytes, &iv_size)) : nullptr;
  if (iv_size != 16) {
    GST_ELEMENT_ERROR (element_, STREAM, DECRYPT,
        ("Cannot decrypt segment %" G_GUINT64_FORMAT " of track %s of download '%s': the plan has no IV for it",
            segment->number, stream_key (), id.c_str ()),
        ("%s: IV of %" G_GSIZE_FORMAT " bytes", segment->resource, iv_size));
    return false;
  }

  std::array<guint8, 16> key;
  g_autoptr (GError) error = nullptr;
  if (!playback_->hls_key (gst_offline_segment_get_key_resource (segment), &key, &error)) {
    GST_ELEMENT_ERROR (element_, STREAM, DECRYPT_NOKEY,
        ("The AES-128 key of track %s of download '%s' is not in the DRM store: download it again", stream_key (),
            id.c_str ()),
        ("segment %" G_GUINT64_FORMAT " (%s): %s", segment->number, segment->resource, error->message));
    return false;
  }

  reader->cipher.reset (EVP_CIPHER_CTX_new ());
  bool ok = reader->cipher && EVP_DecryptInit_ex (reader->cipher.get (), EVP_aes_128_cbc (), nullptr, key.data (), iv) == 1;
  OPENSSL_cleanse (key.data (), key.size ());
  if (!ok) {
    GST_ELEMENT_ERROR (element_, STREAM, DECRYPT, (nullptr), ("cannot set up AES-128-CBC"));
    return false;
  }
  GST_LOG_OBJECT (pad_, "segment %" G_GUINT64_FORMAT " is AES-128 encrypted", segment->number);
  return true;
}

GstFlowReturn
SegmentSource::read_block (Reader &reader, GstBuffer **out)
{
  guint length = static_cast<guint> (std::min<guint64> (blocksize_, reader.size - reader.offset));
  /* Decryption may give out the block it held back from the last read. */
  gsize capacity = reader.cipher ? length + 16 : length;
  GstBuffer *buffer = gst_buffer_new_allocate (nullptr, capacity, nullptr);
  GstMapInfo map;
  if (!buffer || !gst_buffer_map (buffer, &map, GST_MAP_WRITE)) {
    if (buffer)
      gst_buffer_unref (buffer);
    GST_ELEMENT_ERROR (element_, RESOURCE, NO_SPACE_LEFT, (nullptr), ("Could not allocate %u bytes", length));
    return GST_FLOW_ERROR;
  }

  std::vector<guint8> encrypted (reader.cipher ? length : 0);
  guint8 *target = reader.cipher ? encrypted.data () : map.data;
  gsize done = 0;
  if (!reader.bytes.empty ()) {
    memcpy (target, reader.bytes.data () + reader.offset, length);
    done = length;
  }
  while (done < length) {
    ssize_t n = pread (reader.fd.get (), target + done, length - done, reader.offset + done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int saved_errno = errno;
      gst_buffer_unmap (buffer, &map);
      gst_buffer_unref (buffer);
          if (n < 0) {
        GST_ELEMENT_ERROR (element_, RESOURCE, READ,
            ("Could not read the cached data of track %s of download '%s'", stream_key (),
                playback_->download_id ().c_str ()),
            ("pread of %s at %" G_GUINT64_FORMAT ": %s", reader.key.c_str (), reader.offset + done,
                g_strerror (saved_errno)));
      } else {
        GST_ELEMENT_ERROR (element_, RESOURCE, READ,
            ("The cached data of track %s of download '%s' is shorter than recorded: run 'gst-offline verify'",
                stream_key (), playback_->download_id ().c_str ()),
            ("%s ends at %" G_GUINT64_FORMAT ", expected %" G_GUINT64_FORMAT " bytes", reader.key.c_str (),
                reader.offset + done, reader.size));
      }
      return GST_FLOW_ERROR;
    }
    done += n;
  }
  for (const auto &[at, value] : reader.patches) {
    for (guint i = 0; i < 4; i++) {
      if (at + i >= reader.offset && at + i < reader.offset + length)
        target[at + i - reader.offset] = static_cast<guint8> (value >> (8 * (3 - i)));
    }
  }
  reader.offset += length;

  gsize size = length;
  if (reader.cipher) {
    int produced = 0, last = 0;
    bool ok = EVP_DecryptUpdate (reader.cipher.get (), map.data, &produced, encrypted.data (), length) == 1;
    if (ok && reader.offset >= reader.size)
      ok = EVP_DecryptFinal_ex (reader.cipher.get (), map.data + produced, &last) == 1;
    if (!ok) {
      gst_buffer_unmap (buffer, &map);
      gst_buffer_unref (buffer);
      GST_ELEMENT_ERROR (element_, STREAM, DECRYPT,
          ("Could not decrypt segment %" G_GUINT64_FORMAT " of track %s of download '%s': wrong key or damaged data",
              reader.number, stream_key (),
              playback_->download_id ().c_str ()),
          ("AES-128-CBC of %s failed (bad padding or length)", reader.key.c_str ()));
      return GST_FLOW_ERROR;
    }
    size = static_cast<gsize> (produced + last);
  }
  gst_buffer_unmap (buffer, &map);
  gst_buffer_set_size (buffer, size);

  if (size > 0 && reader.first) {
    reader.first = false;
    GST_BUFFER_PTS (buffer) = reader.pts;
    if (reader.discont) {
      /* qtdemux resets its parser at a DISCONT buffer only if it carries an
       * offset (one where none of its samples starts): without one, an init
       * segment pushed again without a flush (a new period, a track that
       * starts again after NOT_LINKED in the middle of a segment) would be
       * parsed as the continuation of what came before. */
      GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_DISCONT);
      GST_BUFFER_OFFSET (buffer) = 0;
    }
  }
  *out = buffer;
  return GST_FLOW_OK;
}

/* ---- SegmentBytes --------------------------------------------------------- */

bool
SegmentSource::open_resource (const gchar *key, bool is_init, UniqueFd *fd, guint64 *size)
{
  Reader reader;
  if (!open_reader (key, is_init, &reader))
    return false;
  *fd = std::move (reader.fd);
  *size = reader.size;
  return true;
}

bool
SegmentSource::read_media_head (const GstOfflineSegment *segment, gsize limit,
    bool (*enough) (const std::vector<guint8> &), std::vector<guint8> *head)
{
  Reader reader;
  if (!open_media (segment, &reader))
    return false;
  while (reader.offset < reader.size && head->size () < limit && !enough (*head)) {
    GstBuffer *block = nullptr;
    if (read_block (reader, &block) != GST_FLOW_OK)
      return false;
    GstMapInfo map;
    if (gst_buffer_map (block, &map, GST_MAP_READ)) {
      head->insert (head->end (), map.data, map.data + map.size);
      gst_buffer_unmap (block, &map);
    }
    gst_buffer_unref (block);
  }
  return true;
}

GPtrArray *
SegmentSource::period_segments (guint track, guint period, guint64 upper, guint limit)
{
  g_autoptr (GError) error = nullptr;
  GPtrArray *found = playback_->period_segments (track, period, upper, limit, &error);
  if (!found)
    plan_error ("period_segments", error);
  return found;
}

GstOfflineSegment *
SegmentSource::find_segment (guint track, GstClockTime time)
{
  g_autoptr (GError) error = nullptr;
  return playback_->find_segment (track, time, &error);
}

void
SegmentSource::wrong_container (const GstOfflineSegment *segment, const gchar *what)
{
  GST_ELEMENT_ERROR (element_, STREAM, WRONG_TYPE,
      ("Track %s of download '%s' cannot be played: its segments are not %s but %s",
          stream_key (), playback_->download_id ().c_str (),
          gst_offline_track_get_container (track_.get ()), what),
      ("segment %" G_GUINT64_FORMAT ": %s", segment->number, segment->resource));
}

} // namespace gst_offline
