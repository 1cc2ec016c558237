// Helpers shared by the monitoring-engine tests: zones built in frame
// metres, fixes placed at frame coordinates, and a sink that records alert
// events and can fold them into the final alert set.
#pragma once

#include <warden/alert.hpp>
#include <warden/frame.hpp>
#include <warden/monitor.hpp>
#include <warden/readers.hpp>
#include <warden/zone.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace warden::test {

inline const tm_frame& frame() {
  static const tm_frame f;
  return f;
}

// A reference point in Essex (frame metres) that tests offset from.
inline xy origin() { return frame().forward(lat_lon::from_degrees(51.74, 0.47).value()); }
inline xy at(double dx_m, double dy_m) { return {origin().x_m + dx_m, origin().y_m + dy_m}; }

inline zone circle_zone(std::string id, zone_kind kind, xy centre, double radius_m,
                        std::vector<std::string> subjects = {"*"}) {
  zone z;
  z.zone_id = std::move(id);
  z.subjects = std::move(subjects);
  z.kind = kind;
  z.shape = zone_shape::circle;
  z.centre_wgs84 = frame().inverse(centre);
  z.radius_m = radius_m;
  z.disc = circle{centre, radius_m};
  z.version = "00000000000000" + std::to_string(static_cast<int>(kind)) + "1";
  return z;
}

inline zone square_zone(std::string id, zone_kind kind, xy centre, double half_m,
                        std::vector<std::string> subjects = {"*"}) {
  zone z;
  z.zone_id = std::move(id);
  z.subjects = std::move(subjects);
  z.kind = kind;
  z.shape = zone_shape::polygonal;
  polygon p;
  p.outer = {{centre.x_m - half_m, centre.y_m - half_m},
             {centre.x_m + half_m, centre.y_m - half_m},
             {centre.x_m + half_m, centre.y_m + half_m},
             {centre.x_m - half_m, centre.y_m + half_m}};
  lat_lon_polygon lp;
  for (const xy& q : p.outer) lp.outer.push_back(frame().inverse(q));
  z.area = {p};
  z.outline_wgs84 = {lp};
  z.version = "00000000000000" + std::to_string(static_cast<int>(kind)) + "2";
  return z;
}

// 2026-03-23T00:00:00Z plus seconds.
inline instant t0() { return parse_instant("2026-03-23T00:00:00Z").value(); }
inline instant ts(double s) { return t0() + milliseconds{static_cast<std::int64_t>(s * 1000)}; }

inline stored_fix make_fix(std::string subject, instant t, xy p, float acc_m = 8.0f) {
  stored_fix f;
  f.subject_id = std::move(subject);
  f.time = t;
  f.pos = frame().inverse(p);
  f.accuracy_m = acc_m;
  f.received = t;
  return f;
}

struct recording_sink : alert_sink {
  std::vector<alert_event> events;
  std::string jsonl;
  std::map<errc, int> aside;
  void on_alert(const alert_event& e) override {
    events.push_back(e);
    append_json(jsonl, e);
    jsonl += '\n';
  }
  void on_set_aside(const fix&, errc r) override { ++aside[r]; }

  std::size_t count(alert_event_kind k) const {
    std::size_t n = 0;
    for (const auto& e : events) n += e.event == k;
    return n;
  }
  // The final alert set: last event per id, retracted ids removed.
  std::map<std::string, alert_event> final_set() const {
    std::map<std::string, alert_event> m;
    for (const auto& e : events) {
      if (e.event == alert_event_kind::retracted)
        m.erase(e.alert_id);
      else
        m[e.alert_id] = e;
    }
    return m;
  }
  // Order-independent content of the final set (ids and decision times
  // left out: see docs/engine.md on ids after amendments).
  std::vector<std::string> final_content() const {
    std::vector<std::string> v;
    for (auto [id, e] : final_set()) {
      e.alert_id.clear();
      e.event = alert_event_kind::opened;
      e.decided_at = instant{};
      v.push_back(to_json_line(e));
    }
    std::sort(v.begin(), v.end());
    return v;
  }
};

}  // namespace warden::test

#include <algorithm>
#include <cmath>
#include <random>

