// Internals of the monitoring engine (warden/monitor.hpp), shared by
// src/monitor*.cpp and the white-box tests.
#pragma once

#include <warden/alert.hpp>
#include <warden/curfew.hpp>
#include <warden/monitor.hpp>
#include <warden/motion_filter.hpp>
#include <warden/prepared_polygon.hpp>
#include <warden/schedule.hpp>
#include <warden/verdict.hpp>
#include <warden/zone.hpp>

#include <boost/container/small_vector.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace warden::detail {

inline constexpr std::int64_t never_ms = std::numeric_limits<std::int64_t>::max();
inline constexpr std::int64_t dawn_ms = std::numeric_limits<std::int64_t>::min() / 4;

// ---------------------------------------------------------------------------
// Curfew: the incremental twin of evaluate_curfew (src/curfew.cpp). Samples
// and window transitions must come in time order; the timeline between
// them is consumed as it becomes known, so an absence is known to be a
// breach as soon as its observed extent passes the grace period.

enum class curfew_event : std::uint8_t {
  absence_started, // an absence began (at ep_start)
  breach_opened,   // the ongoing absence just became longer than grace
  extended,        // an alerted absence grew
  closed,          // an absence ended (breach() says whether it was one)
};

struct curfew_timing {
  std::int64_t grace_ms;
  std::int64_t stale_ms;
  std::int64_t min_return_ms;
};

struct curfew_tracker {
  std::int64_t w0 = 0, w1 = 0;  // current window [w0, w1)
  std::int64_t cursor = 0;      // timeline consumed up to here
  std::int64_t last_t = 0;      // last sample
  std::int64_t ep_start = 0, last_out_end = 0, outside_ms = 0;
  std::uint32_t bridged = 0;
  std::uint32_t outside_samples = 0;
  presence last_state = presence::uncertain;
  std::uint8_t has_last = 0, in_window = 0, open = 0, alerted = 0, last_counted = 0;

  bool breach(const curfew_timing& c) const noexcept { return last_out_end - ep_start > c.grace_ms; }
  bool late_arrival() const noexcept { return ep_start == w0; }

  template <class F>
  void start_window(std::int64_t a, std::int64_t b, F&& on) {
    (void)on;
    w0 = a;
    w1 = b;
    cursor = a;
    in_window = 1;
    open = 0;
    alerted = 0;
  }
  template <class F>
  void end_window(const curfew_timing& c, F&& on) {
    if (!in_window) return;
    consume_until(w1, c, on);
    if (open) close(on);
    in_window = 0;
  }
  template <class F>
  void sample(std::int64_t t, presence p, const curfew_timing& c, F&& on) {
    if (in_window) consume_until(t, c, on);
    if (has_last && last_t == t) {
      if (last_state != p) last_state = presence::uncertain;
    } else {
      last_t = t;
      last_state = p;
      has_last = 1;
      last_counted = 0;
    }
  }
  template <class F>
  void consume_until(std::int64_t t, const curfew_timing& c, F&& on) {
    if (!in_window) return;
    if (t > w1) t = w1;
    if (t <= cursor) return;
    if (has_last) {
      const std::int64_t speak_end = last_state == presence::no_data ? never_ms : last_t + c.stale_ms;
      if (cursor < speak_end) {
        const std::int64_t e = std::min(t, speak_end);
        feed(cursor, e, last_state == presence::no_data ? presence::uncertain : last_state, last_state == presence::no_data, c, on);
        cursor = e;
      }
    }
    if (cursor < t) {
      feed(cursor, t, presence::uncertain, true, c, on);
      cursor = t;
    }
  }

