// warden/trail_index.hpp — the space-time index over a trail store: which
// subjects could have been within r of a point during [from, to]?
//
// Blocks. Each subject's trail is cut into blocks: runs of consecutive fixes
// joined only by tracked segments (never across a gap, see trail_store.hpp),
// at most block_segments segments, max_block_duration long and
// max_block_side_m wide, and cut
// where the sampling interval changes class (<= 150 s, <= 300 s, <= 600 s,
// longer), so that one slow stretch does not widen a whole block. Consecutive
// blocks of a run share their boundary fix; a fix with gaps on both sides is
// a block of its own. A block keeps its bounding box (whole centimetres),
// time range, longest segment and largest accuracy, which bound everything
// a crime query can ask of it: any of its fixes within r (accuracy counted),
// its path within r, or its prisms reaching the disc all need the disc to
// come within
//     reach(v) = max accuracy + v * (longest segment duration) / 2
// of the box (the prism between two fixes lies within its ellipse's
// semi-minor axis of their segment, warden/prism.hpp).
//
// Space and time. Blocks are partitioned in space by a loose multi-level
// grid and in time by their start: a block goes, once per cell it overlaps,
// into the grid level whose cell side S_l = S_0 * 2^l is at least the side
// of its box grown by reach(v_index) (so it overlaps at most 2 x 2 cells);
// within a cell, entries are sorted by start time. A query visits, on each
// level, the few cells its disc overlaps and only the entries starting in
// [from - longest block duration of that level, to]. The time axis is
// normalised against space through the block: a block spans one fix
// interval's worth of prism (v_max * interval, about 2.4 km at 40 m/s and
// one fix a minute) plus the distance travelled in at most
// max_block_duration, so S_0 — by default the median grown block side —
// and the block duration are chosen together: one block touches a handful of
// cells, and a query over a long window reads each cell's entries as one
// sorted run instead of probing hundreds of time buckets. (Splitting on time
// alone would make every query read every subject active in its window.)
//
// Queries for a speed above max_speed_mps are still exact: the search disc
// grows by the extra reach of each level's longest segment.
//
// Build: one pass over the fixes (blocks, in parallel over subjects), then a
// counting sort of (cell, block) entries filled in block order, then each
// cell's run sorted by (start, block) (in parallel over cells). The result
// is identical for any thread count.
//
// Thread-safety: a built index is immutable; queries from several threads
// need one query_scratch each. The index refers to its store, which must
// outlive it and must not change while it is used (stale() says if it has).
#pragma once

#include <warden/geo.hpp>
#include <warden/result.hpp>
#include <warden/time.hpp>
#include <warden/trail_store.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace warden {

struct trail_index_options {
  // The prism speed the grid is laid out for, m/s (queries may use others).
  double max_speed_mps = 40.0;
  // Block limits.
  std::uint32_t block_segments = 32;
  milliseconds max_block_duration{32 * 60 * 1000};
  // A block is also cut before its box would get wider than this (either
  // side), metres; 0: no limit. A fast mover's box would otherwise span
  // kilometres and turn every crime near any part of it into a candidate;
  // capped at about twice a prism's reach (1.2 km at 40 m/s and a fix a
  // minute), the box widens the search by no more than the prisms do
  // (bench/README.md, crime_bench at 1,000 subjects x 3 days: 7% fewer
  // candidates; 1,500 m cut 10% but slowed the build by a quarter).
  double max_block_side_m = 2500;
  // Level-0 cell side, metres; 0: the median grown block side (see above).
  double cell_size_m = 0;
  // Worker threads for the build; 0: std::thread::hardware_concurrency().
  unsigned threads = 0;
};

// A run of fixes first .. first + segments of one subject (see above).
struct trail_block {
  std::uint32_t subject = 0;
  std::uint32_t first = 0;
  std::uint32_t segments = 0;   // all tracked; 0 for a lone fix
  std::uint32_t max_dt_ms = 0;  // longest segment
  std::int64_t t_first_ms = 0;
  std::int64_t t_last_ms = 0;
  std::int32_t min_x_cm = 0, min_y_cm = 0, max_x_cm = 0, max_y_cm = 0;  // relative to the index origin
  float max_accuracy_m = 0;
  // The last fix belongs to this block, not to the next one (which starts
  // with it when the run continues).
  bool owns_last = true;
};

class trail_index {
 public:
  // Per-thread query state (reusable; sized on first use).
  struct query_scratch {
    std::vector<std::uint32_t> stamp;
    std::uint32_t epoch = 0;
  };

