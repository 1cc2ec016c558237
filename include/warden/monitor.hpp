// warden/monitor.hpp — the monitoring engine: fixes and device events in,
// alert episodes with evidence out (DESIGN.md capability 5, FORMATS.md
// "Alerts"). docs/engine.md gives the rules, the defaults and why.
//
//   warden::monitor_config cfg;                      // defaults: docs/engine.md
//   auto m = warden::monitor::create(zones, links, cfg);
//   if (!m) report(m.err());
//   m->set_sink(&my_sink);                           // receives alert events
//   m->push(fix);                                    // any order, event time decides
//   m->advance(watermark);                           // "event time W has passed"
//   m->flush();                                      // end of input
//
// Rules (per subject, per zone that applies to the subject):
// - exclusion / victim_home: an episode opens when confirm_fixes consecutive
//   accepted fixes are `inside` (uncertain fixes neither count nor break the
//   run; consecutive fixes of the run at most max_gap apart), or when a run
//   of two or more has lasted confirm_dwell; it starts at the run's first
//   fix. It closes at the first of exit_fixes consecutive `outside` fixes.
// - inclusion: the mirror image (breach = outside).
// - curfew_home: only inside the zone's schedule windows, with the
//   semantics of warden/curfew.hpp (grace, min_return, stale_after, late
//   arrival), so `warden check` and evaluate_curfew never disagree.
// - transit: the straight path between two consecutive accepted fixes, both
//   `outside` an exclusion zone, crosses it with the chord's midpoint deeper
//   than both fixes' accuracy: one closed, lower-priority episode whose
//   evidence includes the entry point.
// - proximity_warning / proximity (victim links): the time-aligned distance
//   between subject and victim device, both accuracy radii counted, within
//   warning_m / alert_m for confirm_fixes samples; exit with a margin.
// - unmonitored: no valid fix for longer than the gap, unless explained (at
//   home in RF range and charging, or a scheduled absence of the subject's
//   orders); priority rises with duration, risk and a silent approach (the
//   area reachable since the last fix touches a victim home, the victim's
//   last position or an exclusion zone). One silence, one episode: a
//   device_offline report opens it at once and no_gps is named in its
//   evidence, never a second alert (docs/engine.md).
// - tamper, battery_low, battery_critical, no_gps: device events as
//   deduplicated episodes, open until the clearing event (no_gps only while
//   fixes of other sources keep coming).
// Victim devices' fixes go through the same motion filter before they are
// victim positions (rejected and held fixes are none).
// Verdicts are accuracy-aware (warden/verdict.hpp) with the effective
// accuracy from the motion filter (warden/motion_filter.hpp); rejected fixes
// never open or close anything.
//
// Event time: each subject's records are kept, sorted, for allowed_lateness
// behind the watermark, with state snapshots every snapshot_interval. A
// record older than the subject's processed time is merged and the subject
// is re-decided from the snapshot before it (at its next in-order record, or
// at advance/flush); conclusions that change are published as `amended`,
// `retracted`, or `opened` for episodes that only the late data reveals.
// Records older than watermark - allowed_lateness, and fixes whose
// received time is more than allowed_lateness after their own time, are
// too_late: counted and handed to the sink, never silently dropped. The final alert set does not
// depend on arrival order within the lateness (tests/monitor_permutation_test).
//
// Alert ids: make_alert_id(subject, rule, zone, start) with the episode's
// start when it is first published; amendments keep the id even when late
// data moves the start (people may already be acting on it).
//
// Checkpoints: checkpoint() writes the whole state to a versioned,
// checksummed file atomically (temp file, fsync, rename); restore() into a
// monitor created with the same zones and configuration continues exactly
// as if never stopped. Damaged, truncated, wrong-version or mismatched
// checkpoints are refused with errc::bad_checkpoint.
//
// Units: metres, milliseconds, UTC instants. Boundaries: zones cover their
// boundary; schedule windows are [start, end).
// Thread-safety: a monitor is not synchronised; use one per thread (shard
// subjects across monitors) or guard it. Sinks are called from push /
// advance / flush on the calling thread.
#pragma once

