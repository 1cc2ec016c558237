// warden/report.hpp — evidence packs: one alert episode, or one crime match,
// made readable at a glance by a probation or police officer (`warden
// report`, `warden demo`).
//
//   warden::diagnostics diag(&std::cerr);
//   auto alerts = warden::read_alert_log("alerts.jsonl", diag);   // episodes
//   const warden::alert_record& a = ...;                           // one of them
//   auto fixes = warden::load_pack_fixes("fixes.csv", a.subject_id, from, to, diag);
//   warden::evidence_pack p = warden::make_alert_pack(a, zone_or_null, *fixes, {}, {});
//   std::string html = warden::render_html(p);        // one self-contained file
//   std::string gj = warden::render_geojson(p);        // the same content for GIS tools
//
// The HTML is a single file with no network access of any kind: no
// external scripts (no scripts at all), styles, fonts or images. It holds
// an inline SVG trail map in the pack's tm_frame (metres; north up, grid
// north), the fixes before, during and after the episode coloured by time
// with their accuracy circles, the zone or the crime radius, gaps longer
// than the gap threshold drawn dashed, a scale bar in ground metres, a
// timeline of the episode, the rule and its parameters, the zone version
// and the engine version. A victim's position appears on the map only when
// the pack is authorised to show it (pack_options::victim_authorised);
// otherwise only distance and bearing from the subject are stated, and a
// victim_home zone's geometry is withheld likewise.
//
// The GeoJSON is a FeatureCollection (WGS84, [lon, lat], 7 decimals): a
// first feature with no geometry carries the facts, parameters, timeline
// and versions; then the area (a MultiPolygon, or a Point with
// radius_m plus its outline as a 72-vertex Polygon), the path (LineString
// runs, role "path"; gaps role "gap"), and one Point per fix (time,
// accuracy_m, source, phase before|during|after, evidence).
//
// Determinism: the same pack gives the same bytes (numbers via
// std::to_chars with fixed decimals, times as UTC ISO 8601, no clocks, no
// unordered containers).
//
// Units: metres (ground metres unless a name says frame), degrees, UTC
// instants. Episode boundaries: a fix at time t is `during` when
// start <= t <= end (the episode's last decided instant for open episodes).
// Thread-safety: plain values and pure functions; the loaders are
// reentrant with one diagnostics collector per call.
#pragma once

#include <warden/alert.hpp>
#include <warden/diagnostics.hpp>
#include <warden/frame.hpp>
#include <warden/geo.hpp>
#include <warden/records.hpp>
#include <warden/result.hpp>
#include <warden/time.hpp>
#include <warden/trail_store.hpp>
#include <warden/zone.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace warden {

// ---------------------------------------------------------------------------
// Reading back what the engine and the matcher wrote.

// One event of an alert episode as it appeared in the alerts file.
struct alert_record_event {
  std::string event;                  // opened | updated | closed | amended | retracted
  std::optional<instant> decided_at;  // absent in files from other producers
  int priority = 3;
  std::string confidence;
  std::uint32_t fix_count = 0;
  std::optional<instant> end;
  std::uint64_t line = 0;
};

// An alert episode: the content of its last event, and every event. Types,
// rules and events are kept as text, so that alert types added to the
// engine later are read (and counted) without a change here.
struct alert_record {
  std::string alert_id;
  std::string type;   // FORMATS.md type: exclusion, curfew, unmonitored, ...
  std::string rule;   // warden's `rule` field (may be empty)
  std::string subject_id;
  std::string zone_id;  // empty for null
  std::optional<std::string> victim_id;
  instant start;
  std::optional<instant> end;
  int priority = 3;
  std::string confidence;
  std::uint32_t fix_count = 0;
  std::optional<double> max_depth_m;
  std::optional<double> min_distance_m;
  std::uint32_t rejected_fixes = 0;
  bool late_arrival = false;
  std::vector<evidence_fix> evidence;
  std::string zone_version;
  std::string engine;
  std::string params_json;    // compact JSON object ("{}" when absent)
  std::string schedule_json;  // compact JSON, empty when null
  std::vector<alert_record_event> history;  // file order

  bool retracted() const noexcept { return !history.empty() && history.back().event == "retracted"; }
};

// Reads alerts JSON Lines (FORMATS.md "Alerts"): episodes in order of first
// appearance, each with the content of its last event. A line that is not
// a JSON object with alert_id, event, type, subject_id and start is
// reported (json_syntax, bad_property, missing_field, bad_time) and
// skipped. Errors (file level): io_error.
result<std::vector<alert_record>> read_alert_log(const std::string& path, diagnostics& diag);
result<std::vector<alert_record>> parse_alert_log(std::string_view text, std::string_view name,
                                                  diagnostics& diag);

// One row of a matches CSV (FORMATS.md "Matches").
struct match_record {
  std::string crime_id;
  std::string subject_id;
  std::string status;  // present | passed | possible | ruled_out | no_data
  std::optional<double> min_distance_m;
  std::optional<instant> closest_time;
  double dwell_s = 0;
  std::optional<instant> first_time;
  std::optional<instant> last_time;
  std::uint32_t fix_count = 0;
  double score = 0;
  std::uint64_t line = 0;
};

