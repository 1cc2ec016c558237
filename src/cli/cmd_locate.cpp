// warden locate — which zones cover each point (FORMATS.md), through the
// zone index.
#include "commands.hpp"

#include <warden/detail/csv.hpp>
#include <warden/diagnostics.hpp>
#include <warden/frame.hpp>
#include <warden/zone.hpp>
#include <warden/zone_index.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <span>
#include <string>
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
  {
    zone_read_options ro;
    ro.frame = frame;
    ro.planar = planar;  // planar points go with planar zones
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