 private:
  template <class F>
  void feed(std::int64_t s, std::int64_t e, presence p, bool unknown, const curfew_timing& c, F&& on) {
    if (!unknown && p == presence::outside) {
      if (!open) {
        open = 1;
        ep_start = s;
        bridged = 0;
        outside_ms = 0;
        outside_samples = 0;
        alerted = 0;
        on(curfew_event::absence_started, *this);
      } else if (s != last_out_end) {
        ++bridged;
      }
      outside_ms += e - s;
      last_out_end = e;
      if (!last_counted) {
        ++outside_samples;
        last_counted = 1;
      }
      if (!alerted && breach(c)) {
        alerted = 1;
        on(curfew_event::breach_opened, *this);
      } else if (alerted) {
        on(curfew_event::extended, *this);
      }
    } else if (open && e - last_out_end >= c.min_return_ms) {
      close(on);
    }
  }
  template <class F>
  void close(F&& on) {
    open = 0;
    on(curfew_event::closed, *this);
    alerted = 0;
  }
};
static_assert(std::is_trivially_copyable_v<curfew_tracker>);

// ---------------------------------------------------------------------------
// Records, episodes, state.

// A merged record, 24 bytes. Positions quantised to 1e-7 degree (~1 cm) at
// ingest so that live processing and replay see exactly the same numbers.
struct hrec {
  std::int64_t t_ms = 0;
  std::int32_t lat_e7 = 0;
  std::int32_t lon_e7 = 0;
  float accuracy_m = 0;
  std::uint8_t kind = 0;    // 0 fix, 1 device event
  std::uint8_t code = 0;    // fix_source or device_event_type
  std::uint8_t pad0 = 0, pad1 = 0;

  double lat_deg() const noexcept { return lat_e7 * 1e-7; }
  double lon_deg() const noexcept { return lon_e7 * 1e-7; }
};
static_assert(sizeof(hrec) == 24);

inline bool operator<(const hrec& a, const hrec& b) noexcept {
  if (a.t_ms != b.t_ms) return a.t_ms < b.t_ms;
  if (a.kind != b.kind) return a.kind < b.kind;
  if (a.lat_e7 != b.lat_e7) return a.lat_e7 < b.lat_e7;
  if (a.lon_e7 != b.lon_e7) return a.lon_e7 < b.lon_e7;
  if (a.accuracy_m != b.accuracy_m) return a.accuracy_m < b.accuracy_m;
  return a.code < b.code;
}
inline bool same_record(const hrec& a, const hrec& b) noexcept { return !(a < b) && !(b < a); }

// Frame distance from p to a box, metres (0 inside it). Nested std::max:
// GCC 12 does not inline the initializer-list form, a call per use.
inline double box_distance_m(const box& b, xy p) noexcept {
  const double dx = std::max(std::max(b.min.x_m - p.x_m, 0.0), p.x_m - b.max.x_m);
  const double dy = std::max(std::max(b.min.y_m - p.y_m, 0.0), p.y_m - b.max.y_m);
  return std::sqrt(dx * dx + dy * dy);
}

// Degrees to the stored 1e-7 degree units, rounding half away from zero
// (std::llround, which is a library call; this is two conversions and a
// subtraction). deg is a validated latitude or longitude, so deg * 1e7 is
// finite and far inside the int64 range, the truncation is exact and so is
// the fraction x - i.
inline std::int32_t quantise_deg(double deg) noexcept {
  const double x = deg * 1e7;
  auto i = static_cast<std::int64_t>(x);
  const double frac = x - static_cast<double>(i);
  if (frac >= 0.5)
    ++i;
  else if (frac <= -0.5)
    --i;
  return static_cast<std::int32_t>(i);
}