namespace warden::test {

// A small world around origin(): two shared exclusion zones, an inclusion
// zone for S0 and S1, and a curfew home per subject (21:00-23:30 UTC).
inline std::vector<zone> small_world(int subjects) {
  std::vector<zone> zs;
  zs.push_back(circle_zone("E1", zone_kind::exclusion, at(0, 0), 150));
  zs.push_back(square_zone("E2", zone_kind::exclusion, at(1500, 0), 200));
  zs.push_back(square_zone("IN", zone_kind::inclusion, at(0, 0), 2500, {"S0", "S1"}));
  schedule_spec spec;
  spec.tz = "UTC";
  spec.windows = {{{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, "21:00", "23:30"}};
  for (int i = 0; i < subjects; ++i) {
    const double ang = i * 2.399963;
    zone h = circle_zone("H" + std::to_string(i), zone_kind::curfew_home,
                         at(900 * std::cos(ang), 900 * std::sin(ang)), 60, {"S" + std::to_string(i)});
    h.schedule = spec;
    zs.push_back(h);
  }
  return zs;
}

// Subjects wandering between their home, the zones and random places, one
// fix a minute from 18:00 UTC for `hours`, with jitter, rare multipath spikes
// and duplicates. Time order.
inline std::vector<stored_fix> small_tracks(std::uint64_t seed, int subjects, double hours) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> g(0, 1);
  std::vector<stored_fix> out;
  const instant start = parse_instant("2026-03-23T18:00:00Z").value();
  const std::vector<xy> places = {at(0, 0), at(1500, 0), at(3000, 0), at(0, 3000), at(-600, 400), at(1500, 150)};
  for (int i = 0; i < subjects; ++i) {
    const double ang = i * 2.399963;
    const xy home = at(900 * std::cos(ang), 900 * std::sin(ang));
    xy pos = home, dest = home;
    double speed = 1.4, dwell_s = 0;
    const double sigma = 3 + 3 * u(rng);
    for (double t = 0; t < hours * 3600; t += 60) {
      if (dwell_s > 0) {
        dwell_s -= 60;
      } else {
        const double dx = dest.x_m - pos.x_m, dy = dest.y_m - pos.y_m, d = std::hypot(dx, dy);
        const double step = speed * 60;
        if (d <= step) {
          pos = dest;
          dwell_s = 300 + 2400 * u(rng);
          const double k = u(rng);
          dest = k < 0.3 ? home : k < 0.8 ? places[rng() % places.size()] : at(4000 * (u(rng) - 0.5), 4000 * (u(rng) - 0.5));
          speed = u(rng) < 0.7 ? 1.4 : 9.0;
        } else {
          pos = {pos.x_m + dx / d * step, pos.y_m + dy / d * step};
        }
      }
      xy seen{pos.x_m + sigma * g(rng), pos.y_m + sigma * g(rng)};
      float acc = static_cast<float>(2.45 * sigma * (0.8 + 0.4 * u(rng)));
      if (u(rng) < 0.01) {
        const double a = 6.283 * u(rng);
        seen = {pos.x_m + 200 * std::cos(a), pos.y_m + 200 * std::sin(a)};
        acc = 5.0f;
      }
      stored_fix f = make_fix("S" + std::to_string(i), start + milliseconds{static_cast<std::int64_t>(t * 1000)}, seen, acc);
      f.accuracy_m = std::round(f.accuracy_m * 10) / 10;
      out.push_back(f);
      if (u(rng) < 0.01) out.push_back(f);
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const stored_fix& a, const stored_fix& b) { return a.time < b.time; });
  return out;
}

// Arrival order with late uploads, as a centre sees them: a record reaches
// the centre 2 s after it was taken, one in eight up to an hour late. Takes
// each record's event time (ms); returns the record indices in arrival order
// and, after each, the watermark `warden check` would set (latest arrival
// less 10 minutes).
struct arrival_plan {
  std::vector<std::size_t> order;
  std::vector<instant> watermark;
};
inline arrival_plan late_upload_order(const std::vector<std::int64_t>& time_ms, std::mt19937_64& rng) {
  std::vector<std::pair<std::int64_t, std::size_t>> arrival;
  for (std::size_t i = 0; i < time_ms.size(); ++i)
    arrival.push_back({time_ms[i] + ((rng() % 8 == 0) ? static_cast<std::int64_t>(rng() % 3'600'000) : 2000), i});
  std::sort(arrival.begin(), arrival.end());
  arrival_plan p;
  std::int64_t mx = 0;
  for (const auto& [a, i] : arrival) {
    p.order.push_back(i);
    mx = std::max(mx, a);
    p.watermark.push_back(from_epoch_ms(mx - 600'000));
  }
  return p;
}

// `fixes` in the arrival order of late_upload_order, with its watermarks.
struct arrival_stream {
  std::vector<stored_fix> order;
  std::vector<instant> watermark;
};
inline arrival_stream late_upload_stream(const std::vector<stored_fix>& fixes, std::mt19937_64& rng) {
  std::vector<std::int64_t> t;
  for (const stored_fix& f : fixes) t.push_back(to_epoch_ms(f.time));
  arrival_plan p = late_upload_order(t, rng);
  arrival_stream a;
  for (const std::size_t k : p.order) a.order.push_back(fixes[k]);
  a.watermark = std::move(p.watermark);
  return a;
}

}  // namespace warden::test
