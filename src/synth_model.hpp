// Internals of the scenario generator: the people, their orders and devices,
// and the run context shared by synth_plan.cpp (who they are, what they do
// each day) and synth.cpp (the simulation and the files).
#pragma once

#include "synth_internal.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <map>
#include <memory>

namespace warden::detail::synth {

enum class truth_type : std::uint8_t { exclusion, inclusion, curfew, proximity, unmonitored, tamper, battery };
inline const char* to_text(truth_type t) noexcept {
  constexpr const char* names[] = {"exclusion", "inclusion", "curfew", "proximity", "unmonitored", "tamper", "battery"};
  return names[static_cast<int>(t)];
}

// A zone as generated: what zones.geojson says and the geometry truth uses.
struct zone_def {
  std::string id;
  zone_kind kind = zone_kind::exclusion;
  zone_shape shape = zone_shape::circle;
  const lat_lon_multipolygon* outline = nullptr;  // polygonal: real area (world-owned) or own_outline
  lat_lon_multipolygon own_outline;
  lat_lon centre;       // circle
  double radius_m = 0;  // circle, ground metres as written
  int curfew_variant = -1;
  std::vector<std::uint32_t> subjects;  // subject indices, ascending
  std::string name;
  std::string victim_id;  // victim_home
  zone_geom geom;
};

struct curfew_variant {
  schedule_spec spec;
  schedule sched;
};

// One zone of one subject, with its truth state.
struct zone_ref {
  std::uint32_t zone = 0;
  std::uint8_t victim = 0xff;  // victim_home: index of the victim
  bool open = false;
  std::int64_t start = 0;
  double extreme = 0;  // deepest inside (exclusion) or farthest outside (inclusion, curfew), frame metres
  bool cache_valid = false;
  bool cache_in = false;
  double cache_depth = -1;  // boundary distance at cache_p, < 0 until needed
  xy cache_p;
};

enum class gap_kind : std::uint8_t { none, coverage, gps, gps_lbs, off };
enum class mobility : std::uint8_t { walker, cyclist, driver };

struct held_fix {  // taken during a coverage gap, uploaded when it ends
  std::int64_t time;
  double lat, lon;
  float accuracy_m;
  std::uint8_t source;
  bool dup;
};

struct device_action {
  std::int64_t t0 = 0, t1 = 0;
  enum kind_t : std::uint8_t { gap_off, gap_gps, tamper } kind = gap_off;
};

struct entity {
  std::string id;
  std::uint32_t ekey = 0;  // subject index * 4 + role (0 subject, 1..3 victim)
  xy home, work;
  bool employed = false;
  std::uint8_t work_days = 0x1f;  // bit 0 = Monday
  mobility mob = mobility::driver;
  std::vector<xy> shops, visits;
  double sigma_m = 7;
  std::int64_t phase_ms = 0;
  double k_home = 1;  // point scale of the frame at home
  trajectory tr;

  // Device.
  rng dev_rng, noise_rng;
  gap_kind gap = gap_kind::none;
  bool gap_injected = false;
  std::int64_t gap_start = 0, gap_end = 0, next_gap = 0;
  std::vector<held_fix> held;
  std::int64_t next_fix = 0;

  // Positions at the current truth instant and the next.
  xy p_cur, p_next;
};

struct victim : entity {
  double alert_m = 500, warning_m = 1000;
  std::uint32_t home_zone = 0;
  bool prox_open = false;
  std::int64_t prox_start = 0;
  double prox_min = 0;  // ground metres
};

struct subject : entity {
  std::uint32_t index = 0;
  std::vector<zone_ref> zones;  // exclusions and victim homes, then inclusion, then curfew
  int inclusion_ref = -1;
  int curfew_ref = -1;
  int curfew_variant = 0;
  std::vector<victim> victims;
  double rf_range_m = 50;
  bool rf_in = true;

  double battery_pct = 100;
  bool charging = false, flat = false;
  std::int64_t charging_until = 0, flat_until = 0;
  std::vector<std::pair<std::int64_t, std::int64_t>> charge_sessions;  // by start
  std::int64_t no_low_reaction_until = 0;  // an injected flat battery: nobody plugs in
  std::vector<device_action> actions;  // injected, by start
  bool tamper = false;
  std::int64_t tamper_end = 0;

  bool tamper_open = false, battery_open = false;
  std::int64_t tamper_start = 0, battery_start = 0;
  std::int64_t last_fix = 0;

  // Crime candidates of the cell the subject was last in.
  std::int64_t crime_cell = INT64_MIN;
  std::uint64_t crime_grid_version = 0;
  std::vector<std::uint32_t> crime_candidates;
};

struct crime_rec {
  xy pos;
  lat_lon ll;  // as written
  double k = 1;  // point scale at pos
  std::int64_t from = 0, to = 0;
  double radius_m = 100;
  std::string type;
  std::int64_t committer = -1;  // subject index
};

struct crime_hit {
  double min_frame_m = 1e300;
  std::int64_t closest = 0;
};

struct context {
  explicit context(const synth_params& params) : p(params) {}
  const synth_params& p;
  world w;
  const date::time_zone* tz = nullptr;
  date::year_month_day start_day{};
  std::int64_t start_ms = 0, end_ms = 0, step_ms = 10000, interval_ms = 60000;
  std::vector<curfew_variant> variants;
  std::vector<zone_def> zones;
  std::vector<subject> subjects;
  std::vector<std::uint32_t> pool;  // shared zone candidates (indices into zones)

  std::vector<crime_rec> crimes;
  std::map<std::int64_t, std::vector<std::uint32_t>> crime_cells;  // active crimes by 500 m cell
  std::uint64_t crime_grid_version = 1;
  std::map<std::pair<std::uint32_t, std::uint32_t>, crime_hit> crime_hits;  // (crime, subject)

  // Local midnight of the day `d` days after the start date, epoch ms.
  std::int64_t day_start(int d) const;
  // A local wall-clock time on day d, epoch ms, rounded up to the truth grid.
  std::int64_t local_at(int d, int minutes) const;
  int weekday(int d) const;  // 0 = Monday
  std::int64_t ceil_step(std::int64_t t) const noexcept { return (t + step_ms - 1) / step_ms * step_ms; }
  void add_crime(crime_rec c);
};

inline constexpr double crime_cell_m = 500.0;
inline std::int64_t crime_cell_key(xy p) noexcept {
  const auto cx = static_cast<std::int64_t>(std::floor(p.x_m / crime_cell_m));
  const auto cy = static_cast<std::int64_t>(std::floor(p.y_m / crime_cell_m));
  return (cx << 32) ^ (cy & 0xffffffff);
}

// synth_plan.cpp
result<void> build_population(context& c);     // curfew variants, zones, subjects, victims
void plan_day(context& c, subject& s, int day);  // trajectories and device actions for one local day
void plan_background_crimes(context& c, int day);

}  // namespace warden::detail::synth