// Victim devices' fixes go through the motion filter like anyone's before
// they are victim positions. pad0 is the rejection mark (monitor_impl::mark);
// pad1 is 0 while the filter has not accepted the fix (held, or merged late
// and not replayed yet), else 1 + how far the effective accuracy exceeds the
// claimed radius, in 1/16 doublings rounded up (so never below the filter's
// figure). A victim fix is a position only when accepted and not rejected.
inline bool victim_usable(const hrec& r) noexcept { return r.kind == 0 && r.pad0 == 0 && r.pad1 != 0; }
inline double victim_accuracy_m(const hrec& r) noexcept {
  const double a = static_cast<double>(r.accuracy_m);
  return r.pad1 <= 1 ? a : a * std::exp2(static_cast<double>(r.pad1 - 1) / 16.0);
}
inline std::uint8_t victim_accuracy_code(double claimed_m, double effective_m) noexcept {
  if (!(effective_m > claimed_m) || !(claimed_m > 0)) return 1;
  const double steps = std::ceil(16.0 * std::log2(effective_m / claimed_m) - 1e-9);
  return static_cast<std::uint8_t>(1 + std::clamp(steps, 0.0, 254.0));
}

// 20 bytes, 4-aligned: the time is split so that the 16 evidence fixes of
// each episode (two per rule slot) do not pay 4 bytes of padding apiece,
// which keeps the live state per subject under 4 KiB.
struct ev_fix {
  std::uint32_t t_lo = 0;
  std::int32_t t_hi = 0;
  std::int32_t lat_e7 = 0, lon_e7 = 0;
  float accuracy_m = 0;

  std::int64_t t_ms() const noexcept {
    return static_cast<std::int64_t>((static_cast<std::uint64_t>(static_cast<std::uint32_t>(t_hi)) << 32) | t_lo);
  }
  void set_t_ms(std::int64_t t) noexcept {
    const auto u = static_cast<std::uint64_t>(t);
    t_lo = static_cast<std::uint32_t>(u);
    t_hi = static_cast<std::int32_t>(static_cast<std::uint32_t>(u >> 32));
  }
  bool operator==(const ev_fix&) const = default;
};
static_assert(sizeof(ev_fix) == 20);

inline constexpr std::size_t max_evidence = 16;

// An alert episode's content (what the alert events carry).
struct episode {
  std::uint64_t id = 0;
  std::int64_t start_ms = 0;
  std::int64_t end_ms = never_ms;  // never_ms while open
  std::int64_t decided_ms = 0;
  std::uint32_t fix_count = 0;
  std::uint32_t rejected = 0;
  float max_depth_m = -1;          // < 0: none
  std::uint8_t priority = 3;
  std::uint8_t confidence = 0;     // alert_confidence
  std::uint8_t late_arrival = 0;
  std::uint8_t n_ev = 0;
  std::array<ev_fix, max_evidence> ev{};
  // Proximity and unmonitored rules (issue 6).
  float min_distance_m = -1;       // < 0: none; closest approach (ground metres)
  float bearing_deg = 0;           // grid bearing from the victim to the subject at the closest approach
  float closing_mps = 0;           // rate the distance shrank at when the episode opened
  float ttc_s = -1;                // time to contact at that rate (< 0: not closing)
  float victim_age_s = 0;          // oldest victim position the episode relied on
  float reach_m = -1;              // unmonitored: reachable radius at the last decision
  ev_fix victim_fix{};             // victim position at the closest approach (authorised consumers)
  std::uint8_t flags = 0;          // episode_flag bits
  std::uint8_t n_reach = 0;
  std::uint8_t pad_ep[6] = {};     // explicit: checkpoints copy the bytes
  std::array<std::uint16_t, 6> reach{};  // silent approach targets: slot, or 0x8000 | link

  bool same_content(const episode& o) const noexcept {
    if (start_ms != o.start_ms || end_ms != o.end_ms || fix_count != o.fix_count || rejected != o.rejected ||
        max_depth_m != o.max_depth_m || priority != o.priority || confidence != o.confidence ||
        late_arrival != o.late_arrival || n_ev != o.n_ev || min_distance_m != o.min_distance_m ||
        bearing_deg != o.bearing_deg || closing_mps != o.closing_mps || ttc_s != o.ttc_s ||
        victim_age_s != o.victim_age_s || reach_m != o.reach_m || !(victim_fix == o.victim_fix) ||
        flags != o.flags || n_reach != o.n_reach || reach != o.reach)
      return false;
    for (std::size_t i = 0; i < n_ev; ++i)
      if (!(ev[i] == o.ev[i])) return false;
    return true;
  }
};
static_assert(std::is_trivially_copyable_v<episode>);
static_assert(sizeof(episode) % 8 == 0);
static_assert(sizeof(episode) == 432);  // no implicit padding (checkpoints copy the bytes)