#include <warden/alert.hpp>
#include <warden/frame.hpp>
#include <warden/motion_filter.hpp>
#include <warden/records.hpp>
#include <warden/result.hpp>
#include <warden/schedule.hpp>
#include <warden/time.hpp>
#include <warden/zone.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace warden {

enum class risk_level : std::uint8_t { low = 0, medium = 1, high = 2 };
std::string_view to_string(risk_level r) noexcept;

// Rule parameters (docs/engine.md explains every default).
struct rule_params {
  std::uint32_t confirm_fixes = 2;                                     // N consecutive breach verdicts
  std::chrono::milliseconds confirm_dwell{std::chrono::minutes{3}};     // or a run of >= 2 lasting this
  std::uint32_t exit_fixes = 2;                                        // M consecutive clear verdicts
  std::chrono::milliseconds max_gap{std::chrono::minutes{10}};          // longest gap inside one run
  std::chrono::milliseconds curfew_grace{std::chrono::minutes{15}};
  std::chrono::milliseconds curfew_stale_after{std::chrono::minutes{10}};
  std::chrono::milliseconds curfew_min_return{std::chrono::minutes{2}};
  bool transit = true;
  double transit_min_depth_m = 10.0;                                   // chord midpoint depth floor
  std::chrono::milliseconds transit_max_gap{std::chrono::minutes{10}};  // longer gaps: path unknown
  friend bool operator==(const rule_params&, const rule_params&) = default;
};

// Partial overrides, applied on top of the defaults: zone, then subject,
// then subject-and-zone.
struct rule_overrides {
  std::optional<std::uint32_t> confirm_fixes;
  std::optional<std::chrono::milliseconds> confirm_dwell;
  std::optional<std::uint32_t> exit_fixes;
  std::optional<std::chrono::milliseconds> max_gap;
  std::optional<std::chrono::milliseconds> curfew_grace;
  std::optional<std::chrono::milliseconds> curfew_stale_after;
  std::optional<std::chrono::milliseconds> curfew_min_return;
  std::optional<bool> transit;
  std::optional<double> transit_min_depth_m;
  void apply(rule_params& p) const noexcept;
};

struct subject_orders {
  risk_level risk = risk_level::medium;
  rule_overrides rules;
  std::map<std::string, rule_overrides, std::less<>> zone_rules;  // by zone_id
  // Scheduled absences (a probation appointment, a work shift): silence
  // inside one is explained, like being at home in RF range and charging.
  // A silence that outlasts it is unmonitored from the absence's end, once
  // it has lasted unmonitored.gap beyond it (docs/engine.md "Explained").
  // Same format and clock-change rules as a zone's schedule.
  std::vector<schedule_spec> absences;
};

// Victim proximity (links): each offender fix is compared with the victim
// device's position at that instant, interpolated between the victim's
// fixes, and each victim fix with the offender's interpolated position.
struct proximity_params {
  // A victim position further than this from the victim's nearest fix in
  // time is stale: decided on the last known position, and the alert says
  // so (evidence.proximity.victim_stale, confidence probable).
  std::chrono::milliseconds stale_after{std::chrono::minutes{5}};
  // Older than this, the victim's position is unknown: no decision.
  std::chrono::milliseconds max_age{std::chrono::hours{1}};
  std::uint32_t confirm_fixes = 2;   // consecutive samples certainly within the radius
  std::uint32_t exit_fixes = 2;      // consecutive samples certainly beyond radius + exit_margin_m
  double exit_margin_m = 50.0;       // hysteresis on exit
  std::chrono::milliseconds max_gap{std::chrono::minutes{10}};  // longest gap inside one run
  // The consumer may see the victim's position (evidence.proximity.victim_fix).
  // Otherwise distance and a compass bearing only.
  bool authorised = false;
  friend bool operator==(const proximity_params&, const proximity_params&) = default;
};

