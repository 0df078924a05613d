/* The output stream of a progressive download: the cached file as BYTES.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "commit-watch.h"
#include "output-stream.h"

#include <gst/offline/offline-playback-private.h>

#include <condition_variable>
#include <memory>
#include <string>

namespace gst_offline {

/* Serves one cached file the way filesrc does: pull mode with getrange
 * (random access, so demuxers read an index at the end of the file), or
 * push mode with a task, BYTES segments and BYTES seeks. No caps are set:
 * downstream finds the type from the bytes.
 *
 * A download still being fetched plays from its partial file (renamed,
 * not copied, once whole: the descriptor reads on), up to the bytes made
 * durable so far: a read beyond them waits, while a process fetches the
 * download, for the index's commits that make more durable (CommitWatch),
 * posting BUFFERING (0, how much of what the read needs is there, 100);
 * when nobody fetches it, the read is an error that says how much is
 * downloaded. A flush, a seek or stopping ends the wait.
 *
 * A download that starts over (a server that does not resume it, a file
 * that changed on the server) writes a new partial file: the stream keeps
 * reading the bytes it had from the old one, as a cache reader (ExoPlayer's
 * CacheDataSource) keeps the spans it has. When it needs more, it waits
 * until the new file holds again what it had, then goes on from the new
 * file if those bytes are the same; if they are not (or the length is not),
 * the file changed under playback: an error that says so. */
class ProgressiveStream final : public OutputStream {
public:
  struct Source {
    std::string download_id; /* for messages */
    UniqueFd fd;
    guint64 size;
    /* A download still being fetched: the bytes there now (less than
     * size), its resource's cache key, and where to learn of more. */
    guint64 available = G_MAXUINT64;
    std::string key;
    GObjectPtr<GstOfflineDownloadIndex> index;
    GObjectPtr<GstOfflineCache> cache;
  };

  /* `initial_seek` (may be NULL, transfer full): a BYTES seek the application
   * sent before the pad existed; it applies to the first push. */
  ProgressiveStream (GstElement *element, GstPadTemplate *templ, const gchar *pad_name,
      Source source, guint blocksize, guint group_id, GstEvent *initial_seek);

protected:
  void push_iteration () override;
  bool supports_pull () const override { return true; }
  GstFlowReturn get_range (guint64 offset, guint length, GstBuffer **buffer) override;
  void push_activated () override;
  gboolean handle_query (GstQuery *query) override;
  gboolean handle_event (GstEvent *event) override;

private:
  /* Reads [offset, offset + length) into *buffer (allocated if NULL); posts
   * an element error and returns GST_FLOW_ERROR if the file is unreadable or
   * shorter than recorded. */
  GstFlowReturn read (guint64 offset, guint length, GstBuffer **buffer);
  gboolean seek (GstEvent *event);
  /* Waits until the file holds its bytes up to `end` (play while
   * downloading): OK, FLUSHING if cut short, ERROR after posting one. */
  GstFlowReturn await_bytes (guint64 end);
  /* How many bytes the stream can read now: the cache's durable bytes of
   * the file it reads, or of the file of a download that started over once
   * it holds what the stream had (then the stream reads that one). -1 after
   * posting an error: the new file differs. */
  gint64 bytes_there ();
  /* The file read now (a download that started over replaces it). */
  std::shared_ptr<UniqueFd> file ();
  /* Whether the file at `path` is the one read now. */
  bool reads (const std::string &path);
  /* Whether the first `length` bytes of `other` are those of the file read. */
  bool same_prefix (int other, guint64 length);
  /* Posts the error for the bytes from `from` on that will not come. */
  void missing_error (guint64 from);
  /* Cuts a wait short (a flush, a seek), or lets waits be again. */
  void set_interrupted (bool interrupted);
  bool apply_seek_locked (GstEvent *event);
  /* Ends the push task after a flow that is not OK, or at the end. */
  void finish (GstFlowReturn ret, bool error_posted, guint64 generation, guint32 seqnum);

  const std::string download_id_;
  std::mutex file_mutex_; /* guards file_ */
  std::shared_ptr<UniqueFd> file_;
  const guint64 size_;
  const guint blocksize_;
  const guint group_id_;

  std::mutex state_mutex_; /* guards everything below */
  GstMiniObjectPtr<GstEvent> initial_seek_;
  GstSegment segment_;        /* what push mode sends; position = next offset */
  guint64 seek_generation_ = 0; /* bumped by every seek or (re)activation */
  guint32 seqnum_ = GST_SEQNUM_INVALID; /* of the segment and EOS */
  bool need_stream_start_ = true;
  bool need_segment_ = true;
  bool discont_ = true;
  guint64 pull_position_ = 0; /* end of the last range pulled */

  /* Play while downloading. */
  const std::string key_;
  const GObjectPtr<GstOfflineDownloadIndex> index_;
  const GObjectPtr<GstOfflineCache> cache_;
  std::mutex await_mutex_;       /* one waiter at a time; guards the two below */
  std::unique_ptr<CommitWatch> watch_;
  gint posted_percent_ = 100;
  std::mutex grow_mutex_;        /* guards the three below */
  std::condition_variable grown_;
  guint64 available_;
  guint64 changes_ = 0;          /* commits and lock releases seen */
  bool interrupted_ = false;
};

} // namespace gst_offline