enum episode_flag : std::uint8_t {
  ep_victim_stale = 1,     // a deciding victim position was stale
  ep_silent_approach = 2,  // the reachable area touched a target
  ep_cause_offline = 4,    // unmonitored: the device reported device_offline during the silence
  ep_cause_no_gps = 8,     // unmonitored: the device reported no_gps during the silence
};

enum class phase : std::uint8_t { clear = 0, candidate = 1, open = 2 };

// One (subject, zone) rule.
struct slot_state {
  // Schedule: activity is `sched_active` until `sched_next_ms`.
  std::int64_t sched_next_ms = never_ms;
  std::uint8_t sched_init = 0, sched_active = 1;
  phase ph = phase::clear;
  std::uint8_t run_count = 0, exit_count = 0, last_verdict = 0xff;  // verdict or 0xff
  std::uint8_t alerted = 0;         // curfew: an episode is published
  std::uint8_t pad = 0;
  std::int64_t run_start_ms = 0, run_last_ms = 0, exit_start_ms = 0;
  std::uint32_t rejected_at_open = 0;
  std::uint8_t ev_mark = 0;         // evidence count before the current exit run
  std::uint8_t pad2[3] = {};
  float cf_acc_m = 0;               // curfew: the last sample's effective accuracy
  float cf_depth_m = 0;             // and how far outside it was
  hrec cf_rec{};                    // the last sample (evidence when its absence starts)
  curfew_tracker cf;
  episode cur;   // the episode being built (candidate or open)
  episode pub;   // its content at the last published transition
};
static_assert(std::is_trivially_copyable_v<slot_state>);

// Rules that are not (subject, zone) slots: device health, unmonitored
// time and the two proximity tiers of each link. Index in subject_live::aux.
enum aux_index : std::uint32_t {
  aux_unmonitored = 0,
  aux_tamper = 1,
  aux_battery_low = 2,
  aux_battery_critical = 3,
  aux_no_gps = 4,
  aux_offline = 5,
  aux_links = 6,  // then 2 per link: warning, alert
};

struct aux_state {
  phase ph = phase::clear;
  std::uint8_t run_count = 0, exit_count = 0, ev_mark = 0;
  std::uint32_t rejected_at_open = 0;
  std::int64_t run_start_ms = 0, run_last_ms = 0, exit_start_ms = 0;
  episode cur;
  episode pub;
};
static_assert(std::is_trivially_copyable_v<aux_state>);

// A position of the subject waiting for the proximity decision (which lags
// event time by stale_after, so that the victim's fixes around it are in).
struct link_sample {
  std::int64_t t_ms = 0;
  double x_m = 0, y_m = 0;
  float accuracy_m = 0;
  std::int32_t lat_e7 = 0, lon_e7 = 0;
  std::uint8_t weak = 0;
  std::uint8_t pad[3] = {};
};

inline constexpr std::size_t max_pending_samples = 16;

struct proj_entry {
  std::int64_t t_ms = dawn_ms;
  std::int32_t lat_e7 = 0, lon_e7 = 0;
  double x_m = 0, y_m = 0;
};

