// The monitoring engine's configuration file (docs/engine.md "Configuration").
#include <warden/detail/json.hpp>
#include <warden/monitor.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

namespace warden {
namespace {

namespace json = detail::json;

struct cfg_error {
  std::string message;
};

double number(json::value v, std::string_view what, double lo, double hi) {
  if (!v.is_number() || !std::isfinite(v.as_number()) || v.as_number() < lo || v.as_number() > hi)
    throw cfg_error{std::string(what) + " must be a number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]"};
  return v.as_number();
}
std::chrono::milliseconds seconds(json::value v, std::string_view what, double hi = 30.0 * 86400) {
  return std::chrono::milliseconds{static_cast<std::int64_t>(std::llround(number(v, what, 0, hi) * 1000.0))};
}

void read_overrides(json::value o, rule_overrides& r, std::string_view where) {
  if (!o.is_object()) throw cfg_error{std::string(where) + " must be an object"};
  for (std::size_t i = 0; i < o.size(); ++i) {
    const std::string_view k = o.key_at(i);
    const json::value v = o.value_at(i);
    const std::string what = std::string(where) + "." + std::string(k);
    if (k == "confirm_fixes") r.confirm_fixes = static_cast<std::uint32_t>(number(v, what, 1, 255));
    else if (k == "confirm_dwell_s") r.confirm_dwell = seconds(v, what);
    else if (k == "exit_fixes") r.exit_fixes = static_cast<std::uint32_t>(number(v, what, 1, 255));
    else if (k == "max_gap_s") r.max_gap = seconds(v, what);
    else if (k == "curfew_grace_s") r.curfew_grace = seconds(v, what);
    else if (k == "curfew_stale_after_s") r.curfew_stale_after = seconds(v, what);
    else if (k == "curfew_min_return_s") r.curfew_min_return = seconds(v, what);
    else if (k == "transit") {
      if (!v.is_bool()) throw cfg_error{what + " must be true or false"};
      r.transit = v.as_bool();
    } else if (k == "transit_min_depth_m") r.transit_min_depth_m = number(v, what, 0, 100000);
    else throw cfg_error{"unknown key " + what};
  }
}

std::string text_of(json::value v, const std::string& what) {
  if (!v.is_string()) throw cfg_error{what + " must be a string"};
  return std::string(v.as_string());
}
std::vector<std::string> texts_of(json::value v, const std::string& what) {
  if (!v.is_array()) throw cfg_error{what + " must be an array of strings"};
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v.size(); ++i) out.push_back(text_of(v[i], what + "[" + std::to_string(i) + "]"));
  return out;
}

// A scheduled absence: the members of a zone's `schedule` (FORMATS.md),
// checked here as the zones reader checks them (unknown members refused: a
// misspelt "until" would make an appointment last for ever) and compiled
// once, so that a bad day, time, date or time zone is reported with the
// configuration, not when the engine starts.
schedule_spec read_absence(json::value v, const std::string& where) {
  if (!v.is_object()) throw cfg_error{where + " must be an object (a schedule)"};
  schedule_spec s;
  bool have_windows = false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string_view k = v.key_at(i);
    const json::value m = v.value_at(i);
    const std::string what = where + "." + std::string(k);
    if (k == "tz") s.tz = text_of(m, what);
    else if (k == "except") s.except = texts_of(m, what);
    else if (k == "from") s.from = text_of(m, what);
    else if (k == "until") s.until = text_of(m, what);
    else if (k == "windows") {
      if (!m.is_array()) throw cfg_error{what + " must be an array"};
      have_windows = true;
      for (std::size_t j = 0; j < m.size(); ++j) {
        const json::value w = m[j];
        const std::string at = what + "[" + std::to_string(j) + "]";
        if (!w.is_object()) throw cfg_error{at + " must be an object"};
        schedule_spec::window win;
        bool have_days = false, have_start = false, have_end = false;
        for (std::size_t n = 0; n < w.size(); ++n) {
          const std::string_view wk = w.key_at(n);
          const std::string ww = at + "." + std::string(wk);
          if (wk == "days") {
            win.days = texts_of(w.value_at(n), ww);
            have_days = true;
          } else if (wk == "start") {
            win.start = text_of(w.value_at(n), ww);
            have_start = true;
          } else if (wk == "end") {
            win.end = text_of(w.value_at(n), ww);
            have_end = true;
          } else {
            throw cfg_error{"unknown key " + ww};
          }
        }
        if (!have_days || !have_start || !have_end) throw cfg_error{at + " needs days, start and end"};
        s.windows.push_back(std::move(win));
      }
    } else {
      throw cfg_error{"unknown key " + what};
    }
  }
  if (!have_windows) throw cfg_error{where + " needs a windows array"};
  if (auto c = schedule::compile(s); !c) throw cfg_error{where + ": " + std::string(to_string(c.code())) + ": " + c.err().message};
  return s;
}

