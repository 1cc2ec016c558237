// The GeoJSON zones reader (warden/zone.hpp).
#include <warden/detail/geos_adapter.hpp>
#include <warden/detail/checksum.hpp>
#include <warden/detail/json.hpp>
#include <warden/zone.hpp>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <utility>

namespace warden {

std::string_view to_string(zone_kind k) noexcept {
  switch (k) {
    case zone_kind::exclusion: return "exclusion";
    case zone_kind::inclusion: return "inclusion";
    case zone_kind::curfew_home: return "curfew_home";
    case zone_kind::victim_home: return "victim_home";
  }
  return "exclusion";
}

result<zone_kind> parse_zone_kind(std::string_view s) noexcept {
  if (s == "exclusion") return zone_kind::exclusion;
  if (s == "inclusion") return zone_kind::inclusion;
  if (s == "curfew_home") return zone_kind::curfew_home;
  if (s == "victim_home") return zone_kind::victim_home;
  std::string shown(s.substr(0, 40));
  return make_error(errc::bad_kind,
                    "kind must be exclusion, inclusion, curfew_home or victim_home, not '" + shown + "'");
}

bool zone::applies_to_everyone() const noexcept {
  return std::find(subjects.begin(), subjects.end(), "*") != subjects.end();
}

bool zone::applies_to(std::string_view subject_id) const noexcept {
  for (const std::string& s : subjects)
    if (s == "*" || s == subject_id) return true;
  return false;
}

std::string_view zone::property(std::string_view key) const noexcept {
  for (const auto& [k, v] : properties)
    if (k == key) return v;
  return {};
}

box zone::bounds() const noexcept {
  if (shape == zone_shape::circle) {
    box b;
    b.extend(xy{disc.centre.x_m - disc.radius_m, disc.centre.y_m - disc.radius_m});
    b.extend(xy{disc.centre.x_m + disc.radius_m, disc.centre.y_m + disc.radius_m});
    return b;
  }
  return warden::bounds(area);
}

namespace {

namespace json = detail::json;

// ---- small helpers ---------------------------------------------------------

std::string shortest(double d) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

std::string fixed(double d, int decimals) {
  char buf[400];
  const auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed, decimals);
  return std::string(buf, r.ptr);
}

std::string in_quotes(std::string_view s) {
  std::string out = "'";
  for (const char c : s.substr(0, 64)) out += (static_cast<unsigned char>(c) < 0x20) ? '?' : c;
  if (s.size() > 64) out += "...";
  return out + "'";
}

std::string where(lat_lon p) { return "lat " + fixed(p.lat_deg(), 7) + ", lon " + fixed(p.lon_deg(), 7); }
std::string where(xy p) { return "x " + fixed(p.x_m, 3) + ", y " + fixed(p.y_m, 3); }

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}
bool iends_with(std::string_view s, std::string_view suffix) noexcept {
  return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

// Both name longitude-first WGS84 in GeoJSON practice (RFC 7946 section 4).
bool is_wgs84_crs_name(std::string_view n) noexcept {
  if (iequals(n, "CRS84") || iequals(n, "OGC:CRS84") || iequals(n, "EPSG:4326")) return true;
  if (istarts_with(n, "urn:ogc:def:crs:OGC:") && iends_with(n, ":CRS84")) return true;
  if (istarts_with(n, "urn:ogc:def:crs:EPSG:") && iends_with(n, ":4326")) return true;
  if (istarts_with(n, "http://www.opengis.net/def/crs/") &&
      (iends_with(n, "/OGC/1.3/CRS84") || iends_with(n, "/EPSG/0/4326")))
    return true;
  return false;
}

result<void> check_crs(json::value holder) {
  const auto crs = holder.find("crs");
  if (!crs || crs->is_null()) return {};
  const auto type = crs->find("type");
  const auto props = crs->find("properties");
  const auto name = props ? props->find("name") : std::nullopt;
  if (!crs->is_object() || !type || type->as_string() != "name" || !name || !name->is_string())
    return make_error(errc::bad_crs, "crs must be {\"type\": \"name\", \"properties\": {\"name\": ...}} naming "
                                     "CRS84 or EPSG:4326");
  if (!is_wgs84_crs_name(name->as_string()))
    return make_error(errc::bad_crs, "crs " + in_quotes(name->as_string()) +
                                         " is not supported; zones must be WGS84 longitude/latitude "
                                         "(urn:ogc:def:crs:OGC:1.3:CRS84 or EPSG:4326)");
  return {};
}

// Identifiers end up in CSV and ';'-separated outputs, so separators and
// control characters are refused rather than escaped.
result<void> check_identifier(std::string_view s, errc code, std::string_view what) {
  if (s.empty()) return make_error(code, std::string(what) + " is empty");
  if (s.size() > 256) return make_error(code, std::string(what) + " is longer than 256 bytes");
  for (const char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F || c == ',' || c == ';')
      return make_error(code, std::string(what) + " " + in_quotes(s) +
                                  " contains a control character, ',' or ';'");
  return {};
}

// ---- the version hash --------------------------------------------------------

// 16 lower-case hex digits, most significant first.
std::string hex16(std::uint64_t v) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 0; i < 16; ++i) out[static_cast<std::size_t>(15 - i)] = digits[(v >> (4 * i)) & 15];
  return out;
}