// Victim devices' recent fixes as projected for their motion filter, newest
// last in a ring: linked subjects' proximity samples, which need the
// victim's fixes around each of their own, read them instead of projecting
// the same fixes again.
struct victim_proj_ring {
  static constexpr std::uint32_t size = 16;
  std::array<proj_entry, size> e{};
  std::uint32_t next = 0;
  void put(const proj_entry& x) noexcept {
    e[next] = x;
    next = (next + 1) % size;
  }
  // Newest first: the fixes asked for are almost always the last few.
  const proj_entry* find(std::int64_t t_ms, std::int32_t lat_e7, std::int32_t lon_e7) const noexcept {
    for (std::uint32_t i = 1; i <= size; ++i) {
      const proj_entry& x = e[(next + size - i) % size];
      if (x.t_ms == t_ms && x.lat_e7 == lat_e7 && x.lon_e7 == lon_e7) return &x;
    }
    return nullptr;
  }
};

struct link_state {
  std::int64_t decided_ms = dawn_ms;   // samples up to here are decided
  // The victim's last two fixes, projected: consecutive samples mostly
  // interpolate between the same two.
  std::array<proj_entry, 2> proj{};
  std::uint32_t proj_next = 0, pad2 = 0;
  std::int64_t last_eval_ms = dawn_ms; // previous sample (closing speed)
  double last_dist_m = -1;
  link_sample prev{};                  // last decided subject sample
  std::uint8_t has_prev = 0, n_pending = 0;
  std::uint8_t pend_head = 0;          // pending is a ring: the oldest sample is at pend_head
  // 0: both proximity tiers of the link are clear, so a sample beyond both
  // radii needs nothing from subject_live::prox (1: they may not be).
  std::uint8_t active = 0;
  std::uint8_t pad[4] = {};
  std::array<link_sample, max_pending_samples> pending{};

  // The i-th oldest pending sample.
  link_sample& pend(std::size_t i) noexcept { return pending[(pend_head + i) % max_pending_samples]; }
  const link_sample& pend(std::size_t i) const noexcept { return pending[(pend_head + i) % max_pending_samples]; }
  void push_pending(const link_sample& x) noexcept {
    pending[(pend_head + n_pending) % max_pending_samples] = x;
    ++n_pending;
  }
  void pop_pending() noexcept {
    pend_head = static_cast<std::uint8_t>((pend_head + 1) % max_pending_samples);
    --n_pending;
  }
};
static_assert(max_pending_samples <= 255);
static_assert(std::is_trivially_copyable_v<link_state>);

// The replayable per-subject decision state.
struct subject_live {
  std::int64_t clock_ms = dawn_ms;        // processed up to here
  std::int64_t next_snapshot_ms = dawn_ms;
  std::int64_t next_timer_ms = never_ms;
  motion_filter filter;
  hrec held{};                            // the record the filter holds
  hrec last{};                            // last accepted fix
  xy last_xy{};
  double last_acc_m = 0;
  std::uint32_t rejected_total = 0;
  std::uint8_t has_last = 0;
  // Issue 6: device state and unmonitored time.
  std::uint8_t rf_in_range = 0, charging = 0, has_fix = 0, explained = 0;
  std::int64_t last_fix_ms = dawn_ms;      // last valid fix (any source, any motion decision)
  std::int64_t unexplained_ms = dawn_ms;   // when the current explanation ended
  hrec last_fix{};
  std::vector<slot_state> slots;
  // aux_index states, each vector empty while all its rules are clear (and
  // always for victim devices): aux the device and unmonitored rules, prox
  // the two proximity tiers of each link.
  std::vector<aux_state> aux;
  std::vector<aux_state> prox;
  std::vector<link_state> link_st;         // one per link of the subject
};

struct snapshot {
  std::int64_t t_ms;
  subject_live state;
};

struct published {
  std::uint32_t slot = 0;
  alert_rule rule = alert_rule::exclusion;
  bool open = true;
  std::int64_t last_decided_ms = 0;
  episode ep;
};

