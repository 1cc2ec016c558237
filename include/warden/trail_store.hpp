// warden/trail_store.hpp — the trail store: every subject's fixes, projected,
// compressed, time-sorted, with their gaps; saved to and loaded from a
// versioned, checksummed file so that a nightly crime-matching job does not
// re-read CSVs.
//
//   warden::trail_store store;                       // default frame (BNG on WGS84)
//   read_fixes("fixes.csv", diag, [&](const warden::fix& f) { (void)store.append(f); });
//   if (auto r = store.save("trails.wts"); !r) ...
//   auto again = warden::trail_store::load("trails.wts");  // errc::bad_store if damaged
//
// Layout (columnar, one set of columns per subject, 12 bytes per fix):
//   x  int32: easting  in whole centimetres relative to the subject's first
//             fix (28 bits, arithmetic) << 4 | accuracy code, low 4 bits
//   y  int32: northing in whole centimetres, the same way   | accuracy code, high 4 bits
//   t  uint32: the low 32 bits of the UTC epoch milliseconds; the high bits
//             are a per-subject table of (high word, first fix index),
//             one entry per 49.7 days the trail spans.
// So a fix round-trips exactly at this resolution: position to the nearest
// centimetre (the frame's metres rounded half away from zero), time to the
// millisecond, accuracy to its code (below). A fix must lie within
// ±1,342,177.27 m (2^27 cm) of its subject's first fix on both axes
// (limit_exceeded otherwise: further than any monitored person can be from
// where their trail began in a national frame).
//
// Accuracy (95% radius, metres) is stored as an 8-bit code, rounded UP to the
// next representable value so that a stored circle is never smaller than the
// reported one: codes 0..127 are 0.5 m .. 64 m in 0.5 m steps; codes
// 128..255 grow by 4.4% a step (an integer-centimetre table) to 15,871.26 m.
// Larger reported accuracies are stored as that maximum: such a fix places a
// person only somewhere in a region larger than a town. accuracy_m <= 0 or
// not finite is bad_accuracy.
//
// Order and duplicates: each subject's fixes are kept sorted by (time, x, y,
// accuracy code). A late fix (earlier than the subject's last) is inserted
// into that order, so the store holds the same content whatever order the
// fixes arrived in; an exact duplicate of a stored fix (all four equal) is
// dropped and counted. Two different fixes at the same millisecond are both
// kept (a zero-length segment between them).
//
// Gaps are part of the data: the segment between consecutive fixes i and
// i+1 of a subject is a *gap* when t[i+1] - t[i] > max_gap (strictly), else
// *tracked*. Default max_gap: 15 minutes, the same silence after which warden
// counts a subject as unmonitored (synth's unmonitored_after_s): at one fix
// a minute that is fourteen missed fixes, far longer than urban-canyon and
// indoor GPS dropouts (typically one to five minutes) and long enough for
// tags that slow their fix rate while stationary; and at 40 m/s a 15-minute
// prism is 36 km long, beyond which "could have been there" stops being
// evidence. See crime_match.hpp for what gaps mean to a match.
//
// File format (version 1, little-endian): "WARDENTS" magic, version, total
// length, counts, max_gap, the frame description, then per subject in
// subject-id order: id, origin, fix count, high-word table, x, y, t columns;
// then a 64-bit checksum of every preceding byte. Loading refuses with
// errc::bad_store and a message saying what is wrong (not a store, another
// version, truncated or extended, checksum mismatch, inconsistent content);
// errc::io_error when the file cannot be opened or read. The file is read,
// not memory-mapped: the checksum has to touch every byte anyway and the
// loaded store must own mutable columns for later appends. Saving the same
// content gives the same bytes whatever the append order (the file measures
// offsets from each subject's earliest fix; only a trail reaching more than
// 2^27 cm from its earliest fix keeps its first-appended origin).
//
// Thread-safety: const member functions may be called concurrently; append,
// reserve and shrink_to_fit need exclusive access. A trail_view is valid
// until the next non-const call on its store.
#pragma once

#include <warden/frame.hpp>
#include <warden/geo.hpp>
#include <warden/records.hpp>
#include <warden/result.hpp>
#include <warden/time.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace warden {

struct trail_store_options {
  // Consecutive fixes further apart than this are a gap (see above).
  milliseconds max_gap{15 * 60 * 1000};
};

// One stored fix, decoded.
struct trail_fix {
  instant time;
  xy pos;            // metres in the store's frame, to the centimetre
  float accuracy_m;  // the stored (rounded-up) accuracy
  friend bool operator==(const trail_fix&, const trail_fix&) = default;
};