risk_level parse_risk(json::value v, std::string_view what) {
  const std::string_view s = v.as_string();
  if (v.is_string() && s == "low") return risk_level::low;
  if (v.is_string() && s == "medium") return risk_level::medium;
  if (v.is_string() && s == "high") return risk_level::high;
  throw cfg_error{std::string(what) + " must be \"low\", \"medium\" or \"high\""};
}

void read_config(json::value root, monitor_config& c) {
  if (!root.is_object()) throw cfg_error{"configuration must be a JSON object"};
  for (std::size_t i = 0; i < root.size(); ++i) {
    const std::string_view k = root.key_at(i);
    const json::value v = root.value_at(i);
    const std::string what(k);
    if (k == "allowed_lateness_s") c.allowed_lateness = seconds(v, what, 365.0 * 86400);
    else if (k == "future_tolerance_s") c.future_tolerance = seconds(v, what);
    else if (k == "max_accuracy_m") c.max_accuracy_m = number(v, what, 1, 100000);
    else if (k == "snapshot_interval_s") c.snapshot_interval = std::max(std::chrono::milliseconds{1000}, seconds(v, what));
    else if (k == "max_evidence_fixes") c.max_evidence_fixes = static_cast<std::size_t>(number(v, what, 3, 16));
    else if (k == "max_subjects") c.max_subjects = static_cast<std::size_t>(number(v, what, 0, 1e9));
    else if (k == "motion") {
      if (!v.is_object()) throw cfg_error{"motion must be an object"};
      for (std::size_t j = 0; j < v.size(); ++j) {
        const std::string_view mk = v.key_at(j);
        const json::value mv = v.value_at(j);
        const std::string mw = "motion." + std::string(mk);
        if (mk == "max_speed_mps") c.motion.max_speed_mps = number(mv, mw, 1, 1000);
        else if (mk == "accel_noise_m2_s3") c.motion.accel_noise_m2_s3 = number(mv, mw, 1e-6, 1000);
        else if (mk == "gate_chi2") c.motion.gate_chi2 = number(mv, mw, 1, 1e6);
        else if (mk == "hold_max_s") c.motion.hold_max = seconds(mv, mw);
        else if (mk == "reset_after_s") c.motion.reset_after = seconds(mv, mw);
        else throw cfg_error{"unknown key " + mw};
      }
    } else if (k == "proximity") {
      if (!v.is_object()) throw cfg_error{"proximity must be an object"};
      for (std::size_t j = 0; j < v.size(); ++j) {
        const std::string_view pk = v.key_at(j);
        const json::value pv = v.value_at(j);
        const std::string pw = "proximity." + std::string(pk);
        if (pk == "stale_after_s") c.proximity.stale_after = std::max(std::chrono::milliseconds{1000}, seconds(pv, pw, 86400));
        else if (pk == "max_age_s") c.proximity.max_age = seconds(pv, pw, 7.0 * 86400);
        else if (pk == "confirm_fixes") c.proximity.confirm_fixes = static_cast<std::uint32_t>(number(pv, pw, 1, 255));
        else if (pk == "exit_fixes") c.proximity.exit_fixes = static_cast<std::uint32_t>(number(pv, pw, 1, 255));
        else if (pk == "exit_margin_m") c.proximity.exit_margin_m = number(pv, pw, 0, 100000);
        else if (pk == "max_gap_s") c.proximity.max_gap = std::max(std::chrono::milliseconds{1000}, seconds(pv, pw));
        else if (pk == "authorised") {
          if (!pv.is_bool()) throw cfg_error{pw + " must be true or false"};
          c.proximity.authorised = pv.as_bool();
        } else throw cfg_error{"unknown key " + pw};
      }
      if (c.proximity.max_age < c.proximity.stale_after) throw cfg_error{"proximity.max_age_s must be >= stale_after_s"};
    } else if (k == "unmonitored") {
      if (!v.is_object()) throw cfg_error{"unmonitored must be an object"};
      for (std::size_t j = 0; j < v.size(); ++j) {
        const std::string_view uk = v.key_at(j);
        const json::value uv = v.value_at(j);
        const std::string uw = "unmonitored." + std::string(uk);
        if (uk == "gap_s") c.unmonitored.gap = std::max(std::chrono::milliseconds{1000}, seconds(uv, uw));
        else if (uk == "max_speed_mps") c.unmonitored.max_speed_mps = number(uv, uw, 0.1, 1000);
        else if (uk == "rf_charging_explains") {
          if (!uv.is_bool()) throw cfg_error{uw + " must be true or false"};
          c.unmonitored.rf_charging_explains = uv.as_bool();
        } else throw cfg_error{"unknown key " + uw};
      }
    } else if (k == "rules") {
      rule_overrides o;
      read_overrides(v, o, "rules");
      o.apply(c.rules);
    } else if (k == "zones") {
      if (!v.is_object()) throw cfg_error{"zones must be an object keyed by zone_id"};
      for (std::size_t j = 0; j < v.size(); ++j)
        read_overrides(v.value_at(j), c.zone_rules[std::string(v.key_at(j))], "zones." + std::string(v.key_at(j)));
    } else if (k == "subjects") {
      if (!v.is_object()) throw cfg_error{"subjects must be an object keyed by subject_id"};
      for (std::size_t j = 0; j < v.size(); ++j) {
        const std::string sid(v.key_at(j));
        const json::value sv = v.value_at(j);
        subject_orders& so = c.subjects[sid];
        if (!sv.is_object()) throw cfg_error{"subjects." + sid + " must be an object"};
        for (std::size_t m = 0; m < sv.size(); ++m) {
          const std::string_view sk = sv.key_at(m);
          const std::string sw = "subjects." + sid + "." + std::string(sk);
          if (sk == "risk") so.risk = parse_risk(sv.value_at(m), sw);
          else if (sk == "rules") read_overrides(sv.value_at(m), so.rules, sw);
          else if (sk == "absences") {
            const json::value av = sv.value_at(m);
            if (!av.is_array()) throw cfg_error{sw + " must be an array of schedules"};
            so.absences.clear();
            for (std::size_t n = 0; n < av.size(); ++n)
              so.absences.push_back(read_absence(av[n], sw + "[" + std::to_string(n) + "]"));
          }
          else if (sk == "zones") {
            const json::value zv = sv.value_at(m);
            if (!zv.is_object()) throw cfg_error{sw + " must be an object keyed by zone_id"};
            for (std::size_t n = 0; n < zv.size(); ++n)
              read_overrides(zv.value_at(n), so.zone_rules[std::string(zv.key_at(n))], sw + "." + std::string(zv.key_at(n)));
          } else {
            throw cfg_error{"unknown key " + sw};
          }
        }
      }
    } else {
      throw cfg_error{"unknown key " + what};
    }
  }
}

}  // namespace

result<monitor_config> parse_monitor_config(std::string_view text, monitor_config base) {
  json::location where;
  auto doc = json::parse(text, {}, &where);
  if (!doc) return make_error(doc.code(), "line " + std::to_string(where.line) + ": " + doc.err().message);
  try {
    read_config(doc->root(), base);
  } catch (const cfg_error& e) {
    return make_error(errc::bad_property, e.message);
  }
  return base;
}

result<monitor_config> read_monitor_config(const std::string& path, monitor_config base) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(errc::io_error, "cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_monitor_config(ss.str(), std::move(base));
}

}  // namespace warden