struct subject {
  std::string id;
  risk_level risk = risk_level::medium;
  // Inline (small_vector): read on every fix, a separate allocation would
  // cost a cache miss each time.
  boost::container::small_vector<std::uint32_t, 4> zones;   // prepared zone index per slot
  boost::container::small_vector<std::uint16_t, 4> params;  // params table index per slot
  subject_live live;
  std::vector<hrec> history;          // sorted
  // Victim devices only (a cache keyed by the whole record, so never stale;
  // not part of the checkpoint).
  std::unique_ptr<victim_proj_ring> vproj;
  std::vector<snapshot> snaps;        // sorted by t_ms; front is the base
  std::vector<published> pubs;
  std::int64_t dirty_from = never_ms;
  std::int64_t max_time_ms = dawn_ms;
  std::int64_t max_fix_ms = dawn_ms;  // latest valid fix merged (the unmonitored query)
  std::map<errc, std::uint64_t> set_aside;
  boost::container::small_vector<std::uint32_t, 1> links;      // monitor_impl::links index per link of this subject
  boost::container::small_vector<std::uint32_t, 1> victim_of;  // victim devices: the links naming this device
  std::uint32_t victim_device = 0;    // 1: a victim device (no rules of its own)
  std::uint32_t absence = UINT32_MAX; // monitor_impl::absences index (scheduled absences), or none
};

struct prepared_zone {
  std::string zone_id;
  std::string version;
  zone_kind kind = zone_kind::exclusion;
  breach_side side = breach_side::inside;
  bool polygonal = true;
  prepared_polygon poly;
  circle disc;
  box bounds;
  double tolerance_m = 0;
  bool scheduled = false;
  schedule sched;
  std::string schedule_json;
  std::optional<std::string> victim_id;
  bool everyone = false;
  std::vector<std::string> subjects;
};

struct params_entry {
  rule_params p;
  std::string json_hysteresis;
  std::string json_curfew;
  std::string json_transit;
};

struct transparent_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    std::uint64_t h = 14695981039346656037ull;
    for (const char c : s) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ull;
    }
    return static_cast<std::size_t>(h ^ (h >> 29));
  }
};

// Where a processing step sends its transitions.
struct replay_entry {
  std::uint32_t slot;
  alert_rule rule;
  bool open;
  std::int64_t last_decided_ms;
  episode ep;
};

class monitor_impl {
 public:
  monitor_config cfg;
  std::vector<prepared_zone> zones;
  std::vector<victim_link> links;
  std::vector<params_entry> params;
  std::vector<std::uint32_t> everyone_zones;
  std::map<std::string, std::vector<std::uint32_t>, std::less<>> named_zones;  // subject -> zones naming it
  std::vector<std::string> victim_ids;  // sorted: victim devices have no zone rules
  // victim id -> links naming it (sorted by victim id, then link index).
  std::vector<std::pair<std::string, std::uint32_t>> victim_links;
  std::vector<std::pair<std::string, std::uint32_t>> subject_links;  // subject id -> link, sorted
  // Per link, once the subjects exist: index of the victim device's and of
  // the linked subject's state, and the link's position in subject::links.
  std::vector<std::uint32_t> link_victim, link_subject, link_slot;
  // Per link, never below the linked subject's link_state::decided_ms (a
  // replay may lower that one): lets a victim fix skip the subject's state.
  std::vector<std::int64_t> link_decided;
  // Per link: warning_m, alert_m. A compact copy of `links` for the hot path.
  std::vector<std::array<double, 2>> link_radii_m;
  // Per link: the victim device's subject::max_fix_ms (dawn_ms until it has
  // one), so that deciding a subject's samples does not touch the victim.
  std::vector<std::int64_t> link_victim_fix_ms;
  std::vector<std::string> ordered_subjects;  // sorted ids with an order (zones naming them, links, config)
  std::string json_proximity, json_unmonitored, json_device;
  // Scheduled absences (subject_orders::absences), compiled once; a subject
  // with some holds its index in subject::absence.
  std::vector<std::vector<schedule>> absences;
  std::map<std::string, std::uint32_t, std::less<>> absence_index;
  std::unordered_map<std::string, std::uint32_t, transparent_hash, std::equal_to<>> index;
  // Open-addressing table over `subjects` for the hot path (slot = index + 1).
  std::vector<std::uint32_t> table;
  std::uint32_t find_subject(std::string_view id) const noexcept {
    if (table.empty()) return UINT32_MAX;
    const std::size_t mask = table.size() - 1;
    for (std::size_t h = transparent_hash{}(id) & mask;; h = (h + 1) & mask) {
      const std::uint32_t v = table[h];
      if (v == 0) return UINT32_MAX;
      if (subjects[v - 1].id == id) return v - 1;
    }
  }
  void table_insert(std::uint32_t k) {
    if ((subjects.size() + 1) * 2 > table.size()) {
      std::vector<std::uint32_t> t(std::max<std::size_t>(64, table.size() * 2), 0);
      table.swap(t);
      for (std::uint32_t i = 0; i < subjects.size(); ++i)
        if (i != k) place(i);
    }
    place(k);
  }
  void place(std::uint32_t k) {
    const std::size_t mask = table.size() - 1;
    std::size_t h = transparent_hash{}(subjects[k].id) & mask;
    while (table[h] != 0) h = (h + 1) & mask;
    table[h] = k + 1;
  }
  std::vector<subject> subjects;
  alert_sink* sink = nullptr;
  monitor_counters counters;
  std::int64_t watermark_ms = dawn_ms;
  std::int64_t max_time_ms = dawn_ms;
  std::uint64_t fingerprint = 0;