  // Errors: bad_speed (max_speed_mps negative or not finite), usage (zero
  // block_segments or max_block_duration, bad cell size or block side), limit_exceeded
  // (the trails span more than the grid or entry counts can address).
  static result<trail_index> build(const trail_store& store, const trail_index_options& opt = {});

  // Appends to `out`, ascending, every subject with a block whose time
  // range meets [from_ms, to_ms] and whose box comes within
  // radius_m + reach(v_mps) of q: a superset of the subjects that are
  // present, passed or possible for that crime. (The test runs on each
  // cell entry's copy of the block's bounds, rounded outward to whole
  // seconds and float metres, so a subject just outside by less than that
  // rounding may be listed too.)
  void candidate_subjects(xy q, double radius_m, std::int64_t from_ms, std::int64_t to_ms, double v_mps,
                          query_scratch& scratch, std::vector<std::uint32_t>& out) const;
  // The same, each subject with the index (into blocks_of(subject)) of one
  // of its blocks in the window (or within a second of it, by the rounding
  // above): where an evaluation can start looking.
  struct candidate {
    std::uint32_t subject;
    std::uint32_t block;
    friend bool operator<(const candidate& a, const candidate& b) noexcept { return a.subject < b.subject; }
  };
  void candidates(xy q, double radius_m, std::int64_t from_ms, std::int64_t to_ms, double v_mps,
                  query_scratch& scratch, std::vector<candidate>& out) const;

  // The blocks of one subject, in time order.
  std::span<const trail_block> blocks_of(std::uint32_t subject) const noexcept {
    return {blocks_.data() + block_begin_[subject], blocks_.data() + block_begin_[subject + 1]};
  }
  // The gaps of one subject: index k of each gap segment k -> k+1, ascending.
  std::span<const std::uint32_t> gaps_of(std::uint32_t subject) const noexcept {
    return {gaps_.data() + gap_begin_[subject], gaps_.data() + gap_begin_[subject + 1]};
  }
  // Lower bound of the distance from q to anything in the block, metres.
  double box_distance_m(const trail_block& b, xy q) const noexcept;
  // The point block boxes are measured from, whole centimetres in the store's frame.
  std::int64_t origin_x_cm() const noexcept { return origin_x_cm_; }
  std::int64_t origin_y_cm() const noexcept { return origin_y_cm_; }
  // reach(v) of the block, metres.
  static double reach_m(const trail_block& b, double v_mps) noexcept {
    return static_cast<double>(b.max_accuracy_m) + v_mps * (static_cast<double>(b.max_dt_ms) / 2000.0);
  }

  const trail_store& store() const noexcept { return *store_; }
  bool stale() const noexcept { return store_->generation() != generation_; }
  const trail_index_options& options() const noexcept { return opt_; }

  std::size_t block_count() const noexcept { return blocks_.size(); }
  std::size_t entry_count() const noexcept;
  std::size_t level_count() const noexcept { return levels_.size(); }
  double cell_size_m() const noexcept { return cell0_m_; }
  // Bytes held by the index (blocks, grid, per-subject tables).
  std::size_t memory_bytes() const noexcept;

 private:
  // A block's record in a cell, self-contained so that a query reads cells
  // sequentially: every bound rounded outward (box in metres from the index
  // origin, times in seconds from epoch_ms_, accuracy and longest segment up).
  struct entry {
    float min_x_m, min_y_m, max_x_m, max_y_m;
    std::uint32_t t_first_s;  // floor
    std::uint32_t t_last_s;   // ceil
    std::uint32_t block;
    std::uint32_t subject;     // so that a subject already found costs no read of its block
    std::uint16_t accuracy_m;  // ceil
    std::uint16_t max_dt_s;    // ceil; 0xFFFF: see the block
  };
  struct level {
    double cell_m = 0;
    std::int64_t nx = 0, ny = 0;
    std::int64_t max_duration_ms = 0;
    std::uint32_t max_dt_ms = 0;
    std::vector<std::uint32_t> cell_begin;  // nx * ny + 1
    std::vector<entry> entries;
  };

  entry make_entry(const trail_block& b, std::uint32_t k) const noexcept;

  const trail_store* store_ = nullptr;
  std::uint64_t generation_ = 0;
  trail_index_options opt_;
  std::int64_t origin_x_cm_ = 0, origin_y_cm_ = 0, epoch_ms_ = 0;
  double cell0_m_ = 0;
  std::vector<trail_block> blocks_;
  std::vector<std::size_t> block_begin_;  // subject -> first block; subject_count + 1
  std::vector<std::uint32_t> gaps_;
  std::vector<std::size_t> gap_begin_;    // subject -> first gap; subject_count + 1
  std::vector<level> levels_;
};

}  // namespace warden
