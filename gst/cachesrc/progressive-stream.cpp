/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "progressive-stream.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#define GST_CAT_DEFAULT gst_cache_src_debug

namespace gst_offline {

ProgressiveStream::ProgressiveStream (GstElement *element, GstPadTemplate *templ,
    const gchar *pad_name, Source source, guint blocksize, guint group_id, GstEvent *initial_seek)
    : OutputStream (element, templ, pad_name),
      download_id_ (std::move (source.download_id)),
      file_ (std::make_shared<UniqueFd> (std::move (source.fd))),
      size_ (source.size),
      blocksize_ (blocksize),
      group_id_ (group_id),
      initial_seek_ (initial_seek),
      key_ (std::move (source.key)),
      index_ (std::move (source.index)),
      cache_ (std::move (source.cache)),
      available_ (std::min (source.available, source.size))
{
  gst_segment_init (&segment_, GST_FORMAT_BYTES);
}

void
ProgressiveStream::push_activated ()
{
  std::lock_guard<std::mutex> lock (state_mutex_);
  gst_segment_init (&segment_, GST_FORMAT_BYTES);
  segment_.duration = size_;
  seek_generation_++;
  seqnum_ = gst_util_seqnum_next ();
  need_stream_start_ = true;
  need_segment_ = true;
  discont_ = true;
  if (initial_seek_) {
    GST_DEBUG_OBJECT (pad (), "applying the seek sent before the pad existed");
    apply_seek_locked (initial_seek_.get ());
    initial_seek_.reset ();
  }
}

void
ProgressiveStream::set_interrupted (bool interrupted)
{
  std::lock_guard<std::mutex> lock (grow_mutex_);
  interrupted_ = interrupted;
  grown_.notify_all ();
}

std::shared_ptr<UniqueFd>
ProgressiveStream::file ()
{
  std::lock_guard<std::mutex> lock (file_mutex_);
  return file_;
}

bool
ProgressiveStream::reads (const std::string &path)
{
  struct stat held, named;
  return fstat (file ()->get (), &held) == 0 && stat (path.c_str (), &named) == 0 && held.st_dev == named.st_dev
      && held.st_ino == named.st_ino;
}

bool
ProgressiveStream::same_prefix (int other, guint64 length)
{
  std::shared_ptr<UniqueFd> mine = file ();
  std::vector<guint8> a (64 * 1024), b (64 * 1024);
  for (guint64 offset = 0; offset < length;) {
    size_t chunk = static_cast<size_t> (std::min<guint64> (a.size (), length - offset));
    ssize_t got_a = pread (mine->get (), a.data (), chunk, offset);
    ssize_t got_b = pread (other, b.data (), chunk, offset);
    if (got_a <= 0 || got_a != got_b || memcmp (a.data (), b.data (), got_a) != 0)
      return false;
    offset += static_cast<guint64> (got_a);
  }
  return true;
}

gint64
ProgressiveStream::bytes_there ()
{
  guint64 had;
  {
    std::lock_guard<std::mutex> lock (grow_mutex_);
    had = available_;
  }
  guint64 bytes = 0;
  gint64 total = -1;
  g_autofree gchar *path = gst_offline_cache_lookup (cache_.get (), key_.c_str (), &bytes, nullptr);
  if (path) {
    total = static_cast<gint64> (bytes);
  } else {
    path = gst_offline_cache_lookup_partial (cache_.get (), key_.c_str (), &bytes, &total, nullptr);
    if (!path)
      return had; /* between its partial and its whole rows: look again */
  }
  if (reads (path))
    return static_cast<gint64> (bytes);

  /* The download started over in another file. What this stream had may
   * have been played already: the new file must hold the same. */
  if (total >= 0 && static_cast<guint64> (total) != size_) {
    GST_ELEMENT_ERROR (element (), RESOURCE, READ,
        ("Download '%s' started over and its file changed on the server (%" G_GINT64_FORMAT " bytes instead of %"
         G_GUINT64_FORMAT "): what played so far is not in it; play it again", download_id_.c_str (), total, size_),
        ("%s: new file %s", key_.c_str (), path));
    return -1;
  }
  if (bytes < had) {
    GST_DEBUG_OBJECT (pad (), "the download started over: %" G_GUINT64_FORMAT " of the %" G_GUINT64_FORMAT
        " bytes read from the old file are there again", bytes, had);
    return static_cast<gint64> (had);
  }
  UniqueFd fresh (open (path, O_RDONLY | O_CLOEXEC));
  if (!fresh)
    return static_cast<gint64> (had); /* renamed meanwhile: look again */
  if (!same_prefix (fresh.get (), had)) {
    GST_ELEMENT_ERROR (element (), RESOURCE, READ,
        ("Download '%s' started over and its file changed on the server: what played so far is not in it; play "
         "it again", download_id_.c_str ()),
        ("%s: the first %" G_GUINT64_FORMAT " bytes of %s differ from those read", key_.c_str (), had, path));
    return -1;
  }
  GST_INFO_OBJECT (pad (), "the download started over and holds again the %" G_GUINT64_FORMAT
      " bytes read, the same: reading on from %s", had, path);
  std::lock_guard<std::mutex> lock (file_mutex_);
  file_ = std::make_shared<UniqueFd> (std::move (fresh));
  return static_cast<gint64> (bytes);
}

void
ProgressiveStream::missing_error (guint64 from)
{
  g_autoptr (GstOfflineDownload) download = gst_offline_download_index_get_download (index_.get (),
      download_id_.c_str (), nullptr);
  if (!download) {
    GST_ELEMENT_ERROR (element (), RESOURCE, NOT_FOUND, ("Download '%s' was removed", download_id_.c_str ()),
        ("the download is no longer in the index"));
    return;
  }
  GstOfflineDownloadState state = gst_offline_download_get_state (download);
  guint64 there = 0;
  {
    std::lock_guard<std::mutex> lock (grow_mutex_);
    there = available_;
  }
  GST_ELEMENT_ERROR (element (), RESOURCE, NOT_FOUND,
      ("Download '%s' is not complete (%s, %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " bytes downloaded): "
       "the bytes from %" G_GUINT64_FORMAT " on are not downloaded yet; %s", download_id_.c_str (),
          gst_offline_download_state_to_string (state), there, size_, from, how_to_go_on (state, download_id_).c_str ()),
      ("%s: %" G_GUINT64_FORMAT " durable bytes", key_.c_str (), there));
}

