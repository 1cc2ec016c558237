// warden/result.hpp — the result type returned by everything that can fail
// on outside input, and the stable list of reason codes.
//
// Reason codes are part of warden's contract: they appear in
// `FILE:LINE: reason-code: message` diagnostics and in counters that
// monitoring centres chart over years. A code is never renumbered or renamed;
// new codes are added at the end of their block.
//
// Thread-safety: all types here are values; distinct objects may be used
// from different threads freely.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace warden {

// Stable reason codes. The numeric value and the name are both stable.
enum class errc : std::uint16_t {
  ok = 0,
  // 1xx: files and streams
  io_error = 100,        // cannot open / read / write
  file_too_large = 101,  // over a configured size limit
  usage = 102,           // a caller passed arguments that make no sense
  not_implemented = 103, // capability not built yet
  // 2xx: record syntax (CSV and scalar fields)
  missing_column = 200,  // a required column is absent from the header row
  bad_quote = 201,       // unterminated or misplaced quote in a CSV field
  field_count = 202,     // fewer fields than the header requires
  bad_number = 203,      // not a number where a number is required
  missing_field = 204,   // a required field is empty
  line_too_long = 205,   // a record exceeds the line length limit
  empty_file = 206,      // no header row
  duplicate_column = 207, // a known column named twice in the header row
  // 3xx: time
  bad_time = 300,        // not ISO 8601 or epoch milliseconds
  time_out_of_range = 301, // a valid date outside the supported range
  future_time = 302,     // later than now plus the allowed clock skew
  gps_week_rollover = 303, // exactly 1,024 weeks in the past (receiver bug)
  bad_window = 304,      // a time window whose end is before its start
  // 4xx: positions and measurements
  not_finite = 400,      // NaN or infinity
  lat_out_of_range = 401,
  lon_out_of_range = 402,
  bad_accuracy = 403,    // negative, zero-or-absurd accuracy radius
  bad_source = 404,      // position source not gps / lbs / wifi
  bad_event = 405,       // device event name not in FORMATS.md
  bad_id = 406,          // empty or malformed identifier
  duplicate_id = 407,    // an id that must be unique appears twice
  bad_radius = 408,      // radius missing, negative, non-finite or absurd
  bad_speed = 409,       // negative or non-finite speed
  bad_distance = 410,    // negative or non-finite distance threshold
  impossible_jump = 411, // implies a speed no person can travel at
  // 5xx: JSON / GeoJSON / zones
  json_syntax = 500,
  json_too_deep = 501,
  not_feature_collection = 502,
  bad_geometry = 503,    // geometry missing, unknown type or malformed coordinates
  ring_not_closed = 504,
  ring_too_few_points = 505,
  self_intersection = 506,
  empty_geometry = 507,
  degenerate_geometry = 508, // zero area
  too_many_vertices = 509,
  too_many_rings = 510,
  bad_kind = 511,        // zone kind not exclusion / inclusion / curfew_home / victim_home
  bad_subjects = 512,    // subject_id / subjects missing or malformed
  bad_tolerance = 513,
  invalid_geometry = 514, // GEOS says invalid for another reason
  repaired = 515,        // not an error: geometry was made valid by --repair
  bad_property = 516,    // a property of the wrong JSON type
  bad_crs = 517,         // a GeoJSON crs other than CRS84 / EPSG:4326
  // 6xx: schedules
  bad_schedule = 600,    // schedule is not an object / malformed
  bad_day = 601,
  bad_local_time = 602,  // "25:00", "7pm", ...
  unknown_time_zone = 603,
  empty_schedule = 604,  // no windows
  bad_date = 605,        // except / from / until not a date
  // 7xx: engine, checkpoints and stores
  too_late = 700,        // beyond the allowed lateness (kept, counted)
  duplicate_record = 701,
  bad_checkpoint = 702,  // truncated, corrupt or wrong version
  bad_store = 703,       // trail store file damaged or wrong version
  limit_exceeded = 704,  // a configured resource limit
  unknown_subject = 705,
  unknown_zone = 706,
  subject_limit = 707,   // a new subject beyond monitor_config::max_subjects (set aside, counted)
};

// The stable reason-code string, e.g. "lat_out_of_range". Never empty.
std::string_view to_string(errc code) noexcept;

// An error: a stable code and a human message (which may name values,
// never a file and line; readers add those in their diagnostics).
struct error {
  errc code = errc::ok;
  std::string message;
};

inline error make_error(errc code, std::string message) { return error{code, std::move(message)}; }

// A value or an error. Minimal by design (clang 14 cannot use libstdc++'s
// std::expected). Accessing value() of an error result is a precondition
// violation.
template <class T>
class [[nodiscard]] result {
 public:
  result(const T& v) : v_(v) {}                                   // NOLINT(implicit)
  result(T&& v) : v_(std::move(v)) {}                             // NOLINT(implicit)
  result(error e) : v_(std::in_place_index<1>, std::move(e)) {}   // NOLINT(implicit)

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const error& err() const& { return std::get<1>(v_); }
  error&& err() && { return std::get<1>(std::move(v_)); }
  errc code() const noexcept { return ok() ? errc::ok : std::get<1>(v_).code; }

 private:
  std::variant<T, error> v_;
};

template <>
class [[nodiscard]] result<void> {
 public:
  result() = default;
  result(error e) : e_(std::move(e)) {}  // NOLINT(implicit)
  bool ok() const noexcept { return e_.code == errc::ok; }
  explicit operator bool() const noexcept { return ok(); }
  const error& err() const& { return e_; }
  errc code() const noexcept { return e_.code; }

 private:
  error e_;
};

}  // namespace warden
