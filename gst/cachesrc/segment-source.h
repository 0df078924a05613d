/* What one track of an adaptive download plays next, and its bytes.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "adaptive-playback.h"
#include "time-mapper.h"

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace gst_offline {

class AdaptiveStream;

/* The source of one track's segments, used by its AdaptiveStream from the
 * pad's streaming thread (under its stream lock): it walks the track's
 * playback plan in batches from where playback (re)starts (stepping back
 * when the plan's nominal times put the start too late), opens the cached
 * resources the plan names, and reads them in blocks, decrypting HLS
 * AES-128. It is also the SegmentBytes the playback's TimeMapper reads.
 * Every failure is posted as an error of the element that names the track
 * and the download; the caller only stops.
 *
 * A download may play while it is still being fetched: a resource the
 * cache does not hold whole yet is waited for while the download runs (on
 * the index's commits, posting BUFFERING through the playback), and is an
 * error that says how much is downloaded when it does not. A wait that a
 * flush, a deselection or the element stopping cuts short fails without
 * an error: interrupted() says so. */
class SegmentSource final : public SegmentBytes {
public:
  struct CipherFree {
    void operator() (EVP_CIPHER_CTX *ctx) const { EVP_CIPHER_CTX_free (ctx); }
  };

  /* One open cached resource, read block by block. */
  struct Reader {
    UniqueFd fd;
    std::string key; /* the cache key, for messages */
    guint64 size = 0;
    guint64 offset = 0;
    bool is_init = false;
    guint64 number = 0;                     /* the media segment's number, for messages */
    GstClockTime pts = GST_CLOCK_TIME_NONE; /* for the first buffer */
    bool discont = false;                   /* for the first buffer */
    bool first = true;                      /* no buffer read yet */
    /* When not empty, the bytes read instead of the file's (size is
     * theirs): an init segment rewritten (fmp4-clear-lead.h). */
    std::vector<guint8> bytes;
    /* 32-bit big-endian fields written over the file's bytes at these
     * offsets: a media segment cut at the end of its Period (fmp4-timing.h,
     * whose end `size` then is). */
    std::vector<std::pair<guint64, guint32>> patches;
    /* HLS AES-128: AES-128-CBC with PKCS7 padding over the whole file. */
    std::unique_ptr<EVP_CIPHER_CTX, CipherFree> cipher;
  };

  /* `stream`, `element` and `pad`: the stream that owns this, its element
   * and pad (not owned); `track`: transfer none. */
  SegmentSource (AdaptiveStream *stream, GstElement *element, GstPad *pad,
      std::shared_ptr<AdaptivePlayback> playback, GstOfflineTrack *track, guint blocksize);
  ~SegmentSource () override;


  SegmentSource (const SegmentSource &) = delete;
  SegmentSource &operator= (const SegmentSource &) = delete;

  /* The next segment is the one holding `start_time` (presentation
   * time), found at the next call of next_segment(). */
  void restart (GstClockTime start_time);
  /* From now on the segments are those of `track` (transfer none), from
   * where the next restart() says: the stream's pad switched tracks. */
  void set_track (GstOfflineTrack *track);

  /* The next media segment to play (transfer none: valid until the next
   * call or restart()); nullptr at the end, or on an error (posted, *ret
   * set). */
  GstOfflineSegment *next_segment (GstFlowReturn *ret);

  /* Opens cached resource `key` (an init or media segment, for the media
   * segment at `at` if known) in *reader; false after posting an error
   * that names it, or interrupted. */
  bool open_reader (const gchar *key, bool is_init, Reader *reader, GstClockTime at = GST_CLOCK_TIME_NONE,
      const GstOfflineSegment *segment = nullptr);
  /* Opens the media bytes of `segment` in *reader, set up to decrypt them
   * if the plan says they are encrypted (HLS AES-128). */
  bool open_media (const GstOfflineSegment *segment, Reader *reader);
  /* Reads the next block of the resource open in `reader` (decrypted);
   * *buffer may come back empty while the cipher holds a block back. The
   * first buffer with bytes gets reader.pts, and DISCONT if reader.discont. */
  GstFlowReturn read_block (Reader &reader, GstBuffer **buffer);