  // Replay mode collects transitions instead of publishing them.
  bool replaying = false;
  std::vector<replay_entry> replay_log;

  result<void> init(std::vector<zone> zs);
  subject& subject_for(std::string_view id);
  errc push_fix(const fix& f);
  // push_fix once the subject is known (index into subjects).
  errc push_fix_to(const fix& f, std::uint32_t k);
  // False when a record of `id` is to be set aside as subject_limit: a new
  // id beyond cfg.max_subjects without an order (ids with an order and
  // victim devices are bounded by the configuration, and never refused).
  bool admit_subject(std::string_view id) const noexcept {
    if (cfg.max_subjects == 0 || subjects.size() < cfg.max_subjects || find_subject(id) != UINT32_MAX) return true;
    return std::binary_search(ordered_subjects.begin(), ordered_subjects.end(), id) ||
           std::binary_search(victim_ids.begin(), victim_ids.end(), id);
  }
  std::size_t push_batch(std::span<const fix> fs, std::span<errc> out);
  errc push_event(const device_event& e);
  // Software prefetch of the subject's hot lines (struct, then the heap
  // blocks its struct points to): hides the memory latency of the next
  // subjects while the current one is processed.
  void prefetch_subject(std::uint32_t k) const noexcept;
  void prefetch_subject_heap(std::uint32_t k) const noexcept;
  // push_batch scratch, kept between batches (first/last fix per subject
  // index, UINT32_MAX when the subject has none in the current batch).
  std::vector<std::uint32_t> batch_first, batch_last, batch_next, batch_subject, batch_order;
  std::vector<std::size_t> batch_hash;
  void advance(std::int64_t w);
  void flush();

  // Processing (event-time order within one subject).
  void merge(subject& s, const hrec& r);
  void process(subject& s, const hrec& r);
  void advance_subject(subject& s, std::int64_t w);
  void maybe_snapshot(subject& s, std::int64_t t);
  void run_timers(subject& s, std::int64_t t);
  void init_schedules(subject& s, std::int64_t t);
  void slot_transition(subject& s, std::uint32_t k, std::int64_t t, bool becomes_active);
  void apply_fix(subject& s, const hrec& r, xy p, double acc_m, bool inflated);
  void curfew_callback(subject& s, std::uint32_t k, curfew_event ev, const curfew_tracker& c, std::int64_t now_ms);
  void mark(subject& s, const hrec& r, bool rejected);
  // Where the last mark() found its record in the subject's history (a hint
  // for victim_accepted, checked before use).
  std::size_t mark_pos = SIZE_MAX;
  void resolve(subject& s);
  void trim(subject& s, std::int64_t horizon_ms);

