// Curfew compliance evaluation (warden/curfew.hpp).
#include <warden/curfew.hpp>
#include <warden/verdict.hpp>

#include <algorithm>

namespace warden {
namespace {

using std::chrono::milliseconds;

enum class seg_state : std::uint8_t { inside, outside, uncertain, unknown };

struct segment {
  instant start;
  instant end;
  seg_state state;
};

seg_state to_seg(presence p) noexcept {
  switch (p) {
    case presence::inside: return seg_state::inside;
    case presence::outside: return seg_state::outside;
    case presence::uncertain: return seg_state::uncertain;
    case presence::no_data: return seg_state::unknown;
  }
  return seg_state::unknown;
}

// Sorted by time, one sample per instant; disagreeing samples at the same
// instant become uncertain, so that input order never matters.
std::vector<presence_sample> normalise(std::span<const presence_sample> in) {
  std::vector<presence_sample> v(in.begin(), in.end());
  std::sort(v.begin(), v.end(), [](const presence_sample& a, const presence_sample& b) {
    return a.time != b.time ? a.time < b.time : a.state < b.state;
  });
  std::size_t n = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (n > 0 && v[n - 1].time == v[i].time) {
      if (v[n - 1].state != v[i].state) v[n - 1].state = presence::uncertain;
    } else {
      v[n++] = v[i];
    }
  }
  v.resize(n);
  return v;
}

void push(std::vector<segment>& out, instant s, instant e, seg_state st) {
  if (s >= e) return;
  if (!out.empty() && out.back().state == st && out.back().end == s)
    out.back().end = e;
  else
    out.push_back({s, e, st});
}

// The window [w0, w1) cut into contiguous segments of one state each.
std::vector<segment> timeline(const std::vector<presence_sample>& v, instant w0, instant w1,
                              milliseconds stale_after) {
  std::vector<segment> out;
  // The last sample at or before w0 still speaks for the window start.
  auto it = std::upper_bound(v.begin(), v.end(), w0,
                             [](instant t, const presence_sample& s) { return t < s.time; });
  if (it != v.begin()) --it;
  instant cursor = w0;
  for (; it != v.end() && it->time < w1; ++it) {
    const instant next = (it + 1 != v.end()) ? (it + 1)->time : instant::max();
    instant stop = std::min(next, w1);
    if (it->state != presence::no_data && it->time + stale_after < stop) stop = it->time + stale_after;
    const instant begin = std::max(it->time, w0);
    if (stop <= begin) continue;
    push(out, cursor, begin, seg_state::unknown);
    push(out, begin, stop, to_seg(it->state));
    cursor = stop;
  }
  push(out, cursor, w1, seg_state::unknown);
  return out;
}

curfew_report evaluate_sorted(const std::vector<presence_sample>& v, utc_interval window, const curfew_options& o) {
  curfew_report r;
  r.window = window;
  if (window.end <= window.start) {
    r.status = curfew_status::compliant;
    return r;
  }
  const std::vector<segment> segs = timeline(v, window.start, window.end, o.stale_after);

  bool open = false;
  absence_episode ep;
  instant last_out_end{};
  auto close = [&] {
    ep.end = last_out_end;
    ep.duration = ep.end - ep.start;
    ep.breach = ep.duration > o.grace;
    ep.late_arrival = ep.start == window.start;
    ep.early_departure = ep.end == window.end && !ep.late_arrival;
    r.absences.push_back(ep);
    open = false;
  };
  for (const segment& s : segs) {
    const milliseconds len = s.end - s.start;
    switch (s.state) {
      case seg_state::inside: r.inside_time += len; break;
      case seg_state::uncertain: r.uncertain_time += len; break;
      case seg_state::unknown:
        r.unknown_time += len;
        r.unknown.push_back({s.start, s.end});
        break;
      case seg_state::outside: break;
    }
    if (s.state == seg_state::outside) {
      if (!open) {
        ep = absence_episode{};
        ep.start = s.start;
        open = true;
      } else {
        ++ep.bridged_returns;  // segments alternate, so a gap lies before this one
      }
      ep.outside += len;
      last_out_end = s.end;
    } else if (open && s.end - last_out_end >= o.min_return) {
      close();
    }
  }
  if (open) close();

  for (const absence_episode& e : r.absences) {
    r.absent += e.duration;
    if (e.breach) r.breach_time += e.duration;
    if (e.late_arrival) r.late_arrival = e.duration;
    if (e.early_departure) r.early_departure = e.duration;
  }
  r.status = r.breach_time > milliseconds{0} ? curfew_status::breach
             : r.unknown_time > milliseconds{0} ? curfew_status::incomplete
                                                : curfew_status::compliant;
  return r;
}

}  // namespace

presence circle_presence(const circle& home, xy p, double accuracy_m, double tolerance_m) noexcept {
  // The same rule as every zone (warden/verdict.hpp), so `warden check` and
  // the curfew evaluator never disagree on a fix at exactly its accuracy
  // from the boundary.
  return to_presence(decide(home.radius_m - distance_m(home.centre, p), accuracy_m, tolerance_m,
                            breach_side::outside));
}

std::vector<presence_sample> presence_from_rf(std::span<const device_event> events) {
  std::vector<presence_sample> out;
  out.reserve(events.size());
  for (const device_event& e : events) {
    switch (e.type) {
      case device_event_type::rf_in_range: out.push_back({e.time, presence::inside}); break;
      case device_event_type::rf_out_of_range: out.push_back({e.time, presence::outside}); break;
      case device_event_type::device_offline: out.push_back({e.time, presence::no_data}); break;
      default: break;
    }
  }
  return out;
}

std::vector<presence_sample> presence_from_fixes(std::span<const fix> fixes, const circle& home,
                                                 const tm_frame& frame, double tolerance_m) {
  std::vector<presence_sample> out;
  out.reserve(fixes.size());
  for (const fix& f : fixes)
    out.push_back({f.time, circle_presence(home, frame.forward(f.pos), f.accuracy_m, tolerance_m)});
  return out;
}

std::string_view to_string(curfew_status s) noexcept {
  switch (s) {
    case curfew_status::compliant: return "compliant";
    case curfew_status::breach: return "breach";
    case curfew_status::incomplete: return "incomplete";
  }
  return "incomplete";
}

curfew_report evaluate_curfew(std::span<const presence_sample> samples, utc_interval window,
                              const curfew_options& options) {
  return evaluate_sorted(normalise(samples), window, options);
}

std::vector<curfew_report> evaluate_curfews(std::span<const presence_sample> samples, const schedule& s,
                                            instant a, instant b, const curfew_options& options) {
  const std::vector<presence_sample> v = normalise(samples);
  std::vector<curfew_report> out;
  for (const utc_interval& w : s.windows(a, b)) out.push_back(evaluate_sorted(v, w, options));
  return out;
}

}  // namespace warden