std::string zone_version(const zone& z, bool planar) {
  detail::fnv1a64_stream h;
  // Planar zones hash their metres under another tag, so that a planar zone
  // never shares a version with a WGS84 one whose numbers happen to match.
  h.str(planar ? "warden.zone.planar.v1" : "warden.zone.v1");
  h.byte(static_cast<std::uint8_t>(z.kind));
  h.byte(static_cast<std::uint8_t>(z.shape));
  auto ring_hash = [&h](const lat_lon_ring& r) {
    h.u64(r.size());
    for (const lat_lon& p : r) {
      h.f64(p.lat_deg());
      h.f64(p.lon_deg());
    }
  };
  auto xy_ring_hash = [&h](const ring& r) {
    h.u64(r.size());
    for (const xy& p : r) {
      h.f64(p.x_m);
      h.f64(p.y_m);
    }
  };
  if (planar && z.shape == zone_shape::circle) {
    h.f64(z.disc.centre.x_m);
    h.f64(z.disc.centre.y_m);
    h.f64(z.radius_m);
  } else if (planar) {
    h.u64(z.area.size());
    for (const polygon& p : z.area) {
      h.u64(p.holes.size());
      xy_ring_hash(p.outer);
      for (const ring& r : p.holes) xy_ring_hash(r);
    }
  } else if (z.shape == zone_shape::circle) {
    h.f64(z.centre_wgs84.lat_deg());
    h.f64(z.centre_wgs84.lon_deg());
    h.f64(z.radius_m);
  } else {
    h.u64(z.outline_wgs84.size());
    for (const lat_lon_polygon& p : z.outline_wgs84) {
      h.u64(p.holes.size());
      ring_hash(p.outer);
      for (const lat_lon_ring& r : p.holes) ring_hash(r);
    }
  }
  h.f64(z.tolerance_m);
  h.byte(z.schedule ? 1 : 0);
  if (z.schedule) {
    const schedule_spec& s = *z.schedule;
    h.str(s.tz);
    h.u64(s.windows.size());
    for (const auto& w : s.windows) {
      h.u64(w.days.size());
      for (const auto& d : w.days) h.str(d);
      h.str(w.start);
      h.str(w.end);
    }
    h.u64(s.except.size());
    for (const auto& e : s.except) h.str(e);
    h.str(s.from);
    h.str(s.until);
  }
  return hex16(h.value());
}

// ---- the schedule's JSON shape -------------------------------------------------

result<std::string> schedule_string(json::value v, std::string_view what) {
  if (!v.is_string()) return make_error(errc::bad_schedule, std::string(what) + " must be a string");
  return std::string(v.as_string());
}

result<std::vector<std::string>> schedule_strings(json::value v, std::string_view what) {
  if (!v.is_array()) return make_error(errc::bad_schedule, std::string(what) + " must be an array of strings");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string())
      return make_error(errc::bad_schedule, std::string(what) + " must be an array of strings");
    out.emplace_back(v[i].as_string());
  }
  return out;
}

// Only the shape is checked here: values (days, times, dates, time zone)
// are checked where the schedule is compiled (warden/schedule.hpp). Unknown
// members are refused: a misspelt "until" silently ignored would make an
// order last for ever.
result<schedule_spec> read_schedule(json::value v) {
  if (!v.is_object()) return make_error(errc::bad_schedule, "schedule must be an object");
  schedule_spec s;
  bool have_windows = false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string_view key = v.key_at(i);
    const json::value m = v.value_at(i);
    if (key == "tz") {
      auto r = schedule_string(m, "schedule.tz");
      if (!r) return std::move(r).err();
      s.tz = std::move(*r);
    } else if (key == "windows") {
      if (!m.is_array()) return make_error(errc::bad_schedule, "schedule.windows must be an array");
      have_windows = true;
      for (std::size_t j = 0; j < m.size(); ++j) {
        const json::value w = m[j];
        const std::string at = "schedule.windows[" + std::to_string(j) + "]";
        if (!w.is_object()) return make_error(errc::bad_schedule, at + " must be an object");
        schedule_spec::window win;
        bool have_days = false, have_start = false, have_end = false;
        for (std::size_t k = 0; k < w.size(); ++k) {
          const std::string_view wk = w.key_at(k);
          if (wk == "days") {
            auto d = schedule_strings(w.value_at(k), at + ".days");
            if (!d) return std::move(d).err();
            win.days = std::move(*d);
            have_days = true;
          } else if (wk == "start" || wk == "end") {
            auto t = schedule_string(w.value_at(k), at + "." + std::string(wk));
            if (!t) return std::move(t).err();
            (wk == "start" ? win.start : win.end) = std::move(*t);
            (wk == "start" ? have_start : have_end) = true;
          } else {
            return make_error(errc::bad_schedule, at + " has an unknown member " + in_quotes(wk));
          }
        }
        if (!have_days || !have_start || !have_end)
          return make_error(errc::bad_schedule, at + " needs days, start and end");
        s.windows.push_back(std::move(win));
      }
    } else if (key == "except") {
      auto e = schedule_strings(m, "schedule.except");
      if (!e) return std::move(e).err();
      s.except = std::move(*e);
    } else if (key == "from" || key == "until") {
      auto t = schedule_string(m, "schedule." + std::string(key));
      if (!t) return std::move(t).err();
      (key == "from" ? s.from : s.until) = std::move(*t);
    } else {
      return make_error(errc::bad_schedule, "schedule has an unknown member " + in_quotes(key));
    }
  }
  if (!have_windows) return make_error(errc::bad_schedule, "schedule needs a windows array");
  return s;
}