GstFlowReturn
ProgressiveStream::await_bytes (guint64 end)
{
  {
    std::lock_guard<std::mutex> lock (grow_mutex_);
    if (end <= available_)
      return GST_FLOW_OK;
  }
  std::lock_guard<std::mutex> serial (await_mutex_);
  bool waiting = false;
  GstFlowReturn ret = GST_FLOW_OK;
  for (;;) {
    guint64 seen;
    {
      std::lock_guard<std::mutex> lock (grow_mutex_);
      seen = changes_;
      if (interrupted_) {
        ret = GST_FLOW_FLUSHING;
        break;
      }
    }
    /* Stopping (our pad, or in pull mode the demuxer's) sets them flushing
     * before it waits for the streaming thread. */
    GstPad *peer = gst_pad_get_peer (pad ());
    bool flushing = GST_PAD_IS_FLUSHING (pad ()) || (peer && GST_PAD_IS_FLUSHING (peer));
    if (peer)
      gst_object_unref (peer);
    if (flushing) {
      ret = GST_FLOW_FLUSHING;
      break;
    }
    gint64 readable = bytes_there ();
    if (readable < 0) {
      ret = GST_FLOW_ERROR;
      break;
    }
    guint64 there = static_cast<guint64> (readable);
    {
      std::lock_guard<std::mutex> lock (grow_mutex_);
      available_ = std::max (available_, there);
      there = available_;
    }
    if (there >= end)
      break;
    g_autoptr (GstOfflineDownload) download = gst_offline_download_index_get_download (index_.get (),
        download_id_.c_str (), nullptr);
    if (!download || !is_being_fetched (gst_offline_download_get_state (download))
        || !gst_offline_download_index_is_fetched (index_.get (), download_id_.c_str ())) {
      missing_error (there);
      ret = GST_FLOW_ERROR;
      break;
    }
    if (!waiting) {
      GST_INFO_OBJECT (pad (), "bytes up to %" G_GUINT64_FORMAT " are not downloaded yet (%" G_GUINT64_FORMAT
          " are): waiting for them", end, there);
      if (!watch_) {
        g_autofree gchar *path = gst_offline_download_index_get_commit_signal_path (index_.get ());
        g_autofree gchar *lock_dir = gst_offline_download_index_get_lock_dir (index_.get ());
        watch_ = std::make_unique<CommitWatch> (path, lock_dir, [this] {
          std::lock_guard<std::mutex> lock (grow_mutex_);
          changes_++;
          grown_.notify_all ();
        });
      }
      waiting = true;
      posted_percent_ = 0;
      gst_element_post_message (element (), gst_message_new_buffering (GST_OBJECT (element ()), 0));
      continue; /* watching from now on: look again */
    }
    gint percent = static_cast<gint> (MIN (99, gst_util_uint64_scale (there, 100, end)));
    if (percent > posted_percent_) {
      posted_percent_ = percent;
      gst_element_post_message (element (), gst_message_new_buffering (GST_OBJECT (element ()), percent));
    }
    std::unique_lock<std::mutex> lock (grow_mutex_);
    /* A look a second too: see AdaptivePlayback::wait_for_commit (). */
    grown_.wait_for (lock, std::chrono::seconds (1), [&] { return changes_ != seen || interrupted_; });
  }
  if (waiting) {
    GST_INFO_OBJECT (pad (), "waited for bytes up to %" G_GUINT64_FORMAT ": %s", end, gst_flow_get_name (ret));
    posted_percent_ = 100;
    gst_element_post_message (element (), gst_message_new_buffering (GST_OBJECT (element ()), 100));
  }
  return ret;
}

