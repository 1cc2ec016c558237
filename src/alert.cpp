// Alert events and their JSON Lines form (warden/alert.hpp).
#include <warden/alert.hpp>
#include <warden/version.hpp>
#include <warden/detail/json.hpp>

#include <charconv>
#include <cmath>

namespace warden {
namespace {

void append_fixed(std::string& out, double v, int decimals) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  // Never "-0.0": a value that rounds to zero is written as zero.
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
  if (r.ec != std::errc()) {
    out += "null";
    return;
  }
  std::string_view s(buf, static_cast<std::size_t>(r.ptr - buf));
  if (s.front() == '-' && s.find_first_not_of("-0.") == std::string_view::npos) s.remove_prefix(1);
  out.append(s);
}

void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_time(std::string& out, instant t) {
  out += '"';
  append_instant(out, t);
  out += '"';
}

}  // namespace

std::string_view to_string(alert_event_kind k) noexcept {
  switch (k) {
    case alert_event_kind::opened: return "opened";
    case alert_event_kind::updated: return "updated";
    case alert_event_kind::closed: return "closed";
    case alert_event_kind::amended: return "amended";
    case alert_event_kind::retracted: return "retracted";
  }
  return "updated";
}

std::string_view to_string(alert_type t) noexcept {
  switch (t) {
    case alert_type::exclusion: return "exclusion";
    case alert_type::inclusion: return "inclusion";
    case alert_type::curfew: return "curfew";
    case alert_type::proximity_warning: return "proximity_warning";
    case alert_type::proximity: return "proximity";
    case alert_type::unmonitored: return "unmonitored";
    case alert_type::tamper: return "tamper";
    case alert_type::battery: return "battery";
  }
  return "exclusion";
}

std::string_view to_string(alert_rule r) noexcept {
  switch (r) {
    case alert_rule::exclusion: return "exclusion";
    case alert_rule::inclusion: return "inclusion";
    case alert_rule::curfew: return "curfew";
    case alert_rule::transit: return "transit";
    case alert_rule::proximity_warning: return "proximity_warning";
    case alert_rule::proximity: return "proximity";
    case alert_rule::unmonitored: return "unmonitored";
    case alert_rule::tamper: return "tamper";
    case alert_rule::battery_low: return "battery_low";
    case alert_rule::battery_critical: return "battery_critical";
    case alert_rule::no_gps: return "no_gps";
    case alert_rule::device_offline: return "device_offline";
  }
  return "exclusion";
}

std::string_view to_string(alert_confidence c) noexcept {
  return c == alert_confidence::certain ? "certain" : "probable";
}

// The alert stream's string spelling is json::write_string's (one escaper).
void append_json_string(std::string& out, std::string_view s) { detail::json::write_string(out, s); }

std::uint64_t alert_id_hash(std::string_view subject_id, alert_rule rule, std::string_view zone_id,
                            instant start) noexcept {
  std::uint64_t h = 14695981039346656037ull;
  auto mix = [&h](std::string_view s) {
    for (const char c : s) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ull;
    }
    h ^= 0xffu;  // separator that cannot occur inside UTF-8 text
    h *= 1099511628211ull;
  };
  mix(subject_id);
  mix(to_string(rule));
  mix(zone_id);
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, to_epoch_ms(start));
  mix(std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
  return h;
}

std::string alert_id_text(std::uint64_t h) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i) {
    id[static_cast<std::size_t>(i)] = hex[h & 15];
    h >>= 4;
  }
  return id;
}

std::string make_alert_id(std::string_view subject_id, alert_rule rule, std::string_view zone_id, instant start) {
  return alert_id_text(alert_id_hash(subject_id, rule, zone_id, start));
}

void append_json(std::string& out, const alert_event& e) {
  out += "{\"alert_id\":";
  append_json_string(out, e.alert_id);
  out += ",\"event\":\"";
  out += to_string(e.event);
  out += "\",\"type\":\"";
  out += to_string(e.type);
  out += "\",\"subject_id\":";
  append_json_string(out, e.subject_id);
  out += ",\"zone_id\":";
  if (e.zone_id.empty())
    out += "null";
  else
    append_json_string(out, e.zone_id);
  out += ",\"victim_id\":";
  if (e.victim_id)
    append_json_string(out, *e.victim_id);
  else
    out += "null";
  out += ",\"start\":";
  append_time(out, e.start);
  out += ",\"end\":";
  if (e.end)
    append_time(out, *e.end);
  else
    out += "null";
  out += ",\"priority\":";
  append_uint(out, static_cast<std::uint64_t>(e.priority));
  out += ",\"confidence\":\"";
  out += to_string(e.confidence);
  out += "\",\"fix_count\":";
  append_uint(out, e.fix_count);
  out += ",\"max_depth_m\":";
  if (e.max_depth_m)
    append_fixed(out, *e.max_depth_m, 1);
  else
    out += "null";
  out += ",\"min_distance_m\":";
  if (e.min_distance_m)
    append_fixed(out, *e.min_distance_m, 1);
  else
    out += "null";
  out += ",\"evidence\":{\"fixes\":[";
  for (std::size_t i = 0; i < e.fixes.size(); ++i) {
    if (i) out += ',';
    const evidence_fix& f = e.fixes[i];
    out += '[';
    append_time(out, f.time);
    out += ',';
    append_fixed(out, f.lat_deg, 7);
    out += ',';
    append_fixed(out, f.lon_deg, 7);
    out += ',';
    append_fixed(out, f.accuracy_m, 1);
    out += ']';
  }
  out += "],\"zone_version\":";
  if (e.zone_version.empty())
    out += "null";
  else
    append_json_string(out, e.zone_version);
  out += ",\"params\":";
  out += e.params_json.empty() ? std::string_view("{}") : std::string_view(e.params_json);
  out += ",\"engine\":";
  append_json_string(out, engine_name());
  out += ",\"schedule\":";
  out += e.schedule_json.empty() ? std::string_view("null") : std::string_view(e.schedule_json);
  out += ",\"rejected_fixes\":";
  append_uint(out, e.rejected_fixes);
  if (!e.evidence_extra_json.empty()) {
    out += ',';
    out += e.evidence_extra_json;
  }
  out += "},\"rule\":\"";
  out += to_string(e.rule);
  out += "\",\"decided_at\":";
  append_time(out, e.decided_at);
  out += ",\"late_arrival\":";
  out += e.late_arrival ? "true" : "false";
  out += '}';
}

std::string to_json_line(const alert_event& e) {
  std::string s;
  append_json(s, e);
  s += '\n';
  return s;
}

}  // namespace warden