// Unmonitored time and device health.
struct unmonitored_params {
  std::chrono::milliseconds gap{std::chrono::minutes{15}};  // no valid fix for longer: unmonitored
  // Silent approach: during a gap the subject may be anywhere within
  // max_speed_mps x elapsed of the last fix (50 km/h: urban driving).
  double max_speed_mps = 13.9;
  // A gap while the home unit has the tag in RF range and it is charging is
  // explained (the person is at home), not unmonitored.
  bool rf_charging_explains = true;
  friend bool operator==(const unmonitored_params&, const unmonitored_params&) = default;
};

struct monitor_config {
  tm_frame frame{};
  std::chrono::milliseconds allowed_lateness{std::chrono::hours{24}};
  std::chrono::milliseconds future_tolerance{std::chrono::minutes{5}};  // vs received time / watermark
  double max_accuracy_m = 5000.0;                 // larger claimed radii: bad_accuracy
  std::chrono::milliseconds snapshot_interval{std::chrono::hours{2}};
  std::size_t max_evidence_fixes = 6;             // 3..16
  // Resource limit (docs/reliability.md "Resource limits"): records of a new
  // subject id beyond this many subjects are set aside as subject_limit
  // (counted, handed to the sink), except for ids with an order (named by a
  // zone, a link or `subjects`) and victim devices, which are always taken.
  // About 15 KiB per subject at one fix a minute with 24 h of lateness.
  // 0 = unlimited.
  std::size_t max_subjects = 2'000'000;
  motion_filter_params motion;
  rule_params rules;
  proximity_params proximity;
  unmonitored_params unmonitored;
  std::map<std::string, rule_overrides, std::less<>> zone_rules;  // by zone_id
  std::map<std::string, subject_orders, std::less<>> subjects;    // by subject_id
};

// A subject who is not being monitored (monitor::unmonitored_now).
struct unmonitored_subject {
  std::string subject_id;
  std::optional<instant> last_fix;  // nullopt: has an order but never sent a valid fix
  std::optional<instant> since;     // last_fix; nullopt when never reported
  bool explained = false;           // at home in RF range and charging, or a scheduled absence covers the silence
};

// Reads a configuration file (JSON; format in docs/engine.md) on top of
// `base`. Errors: io_error, json_syntax, bad_property (with a message).
result<monitor_config> read_monitor_config(const std::string& path, monitor_config base = {});
result<monitor_config> parse_monitor_config(std::string_view json_text, monitor_config base = {});

// Where alert events and set-aside records go.
class alert_sink {
 public:
  virtual ~alert_sink() = default;
  virtual void on_alert(const alert_event& e) = 0;
  // A record that was not merged (too_late, bad, duplicate) — kept for the
  // trail store or an audit file. Default: ignored.
  virtual void on_set_aside(const fix& f, errc reason) { (void)f, (void)reason; }
};

struct monitor_counters {
  std::uint64_t fixes = 0;             // pushed
  std::uint64_t device_events = 0;     // pushed
  std::uint64_t merged = 0;            // kept in a history and decided
  std::uint64_t late_merged = 0;       // of which arrived after their subject's processed time
  std::uint64_t replays = 0;           // re-decisions after late data
  std::uint64_t motion_rejected = 0;   // impossible_jump (kept as evidence, never decides)
  std::map<errc, std::uint64_t> set_aside;  // bad / too_late / duplicate, by reason
  std::map<std::pair<alert_type, alert_event_kind>, std::uint64_t> alerts;
};

// Memory of the engine state, bytes (measured, not estimated).
struct monitor_memory {
  std::size_t subjects = 0;
  std::size_t live_bytes = 0;      // per-subject decision state and bookkeeping
  std::size_t history_bytes = 0;   // merged records within the lateness horizon
  std::size_t snapshot_bytes = 0;  // replay snapshots
  std::size_t published_bytes = 0; // episodes that late data may still amend
  std::size_t zone_bytes = 0;      // prepared zones (shared by all subjects)
  std::size_t batch_bytes = 0;     // push_batch's scratch, kept between batches (~16 B per fix of the largest batch)
};

namespace detail {
class monitor_impl;
}

