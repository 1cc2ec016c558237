// warden locate — which zones cover each point (FORMATS.md), through the
// zone index.
#include "commands.hpp"

#include <warden/detail/csv.hpp>
#include <warden/detail/geos_adapter.hpp>
#include <warden/detail/json.hpp>
#include <warden/diagnostics.hpp>
#include <warden/frame.hpp>
#include <warden/zone.hpp>
#include <warden/zone_index.hpp>

#include <cmath>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

namespace warden::cli {
namespace {

constexpr std::string_view usage_text =
    "usage: warden locate --zones Z --points P [--crs wgs84|planar] [--out O]\n"
    "                     [--id-property NAME] [--strict]\n"
    "  For each point prints `id,zone_ids`: the ids of the zones that cover it\n"
    "  (a zone covers its boundary), `;`-separated in zone file order, empty\n"
    "  when none does. Points are CSV with a header row: `id,lat,lon` (WGS84\n"
    "  degrees), or `id,x,y` with --crs planar, where the zones' GeoJSON\n"
    "  coordinates are planar metres too. `-` reads points from stdin.\n"
    "  --id-property names the property holding zone ids (default zone_id;\n"
    "  the Feature's `id` when the property is absent), e.g. LSOA11CD.\n"
    "  Bad records are reported as FILE:LINE: code: message and skipped;\n"
    "  --strict stops at the first one.\n"
    "  Exit status: 0 ok, 1 bad input (reported on stderr), 2 usage error.\n";

struct loaded_zones {
  std::vector<std::string> ids;
  zone_index index;
};

// ---- planar zones: the GeoJSON reader's rules, without a projection -------

class planar_reader {
 public:
  planar_reader(std::string path, std::string id_property, diagnostics& diags)
      : path_(std::move(path)), id_property_(std::move(id_property)), diags_(diags) {}