// ---- the reader ----------------------------------------------------------------

struct seen_zone {
  std::string file;
  std::uint64_t line = 0;
};

class zones_reader {
 public:
  zones_reader(std::string_view file, const zone_read_options& options, diagnostics& diags)
      : file_(file), opt_(options), diags_(diags) {}

  void remember(const zone& z) { seen_.emplace(z.zone_id, seen_zone{z.file, z.line}); }

  result<void> read(std::string_view text, std::vector<zone>& out) {
    json::location at;
    auto doc = json::parse(text, json::parse_options{opt_.max_json_depth, static_cast<std::size_t>(std::min<std::uint64_t>(opt_.max_file_bytes, SIZE_MAX))}, &at);
    if (!doc) return file_error(at.line, std::move(doc).err());
    const json::value root = doc->root();
    const auto type = root.find("type");
    if (!root.is_object() || !type || type->as_string() != "FeatureCollection")
      return file_error(root.line(), make_error(errc::not_feature_collection,
                                                "the file must hold a GeoJSON FeatureCollection"));
    // Planar files name whatever grid they were drawn in; the caller vouches for it.
    if (!opt_.planar)
      if (auto c = check_crs(root); !c) return file_error(root.find("crs")->line(), c.err());
    const auto features = root.find("features");
    if (!features || !features->is_array())
      return file_error(root.line(), make_error(errc::not_feature_collection,
                                                "the FeatureCollection needs a \"features\" array"));
    for (std::size_t i = 0; i < features->size(); ++i) {
      const json::value f = (*features)[i];
      repair_note_.clear();
      auto z = read_feature(f, i);
      if (!z) {
        report(f.line(), z.err());
        continue;
      }
      if (auto it = seen_.find(z->zone_id); it != seen_.end()) {
        std::string first = it->second.file == z->file ? "line " + std::to_string(it->second.line)
                                                       : it->second.file + ":" + std::to_string(it->second.line);
        report(f.line(), make_error(errc::duplicate_id,
                                    "zone_id " + in_quotes(z->zone_id) + " is already defined at " + first +
                                        "; this feature is ignored"));
        continue;
      }
      if (!repair_note_.empty()) report(f.line(), make_error(errc::repaired, repair_note_));
      remember(*z);
      out.push_back(std::move(*z));
    }
    return {};
  }

  result<void> file_error(std::uint64_t line, error e) {
    report(line, e);
    return e;
  }

 private:
  void report(std::uint64_t line, const error& e) { diags_.report(std::string(file_), line, e.code, e.message); }

  static error with_prefix(const std::string& prefix, error e) {
    e.message = prefix + e.message;
    return e;
  }

