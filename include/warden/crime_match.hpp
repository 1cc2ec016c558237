// warden/crime_match.hpp — acquisitive-crime matching: for a crime
// (location, time window, radius) and each monitored subject, was the
// subject there, could they have been, or is it ruled out?
//
//   warden::trail_store store;  ... append fixes ...
//   auto index = warden::trail_index::build(store);
//   auto matcher = warden::crime_matcher::make(*index, {});      // 100 m, 40 m/s
//   auto q = warden::make_crime_query(crime, store.frame(), 100.0);
//   for (const warden::match_row& m : matcher->match({&*q, 1})) ...
//
// Units: metres, metres per second, UTC instants (epoch milliseconds
// inside crime_query). Geometry is planar in the store's frame (decisions);
// callers that report evidence convert the closest point to a geodesic
// distance (the CLI does).
//
// A crime happened within radius_m of its position at some instant of
// [from, to] (closed). For each subject, with v = max_speed_mps and the
// trail's gaps as defined in trail_store.hpp (tracked segments join fixes at
// most max_gap apart; gaps are longer), the status is the first that holds:
//
//   present    a fix with time in [from, to] and distance - accuracy <= r:
//              the fix's 95% circle touches the crime disc. (distance is to
//              the crime position; a fix exactly on the radius counts.)
//   passed     the straight path of a tracked segment, during the part of it
//              inside [from, to], comes within r (<= r) of the crime.
//   possible   the space-time prism of a tracked segment (warden/prism.hpp:
//              the person within a0 + v (t - t0) of one fix and a1 + v (t1 -
//              t) of the other, accuracies counted) reaches the crime disc at
//              some whole millisecond of the window.
//   no_data    none of the above, and part of the window is unaccounted for:
//              before the subject's first fix or after its last (or no fixes
//              at all), or inside a gap whose prism — computed across the gap
//              exactly as for a tracked segment — does reach the crime disc.
//              A gap means the tag was not reporting: the honest answer is
//              "we do not know", not "possible" (which would flag every crime
//              within reach of a dead device, burying the real leads).
//   ruled_out  otherwise: every instant of the window lies between two fixes
//              (a tracked segment or a gap) and no prism reaches the crime
//              disc — the subject could not have got there and back at v,
//              even across a gap. Ruling out rests on v: choose it for the
//              fastest plausible travel (default 40 m/s, 144 km/h, driving).
//
// Row fields (match_row):
//   min_distance_m, closest_time, closest_point: the closest approach to the
//     crime position of the observed path — fixes in the window and tracked
//     segments clipped to it (not gaps) — distance not reduced by accuracy;
//     the earliest instant on ties; absent when no fix or tracked segment
//     meets the window.
//   dwell_s: total time the path is within r during the window (interpolated
//     along tracked segments; accuracy not counted, so a present fix alone
//     adds none).
//   first_time, last_time: present / passed: the first and last instants of
//     the window at which a fix (accuracy counted) or the path was within r;
//     possible: the first and last instants at which a prism reaches the
//     disc; absent for ruled_out and no_data.
//   fix_count: fixes in the window within r, accuracy counted (the
//     evidence fixes of a present row; 0 for the other statuses).
//   score in [0, 1], to rank rows for an analyst: 0.75 present, 0.5 passed,
//     0.25 possible, 0 ruled_out / no_data, plus for present and passed
//     0.2 * r / (r + min_distance) + 0.05 * min(1, dwell / 15 min), for
//     possible 0.25 * r / (r + min_distance) (closer ranks higher).
//
// Radius and police.uk. The radius is the crime's own radius_m or the
// default (100 m). police.uk positions are not where the crime happened:
// each is replaced by the nearest of about 750,000 anonymisation points
// (street centres and public places), so the true place is somewhere in
// that point's catchment — typically within a couple of hundred metres in
// towns, further in the country. make_crime_query's extra_radius_m adds an
// allowance for it (the CLI adds --snap-allowance-m, default 250 m, to
// police.uk crimes); the rows then mean "within r + allowance of the
// published point".
//
// Queries: a batch of crimes against all subjects (match), one crime against
// named subjects (match_subjects: a row for every subject named, ruled_out
// and no_data included), and all subjects near a point in a time range
// (near: present and passed rows). Results do not depend on the thread
// count or on the order of the batch (match() evaluates a batch in a
// locality order of its own, for speed): rows are ordered by crime, then
// score descending, then subject id, and each crime's rows are those it
// gets alone. match() evaluates only the index's candidates unless
// all_statuses asks for a row for every subject.
//
// Thread-safety: a crime_matcher is immutable; its queries may run
// concurrently. It refers to the index (and through it the store), which
// must outlive it unchanged.
#pragma once