// An unmonitored stretch of a trail: the fixes either side of a gap.
struct trail_gap {
  std::size_t before = 0;  // index of the fix before the gap; the fix after is before + 1
  instant from;            // time of the fix before
  instant to;              // time of the fix after
};

namespace detail {
// Accuracy code -> metres (see the header comment), computed in integer
// centimetres so that every build has the same table.
constexpr std::array<float, 256> make_accuracy_table() noexcept {
  std::array<float, 256> m{};
  std::int64_t cm = 0;
  for (int k = 0; k < 256; ++k) {
    cm = k < 128 ? (k + 1) * 50 : (cm * 1044 + 999) / 1000;
    m[static_cast<std::size_t>(k)] = static_cast<float>(static_cast<double>(cm) / 100.0);
  }
  return m;
}
inline constexpr std::array<float, 256> accuracy_table_m = make_accuracy_table();
// Metres -> code, rounded up. Precondition: > 0, finite.
std::uint8_t encode_accuracy(float accuracy_m) noexcept;
constexpr float decode_accuracy(std::uint8_t code) noexcept { return accuracy_table_m[code]; }
inline constexpr std::int64_t store_coord_limit_cm = (std::int64_t{1} << 27) - 1;
struct trail_epoch {
  std::uint32_t high;   // epoch_ms >> 32
  std::uint32_t first;  // first fix index with this high word
};
}  // namespace detail

// Read-only access to one subject's fixes; all accessors noexcept, indices
// must be < size().
class trail_view {
 public:
  trail_view() = default;
  std::size_t size() const noexcept { return n_; }
  bool empty() const noexcept { return n_ == 0; }

  // Whole centimetres: the subject's origin (its first stored fix) plus the
  // 28-bit offset of fix i from it.
  std::int64_t origin_x_cm() const noexcept { return ox_; }
  std::int64_t origin_y_cm() const noexcept { return oy_; }
  std::int32_t dx_cm(std::size_t i) const noexcept { return x_[i] >> 4; }
  std::int32_t dy_cm(std::size_t i) const noexcept { return y_[i] >> 4; }
  std::int64_t x_cm(std::size_t i) const noexcept { return ox_ + (x_[i] >> 4); }
  std::int64_t y_cm(std::size_t i) const noexcept { return oy_ + (y_[i] >> 4); }
  xy pos(std::size_t i) const noexcept {
    return xy{static_cast<double>(x_cm(i)) / 100.0, static_cast<double>(y_cm(i)) / 100.0};
  }
  std::uint8_t accuracy_code(std::size_t i) const noexcept {
    return static_cast<std::uint8_t>((x_[i] & 15) | ((y_[i] & 15) << 4));
  }
  float accuracy_m(std::size_t i) const noexcept { return detail::decode_accuracy(accuracy_code(i)); }
  std::int64_t time_ms(std::size_t i) const noexcept {
    return static_cast<std::int64_t>((static_cast<std::uint64_t>(high_of(i)) << 32) | t_[i]);
  }
  instant time(std::size_t i) const noexcept { return from_epoch_ms(time_ms(i)); }
  trail_fix at(std::size_t i) const noexcept { return trail_fix{time(i), pos(i), accuracy_m(i)}; }

  // First index with time >= t (size() if none).
  std::size_t lower_bound(std::int64_t t_ms) const noexcept;
  // First index with time > t (size() if none).
  std::size_t upper_bound(std::int64_t t_ms) const noexcept;

  // The raw columns (layout in the header comment), for scans that decode
  // a run of fixes themselves: x and y hold the centimetre offset << 4 and
  // the accuracy code's nibbles; t the low 32 bits of the epoch ms (the
  // difference of two fixes' t, taken mod 2^32, is their interval whenever
  // that is under 49.7 days).
  const std::int32_t* x_column() const noexcept { return x_; }
  const std::int32_t* y_column() const noexcept { return y_; }
  const std::uint32_t* t_column() const noexcept { return t_; }

  // Asks the processor to start fetching the columns of fixes [i, i + 16)
  // (i < size()), so that a caller about to read several trails can overlap
  // their memory latency. No effect on any result.
  void prefetch(std::size_t i) const noexcept {
    __builtin_prefetch(x_ + i);
    __builtin_prefetch(y_ + i);
    __builtin_prefetch(t_ + i);
  }

  // The segment i -> i+1 (i + 1 < size()) is a gap.
  bool is_gap(std::size_t i) const noexcept { return time_ms(i + 1) - time_ms(i) > max_gap_ms_; }
  std::int64_t max_gap_ms() const noexcept { return max_gap_ms_; }