  result<zone> read_feature(json::value f, std::size_t index) {
    const auto type = f.find("type");
    if (!f.is_object() || !type || type->as_string() != "Feature")
      return make_error(errc::not_feature_collection,
                        "features[" + std::to_string(index) + "] is not a GeoJSON Feature object");
    if (!opt_.planar)
      if (auto c = check_crs(f); !c) return c.err();
    zone z;
    z.file = std::string(file_);
    z.line = f.line();

    json::value props;
    if (const auto p = f.find("properties"); p && !p->is_null()) {
      if (!p->is_object()) return make_error(errc::bad_property, "properties must be an object");
      props = *p;
    }
    auto prop = [&props](std::string_view key) -> std::optional<json::value> {
      auto v = props.find(key);
      if (v && v->is_null()) return std::nullopt;  // null means "not given" in GeoJSON exports
      return v;
    };

    // zone_id first, so that every later message can name the zone.
    if (auto id = read_id(f, prop(opt_.id_property)); !id) {
      return std::move(id).err();
    } else {
      z.zone_id = std::move(*id);
    }
    const std::string prefix = "zone " + in_quotes(z.zone_id) + ": ";

    if (const auto k = prop("kind")) {
      if (!k->is_string()) return with_prefix(prefix, make_error(errc::bad_kind, "kind must be a string"));
      auto kind = parse_zone_kind(k->as_string());
      if (!kind) return with_prefix(prefix, std::move(kind).err());
      z.kind = *kind;
    } else if (opt_.default_kind) {
      z.kind = *opt_.default_kind;
    } else {
      return with_prefix(prefix, make_error(errc::bad_kind, "the kind property is missing"));
    }

    if (auto s = read_subjects(prop("subject_id"), prop("subjects")); !s) {
      return with_prefix(prefix, std::move(s).err());
    } else {
      z.subjects = std::move(*s);
    }

    if (const auto t = prop("tolerance_m")) {
      const double tol = t->as_number();
      if (!t->is_number() || !std::isfinite(tol) || tol < 0)
        return with_prefix(prefix, make_error(errc::bad_tolerance, "tolerance_m must be a finite number >= 0"));
      z.tolerance_m = tol;
    }

    if (const auto s = prop("schedule")) {
      auto spec = read_schedule(*s);
      if (!spec) return with_prefix(prefix, std::move(spec).err());
      z.schedule = std::move(*spec);
    }

    if (auto g = read_geometry(f, prop("radius_m"), z); !g) return with_prefix(prefix, g.err());

    for (std::size_t i = 0; i < props.size(); ++i) {
      const std::string_view key = props.key_at(i);
      if (key == opt_.id_property || key == "kind" || key == "subject_id" || key == "subjects" ||
          key == "tolerance_m" || key == "schedule" || key == "radius_m")
        continue;
      const json::value v = props.value_at(i);
      switch (v.kind()) {
        case json::type::null: break;
        case json::type::string: z.properties.emplace_back(key, v.as_string()); break;
        case json::type::number: z.properties.emplace_back(key, json::to_json(v)); break;
        case json::type::boolean: z.properties.emplace_back(key, v.as_bool() ? "true" : "false"); break;
        case json::type::array:
        case json::type::object: z.properties.emplace_back(key, json::to_json(v)); break;
      }
    }
    if (!repair_note_.empty()) repair_note_ = prefix + repair_note_;
    z.version = zone_version(z, opt_.planar);
    return z;
  }

  result<std::string> read_id(json::value f, std::optional<json::value> v) const {
    std::string source = "property " + in_quotes(opt_.id_property);
    if (!v) {
      v = f.find("id");
      source = "Feature id";
      if (!v || v->is_null())
        return make_error(errc::bad_id, "the feature has no " + in_quotes(opt_.id_property) +
                                            " property (nor a Feature id) to name the zone");
    }
    std::string id;
    if (v->is_string()) {
      id = std::string(v->as_string());
    } else if (v->is_number() && std::isfinite(v->as_number()) &&
               v->as_number() == std::trunc(v->as_number()) && std::fabs(v->as_number()) < 9.0e15) {
      id = json::to_json(*v);
    } else {
      return make_error(errc::bad_id, source + " must be a string or an integer");
    }
    if (auto c = check_identifier(id, errc::bad_id, "zone id"); !c) return c.err();
    return id;
  }

  result<std::vector<std::string>> read_subjects(std::optional<json::value> one,
                                                 std::optional<json::value> many) const {
    std::vector<std::string> out;
    if (one && many) return make_error(errc::bad_subjects, "give subject_id or subjects, not both");
    if (one) {
      if (!one->is_string()) return make_error(errc::bad_subjects, "subject_id must be a string");
      out.emplace_back(one->as_string());
    } else if (many) {
      if (!many->is_array() || many->size() == 0)
        return make_error(errc::bad_subjects, "subjects must be a non-empty array of subject ids");
      for (std::size_t i = 0; i < many->size(); ++i) {
        if (!(*many)[i].is_string())
          return make_error(errc::bad_subjects, "subjects must be a non-empty array of subject ids");
        out.emplace_back((*many)[i].as_string());
      }
    } else if (!opt_.default_subjects.empty()) {
      out = opt_.default_subjects;
    } else {
      return make_error(errc::bad_subjects, "the zone names no subject (subject_id or subjects; \"*\" = everyone)");
    }
    std::vector<std::string> unique;
    for (std::string& s : out) {
      if (auto c = check_identifier(s, errc::bad_subjects, "subject id"); !c) return c.err();
      if (s == "*") return std::vector<std::string>{"*"};
      if (std::find(unique.begin(), unique.end(), s) == unique.end()) unique.push_back(std::move(s));
    }
    return unique;
  }

  // ---- geometry ----

