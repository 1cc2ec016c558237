// warden/curfew.hpp — curfew compliance for one subject over one curfew
// window: absence episodes, late arrival, early departure, minutes absent
// and the stretches nobody can vouch for.
//
// The evaluator reads a sequence of presence samples: (instant, verdict)
// where the verdict says whether the subject was inside or outside the
// curfew home, or that this cannot be told. Two adapters make samples:
//   presence_from_rf     RF events from the home unit: rf_in_range -> inside,
//                        rf_out_of_range -> outside, device_offline -> no_data;
//                        other events are ignored.
//   presence_from_fixes  GPS fixes against a circular home, accuracy-aware:
//                        inside only if distance + accuracy <= radius,
//                        outside only if distance - accuracy > radius + tolerance,
//                        otherwise uncertain.
//   to_presence          any zone's accuracy-aware verdict (warden/verdict.hpp)
//                        for a curfew_home zone, fix by fix.
//
// How samples become a timeline over the window [start, end):
// - A sample speaks from its instant until the next sample, but for at most
//   `stale_after`; after that, and before the first sample, nothing is known
//   ("unknown"). Pass samples from at least `stale_after` before the window
//   start, or its first minutes are unknown. Unknown time is never counted
//   as compliance: it is reported, and a window with unknown time and no
//   breach has status `incomplete`, not `compliant`.
// - Samples may come in any order; samples at the same instant that disagree
//   make that instant uncertain (so the result never depends on input order).
// - `uncertain` is neither absence nor unknown: data exists but cannot place
//   the subject; it never opens an absence.
// - An absence episode is a stretch of `outside`. It ends only when the
//   subject has been not-outside (inside, uncertain or unknown) for at least
//   `min_return`; shorter returns are bridged, so RF flapping at the edge of
//   range gives one episode, not hundreds. The episode ends at the start of
//   the confirming stretch. An episode's duration includes the short returns
//   it bridged; `outside` is the time actually observed outside.
// - An episode is a breach when its duration exceeds `grace` (strictly).
//   Late arrival (outside at the window start) and early departure (outside
//   at the window end, having been in at some point) are episodes like any
//   other and are breaches under the same rule; an episode covering the whole
//   window is a late arrival.
//
// Units: instants are UTC (warden/time.hpp); durations are
// std::chrono::milliseconds; to_minutes() converts for display; positions are
// projected metres (warden/frame.hpp); accuracy_m and radii in metres.
// Boundaries: all intervals half-open [start, end).
//
// Thread-safety: pure functions over their arguments.
#pragma once

#include <warden/frame.hpp>
#include <warden/geometry.hpp>
#include <warden/records.hpp>
#include <warden/schedule.hpp>
#include <warden/time.hpp>
#include <warden/verdict.hpp>

#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

namespace warden {

// Where a sample places the subject relative to the curfew home.
enum class presence : std::uint8_t {
  inside,     // certainly at home
  outside,    // certainly away
  uncertain,  // data, but it cannot tell (e.g. within accuracy of the edge)
  no_data,    // from this instant nothing is known (e.g. device_offline)
};

struct presence_sample {
  instant time;
  presence state = presence::uncertain;
  friend constexpr bool operator==(const presence_sample&, const presence_sample&) = default;
};

// A zone verdict (warden/verdict.hpp; for a curfew home decided with
// breach_side::outside) as a presence.
constexpr presence to_presence(verdict v) noexcept {
  switch (v) {
    case verdict::inside: return presence::inside;
    case verdict::outside: return presence::outside;
    case verdict::uncertain: return presence::uncertain;
  }
  return presence::uncertain;
}

// Accuracy-aware verdict for a point p (metres, same frame as home) whose
// true position lies within accuracy_m of p. tolerance_m (>= 0) widens the
// margin before `outside` (the zone's tolerance_m property). The rule is
// warden::decide with breach_side::outside (warden/verdict.hpp): inside when
// at least accuracy_m inside the circle, outside when at least accuracy_m +
// tolerance_m outside it, uncertain between.
presence circle_presence(const circle& home, xy p, double accuracy_m, double tolerance_m = 0) noexcept;

// RF home-unit events -> samples, in input order (see above for the mapping).
std::vector<presence_sample> presence_from_rf(std::span<const device_event> events);

// GPS fixes -> samples, projecting each fix with `frame` (in which `home` is
// given), in input order.
std::vector<presence_sample> presence_from_fixes(std::span<const fix> fixes, const circle& home,
                                                 const tm_frame& frame, double tolerance_m = 0);

struct curfew_options {
  std::chrono::milliseconds grace{std::chrono::minutes{15}};       // absence beyond this is a breach
  std::chrono::milliseconds stale_after{std::chrono::minutes{10}};  // a sample speaks for at most this long
  std::chrono::milliseconds min_return{std::chrono::minutes{2}};    // a return must last this long to end an absence

  // For GPS at about one fix a minute: the defaults above.
  static curfew_options gps() noexcept { return {}; }
  // For RF home units, which report changes of state, not a heartbeat:
  // silence means "unchanged" for up to 24 h (device_offline still makes the
  // time unknown). Lower stale_after if the unit repeats its state
  // periodically.
  static curfew_options rf() noexcept {
    curfew_options o;
    o.stale_after = std::chrono::hours{24};
    return o;
  }
};

inline double to_minutes(std::chrono::milliseconds d) noexcept { return static_cast<double>(d.count()) / 60000.0; }

struct absence_episode {
  instant start;
  instant end;
  std::chrono::milliseconds duration{0};  // end - start
  std::chrono::milliseconds outside{0};   // observed outside within [start, end)
  std::uint32_t bridged_returns = 0;      // short returns (< min_return) merged into it
  bool breach = false;                    // duration > grace
  bool late_arrival = false;              // already away at the window start
  bool early_departure = false;           // away at the window end, having been in
};

enum class curfew_status : std::uint8_t {
  compliant,   // no breach and the whole window is covered by data
  breach,      // at least one episode is a breach
  incomplete,  // no breach, but some of the window is unknown
};
std::string_view to_string(curfew_status s) noexcept;  // "compliant" | "breach" | "incomplete"

struct curfew_report {
  utc_interval window;
  curfew_status status = curfew_status::incomplete;
  std::vector<absence_episode> absences;  // in time order
  std::vector<utc_interval> unknown;      // no data, in time order
  std::chrono::milliseconds absent{0};       // sum of episode durations
  std::chrono::milliseconds breach_time{0};  // sum of breach episode durations
  std::chrono::milliseconds unknown_time{0};
  std::chrono::milliseconds uncertain_time{0};
  std::chrono::milliseconds inside_time{0};
  std::chrono::milliseconds late_arrival{0};     // duration of the late-arrival episode, 0 if none
  std::chrono::milliseconds early_departure{0};  // duration of the early-departure episode, 0 if none
};

// Evaluates one curfew window. Samples need not be sorted. A window with
// end <= start gives an empty, compliant report.
curfew_report evaluate_curfew(std::span<const presence_sample> samples, utc_interval window,
                              const curfew_options& options = {});

// Evaluates every window of `s` overlapping [a, b) (each whole, as
// schedule::windows returns them), in order.
std::vector<curfew_report> evaluate_curfews(std::span<const presence_sample> samples, const schedule& s,
                                            instant a, instant b, const curfew_options& options = {});

}  // namespace warden