GstFlowReturn
ProgressiveStream::read (guint64 offset, guint length, GstBuffer **buffer)
{
  GstFlowReturn waited = await_bytes (offset + length);
  if (waited != GST_FLOW_OK)
    return waited;

  GstBuffer *buf = *buffer ? *buffer : gst_buffer_new_allocate (nullptr, length, nullptr);
  if (!buf) {
    GST_ELEMENT_ERROR (element (), RESOURCE, NO_SPACE_LEFT, (nullptr),
        ("Could not allocate a buffer of %u bytes", length));
    return GST_FLOW_ERROR;
  }

  GstMapInfo map;
  if (!gst_buffer_map (buf, &map, GST_MAP_WRITE)) {
    if (!*buffer)
      gst_buffer_unref (buf);
    GST_ELEMENT_ERROR (element (), RESOURCE, READ, (nullptr), ("Could not map a buffer for writing"));
    return GST_FLOW_ERROR;
  }
  length = std::min<gsize> (length, map.size);

  std::shared_ptr<UniqueFd> fd = file ();
  gsize done = 0;
  while (done < length) {
    ssize_t n = pread (fd->get (), map.data + done, length - done, offset + done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int saved_errno = errno;
      gst_buffer_unmap (buf, &map);
      if (!*buffer)
        gst_buffer_unref (buf);
      if (n < 0) {
        GST_ELEMENT_ERROR (element (), RESOURCE, READ,
            ("Could not read the cached data of download '%s'", download_id_.c_str ()),
            ("pread at offset %" G_GUINT64_FORMAT ": %s", offset + done, g_strerror (saved_errno)));
      } else {
        GST_ELEMENT_ERROR (element (), RESOURCE, READ,
            ("The cached data of download '%s' is shorter than recorded: run 'gst-offline verify'",
                download_id_.c_str ()),
            ("end of file at offset %" G_GUINT64_FORMAT ", expected %" G_GUINT64_FORMAT " bytes",
                offset + done, size_));
      }
      return GST_FLOW_ERROR;
    }
    done += n;
  }
  gst_buffer_unmap (buf, &map);
  gst_buffer_set_size (buf, length);

  GST_BUFFER_OFFSET (buf) = offset;
  GST_BUFFER_OFFSET_END (buf) = offset + length;
  *buffer = buf;
  GST_LOG_OBJECT (pad (), "read %u bytes at offset %" G_GUINT64_FORMAT, length, offset);
  return GST_FLOW_OK;
}

