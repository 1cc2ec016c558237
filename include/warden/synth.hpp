// warden/synth.hpp — the deterministic scenario generator behind
// `warden synth`: synthetic monitoring data on real Essex geography, with
// exact ground truth, for the tests and benchmarks of every other component.
//
//   warden::synth_params p;
//   p.subjects = 100;
//   p.days = 2;
//   p.lsoa_dir = ".../boundaries/essex-lsoa";  // also ward_dir, police_files
//   auto s = warden::generate_scenario(p, "out/");
//   if (!s) report(s.err());
//
// What it writes into the output directory (docs/synth.md has the model and
// every column):
//   fixes.csv        FORMATS.md fixes of subjects and victim devices, in
//                    arrival (received_time) order, as a monitoring centre
//                    would see them: noise, outliers, gaps, late and
//                    duplicated uploads
//   events.csv       device events, in event-time order
//   zones.geojson    exclusion (shared real wards/LSOAs and circles),
//                    inclusion, curfew_home and victim_home zones
//   links.csv        subject-victim links with alert/warning radii
//   crimes.csv       crimes with time windows (our crime CSV)
//   truth.csv        every true breach episode, decided on the noise-free
//                    trajectory: subject_id,type,zone_id,victim_id,start,end,
//                    duration_s,depth_m,min_distance_m
//   crime_truth.csv  crime_id,subject_id,relation,min_distance_m,closest_time
//                    (relation: committed | nearby)
//   scenario.json    the parameters, the seed and the counts
//   track.csv        (only with write_true_track) the true positions of every
//                    entity at every truth step
//
// Determinism: the output depends only on the parameters and the input
// data. Each subject (and its victims) draws from its own random streams,
// seeded from (seed, subject index, day, purpose) with splitmix64 into
// xoshiro256**; no std:: distributions are used and numbers are formatted
// with std::to_chars; GCC and clang builds write the same bytes. The first
// days of a longer run are those of a shorter run with the same seed and
// subject count (except crime ids and what is still open at its end).
//
// Ground truth: the true trajectory of an entity is piecewise linear between
// its positions at multiples of truth_step_s (UTC epoch multiples). Zone
// breaches are the verdicts at those instants (zones cover their boundary,
// projected into the default tm_frame exactly as warden::read_zones does;
// schedules through warden::schedule), an episode being [first instant in
// breach, first instant after it not in breach). Proximity uses ground
// distance between the subject's and the victim's true positions at the
// same instants. Unmonitored gaps, tamper and battery episodes come from the
// generated fixes and device states. Crime truth uses the piecewise-linear
// trail, clipped to the crime's window.
//
// Scale: subjects advance together through short time slices; per-subject
// state is small and rows are streamed; late uploads wait in a queue bounded
// by the late-upload volume. 100k subjects x 1 day runs in a few GB at most.
//
// Units: metres, seconds (names say which), UTC instants.
// Thread-safety: generate_scenario is reentrant (no shared mutable state);
// an observer is called from the calling thread only.
#pragma once

#include <warden/geo.hpp>
#include <warden/records.hpp>
#include <warden/result.hpp>
#include <warden/time.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace warden {

// The GPS and device model. Defaults are what docs/synth.md describes.
struct synth_gps_model {
  // Per-device horizontal jitter, standard deviation per axis, metres: each
  // device draws its sigma uniformly from [min, max].
  double jitter_sigma_min_m = 5.0;
  double jitter_sigma_max_m = 10.0;
  // Multipath outliers: a fraction of GPS fixes displaced by a uniform
  // distance in [min, max] metres; of those, a share reports an accuracy as
  // good as a normal fix (the dangerous kind).
  double outlier_probability = 0.008;
  double outlier_min_m = 100.0;
  double outlier_max_m = 300.0;
  double outlier_good_accuracy_share = 0.5;
  // Reported accuracy is 2.4477 sigma (the 95% radius of the jitter) times a
  // small log-normal factor, except for this fraction, where it is 2.5-6x
  // too large or 0.15-0.5x too small.
  double wrong_accuracy_probability = 0.03;
  // Fixes delivered twice (the copy arrives 1-300 s after the original).
  double duplicate_probability = 0.005;
  // Loss of mobile coverage: fixes are taken and buffered, then uploaded in
  // one burst (newest first) when coverage returns. Gaps start as a Poisson
  // process; 70% last 5-60 min (uniform), 30% 1-6 h.
  double coverage_gaps_per_day = 1.5;
  // Loss of GPS (indoors, underground): no GPS fix, no_gps/gps_ok events;
  // half of them send a cell-location (lbs) fix every 5th slot. 2-40 min.
  double gps_gaps_per_day = 2.0;
  // Device switched off or failed: device_offline/device_online. 5-60 min.
  double off_gaps_per_day = 0.2;
  // Upload latency of a live fix: 1 s plus an exponential with this mean.
  double latency_mean_s = 4.0;
  // Battery: drain while powered, charge rate, evening charging habit (a
  // session most evenings; after battery_low most people plug in within
  // 30-240 min).
  double battery_drain_pct_per_h = 2.5;
  double battery_charge_pct_per_min = 1.2;
  double forget_charge_probability = 0.03;
};