  static error geometry_error(errc code, std::string message, json::value at, std::uint64_t feature_line) {
    if (at.line() != feature_line && at.line() != 0) message += " (line " + std::to_string(at.line()) + ")";
    return make_error(code, std::move(message));
  }

  result<lat_lon> read_position(json::value v, std::uint64_t feature_line) const {
    bool ok = v.is_array() && v.size() >= 2;
    for (std::size_t i = 0; ok && i < v.size(); ++i) ok = v[i].is_number();
    if (!ok)
      return geometry_error(errc::bad_geometry, "a position must be an array of numbers [longitude, latitude]", v,
                            feature_line);
    const double lon = v[0].as_number(), lat = v[1].as_number();
    auto p = lat_lon::from_degrees(lat, lon);
    if (!p)
      return geometry_error(p.code(),
                            p.err().message + " at [" + shortest(lon) + ", " + shortest(lat) +
                                "] (GeoJSON positions are [longitude, latitude])",
                            v, feature_line);
    return *p;
  }

  result<xy> read_position_xy(json::value v, std::uint64_t feature_line) const {
    bool ok = v.is_array() && v.size() >= 2;
    for (std::size_t i = 0; ok && i < v.size(); ++i) ok = v[i].is_number();
    if (!ok)
      return geometry_error(errc::bad_geometry, "a position must be an array of numbers [x, y] (planar metres)", v,
                            feature_line);
    const xy p{v[0].as_number(), v[1].as_number()};
    if (!std::isfinite(p.x_m) || !std::isfinite(p.y_m))
      return geometry_error(errc::not_finite, "planar coordinates must be finite numbers", v, feature_line);
    return p;
  }
  result<lat_lon> read_pos(json::value v, std::uint64_t line, const lat_lon*) const { return read_position(v, line); }
  result<xy> read_pos(json::value v, std::uint64_t line, const xy*) const { return read_position_xy(v, line); }

  struct budget {
    std::size_t vertices = 0;
    std::size_t rings = 0;
  };