#include <warden/frame.hpp>
#include <warden/geo.hpp>
#include <warden/records.hpp>
#include <warden/result.hpp>
#include <warden/time.hpp>
#include <warden/trail_index.hpp>
#include <warden/trail_store.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace warden {

enum class match_status : std::uint8_t { present = 0, passed = 1, possible = 2, ruled_out = 3, no_data = 4 };
// "present" | "passed" | "possible" | "ruled_out" | "no_data".
std::string_view to_string(match_status s) noexcept;

// A validated crime in the store's frame.
struct crime_query {
  xy pos;
  double radius_m = 100;
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;
};

// Projects and checks a crime: radius = crime.radius_m, or default_radius_m
// when absent, plus extra_radius_m. Errors: bad_radius (not finite, <= 0 or
// above 100 km), bad_window (to before from).
result<crime_query> make_crime_query(const crime& c, const tm_frame& frame, double default_radius_m,
                                     double extra_radius_m = 0);

struct match_options {
  double max_speed_mps = 40.0;  // prism speed
  bool all_statuses = false;    // match(): also a ruled_out / no_data row for every other subject
  unsigned threads = 1;         // match(): worker threads (0: hardware concurrency)
};

struct match_row {
  std::uint32_t crime = 0;    // index into the batch (0 for single queries)
  std::uint32_t subject = 0;  // store subject index
  match_status status = match_status::no_data;
  std::optional<double> min_distance_m;
  std::optional<instant> closest_time;
  xy closest_point;  // valid with min_distance_m
  double dwell_s = 0;
  std::optional<instant> first_time;
  std::optional<instant> last_time;
  std::uint32_t fix_count = 0;
  double score = 0;
  friend bool operator==(const match_row&, const match_row&) = default;
};

// Called from the calling thread with (crimes done, crimes in the batch).
using match_progress = std::function<void(std::size_t, std::size_t)>;

class crime_matcher {
 public:
  // Errors: bad_speed, usage (the index's store changed since the build).
  static result<crime_matcher> make(const trail_index& index, const match_options& opt = {});

  // Every crime against every subject: rows for present, passed and
  // possible subjects (and with all_statuses the others too).
  std::vector<match_row> match(std::span<const crime_query> crimes, const match_progress& progress = {}) const;
  // One crime against the given subjects: one row each, in the given order.
  // An index >= subject_count() (a subject the store has never seen) gets a
  // no_data row.
  std::vector<match_row> match_subjects(const crime_query& c, std::span<const std::uint32_t> subjects) const;
  // Subjects within radius_m of `point` at some instant of [from, to]:
  // present and passed rows.
  std::vector<match_row> near(xy point, double radius_m, instant from, instant to) const;

  // One crime against candidate subjects found some other way (ascending,
  // each < subject_count()): rows for the present, passed and possible ones,
  // ordered like match(). With every subject as candidates this is match().
  std::vector<match_row> match_among(const crime_query& c, std::span<const std::uint32_t> candidates) const;

  // The reference: one subject, every fix and segment of the window, no
  // index. The same row as the indexed queries (tests, benchmarks).
  match_row evaluate_scan(const crime_query& c, std::uint32_t subject) const;

  const match_options& options() const noexcept { return opt_; }
  const trail_index& index() const noexcept { return *index_; }

 private:
  crime_matcher(const trail_index& index, const match_options& opt) : index_(&index), opt_(opt) {}
  // Rows from `from` on: by crime, score descending, subject id.
  void order_rows(std::vector<match_row>& rows, std::size_t from) const;
  const trail_index* index_;
  match_options opt_;
  std::vector<std::uint32_t> id_rank_;  // subject -> position in id order
};

}  // namespace warden