  // Episodes and publication.
  std::uint8_t priority_of(const subject& s, std::uint32_t k, alert_rule rule, const episode& e,
                           std::int64_t now_ms) const noexcept;
  void add_evidence(episode& e, const hrec& r, double acc_m) const noexcept;
  void transition(subject& s, std::uint32_t k, alert_rule rule, alert_event_kind kind, episode& e,
                  std::int64_t decided_ms);
  void publish(const subject& s, std::uint32_t slot, alert_rule rule, alert_event_kind kind, const episode& e,
               std::int64_t decided_ms);
  alert_type type_of(std::uint32_t zone, alert_rule rule) const noexcept;

  // Issue 6 rules (src/monitor_aux.cpp).
  std::uint32_t nslots(const subject& s) const noexcept { return static_cast<std::uint32_t>(s.live.slots.size()); }
  episode& cur_of(subject& s, std::uint32_t k) noexcept;
  episode& pub_of(subject& s, std::uint32_t k) noexcept;
  void init_aux(subject& s, std::uint32_t k);
  aux_state& aux_at(subject& s, std::uint32_t a);
  static const aux_state* aux_ptr(const subject_live& L, std::uint32_t a) noexcept {
    const std::vector<aux_state>& v = a < aux_links ? L.aux : L.prox;
    return v.empty() ? nullptr : &v[a < aux_links ? a : a - aux_links];
  }
  static bool aux_is(const subject& s, std::uint32_t a, phase p) noexcept {
    const aux_state* x = aux_ptr(s.live, a);
    return x ? x->ph == p : p == phase::clear;
  }
  void device_event_rule(subject& s, const hrec& r);
  void fix_seen(subject& s, const hrec& r);
  void device_rules_on_fix(subject& s, const hrec& r);
  void aux_accepted_fix(subject& s, const hrec& r, xy p, double acc_m, bool weak);
  void check_gap(subject& s, std::int64_t now_ms);
  std::uint8_t no_gps_into_silence(subject& s, std::int64_t silence_start_ms, std::int64_t now_ms);
  std::int64_t unexplained_start(const subject& s, std::int64_t from_ms, std::int64_t now_ms,
                                 std::int64_t gap_ms) const noexcept;
  void aux_open(subject& s, std::uint32_t a, alert_rule rule, std::int64_t start_ms, std::int64_t now_ms,
                std::int64_t eval_ms, std::uint8_t flags = 0);
  std::int64_t gap_milestone(std::int64_t start_ms, std::int64_t now_ms, std::uint8_t& level) const noexcept;
  void aux_close(subject& s, std::uint32_t a, alert_rule rule, std::int64_t end_ms, std::int64_t now_ms);
  std::uint8_t aux_priority(const subject& s, std::uint32_t a, const episode& e, std::int64_t now_ms) const noexcept;
  void silent_approach(const subject& s, episode& e, std::int64_t now_ms) const;
  void decide_links(subject& s, std::int64_t upto_ms, bool all);
  void link_sample_at(subject& s, std::uint32_t j, std::int64_t t, xy o, double o_acc, bool o_weak,
                      const link_sample* ofix, std::size_t vhint = SIZE_MAX);
  void victim_fix_merged(const subject& victim, const hrec& r);
  void victim_fix_changed(const subject& victim, std::size_t at);  // at: index in its history
  void victim_accepted(subject& victim, const hrec& r, double acc_m);
  std::int64_t link_horizon(const subject& s, std::int64_t now_ms) const noexcept;
  alert_rule aux_rule(std::uint32_t a) const noexcept;
  void aux_publish_fields(const subject& s, std::uint32_t a, const episode& e, alert_event& out) const;

  std::string serialize(std::string_view app_data) const;
  result<void> deserialize(std::string_view bytes, std::string* app_data);
  std::uint64_t compute_fingerprint() const;
};

}  // namespace warden::detail
