// Evidence packs (warden/report.hpp): reading alerts and matches back, the
// pack model, and its HTML and GeoJSON renderings.
#include <warden/detail/csv.hpp>
#include <warden/detail/json.hpp>
#include <warden/readers.hpp>
#include <warden/report.hpp>
#include <warden/version.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

namespace warden {
namespace {

using std::chrono::milliseconds;
namespace json = detail::json;

// ---------------------------------------------------------------------------
// Small formatting helpers (deterministic: std::to_chars underneath).

void num(std::string& out, double v, int decimals) { detail::append_decimal(out, v, decimals); }

std::string num_s(double v, int decimals) {
  std::string s;
  num(s, v, decimals);
  return s;
}

std::string time_s(instant t) {
  std::string s;
  append_instant(s, t);
  return s;
}

// "1 h 05 min", "3 min 20 s", "45 s".
std::string duration_s(milliseconds d) {
  const std::int64_t s = d.count() / 1000;
  char buf[64];
  if (s >= 86400)
    std::snprintf(buf, sizeof buf, "%lld d %02lld h %02lld min", static_cast<long long>(s / 86400),
                  static_cast<long long>(s % 86400 / 3600), static_cast<long long>(s % 3600 / 60));
  else if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lld h %02lld min", static_cast<long long>(s / 3600),
                  static_cast<long long>(s % 3600 / 60));
  else if (s >= 60 && s % 60 == 0)
    std::snprintf(buf, sizeof buf, "%lld min", static_cast<long long>(s / 60));
  else if (s >= 60)
    std::snprintf(buf, sizeof buf, "%lld min %02lld s", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
  else
    std::snprintf(buf, sizeof buf, "%lld s", static_cast<long long>(s));
  return buf;
}

void escape_html(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
}

std::string compass(double bearing_deg) {
  static const char* const names[16] = {"N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
                                        "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"};
  double b = std::fmod(bearing_deg, 360.0);
  if (b < 0) b += 360.0;
  return names[static_cast<int>(std::floor(b / 22.5 + 0.5)) % 16];
}

std::string bearing_text(double bearing_deg) {
  double b = std::fmod(bearing_deg, 360.0);
  if (b < 0) b += 360.0;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%03d", static_cast<int>(std::lround(b)) % 360);
  return std::string(buf) + "\xC2\xB0 (" + compass(b) + ")";
}

// ---------------------------------------------------------------------------
// Alerts JSON Lines.

std::optional<instant> time_member(const json::value& o, std::string_view key) {
  auto v = o.find(key);
  if (!v || !v->is_string()) return std::nullopt;
  auto t = parse_instant(v->as_string());
  if (!t) return std::nullopt;
  return *t;
}

std::string string_member(const json::value& o, std::string_view key) {
  auto v = o.find(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::optional<double> number_member(const json::value& o, std::string_view key) {
  auto v = o.find(key);
  if (!v || !v->is_number()) return std::nullopt;
  return v->as_number();
}

}  // namespace

result<std::vector<alert_record>> parse_alert_log(std::string_view text, std::string_view name, diagnostics& diag) {
  std::vector<alert_record> out;
  std::map<std::string, std::size_t, std::less<>> by_id;
  std::uint64_t line_no = 0;
  std::size_t at = 0;
  const std::string file(name);
  while (at < text.size()) {
    std::size_t nl = text.find('\n', at);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(at, nl - at);
    at = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (detail::trim(line).empty()) continue;
    auto doc = json::parse(line);
    if (!doc) {
      diag.report(file, line_no, doc.code(), doc.err().message);
      continue;
    }
    const json::value o = doc->root();
    if (!o.is_object()) {
      diag.report(file, line_no, errc::bad_property, "an alert line must be a JSON object");
      continue;
    }
    const std::string id = string_member(o, "alert_id");
    const std::string ev = string_member(o, "event");
    const std::string type = string_member(o, "type");
    const std::string subject = string_member(o, "subject_id");
    if (id.empty() || ev.empty() || type.empty() || subject.empty()) {
      diag.report(file, line_no, errc::missing_field, "alert_id, event, type and subject_id are required strings");
      continue;
    }
    const auto start = time_member(o, "start");
    if (!start) {
      diag.report(file, line_no, errc::bad_time, "start must be an instant");
      continue;
    }
    auto [it, fresh] = by_id.try_emplace(id, out.size());
    if (fresh) out.emplace_back();
    alert_record& a = out[it->second];
    a.alert_id = id;
    a.type = type;
    a.rule = string_member(o, "rule");
    a.subject_id = subject;
    a.zone_id = string_member(o, "zone_id");
    if (auto v = o.find("victim_id"); v && v->is_string())
      a.victim_id = std::string(v->as_string());
    else
      a.victim_id.reset();
    a.start = *start;
    a.end = time_member(o, "end");
    a.priority = static_cast<int>(number_member(o, "priority").value_or(3));
    a.confidence = string_member(o, "confidence");
    a.fix_count = static_cast<std::uint32_t>(std::max(0.0, number_member(o, "fix_count").value_or(0)));
    a.max_depth_m = number_member(o, "max_depth_m");
    a.min_distance_m = number_member(o, "min_distance_m");
    if (auto v = o.find("late_arrival"); v && v->is_bool()) a.late_arrival = v->as_bool();
    a.evidence.clear();
    a.params_json = "{}";
    a.schedule_json.clear();
    if (auto e = o.find("evidence"); e && e->is_object()) {
      if (auto fx = e->find("fixes"); fx && fx->is_array()) {
        for (std::size_t i = 0; i < fx->size(); ++i) {
          const json::value f = (*fx)[i];
          if (!f.is_array() || f.size() < 4 || !f[0].is_string()) continue;
          auto t = parse_instant(f[0].as_string());
          if (!t) continue;
          a.evidence.push_back(evidence_fix{*t, f[1].as_number(), f[2].as_number(), f[3].as_number()});
        }
      }
      a.zone_version = string_member(*e, "zone_version");
      a.engine = string_member(*e, "engine");
      if (auto p = e->find("params"); p && p->is_object()) a.params_json = json::to_json(*p);
      if (auto s = e->find("schedule"); s && !s->is_null()) a.schedule_json = json::to_json(*s);
      a.rejected_fixes = static_cast<std::uint32_t>(std::max(0.0, number_member(*e, "rejected_fixes").value_or(0)));
    }
    a.history.push_back(alert_record_event{ev, time_member(o, "decided_at"), a.priority, a.confidence, a.fix_count,
                                           a.end, line_no});
  }
  return out;
}

namespace {

// The whole file, or io_error reported against it ("cannot open the WHAT").
result<std::string> slurp(const std::string& path, std::string_view what, diagnostics& diag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diag.report(path, 0, errc::io_error, "cannot open the " + std::string(what));
    return make_error(errc::io_error, "cannot open " + path);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

result<std::vector<alert_record>> read_alert_log(const std::string& path, diagnostics& diag) {
  auto text = slurp(path, "alerts file", diag);
  if (!text) return text.err();
  return parse_alert_log(*text, path, diag);
}

// ---------------------------------------------------------------------------
// Matches CSV.

result<std::vector<match_record>> read_matches(const std::string& path, diagnostics& diag) {
  auto slurped = slurp(path, "matches file", diag);
  if (!slurped) return slurped.err();
  const std::string text = std::move(*slurped);
  detail::memory_source src(text);
  detail::csv_reader r(src);
  static const char* const names[] = {"crime_id",   "subject_id", "status",    "min_distance_m", "closest_time",
                                      "dwell_s",    "first_time", "last_time", "fix_count",      "score"};
  constexpr std::size_t ncols = std::size(names);
  std::size_t col[ncols];
  std::fill(std::begin(col), std::end(col), SIZE_MAX);
  std::vector<match_record> out;
  bool header = true;
  for (;;) {
    const detail::csv_status st = r.next();
    if (st == detail::csv_status::end) break;
    if (st == detail::csv_status::fatal) {
      diag.report(path, r.line(), r.error_code(), r.error_message());
      return make_error(r.error_code(), r.error_message());
    }
    if (st == detail::csv_status::bad_record) {
      diag.report(path, r.line(), r.error_code(), r.error_message());
      continue;
    }
    const auto& f = r.fields();
    if (header) {
      header = false;
      for (std::size_t i = 0; i < f.size(); ++i)
        for (std::size_t k = 0; k < ncols; ++k)
          if (detail::trim(f[i]) == names[k]) col[k] = i;
      for (std::size_t k = 0; k < 3; ++k)
        if (col[k] == SIZE_MAX) {
          diag.report(path, r.line(), errc::missing_column, std::string("no column ") + names[k]);
          return make_error(errc::missing_column, std::string("no column ") + names[k]);
        }
      continue;
    }
    auto field = [&](std::size_t k) -> std::string_view {
      return col[k] < f.size() ? detail::trim(f[col[k]]) : std::string_view{};
    };
    match_record m;
    m.line = r.line();
    m.crime_id = std::string(field(0));
    m.subject_id = std::string(field(1));
    m.status = std::string(field(2));
    if (m.crime_id.empty() || m.subject_id.empty() || m.status.empty()) {
      diag.report(path, r.line(), errc::missing_field, "crime_id, subject_id and status are required");
      continue;
    }
    bool bad = false;
    auto opt_number = [&](std::size_t k) -> std::optional<double> {
      const std::string_view s = field(k);
      if (s.empty()) return std::nullopt;
      double v = 0;
      if (detail::parse_double(s, v) != detail::number_status::ok) {
        bad = true;
        return std::nullopt;
      }
      return v;
    };
    auto opt_time = [&](std::size_t k) -> std::optional<instant> {
      const std::string_view s = field(k);
      if (s.empty()) return std::nullopt;
      auto t = parse_instant(s);
      if (!t) {
        bad = true;
        return std::nullopt;
      }
      return *t;
    };
    m.min_distance_m = opt_number(3);
    m.closest_time = opt_time(4);
    m.dwell_s = opt_number(5).value_or(0);
    m.first_time = opt_time(6);
    m.last_time = opt_time(7);
    m.fix_count = static_cast<std::uint32_t>(std::max(0.0, opt_number(8).value_or(0)));
    m.score = opt_number(9).value_or(0);
    if (bad) {
      diag.report(path, r.line(), errc::bad_number, "a number or time field of the match row is malformed");
      continue;
    }
    out.push_back(std::move(m));
  }
  if (header) {
    diag.report(path, 0, errc::empty_file, "no header row");
    return make_error(errc::empty_file, "no header row in " + path);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Fixes.

namespace {

void sort_unique(std::vector<pack_fix>& v) {
  std::sort(v.begin(), v.end(), [](const pack_fix& a, const pack_fix& b) {
    if (a.time != b.time) return a.time < b.time;
    if (a.pos.lat_deg() != b.pos.lat_deg()) return a.pos.lat_deg() < b.pos.lat_deg();
    if (a.pos.lon_deg() != b.pos.lon_deg()) return a.pos.lon_deg() < b.pos.lon_deg();
    if (a.accuracy_m != b.accuracy_m) return a.accuracy_m < b.accuracy_m;
    return a.source < b.source;
  });
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

result<std::vector<pack_fix>> load_pack_fixes(const std::string& fixes_csv, std::string_view subject_id, instant from,
                                              instant to, diagnostics& diag) {
  std::vector<pack_fix> out;
  auto r = read_fixes(fixes_csv, diag, [&](const fix& f) {
    if (f.subject_id != subject_id || f.time < from || f.time > to) return;
    out.push_back(pack_fix{f.time, f.pos, f.accuracy_m, std::string(to_string(f.source)), false});
  });
  if (!r) return r.err();
  sort_unique(out);
  return out;
}

std::vector<pack_fix> pack_fixes_from_store(const trail_store& store, std::string_view subject_id, instant from,
                                            instant to) {
  std::vector<pack_fix> out;
  const auto s = store.find(subject_id);
  if (s == trail_store::npos) return out;
  const trail_view v = store.view(s);
  for (std::size_t i = v.lower_bound(to_epoch_ms(from)); i < v.size() && v.time(i) <= to; ++i) {
    const lat_lon ll = store.frame().inverse(v.pos(i));
    // 7 decimals, as every file warden writes.
    auto q = lat_lon::from_degrees(std::round(ll.lat_deg() * 1e7) / 1e7, std::round(ll.lon_deg() * 1e7) / 1e7);
    out.push_back(pack_fix{v.time(i), q ? *q : ll, v.accuracy_m(i), std::string(), false});
  }
  sort_unique(out);
  return out;
}

// ---------------------------------------------------------------------------
// Building packs.

std::string_view to_string(pack_kind k) noexcept { return k == pack_kind::alert ? "alert" : "crime_match"; }

std::pair<instant, instant> pack_view(const alert_record& a, const pack_options& opt) {
  instant end = a.end.value_or(a.start);
  for (const evidence_fix& f : a.evidence) end = std::max(end, f.time);
  for (const alert_record_event& e : a.history)
    if (e.decided_at) end = std::max(end, *e.decided_at);
  return {a.start - opt.context, end + opt.context};
}

namespace {

// The crime's window, narrowed to where the match says the subject was when
// the window is long (police.uk months): a pack shows an episode, not a month.
std::pair<instant, instant> crime_during(const crime& c, const match_record* m) {
  instant a = c.from, b = c.to;
  if (b - a > std::chrono::hours{24} && m) {
    std::optional<instant> lo = m->first_time ? m->first_time : m->closest_time;
    std::optional<instant> hi = m->last_time ? m->last_time : m->closest_time;
    if (lo && hi) {
      a = std::max(c.from, *lo - std::chrono::hours{1});
      b = std::min(c.to, *hi + std::chrono::hours{1});
    }
  }
  return {a, b};
}

void add_gap_events(evidence_pack& p) {
  for (std::size_t i = 1; i < p.fixes.size(); ++i) {
    const auto d = p.fixes[i].time - p.fixes[i - 1].time;
    if (d > p.gap)
      p.timeline.push_back(pack_event{p.fixes[i - 1].time, "gap",
                                      "no fix for " + duration_s(std::chrono::duration_cast<milliseconds>(d))});
  }
}

void sort_timeline(evidence_pack& p) {
  std::stable_sort(p.timeline.begin(), p.timeline.end(),
                   [](const pack_event& a, const pack_event& b) { return a.time < b.time; });
}

std::vector<pack_fix> in_view(std::span<const pack_fix> fixes, instant from, instant to) {
  std::vector<pack_fix> out;
  for (const pack_fix& f : fixes)
    if (f.time >= from && f.time <= to) out.push_back(f);
  sort_unique(out);
  return out;
}

void flatten_params(const std::string& params_json, std::vector<pack_fact>& out) {
  auto doc = json::parse(params_json);
  if (!doc || !doc->root().is_object()) return;
  const json::value o = doc->root();
  for (std::size_t i = 0; i < o.size(); ++i) {
    const json::value v = o.value_at(i);
    out.push_back(pack_fact{std::string(o.key_at(i)), v.is_string() ? std::string(v.as_string()) : json::to_json(v)});
  }
}

// Distance and bearing from the subject to the victim device, the victim's
// position interpolated to each subject fix time between the victim fixes
// around it (both within 5 minutes), without revealing where either was.
void victim_distance_facts(evidence_pack& p, std::span<const pack_fix> victim) {
  if (victim.empty()) {
    p.victim_facts.push_back(pack_fact{"victim device", "no victim fixes within the view"});
    return;
  }
  const auto window = std::chrono::minutes{5};
  double best = -1, best_bearing = 0, first_d = -1, first_b = 0;
  instant best_t{};
  std::size_t pairs = 0;
  for (const pack_fix& s : p.fixes) {
    // victim is in time order: the fixes at or before and after s.time.
    auto after = std::lower_bound(victim.begin(), victim.end(), s.time,
                                  [](const pack_fix& v, instant t) { return v.time < t; });
    const pack_fix* a = after != victim.begin() ? &*(after - 1) : nullptr;
    const pack_fix* b = after != victim.end() ? &*after : nullptr;
    if (a && s.time - a->time > window) a = nullptr;
    if (b && b->time - s.time > window) b = nullptr;
    if (!a && !b) continue;
    lat_lon v = a ? a->pos : b->pos;
    if (a && b && b->time > a->time) {
      const double f = static_cast<double>((s.time - a->time).count()) / static_cast<double>((b->time - a->time).count());
      if (auto q = lat_lon::from_degrees(a->pos.lat_deg() + f * (b->pos.lat_deg() - a->pos.lat_deg()),
                                         a->pos.lon_deg() + f * (b->pos.lon_deg() - a->pos.lon_deg())))
        v = *q;
    } else if (b && (!a || b->time - s.time < s.time - a->time)) {
      v = b->pos;
    }
    ++pairs;
    const double d = geodesic_distance_m(s.pos, v);
    const double brg = geodesic_bearing_deg(s.pos, v);
    if (first_d < 0 && s.time >= p.episode_start) first_d = d, first_b = brg;
    if (best < 0 || d < best) best = d, best_bearing = brg, best_t = s.time;
  }
  if (pairs == 0) {
    p.victim_facts.push_back(pack_fact{"victim device", "no victim fix within 5 min of a subject fix"});
    return;
  }
  p.victim_facts.push_back(pack_fact{"closest distance between the fixes (victim interpolated)",
                                     num_s(best, 0) + " m at " + time_s(best_t)});
  p.victim_facts.push_back(pack_fact{"bearing from the subject then", bearing_text(best_bearing)});
  if (first_d >= 0)
    p.victim_facts.push_back(
        pack_fact{"at the episode start", num_s(first_d, 0) + " m, bearing " + bearing_text(first_b)});
  p.victim_facts.push_back(pack_fact{"subject fixes compared", std::to_string(pairs) + " (a victim fix within 5 min)"});
}

}  // namespace

evidence_pack make_alert_pack(const alert_record& a, const zone* z, std::span<const pack_fix> subject_fixes,
                              std::span<const pack_fix> victim_fixes, const pack_options& opt) {
  evidence_pack p;
  p.kind = pack_kind::alert;
  p.frame = opt.frame;
  p.gap = opt.gap;
  p.reference_id = a.alert_id;
  p.subject_id = a.subject_id;
  p.title = "Alert " + a.alert_id + " \xE2\x80\x94 " + a.type + " \xE2\x80\x94 " + a.subject_id;
  const auto [from, to] = pack_view(a, opt);
  p.view_from = from;
  p.view_to = to;
  p.episode_start = a.start;
  p.episode_open = !a.end.has_value();
  p.episode_end = a.end ? *a.end : to - opt.context;
  p.fixes = in_view(subject_fixes, from, to);
  // The alert's own evidence fixes are marked, and added if the trail given
  // lacks them (the alert file alone is enough for a pack).
  for (const evidence_fix& e : a.evidence) {
    auto ll = lat_lon::from_degrees(e.lat_deg, e.lon_deg);
    if (!ll) continue;
    bool found = false;
    for (pack_fix& f : p.fixes)
      if (f.time == e.time && std::fabs(f.pos.lat_deg() - e.lat_deg) < 5e-8 && std::fabs(f.pos.lon_deg() - e.lon_deg) < 5e-8) {
        f.evidence = true;
        f.accuracy_m = std::max(f.accuracy_m, e.accuracy_m);  // the effective radius the rule used
        found = true;
      }
    if (!found) p.fixes.push_back(pack_fix{e.time, *ll, e.accuracy_m, std::string(), true});
  }
  std::stable_sort(p.fixes.begin(), p.fixes.end(), [](const pack_fix& x, const pack_fix& y) { return x.time < y.time; });

  auto fact = [&](std::string l, std::string v) { p.facts.push_back(pack_fact{std::move(l), std::move(v)}); };
  fact("alert id", a.alert_id);
  fact("type", a.type);
  if (!a.rule.empty()) fact("rule", a.rule);
  fact("subject", a.subject_id);
  fact("zone", a.zone_id.empty() ? "\xE2\x80\x94" : a.zone_id + (z ? " (" + std::string(to_string(z->kind)) + ")" : ""));
  if (z && z->kind != zone_kind::victim_home)
    for (const auto& [k, v] : z->properties)  // display properties, e.g. a ward's name
      if (k == "name" || k.ends_with("NM")) fact("zone " + k, v);
  if (a.victim_id) fact("victim", *a.victim_id);
  fact("start", time_s(a.start));
  fact("end", a.end ? time_s(*a.end) : "open (not closed in the alerts file)");
  if (a.end) fact("duration", duration_s(std::chrono::duration_cast<milliseconds>(*a.end - a.start)));
  fact("status", a.retracted() ? "retracted (late data showed no breach)" : a.history.empty() ? "" : a.history.back().event);
  fact("priority", std::to_string(a.priority) + " (1 most urgent)");
  fact("confidence", a.confidence);
  fact("fixes in breach", std::to_string(a.fix_count));
  if (a.max_depth_m) fact("deepest breach beyond the boundary", num_s(*a.max_depth_m, 1) + " m");
  if (a.min_distance_m) fact("closest distance", num_s(*a.min_distance_m, 1) + " m");
  if (a.rejected_fixes) fact("fixes rejected by the motion filter", std::to_string(a.rejected_fixes));
  if (a.late_arrival) fact("late arrival", "already away at the window start");

  p.parameters.push_back(pack_fact{"rule", a.rule.empty() ? a.type : a.rule});
  flatten_params(a.params_json, p.parameters);
  if (!a.schedule_json.empty()) p.parameters.push_back(pack_fact{"schedule", a.schedule_json});
  if (z && z->tolerance_m > 0) p.parameters.push_back(pack_fact{"zone tolerance_m", num_s(z->tolerance_m, 1)});
  p.parameters.push_back(pack_fact{"map gap threshold", duration_s(opt.gap)});
  p.parameters.push_back(pack_fact{"context shown", duration_s(opt.context) + " before and after"});
  p.parameters.push_back(pack_fact{"frame", opt.frame.describe()});
  p.zone_version = a.zone_version;
  p.engine = a.engine.empty() ? std::string(engine_name()) : a.engine;

  if (z) {
    const bool withhold = z->kind == zone_kind::victim_home && !opt.victim_authorised;
    p.area_label = "zone " + z->zone_id + " (" + std::string(to_string(z->kind)) + ")";
    if (withhold) {
      p.area_withheld = true;
      // Where the victim lives is not shown; how far the subject was is.
      lat_lon centre = z->centre_wgs84;
      if (z->shape == zone_shape::polygonal) {
        const box b = z->bounds();
        centre = opt.frame.inverse(xy{(b.min.x_m + b.max.x_m) / 2, (b.min.y_m + b.max.y_m) / 2});
      }
      const pack_fix* deepest = nullptr;
      double dmin = 0;
      for (const pack_fix& f : p.fixes) {
        if (f.time < p.episode_start || f.time > p.episode_end) continue;
        const double d = geodesic_distance_m(f.pos, centre);
        if (!deepest || d < dmin) deepest = &f, dmin = d;
      }
      p.victim_facts.push_back(pack_fact{"victim home zone", "geometry withheld (not authorised)"});
      if (deepest)
        p.victim_facts.push_back(pack_fact{"closest fix to the victim home (centre)",
                                           num_s(dmin, 0) + " m, bearing " +
                                               bearing_text(geodesic_bearing_deg(deepest->pos, centre)) + " at " +
                                               time_s(deepest->time)});
    } else if (z->shape == zone_shape::circle) {
      p.area_centre = z->centre_wgs84;
      p.area_radius_m = z->radius_m;
    } else {
      p.area_polygons = z->outline_wgs84;
    }
  } else if (!a.zone_id.empty()) {
    p.area_label = "zone " + a.zone_id + " (not found in the zones file)";
  }

  if (a.victim_id) {
    p.victim_id = a.victim_id;
    p.victim_authorised = opt.victim_authorised;
    std::vector<pack_fix> vf = in_view(victim_fixes, from, to);
    if (opt.victim_authorised)
      p.victim_fixes = std::move(vf);
    else
      victim_distance_facts(p, vf);
  }

  for (const alert_record_event& e : a.history) {
    std::string d = "priority " + std::to_string(e.priority) + ", " + e.confidence + ", " + std::to_string(e.fix_count) +
                    " fixes";
    if (e.end) d += ", end " + time_s(*e.end);
    p.timeline.push_back(pack_event{e.decided_at.value_or(a.start), e.event, d});
  }
  p.timeline.push_back(pack_event{a.start, "episode start", "first fix of the deciding run"});
  if (a.end) p.timeline.push_back(pack_event{*a.end, "episode end", ""});
  add_gap_events(p);
  sort_timeline(p);
  return p;
}

std::pair<instant, instant> pack_view(const crime& c, const pack_options& opt) {
  return {c.from - opt.context, c.to + opt.context};
}

evidence_pack make_crime_pack(const crime& c, const match_record& m, std::span<const pack_fix> subject_fixes,
                              const crime_pack_params& params, const pack_options& opt) {
  evidence_pack p;
  p.kind = pack_kind::crime_match;
  p.frame = opt.frame;
  p.gap = opt.gap;
  p.reference_id = c.crime_id;
  p.subject_id = m.subject_id;
  p.title = "Crime " + c.crime_id + " \xE2\x80\x94 " + m.status + " \xE2\x80\x94 " + m.subject_id;
  const auto [a, b] = crime_during(c, &m);
  p.episode_start = a;
  p.episode_end = b;
  p.view_from = a - opt.context;
  p.view_to = b + opt.context;
  p.fixes = in_view(subject_fixes, p.view_from, p.view_to);
  for (pack_fix& f : p.fixes)
    f.evidence = f.time >= c.from && f.time <= c.to && geodesic_distance_m(f.pos, c.pos) - f.accuracy_m <= params.radius_m;
  p.area_label = "crime " + c.crime_id + ", radius " + num_s(params.radius_m, 0) + " m";
  p.area_centre = c.pos;
  p.area_radius_m = params.radius_m;

  auto fact = [&](std::string l, std::string v) { p.facts.push_back(pack_fact{std::move(l), std::move(v)}); };
  fact("crime", c.crime_id);
  if (!c.type.empty()) fact("crime type", c.type);
  if (!c.location.empty()) fact("location", c.location);
  fact("window", time_s(c.from) + " to " + time_s(c.to));
  if (a != c.from || b != c.to) fact("shown", time_s(a) + " to " + time_s(b) + " (around the subject's approach)");
  fact("subject", m.subject_id);
  fact("status", m.status);
  fact("closest approach", m.min_distance_m ? num_s(*m.min_distance_m, 1) + " m" : "\xE2\x80\x94");
  if (m.closest_time) fact("closest at", time_s(*m.closest_time));
  fact("time within the radius", duration_s(milliseconds{static_cast<std::int64_t>(std::llround(m.dwell_s * 1000))}));
  if (m.first_time) fact("first", time_s(*m.first_time));
  if (m.last_time) fact("last", time_s(*m.last_time));
  fact("fixes within the radius", std::to_string(m.fix_count));
  fact("score", num_s(m.score, 4));

  p.parameters.push_back(pack_fact{"radius_m", num_s(params.radius_m, 1)});
  if (params.snap_allowance_m > 0)
    p.parameters.push_back(pack_fact{"of which police.uk snap allowance_m", num_s(params.snap_allowance_m, 1)});
  p.parameters.push_back(pack_fact{"max_speed_mps", num_s(params.max_speed_mps, 1)});
  p.parameters.push_back(pack_fact{"trail max_gap", duration_s(params.max_gap)});
  p.parameters.push_back(pack_fact{"map gap threshold", duration_s(opt.gap)});
  p.parameters.push_back(pack_fact{"frame", opt.frame.describe()});
  p.engine = engine_name();

  p.timeline.push_back(pack_event{c.from, "window start", "the crime may have happened from here"});
  p.timeline.push_back(pack_event{c.to, "window end", ""});
  if (m.first_time) p.timeline.push_back(pack_event{*m.first_time, "first", m.status});
  if (m.closest_time)
    p.timeline.push_back(pack_event{*m.closest_time, "closest", m.min_distance_m ? num_s(*m.min_distance_m, 1) + " m" : ""});
  if (m.last_time) p.timeline.push_back(pack_event{*m.last_time, "last", m.status});
  add_gap_events(p);
  sort_timeline(p);
  return p;
}

// ---------------------------------------------------------------------------
// HTML.

namespace {

constexpr double map_w = 720, map_h = 540, map_margin = 24;

struct rgb {
  int r, g, b;
};

// Time ramp: blue (early) -> purple -> red -> orange (late).
std::string ramp(double t) {
  static const rgb stops[] = {{31, 78, 156}, {123, 50, 148}, {215, 48, 31}, {230, 140, 0}};
  t = std::clamp(t, 0.0, 1.0) * 3.0;
  const int i = std::min(2, static_cast<int>(t));
  const double f = t - i;
  auto mix = [&](int x, int y) { return static_cast<int>(std::lround(x + (y - x) * f)); };
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", mix(stops[i].r, stops[i + 1].r), mix(stops[i].g, stops[i + 1].g),
                mix(stops[i].b, stops[i + 1].b));
  return buf;
}

std::string_view phase(const evidence_pack& p, instant t) {
  return t < p.episode_start ? "before" : t > p.episode_end ? "after" : "during";
}

double time_frac(const evidence_pack& p, instant t) {
  const double span = static_cast<double>((p.view_to - p.view_from).count());
  return span <= 0 ? 0.0 : static_cast<double>((t - p.view_from).count()) / span;
}

struct projector {
  double minx = 0, miny = 0, scale = 1, offx = 0, offy = 0;
  double px(xy q) const { return map_margin + offx + (q.x_m - minx) * scale; }
  double py(xy q) const { return map_h - map_margin - offy - (q.y_m - miny) * scale; }
};

struct bbox {
  double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
  void add(xy q, double r = 0) {
    x0 = std::min(x0, q.x_m - r), y0 = std::min(y0, q.y_m - r);
    x1 = std::max(x1, q.x_m + r), y1 = std::max(y1, q.y_m + r);
  }
  bool empty() const { return x0 > x1; }
  double w() const { return x1 - x0; }
  double h() const { return y1 - y0; }
};

void pt(std::string& out, double v) { num(out, v, 1); }

// ` name="v"`: an SVG attribute in map pixels, to 0.1 px.
void attr(std::string& out, std::string_view name, double v) {
  out += ' ';
  out += name;
  out += "=\"";
  pt(out, v);
  out += '"';
}
// ` name="v"` for a value of our own making (a class, a colour, a fixed
// size), never outside text: it is not escaped.
void attr(std::string& out, std::string_view name, std::string_view v) {
  out += ' ';
  out += name;
  out += "=\"";
  out += v;
  out += '"';
}

void svg_ring(std::string& out, const projector& pr, const tm_frame& fr, const lat_lon_ring& ring) {
  for (std::size_t i = 0; i < ring.size(); ++i) {
    const xy q = fr.forward(ring[i]);
    out += i == 0 ? 'M' : 'L';
    pt(out, pr.px(q));
    out += ',';
    pt(out, pr.py(q));
  }
  out += 'Z';
}

std::string hhmm(instant t) { return time_s(t).substr(11, 5); }

void table(std::string& out, const char* cls, const std::vector<pack_fact>& rows) {
  out += "<table class=\"";
  out += cls;
  out += "\">\n";
  for (const pack_fact& f : rows) {
    out += "<tr><th>";
    escape_html(out, f.label);
    out += "</th><td>";
    escape_html(out, f.value);
    out += "</td></tr>\n";
  }
  out += "</table>\n";
}

void render_map(std::string& out, const evidence_pack& p) {
  const tm_frame& fr = p.frame;
  bbox fixes_box, area_box;
  for (const pack_fix& f : p.fixes) fixes_box.add(fr.forward(f.pos));
  for (const pack_fix& f : p.victim_fixes) fixes_box.add(fr.forward(f.pos));
  double area_r_frame = 0;
  xy area_c{};
  if (p.area_centre) {
    area_c = fr.forward(*p.area_centre);
    area_r_frame = p.area_radius_m * fr.scale_at(*p.area_centre);
    area_box.add(area_c, area_r_frame);
  }
  for (const lat_lon_polygon& poly : p.area_polygons)
    for (const lat_lon& ll : poly.outer) area_box.add(fr.forward(ll));
  bbox view = fixes_box;
  if (!area_box.empty()) {
    // A large zone (a ward, an inclusion area) would shrink the trail to a
    // dot: include it whole only when it is comparable to the trail.
    const double trail = std::max({fixes_box.empty() ? 0.0 : fixes_box.w(), fixes_box.empty() ? 0.0 : fixes_box.h(), 500.0});
    if (fixes_box.empty() || std::max(area_box.w(), area_box.h()) <= 3 * trail) {
      view.add(xy{area_box.x0, area_box.y0});
      view.add(xy{area_box.x1, area_box.y1});
    }
  }
  if (view.empty()) view.add(xy{0, 0});
  // At least 200 m across; 6% padding.
  const double cx = (view.x0 + view.x1) / 2, cy = (view.y0 + view.y1) / 2;
  const double w = std::max(view.w() * 1.12, 200.0), h = std::max(view.h() * 1.12, 200.0);
  projector pr;
  pr.scale = std::min((map_w - 2 * map_margin) / w, (map_h - 2 * map_margin) / h);
  pr.minx = cx - w / 2;
  pr.miny = cy - h / 2;
  pr.offx = ((map_w - 2 * map_margin) - w * pr.scale) / 2;
  pr.offy = ((map_h - 2 * map_margin) - h * pr.scale) / 2;

  out += "<svg id=\"map\" class=\"map\" viewBox=\"0 0 ";
  pt(out, map_w);
  out += ' ';
  pt(out, map_h);
  out += '"';
  attr(out, "width", map_w);
  attr(out, "height", map_h);
  out += " role=\"img\" aria-label=\"trail map\">\n<rect class=\"bg\" x=\"0\" y=\"0\" width=\"100%\" height=\"100%\"/>\n";

  // The area.
  if (!p.area_polygons.empty()) {
    out += "<path id=\"area\" class=\"area\" fill-rule=\"evenodd\" d=\"";
    for (const lat_lon_polygon& poly : p.area_polygons) {
      svg_ring(out, pr, fr, poly.outer);
      for (const lat_lon_ring& hole : poly.holes) svg_ring(out, pr, fr, hole);
    }
    out += "\"><title>";
    escape_html(out, p.area_label);
    out += "</title></path>\n";
  }
  if (p.area_centre) {
    out += "<circle id=\"area\" class=\"area\"";
    attr(out, "cx", pr.px(area_c));
    attr(out, "cy", pr.py(area_c));
    attr(out, "r", area_r_frame * pr.scale);
    out += "><title>";
    escape_html(out, p.area_label);
    out += "</title></circle>\n";
    if (p.kind == pack_kind::crime_match) {
      const double x = pr.px(area_c), y = pr.py(area_c);
      out += "<path class=\"crime\" d=\"M";
      pt(out, x - 7), out += ',', pt(out, y - 7), out += "L", pt(out, x + 7), out += ',', pt(out, y + 7);
      out += "M", pt(out, x - 7), out += ',', pt(out, y + 7), out += "L", pt(out, x + 7), out += ',', pt(out, y - 7);
      out += "\"/>\n";
    }
  }

  // A zone too small to see at this scale (a curfew home on a 10 km trip)
  // gets a dashed ring and its label; its true size is in the facts.
  if (p.area_centre || !p.area_polygons.empty()) {
    bbox a_px;
    if (p.area_centre) a_px.add(xy{pr.px(area_c), pr.py(area_c)}, area_r_frame * pr.scale);
    for (const lat_lon_polygon& poly : p.area_polygons)
      for (const lat_lon& ll : poly.outer) {
        const xy q = fr.forward(ll);
        a_px.add(xy{pr.px(q), pr.py(q)});
      }
    if (std::max(a_px.w(), a_px.h()) < 12) {
      const double x = (a_px.x0 + a_px.x1) / 2, y = (a_px.y0 + a_px.y1) / 2;
      out += "<circle class=\"marker\"";
      attr(out, "cx", x);
      attr(out, "cy", y);
      out += " r=\"11\"/><text class=\"markerlabel\"";
      attr(out, "x", x + 14);
      attr(out, "y", y - 10);
      out += '>';
      escape_html(out, p.area_label);
      out += "</text>\n";
    }
  }

  // Accuracy circles, then the path, then the fixes on top.
  out += "<g class=\"accuracy\">\n";
  for (const pack_fix& f : p.fixes) {
    const xy q = fr.forward(f.pos);
    out += "<circle";
    attr(out, "cx", pr.px(q));
    attr(out, "cy", pr.py(q));
    attr(out, "r", f.accuracy_m * fr.scale_at(f.pos) * pr.scale);
    attr(out, "fill", ramp(time_frac(p, f.time)));
    out += "/>\n";
  }
  out += "</g>\n<g class=\"path\">\n";
  for (std::size_t i = 1; i < p.fixes.size(); ++i) {
    const xy a = fr.forward(p.fixes[i - 1].pos), b = fr.forward(p.fixes[i].pos);
    const bool gap = p.fixes[i].time - p.fixes[i - 1].time > p.gap;
    out += "<line";
    attr(out, "class", gap ? "gap" : "seg");
    attr(out, "x1", pr.px(a));
    attr(out, "y1", pr.py(a));
    attr(out, "x2", pr.px(b));
    attr(out, "y2", pr.py(b));
    attr(out, "stroke", ramp(time_frac(p, p.fixes[i].time)));
    out += "/>\n";
  }
  out += "</g>\n<g class=\"fixes\">\n";
  for (const pack_fix& f : p.fixes) {
    const xy q = fr.forward(f.pos);
    out += "<circle class=\"fix ";
    out += phase(p, f.time);
    if (f.evidence) out += " evidence";
    out += '"';
    attr(out, "cx", pr.px(q));
    attr(out, "cy", pr.py(q));
    attr(out, "r", f.evidence ? "5" : "3.5");
    attr(out, "fill", ramp(time_frac(p, f.time)));
    out += "><title>";
    out += time_s(f.time);
    out += " \xC2\xB1";
    num(out, f.accuracy_m, 1);
    out += " m ";
    out += phase(p, f.time);
    if (f.evidence) out += " (evidence)";
    out += "</title></circle>\n";
  }
  out += "</g>\n";
  if (!p.victim_fixes.empty()) {
    out += "<g class=\"victim\">\n";
    for (const pack_fix& f : p.victim_fixes) {
      const xy q = fr.forward(f.pos);
      out += "<rect";
      attr(out, "x", pr.px(q) - 3.5);
      attr(out, "y", pr.py(q) - 3.5);
      out += " width=\"7\" height=\"7\"><title>victim ";
      out += time_s(f.time);
      out += "</title></rect>\n";
    }
    out += "</g>\n";
  }

  // Scale bar in ground metres: a round length about a fifth of the map.
  const lat_lon centre_ll = fr.inverse(xy{cx, cy});
  const double k = fr.scale_at(centre_ll);
  const double target_m = (map_w - 2 * map_margin) / pr.scale / k / 5;
  double len_m = 1;
  for (double mag = 1; mag < 1e7; mag *= 10)
    for (double m : {1.0, 2.0, 5.0})
      if (m * mag <= target_m) len_m = m * mag;
  const double len_px = len_m * k * pr.scale;
  out += "<g id=\"scale-bar\" class=\"scale\"><rect";
  attr(out, "x", map_margin);
  attr(out, "y", map_h - 20);
  attr(out, "width", len_px);
  out += " height=\"5\"/><text";
  attr(out, "x", map_margin);
  attr(out, "y", map_h - 24);
  out += '>';
  if (len_m >= 1000)
    num(out, len_m / 1000, 0), out += " km";
  else
    num(out, len_m, 0), out += " m";
  out += "</text></g>\n<text class=\"north\"";
  attr(out, "x", map_w - 30);
  out += " y=\"30\">N \xE2\x86\x91</text>\n</svg>\n";
}

void render_timeline(std::string& out, const evidence_pack& p) {
  constexpr double w = 860, h = 150, x0 = 20, x1 = 840, axis_y = 70;
  auto X = [&](instant t) { return x0 + (x1 - x0) * time_frac(p, t); };
  out += "<svg id=\"timeline\" class=\"timeline\" viewBox=\"0 0 860 150\" width=\"860\" height=\"150\" role=\"img\" "
         "aria-label=\"timeline\">\n";
  (void)w, (void)h;
  const double ea = X(std::max(p.episode_start, p.view_from)), eb = X(std::min(p.episode_end, p.view_to));
  out += "<rect class=\"episode\"";
  attr(out, "x", ea);
  attr(out, "y", axis_y - 18);
  attr(out, "width", std::max(eb - ea, 1.0));
  out += " height=\"36\"/>\n<line class=\"axis\"";
  attr(out, "x1", x0);
  attr(out, "y1", axis_y);
  attr(out, "x2", x1);
  attr(out, "y2", axis_y);
  out += "/>\n";
  // Hour/minute ticks: the smallest step giving at most 8 ticks.
  const std::int64_t span_ms = std::max<std::int64_t>((p.view_to - p.view_from).count(), 1);
  static const std::int64_t steps_min[] = {1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080};
  std::int64_t step = 10080LL * 60000;
  for (std::int64_t s : steps_min)
    if (span_ms / (s * 60000) <= 8) {
      step = s * 60000;
      break;
    }
  for (std::int64_t t = (to_epoch_ms(p.view_from) / step + 1) * step; t < to_epoch_ms(p.view_to); t += step) {
    const double x = X(from_epoch_ms(t));
    out += "<line class=\"tick\"";
    attr(out, "x1", x);
    attr(out, "y1", axis_y + 20);
    attr(out, "x2", x);
    attr(out, "y2", axis_y + 26);
    out += "/><text class=\"ticklabel\"";
    attr(out, "x", x);
    attr(out, "y", axis_y + 40);
    out += '>';
    out += hhmm(from_epoch_ms(t));
    out += "</text>\n";
  }
  // Fix ticks and gaps along the axis.
  for (std::size_t i = 0; i < p.fixes.size(); ++i) {
    const double x = X(p.fixes[i].time);
    out += "<line class=\"fixtick\"";
    attr(out, "x1", x);
    attr(out, "y1", axis_y - 8);
    attr(out, "x2", x);
    attr(out, "y2", axis_y + 8);
    attr(out, "stroke", ramp(time_frac(p, p.fixes[i].time)));
    out += "/>\n";
    if (i > 0 && p.fixes[i].time - p.fixes[i - 1].time > p.gap) {
      out += "<line class=\"gap\"";
      attr(out, "x1", X(p.fixes[i - 1].time));
      attr(out, "y1", axis_y + 12);
      attr(out, "x2", x);
      attr(out, "y2", axis_y + 12);
      out += "/>\n";
    }
  }
  // Events above the axis; each label on the first of three rows where it
  // does not run into the previous one (about 6.5 px per character).
  double row_end[3] = {-1e9, -1e9, -1e9};
  for (const pack_event& e : p.timeline) {
    if (e.what == "gap") continue;
    const double x = X(std::clamp(e.time, p.view_from, p.view_to));
    const double lx = std::min(x, x1 - 6.5 * static_cast<double>(e.what.size()));
    int row = 0;
    for (int r = 0; r < 3; ++r)
      if (row_end[r] < lx) {
        row = r;
        break;
      } else if (row_end[r] < row_end[row]) {
        row = r;
      }
    row_end[row] = lx + 6.5 * static_cast<double>(e.what.size()) + 6;
    const double y = 14.0 + 13.0 * row;
    out += "<line class=\"event\"";
    attr(out, "x1", x);
    attr(out, "y1", y + 2);
    attr(out, "x2", x);
    attr(out, "y2", axis_y);
    out += "/><text class=\"eventlabel\"";
    attr(out, "x", lx);
    attr(out, "y", y);
    out += '>';
    escape_html(out, e.what);
    out += "</text>\n";
  }
  out += "<text class=\"ticklabel start\" x=\"20\" y=\"140\">";
  out += time_s(p.view_from);
  out += "</text><text class=\"ticklabel end\" x=\"840\" y=\"140\">";
  out += time_s(p.view_to);
  out += "</text>\n</svg>\n";
}

constexpr std::string_view style = R"(
body{font-family:sans-serif;margin:16px 24px;color:#1d1d1d;max-width:1180px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:18px 0 6px;border-bottom:1px solid #ccc}
.sub{color:#555;font-size:13px;margin-bottom:10px}
.cols{display:flex;gap:20px;flex-wrap:wrap}.mapcol{flex:0 0 722px}.side{flex:1 1 380px;min-width:0}
.side td{overflow-wrap:anywhere}
table{border-collapse:collapse;font-size:13px}th,td{text-align:left;padding:2px 10px 2px 0;vertical-align:top}
th{color:#444;font-weight:600}
table.fixes td,table.fixes th{padding:1px 8px 1px 0;font-family:monospace;font-size:12px}
.map{border:1px solid #999;background:#f7f7f2}.map .bg{fill:#f7f7f2}
.map .area{fill:#c0392b;fill-opacity:.12;stroke:#c0392b;stroke-width:2}
.map .crime{stroke:#000;stroke-width:2;fill:none}
.map .marker{fill:none;stroke:#c0392b;stroke-width:2;stroke-dasharray:4 3}.map .markerlabel{fill:#c0392b;font-weight:600}
.map .accuracy circle{fill-opacity:.10;stroke:none}
.map .seg{stroke-width:2;stroke-opacity:.8}
.map .gap{stroke-width:2;stroke-dasharray:6 5;stroke-opacity:.8}
.map .fix{stroke:#fff;stroke-width:1}.map .before,.map .after{fill-opacity:.45}
.map .during{stroke:#000;stroke-width:1.2}.map .evidence{stroke:#000;stroke-width:2.5}
.map .victim rect{fill:#6a1b9a;stroke:#fff}
.map .scale rect{fill:#222}.map text{font-size:12px;fill:#222}
.timeline{border:1px solid #999;background:#fff;margin-top:8px}
.timeline .episode{fill:#c0392b;fill-opacity:.15}.timeline .axis{stroke:#333;stroke-width:1.5}
.timeline .tick{stroke:#333}.timeline .fixtick{stroke-width:1.5}
.timeline .gap{stroke:#333;stroke-width:2;stroke-dasharray:4 3}
.timeline .event{stroke:#555;stroke-dasharray:2 2}
.timeline text{font-size:11px;fill:#222}.timeline .ticklabel{text-anchor:middle}
.timeline .end{text-anchor:end}.timeline .start{text-anchor:start}.timeline .eventlabel{font-weight:600}
.legend span{display:inline-block;width:14px;height:10px;margin:0 4px 0 10px;vertical-align:middle}
.note{font-size:12px;color:#555}
)";

}  // namespace

std::string render_html(const evidence_pack& p) {
  std::string out;
  out.reserve(64 * 1024 + p.fixes.size() * 600);
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>";
  escape_html(out, p.title);
  out += "</title>\n<style>";
  out += style;
  out += "</style>\n</head>\n<body>\n<h1>";
  escape_html(out, p.title);
  out += "</h1>\n<div class=\"sub\">Evidence pack (";
  out += to_string(p.kind);
  out += ") \xC2\xB7 ";
  escape_html(out, p.engine);
  if (!p.zone_version.empty()) {
    out += " \xC2\xB7 zone version ";
    escape_html(out, p.zone_version);
  }
  out += " \xC2\xB7 times UTC</div>\n";

  out += "<div class=\"cols\">\n<div class=\"mapcol\">\n";
  render_map(out, p);
  out += "<div class=\"legend note\">time:<span style=\"background:";
  out += ramp(0);
  out += "\"></span>";
  out += time_s(p.view_from);
  out += "<span style=\"background:";
  out += ramp(0.5);
  out += "\"></span>\xE2\x80\xA6<span style=\"background:";
  out += ramp(1);
  out += "\"></span>";
  out += time_s(p.view_to);
  out += ". Faded: before/after the episode; outlined: during; thick outline: evidence. Discs: 95% accuracy. "
         "Dashed: no fix for more than ";
  out += duration_s(p.gap);
  out += ". Grid north up.</div>\n</div>\n<div class=\"side\">\n<h2>Decision</h2>\n";
  table(out, "facts", p.facts);
  if (!p.area_label.empty()) {
    out += "<p class=\"note\">Area: ";
    escape_html(out, p.area_label);
    if (p.area_withheld) out += " \xE2\x80\x94 geometry withheld";
    out += "</p>\n";
  }
  if (p.victim_id || !p.victim_facts.empty()) {
    out += "<h2>Victim</h2>\n";
    std::vector<pack_fact> v;
    if (p.victim_id)
      v.push_back(pack_fact{"victim", *p.victim_id + (p.victim_authorised ? " (positions shown: authorised)"
                                                                           : " (positions not shown: not authorised)")});
    v.insert(v.end(), p.victim_facts.begin(), p.victim_facts.end());
    table(out, "victim", v);
  }
  out += "<h2>Rule and parameters</h2>\n<div id=\"parameters\">\n";
  std::vector<pack_fact> params = p.parameters;
  if (!p.zone_version.empty()) params.push_back(pack_fact{"zone version", p.zone_version});
  params.push_back(pack_fact{"engine", p.engine});
  table(out, "params", params);
  out += "</div>\n</div>\n</div>\n";

  out += "<h2>Timeline</h2>\n";
  render_timeline(out, p);
  out += "<table class=\"events\">\n";
  for (const pack_event& e : p.timeline) {
    out += "<tr><td>";
    out += time_s(e.time);
    out += "</td><th>";
    escape_html(out, e.what);
    out += "</th><td>";
    escape_html(out, e.detail);
    out += "</td></tr>\n";
  }
  out += "</table>\n";

  out += "<h2>Fixes (";
  out += std::to_string(p.fixes.size());
  out += ")</h2>\n<table class=\"fixes\">\n<tr><th>time</th><th>lat</th><th>lon</th><th>accuracy_m</th><th>source</th>"
         "<th>phase</th><th>evidence</th></tr>\n";
  for (const pack_fix& f : p.fixes) {
    out += "<tr><td>";
    out += time_s(f.time);
    out += "</td><td>";
    num(out, f.pos.lat_deg(), 7);
    out += "</td><td>";
    num(out, f.pos.lon_deg(), 7);
    out += "</td><td>";
    num(out, f.accuracy_m, 1);
    out += "</td><td>";
    escape_html(out, f.source);
    out += "</td><td>";
    out += phase(p, f.time);
    out += "</td><td>";
    out += f.evidence ? "yes" : "";
    out += "</td></tr>\n";
  }
  out += "</table>\n<p class=\"note\">Generated by ";
  escape_html(out, engine_name());
  out += " from the files named on its command line; positions in WGS84 degrees, distances in metres.</p>\n"
         "</body>\n</html>\n";
  return out;
}

// ---------------------------------------------------------------------------
// GeoJSON.

namespace {

void coord(std::string& out, lat_lon ll) {
  out += '[';
  num(out, ll.lon_deg(), 7);
  out += ',';
  num(out, ll.lat_deg(), 7);
  out += ']';
}

void ring_json(std::string& out, const lat_lon_ring& r) {
  out += '[';
  for (const lat_lon& ll : r) coord(out, ll), out += ',';
  if (!r.empty()) coord(out, r.front());  // GeoJSON rings repeat their first vertex
  out += ']';
}

void facts_json(std::string& out, const std::vector<pack_fact>& v) {
  out += '[';
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    out += '[';
    append_json_string(out, v[i].label);
    out += ',';
    append_json_string(out, v[i].value);
    out += ']';
  }
  out += ']';
}

void fix_feature(std::string& out, const evidence_pack& p, const pack_fix& f, std::string_view role) {
  out += ",\n{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":";
  coord(out, f.pos);
  out += "},\"properties\":{\"role\":\"";
  out += role;
  out += "\",\"time\":\"";
  out += time_s(f.time);
  out += "\",\"accuracy_m\":";
  num(out, f.accuracy_m, 1);
  out += ",\"source\":";
  if (f.source.empty())
    out += "null";
  else
    append_json_string(out, f.source);
  out += ",\"phase\":\"";
  out += phase(p, f.time);
  out += "\",\"evidence\":";
  out += f.evidence ? "true" : "false";
  out += "}}";
}

}  // namespace

std::string render_geojson(const evidence_pack& p) {
  std::string out;
  out += "{\"type\":\"FeatureCollection\",\"features\":[\n{\"type\":\"Feature\",\"geometry\":null,\"properties\":{"
         "\"role\":\"pack\",\"kind\":\"";
  out += to_string(p.kind);
  out += "\",\"title\":";
  append_json_string(out, p.title);
  out += ",\"reference_id\":";
  append_json_string(out, p.reference_id);
  out += ",\"subject_id\":";
  append_json_string(out, p.subject_id);
  out += ",\"episode_start\":\"";
  out += time_s(p.episode_start);
  out += "\",\"episode_end\":\"";
  out += time_s(p.episode_end);
  out += "\",\"episode_open\":";
  out += p.episode_open ? "true" : "false";
  out += ",\"view_from\":\"";
  out += time_s(p.view_from);
  out += "\",\"view_to\":\"";
  out += time_s(p.view_to);
  out += "\",\"gap_s\":";
  out += std::to_string(p.gap.count() / 1000);
  out += ",\"facts\":";
  facts_json(out, p.facts);
  out += ",\"parameters\":";
  facts_json(out, p.parameters);
  out += ",\"victim\":";
  facts_json(out, p.victim_facts);
  out += ",\"timeline\":[";
  for (std::size_t i = 0; i < p.timeline.size(); ++i) {
    if (i) out += ',';
    out += "[\"";
    out += time_s(p.timeline[i].time);
    out += "\",";
    append_json_string(out, p.timeline[i].what);
    out += ',';
    append_json_string(out, p.timeline[i].detail);
    out += ']';
  }
  out += "],\"zone_version\":";
  if (p.zone_version.empty())
    out += "null";
  else
    append_json_string(out, p.zone_version);
  out += ",\"engine\":";
  append_json_string(out, p.engine);
  out += "}}";

  if (!p.area_polygons.empty()) {
    out += ",\n{\"type\":\"Feature\",\"geometry\":{\"type\":\"MultiPolygon\",\"coordinates\":[";
    for (std::size_t i = 0; i < p.area_polygons.size(); ++i) {
      if (i) out += ',';
      out += '[';
      ring_json(out, p.area_polygons[i].outer);
      for (const lat_lon_ring& h : p.area_polygons[i].holes) out += ',', ring_json(out, h);
      out += ']';
    }
    out += "]},\"properties\":{\"role\":\"area\",\"label\":";
    append_json_string(out, p.area_label);
    out += "}}";
  }
  if (p.area_centre) {
    out += ",\n{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":";
    coord(out, *p.area_centre);
    out += "},\"properties\":{\"role\":\"area\",\"label\":";
    append_json_string(out, p.area_label);
    out += ",\"radius_m\":";
    num(out, p.area_radius_m, 1);
    out += "}}";
    // The circle as a polygon for tools that do not know radius_m.
    const xy c = p.frame.forward(*p.area_centre);
    const double r = p.area_radius_m * p.frame.scale_at(*p.area_centre);
    lat_lon_ring outline;
    for (int i = 0; i < 72; ++i) {
      const double a = i * (3.14159265358979323846 / 36);
      outline.push_back(p.frame.inverse(xy{c.x_m + r * std::cos(a), c.y_m + r * std::sin(a)}));
    }
    out += ",\n{\"type\":\"Feature\",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[";
    ring_json(out, outline);
    out += "]},\"properties\":{\"role\":\"area_outline\",\"label\":";
    append_json_string(out, p.area_label);
    out += "}}";
  }
  // Path runs and gaps.
  auto line = [&](std::size_t a, std::size_t b, std::string_view role) {
    out += ",\n{\"type\":\"Feature\",\"geometry\":{\"type\":\"LineString\",\"coordinates\":[";
    for (std::size_t i = a; i <= b; ++i) {
      if (i > a) out += ',';
      coord(out, p.fixes[i].pos);
    }
    out += "]},\"properties\":{\"role\":\"";
    out += role;
    out += "\",\"from\":\"";
    out += time_s(p.fixes[a].time);
    out += "\",\"to\":\"";
    out += time_s(p.fixes[b].time);
    out += "\"}}";
  };
  std::size_t run = 0;
  for (std::size_t i = 1; i <= p.fixes.size(); ++i) {
    const bool gap = i < p.fixes.size() && p.fixes[i].time - p.fixes[i - 1].time > p.gap;
    if (i == p.fixes.size() || gap) {
      if (i - 1 > run) line(run, i - 1, "path");
      if (gap) line(i - 1, i, "gap");
      run = i;
    }
  }
  for (const pack_fix& f : p.fixes) fix_feature(out, p, f, "fix");
  for (const pack_fix& f : p.victim_fixes) fix_feature(out, p, f, "victim_fix");
  out += "\n]}\n";
  return out;
}

result<void> write_text_file(const std::string& path, std::string_view text) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return make_error(errc::io_error, "cannot create " + path);
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok) return make_error(errc::io_error, "cannot write " + path);
  return {};
}

}  // namespace warden