// Reads a matches CSV (header required; columns in any order). Bad records
// are reported and skipped. Errors: io_error, empty_file, missing_column.
result<std::vector<match_record>> read_matches(const std::string& path, diagnostics& diag);

// ---------------------------------------------------------------------------
// The pack.

// A fix shown in a pack.
struct pack_fix {
  instant time;
  lat_lon pos;
  double accuracy_m = 0;  // 95% radius
  std::string source;     // gps | lbs | wifi, or empty when not known (trail stores)
  bool evidence = false;  // quoted by the alert / within the crime radius
  friend bool operator==(const pack_fix&, const pack_fix&) = default;
};

// The fixes of one subject (or victim device) with time in [from, to], from
// a fixes CSV or a trail store, in time order, exact duplicates dropped.
// Bad records of the CSV are reported. Errors: those of read_fixes.
result<std::vector<pack_fix>> load_pack_fixes(const std::string& fixes_csv, std::string_view subject_id,
                                              instant from, instant to, diagnostics& diag);
// A store keeps no source and rounds accuracy up (trail_store.hpp).
std::vector<pack_fix> pack_fixes_from_store(const trail_store& store, std::string_view subject_id, instant from,
                                            instant to);

struct pack_options {
  std::chrono::milliseconds context{std::chrono::minutes{30}};  // shown before and after the episode
  std::chrono::milliseconds gap{std::chrono::minutes{15}};      // consecutive fixes further apart: dashed
  bool victim_authorised = false;  // may the victim's positions be shown?
  tm_frame frame{};
};

struct pack_fact {
  std::string label;
  std::string value;
};

struct pack_event {
  instant time;
  std::string what;    // "opened", "closed", "fix 3 of 6", "window start", ...
  std::string detail;
};

enum class pack_kind : std::uint8_t { alert = 0, crime_match = 1 };
// "alert" | "crime_match".
std::string_view to_string(pack_kind k) noexcept;

struct evidence_pack {
  pack_kind kind = pack_kind::alert;
  std::string title;
  std::string reference_id;  // alert_id or crime_id
  std::string subject_id;
  instant episode_start;     // the `during` interval, closed
  instant episode_end;
  bool episode_open = false; // alert still open at the end of its file
  instant view_from;         // the fixes shown
  instant view_to;
  std::vector<pack_fact> facts;       // what was decided
  std::vector<pack_fact> parameters;  // the rule and the parameters that decided it
  std::vector<pack_event> timeline;   // time order
  std::vector<pack_fix> fixes;        // the subject's, time order

  // The area: a zone (polygons and/or a circle) or a crime's disc.
  std::string area_label;
  lat_lon_multipolygon area_polygons;
  std::optional<lat_lon> area_centre;  // circles and crimes
  double area_radius_m = 0;            // ground metres
  bool area_withheld = false;          // victim_home geometry not shown

  std::optional<std::string> victim_id;
  bool victim_authorised = false;
  std::vector<pack_fix> victim_fixes;  // only when authorised
  std::vector<pack_fact> victim_facts; // distance and bearing otherwise

  std::string zone_version;  // empty for crime matches
  std::string engine;        // the engine that decided (alert) / this library
  std::chrono::milliseconds gap{std::chrono::minutes{15}};
  tm_frame frame{};
};

// An alert pack. `z` is the alert's zone (nullptr for alerts without one or
// when it is unknown); `subject_fixes` and `victim_fixes` may cover more
// than the view (they are filtered to it). Evidence fixes of the alert are
// marked (and added when the fixes given do not hold them).
evidence_pack make_alert_pack(const alert_record& a, const zone* z, std::span<const pack_fix> subject_fixes,
                              std::span<const pack_fix> victim_fixes, const pack_options& opt);

// The matcher's settings quoted in a crime pack.
struct crime_pack_params {
  double radius_m = 100;          // the radius used for this crime (allowance included)
  double snap_allowance_m = 0;    // police.uk allowance included in radius_m
  double max_speed_mps = 40;
  std::chrono::milliseconds max_gap{std::chrono::minutes{15}};
};

// A crime-match pack: the crime's disc and window, the subject's fixes
// around the window, the match row.
evidence_pack make_crime_pack(const crime& c, const match_record& m, std::span<const pack_fix> subject_fixes,
                              const crime_pack_params& params, const pack_options& opt);

// The time range of fixes a pack wants (episode or window plus context).
std::pair<instant, instant> pack_view(const alert_record& a, const pack_options& opt);
std::pair<instant, instant> pack_view(const crime& c, const pack_options& opt);

std::string render_html(const evidence_pack& p);
std::string render_geojson(const evidence_pack& p);

// Writes text to a file (replacing it). Errors: io_error.
result<void> write_text_file(const std::string& path, std::string_view text);

}  // namespace warden