GstFlowReturn
ProgressiveStream::get_range (guint64 offset, guint length, GstBuffer **buffer)
{
  if (offset >= size_) {
    GST_DEBUG_OBJECT (pad (), "pull at offset %" G_GUINT64_FORMAT " is at or past the end (%" G_GUINT64_FORMAT ")",
        offset, size_);
    return GST_FLOW_EOS;
  }
  if (length == G_MAXUINT)
    length = blocksize_;
  length = static_cast<guint> (std::min<guint64> (length, size_ - offset));

  GstFlowReturn ret = read (offset, length, buffer);
  if (ret == GST_FLOW_OK) {
    std::lock_guard<std::mutex> lock (state_mutex_);
    pull_position_ = offset + gst_buffer_get_size (*buffer);
  }
  return ret;
}

void
ProgressiveStream::push_iteration ()
{
  GstEvent *stream_start = nullptr;
  GstEvent *segment = nullptr;
  guint64 offset, stop;
  guint64 generation;
  guint32 seqnum;
  bool discont;

  {
    std::lock_guard<std::mutex> lock (state_mutex_);
    generation = seek_generation_;
    seqnum = seqnum_;
    if (need_stream_start_) {
      gchar *stream_id = gst_pad_create_stream_id (pad (), element (), "progressive");
      stream_start = gst_event_new_stream_start (stream_id);
      gst_event_set_group_id (stream_start, group_id_);
      g_free (stream_id);
      need_stream_start_ = false;
    }
    if (need_segment_) {
      segment = gst_event_new_segment (&segment_);
      gst_event_set_seqnum (segment, seqnum_);
      need_segment_ = false;
    }
    offset = segment_.position;
    stop = size_;
    if (segment_.stop != GST_CLOCK_TIME_NONE && segment_.stop < stop)
      stop = segment_.stop;
    discont = discont_;
    discont_ = false;
  }

  if (stream_start) {
    GST_DEBUG_OBJECT (pad (), "pushing stream-start, group id %u", group_id_);
    gst_pad_push_event (pad (), stream_start);
  }
  if (segment) {
    GST_DEBUG_OBJECT (pad (), "pushing a BYTES segment from %" G_GUINT64_FORMAT, offset);
    gst_pad_push_event (pad (), segment);
  }

  if (offset >= stop) {
    finish (GST_FLOW_EOS, false, generation, seqnum);
    return;
  }

  guint length = static_cast<guint> (std::min<guint64> (blocksize_, stop - offset));
  GstBuffer *buffer = nullptr;
  GstFlowReturn ret = read (offset, length, &buffer);
  if (ret != GST_FLOW_OK) {
    finish (ret, ret == GST_FLOW_ERROR, generation, seqnum);
    return;
  }
  if (discont)
    GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_DISCONT);

  {
    std::lock_guard<std::mutex> lock (state_mutex_);
    if (generation == seek_generation_)
      segment_.position = offset + length;
  }

  ret = gst_pad_push (pad (), buffer);
  if (ret != GST_FLOW_OK)
    finish (ret, false, generation, seqnum);
}