  // False when the file as a whole cannot be used (already reported).
  bool read(loaded_zones& out, zone_index_builder& builder) {
    std::ifstream in(path_, std::ios::binary);
    if (!in) {
      diags_.report(path_, 0, errc::io_error, "cannot open the zones file");
      return false;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    detail::json::location where;
    detail::json::parse_options po;
    po.max_depth = 64;
    auto doc = detail::json::parse(text, po, &where);
    if (!doc) {
      diags_.report(path_, where.line, doc.code(), doc.err().message);
      return false;
    }
    const detail::json::value root = doc->root();
    const auto type = root.find("type");
    const auto features = root.find("features");
    if (!root.is_object() || !type || type->as_string() != "FeatureCollection" || !features ||
        !features->is_array()) {
      diags_.report(path_, root.line(), errc::not_feature_collection, "not a GeoJSON FeatureCollection");
      return false;
    }
    std::set<std::string> seen;
    for (std::size_t i = 0; i < features->size(); ++i) {
      const detail::json::value f = (*features)[i];
      auto z = feature(f);
      if (!z) {
        diags_.report(path_, f.line(), z.code(), z.err().message);
        continue;
      }
      if (!seen.insert(z->first).second) {
        diags_.report(path_, f.line(), errc::duplicate_id, "zone id '" + z->first + "' seen before; feature dropped");
        continue;
      }
      auto added = z->second.index() == 0 ? builder.add(std::get<0>(z->second)) : builder.add(std::get<1>(z->second));
      if (!added) {
        diags_.report(path_, f.line(), added.code(), added.err().message);
        continue;
      }
      out.ids.push_back(z->first);
    }
    return true;
  }

 private:
  using shape = std::variant<multipolygon, circle>;

  result<std::pair<std::string, shape>> feature(detail::json::value f) {
    if (!f.is_object()) return make_error(errc::bad_geometry, "a feature must be an object");
    const auto props = f.find("properties");
    std::string id;
    auto id_of = [&](detail::json::value v) -> bool {
      if (v.is_string()) id = std::string(v.as_string());
      else if (v.is_number()) id = detail::json::to_json(v);
      return !id.empty();
    };
    bool have_id = false;
    if (props && props->is_object())
      if (auto v = props->find(id_property_)) have_id = id_of(*v);
    if (!have_id)
      if (auto v = f.find("id")) have_id = id_of(*v);
    if (!have_id) return make_error(errc::bad_id, "the feature has no '" + id_property_ + "' property and no id");
    const auto geom = f.find("geometry");
    if (!geom || !geom->is_object()) return make_error(errc::bad_geometry, "zone " + id + ": no geometry");
    const auto gtype = geom->find("type");
    const auto coords = geom->find("coordinates");
    if (!gtype || !coords) return make_error(errc::bad_geometry, "zone " + id + ": geometry without type or coordinates");
    const std::string_view t = gtype->as_string();
    if (t == "Point") {
      xy c;
      if (auto e = position(*coords, c); !e) return e.err();
      const auto r = props && props->is_object() ? props->find("radius_m") : std::nullopt;
      if (!r || !r->is_number() || !std::isfinite(r->as_number()) || r->as_number() <= 0)
        return make_error(errc::bad_radius, "zone " + id + ": a Point zone needs a positive radius_m");
      return std::pair<std::string, shape>{id, circle{c, r->as_number()}};
    }
    multipolygon mp;
    if (t == "Polygon") {
      mp.emplace_back();
      if (auto e = polygon_of(*coords, mp.back()); !e) return make_error(e.code(), "zone " + id + ": " + e.err().message);
    } else if (t == "MultiPolygon") {
      if (!coords->is_array() || coords->size() == 0)
        return make_error(errc::empty_geometry, "zone " + id + ": empty MultiPolygon");
      for (std::size_t k = 0; k < coords->size(); ++k) {
        mp.emplace_back();
        if (auto e = polygon_of((*coords)[k], mp.back()); !e)
          return make_error(e.code(), "zone " + id + ": " + e.err().message);
      }
    } else {
      return make_error(errc::bad_geometry, "zone " + id + ": geometry type must be Polygon, MultiPolygon or Point");
    }
    auto v = geos_.check(mp);
    if (!v) return make_error(v.code(), "zone " + id + ": " + v.err().message);
    if (!v->valid) {
      const bool self = v->reason.rfind("Self-intersection", 0) == 0 || v->reason.rfind("Ring Self-intersection", 0) == 0;
      return make_error(self ? errc::self_intersection : errc::invalid_geometry,
                        "zone " + id + ": invalid geometry (" + v->reason + ")");
    }
    auto area = geos_.area_m2(mp);
    if (area && !(*area > 0)) return make_error(errc::degenerate_geometry, "zone " + id + ": zero area");
    return std::pair<std::string, shape>{id, std::move(mp)};
  }

  static result<void> position(detail::json::value p, xy& out) {
    if (!p.is_array() || p.size() < 2 || !p[0].is_number() || !p[1].is_number())
      return make_error(errc::bad_geometry, "a position must be an array of at least two numbers");
    out = {p[0].as_number(), p[1].as_number()};
    if (!std::isfinite(out.x_m) || !std::isfinite(out.y_m)) return make_error(errc::not_finite, "coordinates must be finite");
    return {};
  }

  static result<void> polygon_of(detail::json::value rings, polygon& out) {
    if (!rings.is_array() || rings.size() == 0) return make_error(errc::empty_geometry, "a polygon needs a ring");
    for (std::size_t k = 0; k < rings.size(); ++k) {
      const detail::json::value r = rings[k];
      if (!r.is_array()) return make_error(errc::bad_geometry, "a ring must be an array of positions");
      ring pts;
      for (std::size_t i = 0; i < r.size(); ++i) {
        xy p;
        if (auto e = position(r[i], p); !e) return e;
        if (pts.empty() || !(pts.back() == p)) pts.push_back(p);
      }
      if (pts.size() < 2 || !(pts.front() == pts.back())) {
        if (pts.size() >= 2) return make_error(errc::ring_not_closed, "a ring must end where it starts");
        return make_error(errc::ring_too_few_points, "a ring needs at least 3 distinct positions");
      }
      pts.pop_back();
      if (pts.size() < 3) return make_error(errc::ring_too_few_points, "a ring needs at least 3 distinct positions");
      (k == 0 ? out.outer : out.holes.emplace_back()) = std::move(pts);
    }
    return {};
  }

  std::string path_, id_property_;
  diagnostics& diags_;
  detail::geos_context geos_;
};

// ---- points --------------------------------------------------------------

int run(const options& o) {
  const std::string crs = o.get("crs", "wgs84");
  const bool planar = crs == "planar";
  const bool strict = o.has("strict");
  diagnostics diags(&std::cerr);
  const tm_frame frame{};

  loaded_zones zs;
  zone_index_builder builder;
  const std::string zones_path = o.get("zones");
  if (planar) {
    planar_reader pr(zones_path, o.get("id-property", "zone_id"), diags);
    if (!pr.read(zs, builder)) return 1;
  } else {
    zone_read_options ro;
    ro.frame = frame;
    ro.id_property = o.get("id-property", "zone_id");
    ro.default_kind = zone_kind::exclusion;  // kind and subjects play no part in locate
    ro.default_subjects = {"*"};
    auto zones = read_zones(zones_path, ro, diags);
    if (!zones) return 1;
    for (const zone& z : *zones) {
      auto added = builder.add(z);
      if (!added) {
        diags.report(z.file, z.line, added.code(), "zone " + z.zone_id + ": " + added.err().message);
        continue;
      }
      zs.ids.push_back(z.zone_id);
    }
  }
  if (strict && !diags.empty()) return 1;
  auto built = builder.build();
  if (!built) {
    diags.report(zones_path, 0, built.code(), built.err().message);
    return 1;
  }
  zs.index = std::move(built).value();

  const std::string points_path = o.get("points");
  std::ifstream file;
  std::istream* in = &std::cin;
  if (points_path != "-") {
    file.open(points_path, std::ios::binary);
    if (!file) {
      diags.report(points_path, 0, errc::io_error, "cannot open the points file");
      return 1;
    }
    in = &file;
  }
  std::ofstream out_file;
  std::ostream* out = &std::cout;
  if (o.has("out") && o.get("out") != "-") {
    out_file.open(o.get("out"), std::ios::binary);
    if (!out_file) {
      diags.report(o.get("out"), 0, errc::io_error, "cannot write the output file");
      return 1;
    }
    out = &out_file;
  }

  detail::istream_source src(*in);
  detail::csv_reader csv(src);
  const char* const c1 = planar ? "x" : "lat";
  const char* const c2 = planar ? "y" : "lon";
  int col_id = -1, col_a = -1, col_b = -1;
  std::size_t need = 0;
  bool header = false;

  // Points are answered in batches: the index overlaps their memory reads.
  constexpr std::size_t batch = 1024;
  std::vector<std::string> ids;
  std::vector<xy> pts;
  std::vector<std::string> cells(batch);
  std::string text = "id,zone_ids\n";
  auto flush = [&] {
    for (auto& c : cells) c.clear();
    zs.index.for_each_covering(std::span<const xy>(pts), [&](std::size_t i, std::uint32_t z) {
      if (!cells[i].empty()) cells[i] += ';';
      cells[i] += zs.ids[z];
    });
    for (std::size_t i = 0; i < pts.size(); ++i) {
      detail::append_csv_field(text, ids[i]);
      text += ',';
      detail::append_csv_field(text, cells[i]);
      text += '\n';
    }
    out->write(text.data(), static_cast<std::streamsize>(text.size()));
    text.clear();
    ids.clear();
    pts.clear();
  };
  bool stop = false;
  while (!stop) {
    const detail::csv_status st = csv.next();
    if (st == detail::csv_status::end) break;
    if (st == detail::csv_status::fatal) {
      diags.report(points_path, csv.line(), csv.error_code(), csv.error_message());
      break;
    }
    if (st == detail::csv_status::bad_record) {
      diags.report(points_path, csv.line(), csv.error_code(), csv.error_message());
      stop = strict;
      continue;
    }
    const auto& f = csv.fields();
    if (!header) {
      header = true;
      for (std::size_t k = 0; k < f.size(); ++k) {
        const std::string_view name = detail::trim(f[k]);
        if (name == "id" && col_id < 0) col_id = static_cast<int>(k);
        if (name == c1 && col_a < 0) col_a = static_cast<int>(k);
        if (name == c2 && col_b < 0) col_b = static_cast<int>(k);
      }
      if (col_id < 0 || col_a < 0 || col_b < 0) {
        diags.report(points_path, csv.line(), errc::missing_column,
                     std::string("the header needs columns id, ") + c1 + ", " + c2);
        return 1;
      }
      need = static_cast<std::size_t>(std::max({col_id, col_a, col_b})) + 1;
      continue;
    }
    auto bad = [&](errc code, std::string message) {
      diags.report(points_path, csv.line(), code, std::move(message));
      stop = strict;
    };
    if (f.size() < need) {
      bad(errc::field_count, "expected at least " + std::to_string(need) + " fields, found " + std::to_string(f.size()));
      continue;
    }
    const std::string_view id = detail::trim(f[static_cast<std::size_t>(col_id)]);
    if (id.empty()) {
      bad(errc::missing_field, "empty id");
      continue;
    }
    double a = 0, b = 0;
    const std::string_view fa = f[static_cast<std::size_t>(col_a)], fb = f[static_cast<std::size_t>(col_b)];
    const auto sa = detail::parse_double(fa, a), sb = detail::parse_double(fb, b);
    if (sa != detail::number_status::ok || sb != detail::number_status::ok) {
      const bool empty = sa == detail::number_status::empty || sb == detail::number_status::empty;
      const bool inf = sa == detail::number_status::not_finite || sb == detail::number_status::not_finite;
      bad(empty ? errc::missing_field : inf ? errc::not_finite : errc::bad_number,
          std::string(empty ? "missing " : "not a finite number: ") + c1 + "/" + c2 + " " +
              detail::quote_for_message(fa) + ", " + detail::quote_for_message(fb));
      continue;
    }
    xy p{a, b};
    if (!planar) {
      const auto ll = lat_lon::from_degrees(a, b);
      if (!ll) {
        bad(ll.code(), ll.err().message);
        continue;
      }
      p = frame.forward(*ll);
    }
    ids.emplace_back(id);
    pts.push_back(p);
    if (pts.size() == batch) flush();
  }
  flush();
  out->flush();
  if (!*out) {
    diags.report(o.get("out", "-"), 0, errc::io_error, "write failed");
    return 1;
  }
  if (!header && !stop && diags.empty()) {
    diags.report(points_path, 0, errc::empty_file, "no header row");
    return 1;
  }
  return diags.empty() ? 0 : 1;
}

}  // namespace

int cmd_locate(const args& a) {
  const options o(a, {"zones", "points", "crs", "out", "id-property"}, {"strict"});
  if (o.help()) {
    std::cout << usage_text;
    return 0;
  }
  if (!o.ok()) return usage_error("locate", o.error(), usage_text);
  for (const char* required : {"zones", "points"})
    if (!o.has(required)) return usage_error("locate", std::string("--") + required + " is required", usage_text);
  const std::string crs = o.get("crs", "wgs84");
  if (crs != "wgs84" && crs != "planar") return usage_error("locate", "--crs must be wgs84 or planar", usage_text);
  return run(o);
}

}  // namespace warden::cli