 private:
  friend class trail_store;
  std::uint32_t high_of(std::size_t i) const noexcept {
    if (ne_ == 1) return e_[0].high;
    std::size_t lo = 0, hi = ne_;  // last epoch with first <= i
    while (hi - lo > 1) {
      const std::size_t mid = (lo + hi) / 2;
      if (e_[mid].first <= i) lo = mid; else hi = mid;
    }
    return e_[lo].high;
  }
  const std::int32_t* x_ = nullptr;
  const std::int32_t* y_ = nullptr;
  const std::uint32_t* t_ = nullptr;
  const detail::trail_epoch* e_ = nullptr;
  std::size_t n_ = 0, ne_ = 0;
  std::int64_t ox_ = 0, oy_ = 0, max_gap_ms_ = 0;
};

enum class append_outcome : std::uint8_t {
  appended,   // after every stored fix of the subject
  inserted,   // late: inserted into the time order
  duplicate,  // an exact duplicate of a stored fix: dropped
};

class trail_store {
 public:
  using subject_index = std::uint32_t;
  static constexpr subject_index npos = 0xFFFFFFFFu;

  // Errors of the constructor are impossible; max_gap <= 0 is treated as 0
  // (every non-simultaneous pair of fixes is then a gap).
  explicit trail_store(trail_store_options opt = {}, const tm_frame& frame = tm_frame{});

  // Projects f with frame() and appends it. Errors: bad_id (empty subject),
  // bad_accuracy, time_out_of_range (before 1970), limit_exceeded (too far
  // from the subject's first fix, or 2^32 fixes for one subject).
  result<append_outcome> append(const fix& f);
  // The same for a position already in the store's frame, metres.
  result<append_outcome> append(std::string_view subject_id, instant t, xy pos, float accuracy_m);

  // Capacity hints and release, for bulk loads; contents unchanged.
  void reserve(std::string_view subject_id, std::size_t fixes);
  void shrink_to_fit();

  std::size_t subject_count() const noexcept { return subjects_.size(); }
  // Subjects are numbered in order of first appearance (a loaded store: in
  // subject-id order). npos when absent.
  subject_index find(std::string_view subject_id) const noexcept;
  const std::string& subject_id(subject_index s) const noexcept { return subjects_[s].id; }
  // Subject indices sorted by id (the order every output uses).
  std::vector<subject_index> subjects_by_id() const;

  trail_view view(subject_index s) const noexcept;
  // Asks the processor to start fetching what view(s) reads (s <
  // subject_count()); no effect on any result.
  void prefetch_view(subject_index s) const noexcept {
    __builtin_prefetch(&subjects_[s].ox);
    __builtin_prefetch(&subjects_[s].epochs);
  }
  std::vector<trail_gap> gaps(subject_index s) const;

  std::uint64_t fix_count() const noexcept { return fixes_; }
  std::uint64_t duplicates_dropped() const noexcept { return duplicates_; }
  std::uint64_t late_inserted() const noexcept { return late_; }
  // Bytes held for fixes: 12 per fix plus the per-subject tables, id and
  // bookkeeping (vector sizes, not capacities; see shrink_to_fit).
  std::uint64_t stored_bytes() const noexcept;
  // Increases on every change; an index records it to detect a stale store.
  std::uint64_t generation() const noexcept { return generation_; }

  const trail_store_options& options() const noexcept { return opt_; }
  const tm_frame& frame() const noexcept { return frame_; }

  // Writes the version-1 file (replacing path). Errors: io_error.
  result<void> save(const std::string& path) const;
  // Reads a version-1 file. Errors: io_error, bad_store. The frame is
  // rebuilt from the recorded description when it names a BNG, UTM or
  // custom frame; otherwise bad_store.
  static result<trail_store> load(const std::string& path);
  // Checks that `path` starts with the store magic (a cheap test to tell a
  // store from a CSV).
  static bool looks_like_store(const std::string& path);

 private:
  struct subject_trail {
    std::string id;
    std::int64_t ox = 0, oy = 0;  // origin, cm
    std::vector<std::int32_t> x, y;
    std::vector<std::uint32_t> t;
    std::vector<detail::trail_epoch> epochs;
  };
  result<append_outcome> append_cm(std::string_view subject_id, std::int64_t t_ms, std::int64_t x_cm,
                                   std::int64_t y_cm, std::uint8_t acc);
  subject_index find_or_add(std::string_view subject_id);

  trail_store_options opt_;
  tm_frame frame_;
  std::vector<subject_trail> subjects_;
  std::map<std::string, subject_index, std::less<>> by_id_;
  subject_index last_appended_ = npos;  // a lookup cache for grouped input
  std::uint64_t fixes_ = 0, duplicates_ = 0, late_ = 0, generation_ = 0;
};

}  // namespace warden
