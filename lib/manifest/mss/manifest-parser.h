/* The pure Smooth Streaming manifest parser: the bytes of a
 * SmoothStreamingMedia document and the URL they came from in, its model out;
 * no I/O. Hostile input is an error, never a crash, a hang or an unbounded
 * allocation: libxml2 runs with no network, no DTD and no entity
 * substitution, a document with a DOCTYPE is refused, and the number of
 * fragments a manifest may describe is capped.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gst_offline {
namespace mss {

/* Manifests larger than this are refused before parsing. */
constexpr gsize kMaxManifestSize = 64 * 1024 * 1024;
/* At most this many fragments per StreamIndex, once `r` is expanded. */
constexpr guint64 kMaxFragmentsPerStream = 1000000;
/* And at most this many in all the StreamIndexes of a manifest. */
constexpr guint64 kMaxFragments = 4000000;
/* expand_fragments() refuses to build a list larger than this (a long Url
 * times many fragments): about 400 000 fragments with 100-byte URLs,
 * nine days of 2-second fragments. */
constexpr guint64 kMaxFragmentListBytes = 64 * 1024 * 1024;
/* The TimeScale when the manifest gives none. */
constexpr guint64 kDefaultTimeScale = 10000000;

/* The PlayReady system id (lower case, no braces). */
constexpr const char *kPlayReadySystemId = "9a04f079-9840-4286-ab92-e65be0885f95";

enum class StreamType { Video, Audio, Text, Other };

struct QualityLevel {
  guint index = 0;              /* its Index attribute (its position when absent) */
  guint64 bitrate = 0;
  std::string fourcc;
  std::string codec_private_data;  /* bytes (the manifest spells them in hex) */
  std::optional<guint> max_width;
  std::optional<guint> max_height;
  std::optional<guint> sampling_rate;
  std::optional<guint> channels;
  std::optional<guint> bits_per_sample;
  std::optional<guint> packet_size;
  std::optional<guint> audio_tag;
  /* Its CustomAttributes as "Name=Value" pairs joined by ',', what a Url's
   * {CustomAttributes} stands for; empty when it has none. */
  std::string custom_attributes;
};

/* One fragment, `r` expanded: start and duration in the StreamIndex's TimeScale. */
struct Fragment {
  guint64 start = 0;
  guint64 duration = 0;
};

struct StreamIndex {
  StreamType type = StreamType::Other;
  std::string type_name;   /* the Type attribute as written */
  std::string subtype;
  std::string name;
  std::string language;
  std::string url_template;
  guint64 timescale = kDefaultTimeScale;
  std::vector<QualityLevel> quality_levels;
  std::vector<Fragment> fragments;  /* in start order */
};

struct Protection {
  std::string system_id;  /* lower-case UUID, no braces */
  std::string header;     /* the ProtectionHeader's text (base64 in practice) */
};

struct Manifest {
  std::string url;        /* where it came from: fragment URLs resolve against it */
  guint64 timescale = kDefaultTimeScale;
  std::optional<guint64> duration;  /* in `timescale` units */
  std::vector<StreamIndex> streams;
  std::vector<Protection> protection;

  bool has_playready () const;
};

/* A fragment of one QualityLevel: its absolute URL and its times. */
struct FragmentRef {
  std::string url;
  guint64 start_ns = 0;
  guint64 duration_ns = 0;
};

/* Parses `bytes`, fetched from `manifest_url` (absolute). Errors:
 * UNSUPPORTED for a live manifest (IsLive="TRUE"), INVALID_ARGUMENT for
 * everything malformed, with a message naming the element at fault. */
std::optional<Manifest> parse_manifest (std::string_view bytes, const std::string &manifest_url, GError **error);

/* The URL of a fragment of `level` of `stream` starting at `start` (in the
 * stream's TimeScale): the Url template with {bitrate}/{Bitrate},
 * {start time}/{start_time} and {CustomAttributes} replaced, resolved
 * against the manifest URL.
 * INVALID_ARGUMENT when the template holds another placeholder. */
std::optional<std::string> fragment_url (const Manifest &manifest, const StreamIndex &stream, const QualityLevel &level,
    guint64 start, GError **error);

/* Every fragment of `level` of `stream`, in start order. INVALID_ARGUMENT
 * when the list would take more than kMaxFragmentListBytes. */
std::optional<std::vector<FragmentRef>> expand_fragments (const Manifest &manifest, const StreamIndex &stream,
    const QualityLevel &level, GError **error);

/* Takes each fragment as it is made; false (with `error` set) ends the
 * expansion with that error. */
using FragmentFn = std::function<bool (FragmentRef &&fragment, GError **error)>;

/* The same, giving the fragments to `each` one at a time, in start order,
 * instead of keeping them: the memory it takes does not grow with their
 * number. The same checks and errors. */
bool expand_fragments (const Manifest &manifest, const StreamIndex &stream, const QualityLevel &level,
    const FragmentFn &each, GError **error);

}  // namespace mss
}  // namespace gst_offline