void
ProgressiveStream::finish (GstFlowReturn ret, bool error_posted, guint64 generation, guint32 seqnum)
{
  if (ret == GST_FLOW_EOS) {
    std::unique_lock<std::mutex> lock (state_mutex_);
    bool segment_seek = (segment_.flags & GST_SEGMENT_FLAG_SEGMENT) != 0;
    gint64 stop = segment_.stop != GST_CLOCK_TIME_NONE ? segment_.stop : size_;
    lock.unlock ();

    if (segment_seek) {
      GST_DEBUG_OBJECT (pad (), "end of the segment seek at %" G_GINT64_FORMAT, stop);
      GstMessage *message = gst_message_new_segment_done (GST_OBJECT (element ()), GST_FORMAT_BYTES, stop);
      gst_message_set_seqnum (message, seqnum);
      gst_element_post_message (element (), message);
      GstEvent *event = gst_event_new_segment_done (GST_FORMAT_BYTES, stop);
      gst_event_set_seqnum (event, seqnum);
      gst_pad_push_event (pad (), event);
    } else {
      GST_DEBUG_OBJECT (pad (), "at the end: pushing EOS");
      GstEvent *event = gst_event_new_eos ();
      gst_event_set_seqnum (event, seqnum);
      gst_pad_push_event (pad (), event);
    }
  } else if (ret == GST_FLOW_FLUSHING) {
    GST_DEBUG_OBJECT (pad (), "flushing: pausing the push task");
  } else {
    GST_INFO_OBJECT (pad (), "pausing the push task: %s", gst_flow_get_name (ret));
    if (ret == GST_FLOW_NOT_LINKED || ret < GST_FLOW_EOS) {
      if (!error_posted)
        GST_ELEMENT_FLOW_ERROR (element (), ret);
      GstEvent *event = gst_event_new_eos ();
      gst_event_set_seqnum (event, seqnum);
      gst_pad_push_event (pad (), event);
    }
  }

  /* A seek that came meanwhile restarted the task for its new segment:
   * leave it running. */
  std::lock_guard<std::mutex> lock (state_mutex_);
  if (generation == seek_generation_)
    pause_task ();
}

bool
ProgressiveStream::apply_seek_locked (GstEvent *event)
{
  gdouble rate;
  GstFormat format;
  GstSeekFlags flags;
  GstSeekType start_type, stop_type;
  gint64 start, stop;
  gst_event_parse_seek (event, &rate, &format, &flags, &start_type, &start, &stop_type, &stop);

  GstSegment segment = segment_;
  segment.duration = size_;
  if (!gst_segment_do_seek (&segment, rate, format, flags, start_type, start, stop_type, stop, nullptr)) {
    GST_DEBUG_OBJECT (pad (), "invalid seek");
    return false;
  }
  segment_ = segment;
  segment_.position = segment_.start;
  seqnum_ = gst_event_get_seqnum (event);
  seek_generation_++;
  need_segment_ = true;
  discont_ = true;
  GST_DEBUG_OBJECT (pad (), "seek to bytes %" G_GUINT64_FORMAT " - %" G_GINT64_FORMAT " (-1: the end)",
      segment_.start, static_cast<gint64> (segment_.stop));
  return true;
}