// Daily probabilities of each injected breach kind, per subject. At most
// one movement breach (exclusion, inclusion, curfew, proximity) per day.
struct synth_injection_rates {
  double exclusion = 0.10;
  double inclusion = 0.10;  // only subjects with an inclusion zone
  double curfew = 0.10;
  double proximity = 0.10;  // only subjects with a victim
  double unmonitored = 0.06;
  double tamper = 0.03;
  double battery = 0.03;
  double crime = 0.05;      // the subject commits a crime (crime_truth)
};

struct synth_params {
  std::uint64_t seed = 1;
  std::uint32_t subjects = 10;
  std::uint32_t days = 1;
  // First local day (Europe/London), YYYY-MM-DD. The scenario covers local
  // midnight of this date to local midnight `days` later.
  std::string start_date = "2026-03-23";
  std::int32_t fix_interval_s = 60;  // 1 .. 3600
  std::int32_t truth_step_s = 10;    // divides 60, at most 15; the resolution of truth episodes

  // Real geography: directories of ONS GeoJSON files (every *.json in them,
  // in name order) and police.uk street-level CSV files. Empty police list:
  // destinations are sampled inside LSOAs instead.
  std::string lsoa_dir;
  std::string ward_dir;
  std::vector<std::string> police_files;

  synth_gps_model gps;
  synth_injection_rates rates;
  // Crimes at real police.uk locations (or LSOA points) that no subject was
  // made to visit, per day. < 0: subjects / 2 within 20..1000 (Essex
  // records about 170 acquisitive crimes a day).
  std::int32_t background_crimes_per_day = -1;
  // The default above for a subject count.
  static std::int32_t default_background_crimes(std::uint32_t subjects) noexcept {
    return static_cast<std::int32_t>(subjects / 2 < 20 ? 20 : subjects / 2 > 1000 ? 1000 : subjects / 2);
  }
  // A gap between consecutive fixes longer than this is an unmonitored
  // episode in the truth.
  std::int32_t unmonitored_after_s = 900;

  // Also write track.csv (true positions at every truth step; large).
  bool write_true_track = false;
};

// What a run produced. Every count is deterministic; scenario.json holds
// them too.
struct synth_summary {
  std::uint32_t subjects = 0;
  std::uint32_t victims = 0;
  std::uint64_t zones = 0;
  std::uint64_t fixes = 0;            // rows in fixes.csv (duplicates included)
  std::uint64_t victim_fixes = 0;     // of which from victim devices
  std::uint64_t duplicates = 0;
  std::uint64_t outliers = 0;
  std::uint64_t buffered = 0;         // fixes uploaded after a coverage gap
  std::uint64_t events = 0;
  std::uint64_t truth_episodes = 0;
  std::uint64_t crimes = 0;
  std::uint64_t committed_crimes = 0;
  std::uint64_t crime_truth_rows = 0;
  std::uint64_t peak_pending_fixes = 0;  // largest size of the arrival queue
  instant start;
  instant end;
};

// A fix as generated, with what the files do not say (for tests).
struct synth_fix_info {
  std::string_view entity_id;  // subject or victim id
  bool victim = false;
  instant time;
  instant received;
  lat_lon reported;            // as written (7 decimals)
  xy true_pos;                 // frame metres
  float accuracy_m = 0;        // as written (1 decimal)
  fix_source source = fix_source::gps;
  double sigma_m = 0;          // the jitter sigma used for this fix
  bool outlier = false;
  bool wrong_accuracy = false;
  bool duplicate = false;      // the second copy of a fix
  bool buffered = false;       // held back by a coverage gap
};

// Optional hooks into a run. Called in simulation order (per time slice, per
// subject group), not in file order.
class synth_observer {
 public:
  virtual ~synth_observer() = default;
  // Every true position of every entity at every truth step, in time order
  // per entity. `pos` is in the default tm_frame (metres).
  virtual void on_true_position(std::string_view entity_id, instant t, xy pos) {
    (void)entity_id, (void)t, (void)pos;
  }
  virtual void on_fix(const synth_fix_info& f) { (void)f; }
};

// Generates a scenario into out_dir (created if missing; existing files of
// the same names are replaced). Errors: usage (parameters out of range),
// bad_date (start_date), io_error (input data or output files),
// empty_file (no LSOAs loaded).
result<synth_summary> generate_scenario(const synth_params& params, const std::string& out_dir,
                                        synth_observer* observer = nullptr);

// The truth.csv and crime_truth.csv headers (stable; columns may be added at
// the end).
inline constexpr std::string_view synth_truth_csv_header =
    "subject_id,type,zone_id,victim_id,start,end,duration_s,depth_m,min_distance_m";
inline constexpr std::string_view synth_crime_truth_csv_header =
    "crime_id,subject_id,relation,min_distance_m,closest_time";

}  // namespace warden