  // Pos is lat_lon (WGS84 files) or xy (planar files).
  template <class Pos>
  result<std::vector<Pos>> read_ring(json::value v, const std::string& what, budget& used,
                                     std::uint64_t feature_line) const {
    if (!v.is_array()) return geometry_error(errc::bad_geometry, what + " must be an array of positions", v, feature_line);
    const std::size_t n = v.size();
    used.vertices += n;
    if (used.vertices > opt_.max_vertices_per_zone)
      return make_error(errc::too_many_vertices, "more than " + std::to_string(opt_.max_vertices_per_zone) +
                                                     " vertices in one zone");
    std::vector<Pos> r;
    r.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      auto p = read_pos(v[i], feature_line, static_cast<const Pos*>(nullptr));
      if (!p) return with_prefix(what + ": ", std::move(p).err());
      r.push_back(*p);
    }
    if (n >= 2 && r.front() != r.back())
      return geometry_error(errc::ring_not_closed,
                            what + " is not closed: its first position (" + where(r.front()) +
                                ") differs from its last (" + where(r.back()) + ")",
                            v, feature_line);
    if (n < 4)
      return geometry_error(errc::ring_too_few_points,
                            what + " has " + std::to_string(n) +
                                " positions; a ring needs at least 4 (3 corners and the closing position)",
                            v, feature_line);
    r.pop_back();
    return r;
  }

  template <class Poly>
  result<Poly> read_polygon(json::value v, const std::string& what, budget& used, std::uint64_t feature_line) const {
    using pos = typename decltype(Poly::outer)::value_type;
    if (!v.is_array()) return geometry_error(errc::bad_geometry, what + " must be an array of rings", v, feature_line);
    if (v.size() == 0) return geometry_error(errc::empty_geometry, what + " has no rings", v, feature_line);
    used.rings += v.size();
    if (used.rings > opt_.max_rings_per_zone)
      return make_error(errc::too_many_rings,
                        "more than " + std::to_string(opt_.max_rings_per_zone) + " rings in one zone");
    Poly p;
    for (std::size_t i = 0; i < v.size(); ++i) {
      const std::string ring_name = i == 0 ? what + " outer ring" : what + " hole " + std::to_string(i);
      auto r = read_ring<pos>(v[i], ring_name, used, feature_line);
      if (!r) return std::move(r).err();
      (i == 0 ? p.outer : p.holes.emplace_back()) = std::move(*r);
    }
    return p;
  }

  // Far from the central meridian a transverse-Mercator frame stretches
  // distances (about 1% at 900 km), and tolerances, accuracy radii and
  // circles would silently mean something else: such positions are refused.
  result<void> check_in_frame(lat_lon p) const {
    if (opt_.frame.scale_at(p) <= opt_.frame.k0() * 1.01) return {};
    return make_error(errc::lon_out_of_range,
                      "position " + where(p) + " is too far from the frame's central meridian (" +
                          shortest(opt_.frame.lon0_deg()) +
                          ") for a faithful projection (scale error over 1%); use a frame centred nearer");
  }

  // Projects rings and drops consecutive duplicates (closure included) in
  // both copies, so every stored edge has non-zero length in the frame.
  result<void> project(zone& z) const {
    if (opt_.planar) return tidy_planar(z);
    z.area.clear();
    auto one = [this](lat_lon_ring& ll, ring& out, const std::string& what) -> result<void> {
      lat_lon_ring kept;
      out.clear();
      kept.reserve(ll.size());
      out.reserve(ll.size());
      for (const lat_lon& p : ll) {
        if (auto f = check_in_frame(p); !f) return with_prefix(what + ": ", f.err());
        const xy q = opt_.frame.forward(p);
        if (!out.empty() && out.back() == q) continue;
        out.push_back(q);
        kept.push_back(p);
      }
      while (out.size() > 1 && out.back() == out.front()) {
        out.pop_back();
        kept.pop_back();
      }
      ll = std::move(kept);
      return check_corners(out, what);
    };
    for (std::size_t i = 0; i < z.outline_wgs84.size(); ++i) {
      lat_lon_polygon& llp = z.outline_wgs84[i];
      polygon& p = z.area.emplace_back();
      const std::string name = z.outline_wgs84.size() > 1 ? "polygon " + std::to_string(i + 1) + " " : "";
      if (auto r = one(llp.outer, p.outer, name + "outer ring"); !r) return r;
      for (std::size_t h = 0; h < llp.holes.size(); ++h)
        if (auto r = one(llp.holes[h], p.holes.emplace_back(), name + "hole " + std::to_string(h + 1)); !r) return r;
    }
    return {};
  }

  static result<void> check_corners(const ring& r, const std::string& what) {
    if (r.size() < 3) return make_error(errc::ring_too_few_points, what + " has fewer than 3 distinct corners");
    if (collinear(r)) return make_error(errc::degenerate_geometry, what + " has zero area (all corners on one line)");
    return {};
  }

  // Planar zones: the same clean-up as project() (consecutive duplicates and
  // a repeated closing vertex dropped, corners checked) on the metres as read.
  static result<void> tidy_planar(zone& z) {
    auto one = [](ring& r, const std::string& what) -> result<void> {
      ring kept;
      kept.reserve(r.size());
      for (const xy& q : r)
        if (kept.empty() || !(kept.back() == q)) kept.push_back(q);
      while (kept.size() > 1 && kept.back() == kept.front()) kept.pop_back();
      r = std::move(kept);
      return check_corners(r, what);
    };
    for (std::size_t i = 0; i < z.area.size(); ++i) {
      polygon& p = z.area[i];
      const std::string name = z.area.size() > 1 ? "polygon " + std::to_string(i + 1) + " " : "";
      if (auto r = one(p.outer, name + "outer ring"); !r) return r;
      for (std::size_t h = 0; h < p.holes.size(); ++h)
        if (auto r = one(p.holes[h], name + "hole " + std::to_string(h + 1)); !r) return r;
    }
    return {};
  }

  // Zero area that GEOS would report only as some self-intersection: every
  // corner within a relative 1e-9 of the line through the two farthest
  // apart corners (a bow-tie has zero signed area but is not collinear).
  static bool collinear(const ring& r) noexcept {
    const xy a = r.front();
    std::size_t far = 0;
    double far_d = 0;
    for (std::size_t i = 1; i < r.size(); ++i) {
      const double d = distance_m(a, r[i]);
      if (d > far_d) {
        far_d = d;
        far = i;
      }
    }
    if (far_d == 0) return true;
    const double ux = (r[far].x_m - a.x_m) / far_d, uy = (r[far].y_m - a.y_m) / far_d;
    for (const xy& p : r) {
      const double off = std::fabs((p.x_m - a.x_m) * uy - (p.y_m - a.y_m) * ux);
      if (off > 1e-9 * far_d) return false;
    }
    return true;
  }

  std::string located(const detail::geos_validity& v) const {
    std::string s = v.reason.empty() ? std::string("invalid geometry") : v.reason;
    if (v.has_location) s += " at " + (opt_.planar ? where(v.location) : where(opt_.frame.inverse(v.location)));
    return s;
  }

  static errc validity_code(const std::string& reason) {
    if (reason.rfind("Self-intersection", 0) == 0 || reason.rfind("Ring Self-intersection", 0) == 0)
      return errc::self_intersection;
    if (reason.rfind("Too few points", 0) == 0) return errc::ring_too_few_points;
    return errc::invalid_geometry;
  }

  // Replaces the zone's geometry by `fixed` (frame metres). Vertices that
  // were in the input keep their exact WGS84 coordinates; only new ones
  // (intersection points) come from the inverse projection.
  result<void> replace_geometry(zone& z, const multipolygon& fixed) const {
    if (opt_.planar) {
      z.area = fixed;
      return project(z);
    }
    std::map<std::pair<double, double>, lat_lon> original;
    for (std::size_t i = 0; i < z.area.size(); ++i) {
      auto add = [&original](const ring& r, const lat_lon_ring& ll) {
        for (std::size_t k = 0; k < r.size(); ++k) original.emplace(std::pair(r[k].x_m, r[k].y_m), ll[k]);
      };
      add(z.area[i].outer, z.outline_wgs84[i].outer);
      for (std::size_t h = 0; h < z.area[i].holes.size(); ++h) add(z.area[i].holes[h], z.outline_wgs84[i].holes[h]);
    }
    auto back = [&](const ring& r, lat_lon_ring& out) {
      for (const xy& q : r) {
        const auto it = original.find(std::pair(q.x_m, q.y_m));
        out.push_back(it != original.end() ? it->second : opt_.frame.inverse(q));
      }
    };
    z.outline_wgs84.clear();
    for (const polygon& p : fixed) {
      lat_lon_polygon& llp = z.outline_wgs84.emplace_back();
      back(p.outer, llp.outer);
      for (const ring& h : p.holes) back(h, llp.holes.emplace_back());
    }
    return project(z);
  }

  // ESRI-style data (the ONS boundaries among them) may draw a hole that
  // touches its shell as a loop of the outer ring touching itself at a
  // vertex. OGC validity (and so GEOS, Boost.Geometry and our index) wants
  // an explicit hole. Such a zone covers a well-defined area, so it is
  // rewritten into OGC form without a diagnostic, provided the rewrite is
  // valid and keeps the area; anything else is reported (or repaired).
  bool normalise_inverted_holes(zone& z, const detail::geos_validity& v) {
    if (v.reason.rfind("Ring Self-intersection", 0) != 0) return false;
    auto lenient = geos_.check(z.area, true);
    if (!lenient || !lenient->valid) return false;
    auto before = geos_.area_m2(z.area);
    auto fixed = geos_.make_valid(z.area);
    if (!before || !fixed) return false;
    zone candidate = z;
    if (!replace_geometry(candidate, *fixed)) return false;
    auto after = geos_.area_m2(candidate.area);
    auto strict = geos_.check(candidate.area);
    if (!after || !strict || !strict->valid || std::fabs(*after - *before) > 1e-9 * *before) return false;
    z.outline_wgs84 = std::move(candidate.outline_wgs84);
    z.area = std::move(candidate.area);
    return true;
  }

  result<void> validate(zone& z) {
    auto v = geos_.check(z.area);
    if (!v) return std::move(v).err();
    if (v->valid) return {};
    if (normalise_inverted_holes(z, *v)) return {};
    const std::string problem = located(*v);
    if (!opt_.repair)
      return make_error(validity_code(v->reason), problem + " (GEOS); --repair would make it valid");
    auto repaired = geos_.make_valid(z.area);
    if (!repaired) return make_error(repaired.code(), problem + "; repair failed: " + repaired.err().message);
    if (auto r = replace_geometry(z, *repaired); !r)
      return make_error(r.code(), problem + "; repair left " + r.err().message);
    auto again = geos_.check(z.area);
    if (!again) return std::move(again).err();
    if (!again->valid)
      return make_error(errc::invalid_geometry, problem + "; still invalid after repair: " + located(*again));
    std::size_t vertices = 0;
    for (const polygon& p : z.area) {
      vertices += p.outer.size();
      for (const ring& h : p.holes) vertices += h.size();
    }
    auto area = geos_.area_m2(z.area);
    repair_note_ = problem + "; made valid with GEOS MakeValid: " + std::to_string(z.area.size()) +
                   " polygon(s), " + std::to_string(vertices) + " vertices" +
                   (area ? ", area " + fixed(*area, 1) + " m2" : std::string());
    z.repaired = true;
    return {};
  }

  result<void> read_geometry(json::value f, std::optional<json::value> radius, zone& z) {
    const std::uint64_t line = f.line();
    const auto g = f.find("geometry");
    if (!g || g->is_null()) return make_error(errc::bad_geometry, "the feature has no geometry");
    const auto type = g->find("type");
    if (!g->is_object() || !type || !type->is_string())
      return geometry_error(errc::bad_geometry, "geometry must be an object with a type", *g, line);
    const std::string_view t = type->as_string();
    const auto coords = g->find("coordinates");
    if (t != "Point" && t != "Polygon" && t != "MultiPolygon")
      return geometry_error(errc::bad_geometry,
                            "geometry type " + in_quotes(t) + " is not supported (Polygon, MultiPolygon or Point)", *g,
                            line);
    if (!coords) return geometry_error(errc::bad_geometry, "geometry has no coordinates", *g, line);

    if (t == "Point") {
      if (coords->is_array() && coords->size() == 0)
        return geometry_error(errc::empty_geometry, "the Point has no position", *coords, line);
      std::optional<lat_lon> ll;
      xy centre;
      if (opt_.planar) {
        auto p = read_position_xy(*coords, line);
        if (!p) return std::move(p).err();
        centre = *p;
      } else {
        auto p = read_position(*coords, line);
        if (!p) return std::move(p).err();
        if (auto in = check_in_frame(*p); !in) return in;
        ll = *p;
      }
      if (!radius) return make_error(errc::bad_radius, "a Point zone needs a radius_m property");
      const double r = radius->as_number();
      if (!radius->is_number() || !std::isfinite(r) || r <= 0 || r > opt_.max_radius_m)
        return make_error(errc::bad_radius, "radius_m must be a number > 0 and <= " + shortest(opt_.max_radius_m));
      z.shape = zone_shape::circle;
      z.radius_m = r;
      if (ll) {
        z.centre_wgs84 = *ll;
        z.disc.centre = opt_.frame.forward(*ll);
        z.disc.radius_m = r * opt_.frame.scale_at(*ll);
      } else {
        z.disc = circle{centre, r};  // planar: the radius is in the same metres
      }
      return {};
    }

    if (radius) return make_error(errc::bad_radius, "radius_m applies only to Point zones");
    budget used;
    z.shape = zone_shape::polygonal;
    // Planar polygons are read straight into `area`; WGS84 ones into
    // outline_wgs84 and projected.
    auto add_polygon = [&](json::value v, const std::string& what) -> result<void> {
      if (opt_.planar) {
        auto p = read_polygon<polygon>(v, what, used, line);
        if (!p) return std::move(p).err();
        z.area.push_back(std::move(*p));
      } else {
        auto p = read_polygon<lat_lon_polygon>(v, what, used, line);
        if (!p) return std::move(p).err();
        z.outline_wgs84.push_back(std::move(*p));
      }
      return {};
    };
    if (t == "Polygon") {
      if (auto p = add_polygon(*coords, "polygon"); !p) return p;
    } else {
      if (!coords->is_array())
        return geometry_error(errc::bad_geometry, "MultiPolygon coordinates must be an array of polygons", *coords,
                              line);
      if (coords->size() == 0)
        return geometry_error(errc::empty_geometry, "the MultiPolygon has no polygons", *coords, line);
      for (std::size_t i = 0; i < coords->size(); ++i)
        if (auto p = add_polygon((*coords)[i], "polygon " + std::to_string(i + 1)); !p) return p;
    }
    if (auto r = project(z); !r) return r;
    return validate(z);
  }

  std::string_view file_;
  const zone_read_options& opt_;
  diagnostics& diags_;
  std::map<std::string, seen_zone> seen_;
  detail::geos_context geos_;
  std::string repair_note_;
};

