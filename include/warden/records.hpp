// warden/records.hpp — the records warden reads: fixes, device events,
// victim links and crimes (FORMATS.md).
//
// Units: positions in WGS84 degrees (validated lat_lon), accuracy and radii
// in metres, times as UTC instants (warden/time.hpp).
//
// `fix` and `device_event` carry the subject id as a string_view: records
// handed to a reader callback point into the reader's buffer and are valid
// only during the call. Copy what you keep (or use the owning containers of
// the component that keeps them).
//
// Thread-safety: plain values.
#pragma once

#include <warden/geo.hpp>
#include <warden/time.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace warden {

// How a position was obtained.
enum class fix_source : std::uint8_t { gps = 0, lbs = 1, wifi = 2 };
std::string_view to_string(fix_source s) noexcept;
// "gps" | "lbs" | "wifi" (case-insensitive). Errors: bad_source.
result<fix_source> parse_fix_source(std::string_view s) noexcept;

// One position report from a tag or a victim device.
struct fix {
  std::string_view subject_id;  // valid only during a reader callback
  instant time;                 // when the fix was taken (event time)
  lat_lon pos;
  float accuracy_m = 10.0f;     // 95% horizontal accuracy radius, metres
  fix_source source = fix_source::gps;
  instant received;             // when it reached the centre; == time when not given
  std::uint64_t line = 0;       // 1-based line in its file, 0 when not from a file
};

enum class device_event_type : std::uint8_t {
  strap_tamper,
  strap_ok,
  case_tamper,
  battery_low,
  battery_critical,
  charging_start,
  charging_end,
  rf_in_range,
  rf_out_of_range,
  no_gps,
  gps_ok,
  device_offline,
  device_online,
};
constexpr int device_event_type_count = 13;
std::string_view to_string(device_event_type e) noexcept;
// Exact FORMATS.md names (case-insensitive). Errors: bad_event.
result<device_event_type> parse_device_event_type(std::string_view s) noexcept;

struct device_event {
  std::string_view subject_id;  // valid only during a reader callback
  instant time;
  device_event_type type{};
  std::uint64_t line = 0;
};

// A subject linked to a victim: proximity radii in metres.
struct victim_link {
  std::string subject_id;
  std::string victim_id;
  double alert_m = 500.0;     // default when the column is absent or empty
  double warning_m = 1000.0;  // default when the column is absent or empty
  std::uint64_t line = 0;
};

// A crime to match against trails: it happened within radius_m of `pos`
// at some instant in [from, to].
struct crime {
  std::string crime_id;
  lat_lon pos;
  instant from;
  instant to;
  std::string type;                // free text, e.g. "Burglary"
  std::optional<double> radius_m;  // absent: the matcher's default
  std::string lsoa_code;           // police.uk only
  std::string location;            // police.uk only ("On or near ...")
  std::uint64_t line = 0;
};

}  // namespace warden