gboolean
ProgressiveStream::seek (GstEvent *event_in)
{
  GstMiniObjectPtr<GstEvent> event (event_in);

  if (GST_PAD_MODE (pad ()) != GST_PAD_MODE_PUSH) {
    GST_DEBUG_OBJECT (pad (), "not in push mode: downstream seeks by pulling where it wants");
    return FALSE;
  }

  gdouble rate;
  GstFormat format;
  GstSeekFlags flags;
  gst_event_parse_seek (event.get (), &rate, &format, &flags, nullptr, nullptr, nullptr, nullptr);
  if (format != GST_FORMAT_BYTES) {
    GST_DEBUG_OBJECT (pad (), "refusing a seek in %s: only BYTES", gst_format_get_name (format));
    return FALSE;
  }
  if (rate <= 0.0) {
    GST_DEBUG_OBJECT (pad (), "refusing a seek with rate %f: only forward", rate);
    return FALSE;
  }

  guint32 seqnum = gst_event_get_seqnum (event.get ());

  if (!(flags & GST_SEEK_FLAG_FLUSH)) {
    /* Non-flushing: the task picks the new segment up after the buffer it
     * may be pushing now, so the seek never waits for downstream. */
    std::lock_guard<std::mutex> lock (state_mutex_);
    if (!apply_seek_locked (event.get ()))
      return FALSE;
    start_task ();
    return TRUE;
  }

  GST_DEBUG_OBJECT (pad (), "flushing seek, seqnum %u", seqnum);
  GstEvent *flush_start = gst_event_new_flush_start ();
  gst_event_set_seqnum (flush_start, seqnum);
  gst_pad_push_event (pad (), flush_start);

  set_interrupted (true); /* a task waiting for the download */
  pause_task ();
  GST_PAD_STREAM_LOCK (pad ());
  set_interrupted (false);

  GstEvent *flush_stop = gst_event_new_flush_stop (TRUE);
  gst_event_set_seqnum (flush_stop, seqnum);
  gst_pad_push_event (pad (), flush_stop);

  bool ok;
  {
    std::lock_guard<std::mutex> lock (state_mutex_);
    ok = apply_seek_locked (event.get ());
    /* An invalid seek still flushed: continue from where it was. */
    if (!ok) {
      seek_generation_++;
      need_segment_ = true;
      discont_ = true;
    }
  }
  start_task ();
  GST_PAD_STREAM_UNLOCK (pad ());
  return ok;
}

gboolean
ProgressiveStream::handle_event (GstEvent *event)
{
  if (GST_EVENT_TYPE (event) == GST_EVENT_SEEK)
    return seek (event);
  /* In pull mode, a demuxer that seeks flushes us first: a range it
   * waits for returns FLUSHING. */
  if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_START)
    set_interrupted (true);
  else if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP)
    set_interrupted (false);
  return OutputStream::handle_event (event);
}

gboolean
ProgressiveStream::handle_query (GstQuery *query)
{
  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_SCHEDULING:
      /* Random access, like filesrc: typefind and demuxers use pull mode. */
      gst_query_set_scheduling (query, GST_SCHEDULING_FLAG_SEEKABLE, 1, -1, 0);
      gst_query_add_scheduling_mode (query, GST_PAD_MODE_PULL);
      gst_query_add_scheduling_mode (query, GST_PAD_MODE_PUSH);
      return TRUE;
    case GST_QUERY_DURATION: {
      GstFormat format;
      gst_query_parse_duration (query, &format, nullptr);
      if (format != GST_FORMAT_BYTES)
        return FALSE;
      gst_query_set_duration (query, GST_FORMAT_BYTES, size_);
      return TRUE;
    }
    case GST_QUERY_POSITION: {
      GstFormat format;
      gst_query_parse_position (query, &format, nullptr);
      if (format != GST_FORMAT_BYTES)
        return FALSE;
      std::lock_guard<std::mutex> lock (state_mutex_);
      guint64 position = GST_PAD_MODE (pad ()) == GST_PAD_MODE_PULL ? pull_position_ : segment_.position;
      gst_query_set_position (query, GST_FORMAT_BYTES, position);
      return TRUE;
    }
    case GST_QUERY_SEEKING: {
      GstFormat format;
      gst_query_parse_seeking (query, &format, nullptr, nullptr, nullptr);
      if (format == GST_FORMAT_BYTES)
        gst_query_set_seeking (query, GST_FORMAT_BYTES, TRUE, 0, size_);
      else
        gst_query_set_seeking (query, format, FALSE, -1, -1);
      return TRUE;
    }
    case GST_QUERY_SEGMENT: {
      std::lock_guard<std::mutex> lock (state_mutex_);
      gint64 stop = segment_.stop != GST_CLOCK_TIME_NONE ? segment_.stop : size_;
      gst_query_set_segment (query, segment_.rate, GST_FORMAT_BYTES, segment_.start, stop);
      return TRUE;
    }
    case GST_QUERY_FORMATS:
      gst_query_set_formats (query, 1, GST_FORMAT_BYTES);
      return TRUE;
    default:
      return OutputStream::handle_query (query);
  }
}

} // namespace gst_offline