result<std::string> read_file(const std::string& path, std::uint64_t max_bytes) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return make_error(errc::io_error, "cannot read zones file: it is a directory");
  // A regular file's size is known up front: refuse it before reading
  // hundreds of megabytes (pipes and other streams are checked as they
  // are read, below).
  if (std::filesystem::is_regular_file(path, ec)) {
    const std::uintmax_t size = std::filesystem::file_size(path, ec);
    if (!ec && size > max_bytes)
      return make_error(errc::file_too_large,
                        "zones file is larger than the limit of " + std::to_string(max_bytes) + " bytes");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(errc::io_error, "cannot open zones file: " + std::string(std::strerror(errno)));
  std::string text;
  char buf[1 << 16];
  while (in) {
    in.read(buf, sizeof buf);
    text.append(buf, static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_bytes)
      return make_error(errc::file_too_large,
                        "zones file is larger than the limit of " + std::to_string(max_bytes) + " bytes");
  }
  if (in.bad()) return make_error(errc::io_error, "cannot read zones file");
  return text;
}

}  // namespace

result<std::vector<zone>> parse_zones(std::string_view text, std::string_view file_name,
                                      const zone_read_options& options, diagnostics& diags) {
  std::vector<zone> zones;
  zones_reader r(file_name, options, diags);
  if (auto ok = r.read(text, zones); !ok) return ok.err();
  return zones;
}

result<void> append_zones(std::vector<zone>& zones, const std::string& path, const zone_read_options& options,
                          diagnostics& diags) {
  zones_reader r(path, options, diags);
  for (const zone& z : zones) r.remember(z);
  auto text = read_file(path, options.max_file_bytes);
  if (!text) return r.file_error(0, std::move(text).err());
  return r.read(*text, zones);
}

result<std::vector<zone>> read_zones(const std::string& path, const zone_read_options& options,
                                     diagnostics& diags) {
  std::vector<zone> zones;
  if (auto ok = append_zones(zones, path, options, diags); !ok) return ok.err();
  return zones;
}

}  // namespace warden