  /* Whether the last call that failed was a wait cut short (no error
   * posted); resets it. */
  bool take_interrupted ()
  {
    bool was = interrupted_;
    interrupted_ = false;
    return was;
  }

  /* SegmentBytes, for the playback's TimeMapper. */
  bool open_resource (const gchar *key, bool is_init, UniqueFd *fd, guint64 *size) override;
  bool read_media_head (const GstOfflineSegment *segment, gsize limit,
      bool (*enough) (const std::vector<guint8> &), std::vector<guint8> *head) override;
  GPtrArray *period_segments (guint track, guint period, guint64 upper, guint limit) override;
  GstOfflineSegment *find_segment (guint track, GstClockTime time) override;
  void wrong_container (const GstOfflineSegment *segment, const gchar *what) override;

private:
  /* The file of cached resource `key` (*path, its length in *length), once
   * the cache holds it whole: waits for it while the download runs. When
   * it had to wait for media `segment`, it waits on until the cache holds
   * kBufferAhead from it on (or the track's end), or nobody fetches the
   * download any more, telling the playback how far it has come (real
   * BUFFERING percentages, and no stop at each next segment of a download
   * that runs about as fast as playback). False after posting an error,
   * or interrupted. */
  bool await_resource (const gchar *key, bool is_init, GstClockTime at, const GstOfflineSegment *segment,
      gchar **path, guint64 *length);
  /* How much of kBufferAhead from `segment` on the cache holds whole, in
   * percent (of what is left of the track if it is less). */
  gint buffered_percent (const GstOfflineSegment *segment);
  /* Whether the download is still to be fetched and a process fetches it. */
  bool being_fetched ();
  /* Posts the error for resource `key` that is not in the cache and will
   * not come (the download does not run): not downloaded yet, or for a
   * completed download, missing or damaged. */
  void missing_error (const gchar *key, bool is_init, GstClockTime at, GstOfflineDownload *download,
      const GError *error);
  /* Sets up the decryption of `segment` (HLS AES-128) in `reader`. */
  bool start_decryption (const GstOfflineSegment *segment, Reader *reader);
  /* Steps *found back while it really begins after start_time_ (the plan's
   * times may be nominal); false after posting an error. */
  bool locate_real_start (GstOfflineSegment **found);
  /* Posts the error for a failed read of the plan. */
  void plan_error (const gchar *what, const GError *error);
  /* At the end of what the plan holds (`seen`: the commits() before
   * reading it): while the download is a recording that runs
   * (AdaptivePlayback::recording_runs()), begins waiting (*waiting,
   * BUFFERING through the playback) or waits for the next commit, and
   * returns true to read the plan again; false at the end of the track
   * (the recording is over, or it is none), or interrupted (a flush, a
   * deselection, the element stopping). *waiting is false then. */
  bool wait_for_recording (bool *waiting, guint64 seen);
  /* Posts "download ID was removed" if it was (its data gone while it
   * plays); false if it was not. */
  bool report_if_removed ();
  const gchar *stream_key () const;

  AdaptiveStream *stream_;
  GstElement *element_;
  GstPad *pad_;
  std::shared_ptr<AdaptivePlayback> playback_;
  GObjectPtr<GstOfflineTrack> track_;
  guint track_index_;
  const guint blocksize_;

  GstClockTime start_time_ = 0; /* where playback (re)starts */
  bool located_ = false;        /* next_number_ points at the segment holding start_time_ */
  guint64 next_number_ = 0;
  GPtrArray *batch_ = nullptr; /* of GstOfflineSegment, from the plan */
  guint batch_pos_ = 0;
  bool interrupted_ = false;
};

} // namespace gst_offline
