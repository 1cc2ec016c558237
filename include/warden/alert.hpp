// warden/alert.hpp — alert events (FORMATS.md "Alerts") and their JSON Lines
// form.
//
// An alert episode has one alert_id from `opened` to `closed`; `updated`
// reports a change of priority or confidence while it is open; `amended` and
// `retracted` correct it after late data (docs/engine.md). Every event
// carries the whole current content of its episode, so a reader that keeps
// the last event per alert_id (dropping retracted ids) has the current set.
//
// JSON: the fields of FORMATS.md in that order, then warden's additions
// (`rule`, `decided_at`, `late_arrival`, `evidence.schedule`,
// `evidence.rejected_fixes`, and for the proximity and unmonitored rules
// `evidence.proximity` / `evidence.gap`). Numbers are written with std::to_chars in
// fixed notation: lat/lon 7 decimals, metres 1 decimal; times by
// warden::append_instant. So the same events give the same bytes on every
// machine and at every optimisation level.
//
// Units: metres, degrees, UTC instants.
// Thread-safety: plain values and pure functions.
#pragma once

#include <warden/records.hpp>
#include <warden/time.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace warden {

enum class alert_event_kind : std::uint8_t { opened = 0, updated = 1, closed = 2, amended = 3, retracted = 4 };
std::string_view to_string(alert_event_kind k) noexcept;

// FORMATS.md alert types.
enum class alert_type : std::uint8_t {
  exclusion = 0,
  inclusion = 1,
  curfew = 2,
  proximity_warning = 3,
  proximity = 4,
  unmonitored = 5,
  tamper = 6,
  battery = 7,
};
std::string_view to_string(alert_type t) noexcept;

// The rule that raised an alert (the `rule` field; part of the alert id).
enum class alert_rule : std::uint8_t {
  exclusion = 0,  // confirmed presence in an exclusion (or victim_home) zone
  inclusion = 1,  // confirmed absence from an inclusion zone
  curfew = 2,     // absence from a curfew_home zone inside its schedule
  transit = 3,    // path between two fixes crossed an exclusion zone
  proximity_warning = 4,  // linked victim's device within warning_m (type proximity_warning)
  proximity = 5,          // linked victim's device within alert_m (type proximity)
  unmonitored = 6,        // no valid fix for longer than the gap (type unmonitored)
  tamper = 7,             // strap_tamper / case_tamper until strap_ok (type tamper)
  battery_low = 8,        // battery_low until charging_start (type battery)
  battery_critical = 9,   // battery_critical until charging_start (type battery)
  no_gps = 10,            // no_gps until gps_ok or a GPS fix (type unmonitored)
  device_offline = 11,    // device_offline until device_online or a fix (type unmonitored)
};
std::string_view to_string(alert_rule r) noexcept;

enum class alert_confidence : std::uint8_t { certain = 0, probable = 1 };
std::string_view to_string(alert_confidence c) noexcept;

// A fix quoted as evidence: as received (7-decimal degrees), with the radius
// the rules used.
struct evidence_fix {
  instant time;
  double lat_deg = 0;
  double lon_deg = 0;
  double accuracy_m = 0;  // effective accuracy (>= the claimed one)
  friend bool operator==(const evidence_fix&, const evidence_fix&) = default;
};

struct alert_event {
  std::string alert_id;
  alert_event_kind event = alert_event_kind::opened;
  alert_type type = alert_type::exclusion;
  alert_rule rule = alert_rule::exclusion;
  std::string subject_id;
  std::string zone_id;                  // empty -> null
  std::optional<std::string> victim_id;
  instant start;
  std::optional<instant> end;           // nullopt while open
  int priority = 3;                     // 1 (most urgent) .. 5
  alert_confidence confidence = alert_confidence::certain;
  std::uint32_t fix_count = 0;          // fixes in breach that make up the episode
  std::optional<double> max_depth_m;    // deepest breach beyond the boundary
  std::optional<double> min_distance_m; // proximity rules
  instant decided_at;                   // event time of the record that made this decision
  bool late_arrival = false;            // curfew: already away at the window start
  std::uint32_t rejected_fixes = 0;     // fixes the motion filter rejected during the episode
  std::vector<evidence_fix> fixes;      // the deciding fixes, bounded, time order
  std::string zone_version;
  std::string schedule_json;            // compact JSON of the zone's schedule, empty -> null
  std::string params_json;              // compact JSON object of the rule parameters
  // Further members of the evidence object, written after rejected_fixes
  // when not empty: `"proximity":{...}` (distance, bearing, closing speed,
  // time to contact, victim data age; the victim's position only for an
  // authorised consumer) or `"gap":{...}` (silent approach). Text of
  // comma-separated JSON members, without the leading comma.
  std::string evidence_extra_json;
};

// Appends one JSON object (no newline).
void append_json(std::string& out, const alert_event& e);
// One JSON line.
std::string to_json_line(const alert_event& e);

// Deterministic alert id: 16 hex digits of FNV-1a 64 over
// (subject, rule, zone, episode start in epoch ms).
std::string make_alert_id(std::string_view subject_id, alert_rule rule, std::string_view zone_id, instant start);
// The same id as a number, and its 16-hex-digit text.
std::uint64_t alert_id_hash(std::string_view subject_id, alert_rule rule, std::string_view zone_id,
                            instant start) noexcept;
std::string alert_id_text(std::uint64_t id);

// Appends JSON string literal (quotes, minimal escapes).
void append_json_string(std::string& out, std::string_view s);

}  // namespace warden