class monitor {
 public:
  // Prepares every zone once (shared by the subjects it applies to).
  // Errors: usage (bad configuration), bad_geometry / bad_schedule (a zone
  // that cannot be prepared, with its id).
  static result<monitor> create(std::vector<zone> zones, std::vector<victim_link> links, monitor_config config);

  monitor(monitor&&) noexcept;
  monitor& operator=(monitor&&) noexcept;
  ~monitor();

  void set_sink(alert_sink* sink) noexcept;

  // One record. Returns ok when it was merged (whatever it decides), or the
  // reason it was set aside: duplicate_record, too_late, bad_accuracy,
  // time_out_of_range, future_time, gps_week_rollover, bad_id, subject_limit. A motion-
  // filter rejection is decided later and counted as impossible_jump.
  errc push(const fix& f);
  errc push(const device_event& e);
  // A batch of fixes, as a service ingests them (one read of its queue).
  // Each fix gets exactly the checks and the result push(f) would give it
  // (written to results[i] when `results` is not empty; it must then be as
  // long as `fixes`, else std::invalid_argument is thrown before anything
  // is pushed); returns how many were merged. For speed the batch is
  // processed grouped by subject, so that a subject's state is fetched from
  // memory once per batch instead of once per fix: a subject's fixes keep
  // their order in the batch; victim devices' groups come first, then the
  // others, each in the order of the subject's first fix in the batch; new
  // subjects are created in order of first appearance, as push(f) would.
  // Fixes set aside before they reach a subject (bad_id, subject_limit)
  // are handed to the sink first, in batch order. Alert events and the
  // other set-aside calls come in the group order (deterministic), so
  // they can interleave across subjects differently from pushing the same
  // fixes one by one; per subject, and the final alert set, are the same
  // (tests/monitor_batch_test.cpp). A fix of a victim device and one of its
  // linked subject in the same batch are treated as if the victim's had
  // arrived first (proximity decisions never depend on upload order).
  // Thread-safety: as push(f).
  std::size_t push_batch(std::span<const fix> fixes, std::span<errc> results = {});

  // Event time `watermark` has passed: fires schedule transitions, decides
  // held fixes whose lookahead expired, re-decides subjects with late data,
  // and trims history older than watermark - allowed_lateness. Watermarks
  // never go backwards (an older one is ignored).
  void advance(instant watermark);
  // End of input: re-decides every subject with pending late data and
  // advances to the latest event time seen. Open episodes stay open.
  void flush();

  instant watermark() const noexcept;
  const monitor_counters& counters() const noexcept;
  monitor_memory memory() const;
  std::size_t subject_count() const noexcept;
  // Who is not being monitored at `now`: every subject with an order (named
  // by a zone, a link or the configuration's `subjects`) or with records,
  // victim devices excepted, whose last valid fix is older than `gap`
  // (default: the configured unmonitored gap) or who never sent one.
  // Sorted: never reported first, then oldest last fix, then id.
  std::vector<unmonitored_subject> unmonitored_now(instant now,
                                                   std::optional<std::chrono::milliseconds> gap = {}) const;
  // Set-aside counts of one subject, by reason (empty for an unknown id).
  std::map<errc, std::uint64_t> subject_set_aside(std::string_view subject_id) const;

  // Checkpoint to a file (atomic) or to bytes; restore from either.
  // `app_data` is stored with the state and given back by restore (e.g. the
  // caller's input position). Errors: io_error, bad_checkpoint. A failed
  // restore leaves the monitor as it was.
  result<void> checkpoint(const std::string& path, std::string_view app_data = {}) const;
  std::string checkpoint_bytes(std::string_view app_data = {}) const;
  result<void> restore(const std::string& path, std::string* app_data = nullptr);
  result<void> restore_bytes(std::string_view bytes, std::string* app_data = nullptr);

 private:
  explicit monitor(std::unique_ptr<detail::monitor_impl> impl) noexcept;
  std::unique_ptr<detail::monitor_impl> impl_;
};

}  // namespace warden
