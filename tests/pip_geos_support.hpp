// Test support for the prepared-polygon and zone-index tests: GEOS as the
// reference (reentrant C API), conversion of warden multipolygons, loading
// the Essex boundaries with GEOS's own GeoJSON reader, and an exact integer
// brute-force point-in-polygon reference.
#pragma once

#include <warden/frame.hpp>
#include <warden/geometry.hpp>

#include <geos_c.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace pip_test {

class geos_handle {
 public:
  geos_handle() : h_(GEOS_init_r()) {}
  ~geos_handle() { GEOS_finish_r(h_); }
  geos_handle(const geos_handle&) = delete;
  geos_handle& operator=(const geos_handle&) = delete;
  GEOSContextHandle_t get() const { return h_; }

 private:
  GEOSContextHandle_t h_;
};

inline GEOSGeometry* to_geos_ring(GEOSContextHandle_t h, const warden::ring& r) {
  GEOSCoordSequence* cs = GEOSCoordSeq_create_r(h, static_cast<unsigned>(r.size() + 1), 2);
  for (std::size_t i = 0; i <= r.size(); ++i) {
    const warden::xy& p = r[i % r.size()];
    GEOSCoordSeq_setXY_r(h, cs, static_cast<unsigned>(i), p.x_m, p.y_m);
  }
  return GEOSGeom_createLinearRing_r(h, cs);
}

inline GEOSGeometry* to_geos(GEOSContextHandle_t h, const warden::multipolygon& mp) {
  std::vector<GEOSGeometry*> polys;
  for (const warden::polygon& poly : mp) {
    std::vector<GEOSGeometry*> holes;
    for (const warden::ring& r : poly.holes) holes.push_back(to_geos_ring(h, r));
    polys.push_back(GEOSGeom_createPolygon_r(h, to_geos_ring(h, poly.outer), holes.data(),
                                             static_cast<unsigned>(holes.size())));
  }
  return GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, polys.data(), static_cast<unsigned>(polys.size()));
}

// GEOS prepared geometry with a reusable covers test.
class geos_prepared {
 public:
  geos_prepared(GEOSContextHandle_t h, const warden::multipolygon& mp)
      : h_(h), g_(to_geos(h, mp)), p_(GEOSPrepare_r(h, g_)) {}
  ~geos_prepared() {
    if (boundary_) GEOSGeom_destroy_r(h_, boundary_);
    GEOSPreparedGeom_destroy_r(h_, p_);
    GEOSGeom_destroy_r(h_, g_);
  }
  geos_prepared(const geos_prepared&) = delete;
  geos_prepared& operator=(const geos_prepared&) = delete;
  bool covers(warden::xy q) const {
    GEOSGeometry* pt = GEOSGeom_createPointFromXY_r(h_, q.x_m, q.y_m);
    const char r = GEOSPreparedCovers_r(h_, p_, pt);
    GEOSGeom_destroy_r(h_, pt);
    if (r == 2) throw std::runtime_error("GEOSPreparedCovers_r failed");
    return r == 1;
  }
  // Distance from q to the boundary (all rings).
  double boundary_distance(warden::xy q) const {
    if (!boundary_) boundary_ = GEOSBoundary_r(h_, g_);
    GEOSGeometry* pt = GEOSGeom_createPointFromXY_r(h_, q.x_m, q.y_m);
    double d = -1;
    GEOSDistance_r(h_, boundary_, pt, &d);
    GEOSGeom_destroy_r(h_, pt);
    return d;
  }
  const GEOSGeometry* geometry() const { return g_; }

 private:
  GEOSContextHandle_t h_;
  GEOSGeometry* g_;
  const GEOSPreparedGeometry* p_;
  mutable GEOSGeometry* boundary_ = nullptr;
};

// One boundary from the shared data, projected.
struct named_area {
  std::string id;
  warden::multipolygon area;
};

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Reads every *.json FeatureCollection in `dir` (sorted by file name) with
// GEOS's GeoJSON reader and projects the lon/lat rings with `frame`
// (dropping the closing vertex). `id_property` names the feature id.
inline std::vector<named_area> load_boundaries(const std::filesystem::path& dir, const std::string& id_property,
                                               const warden::tm_frame& frame = warden::tm_frame{}) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  geos_handle gh;
  GEOSContextHandle_t h = gh.get();
  std::vector<named_area> out;
  for (const auto& f : files) {
    const std::string text = slurp(f);
    GEOSGeoJSONReader* rd = GEOSGeoJSONReader_create_r(h);
    GEOSGeometry* coll = GEOSGeoJSONReader_readGeometry_r(h, rd, text.c_str());
    GEOSGeoJSONReader_destroy_r(h, rd);
    if (!coll) throw std::runtime_error("GEOS cannot read " + f.string());
    // GEOS's GeoJSON reader drops properties; the ids come from the text, in
    // feature order.
    std::vector<std::string> ids;
    const std::string key = "\"" + id_property + "\"";
    for (std::size_t pos = text.find(key); pos != std::string::npos; pos = text.find(key, pos + 1)) {
      const std::size_t q1 = text.find('"', text.find(':', pos) + 1);
      const std::size_t q2 = text.find('"', q1 + 1);
      ids.push_back(text.substr(q1 + 1, q2 - q1 - 1));
    }
    const int n = GEOSGetNumGeometries_r(h, coll);
    if (static_cast<std::size_t>(n) != ids.size()) throw std::runtime_error("feature/id count mismatch in " + f.string());
    for (int i = 0; i < n; ++i) {
      const GEOSGeometry* g = GEOSGetGeometryN_r(h, coll, i);
      named_area a;
      a.id = ids[static_cast<std::size_t>(i)];
      auto ring_of = [&](const GEOSGeometry* lr) {
        const GEOSCoordSequence* cs = GEOSGeom_getCoordSeq_r(h, lr);
        unsigned sz = 0;
        GEOSCoordSeq_getSize_r(h, cs, &sz);
        warden::ring r;
        for (unsigned k = 0; k + 1 < sz; ++k) {
          double lon = 0, lat = 0;
          GEOSCoordSeq_getXY_r(h, cs, k, &lon, &lat);
          r.push_back(frame.forward(warden::lat_lon::from_degrees(lat, lon).value()));
        }
        return r;
      };
      auto poly_of = [&](const GEOSGeometry* pg) {
        warden::polygon p;
        p.outer = ring_of(GEOSGetExteriorRing_r(h, pg));
        const int nh = GEOSGetNumInteriorRings_r(h, pg);
        for (int k = 0; k < nh; ++k) p.holes.push_back(ring_of(GEOSGetInteriorRingN_r(h, pg, k)));
        return p;
      };
      const int type = GEOSGeomTypeId_r(h, g);
      if (type == GEOS_POLYGON) {
        a.area.push_back(poly_of(g));
      } else if (type == GEOS_MULTIPOLYGON) {
        const int np = GEOSGetNumGeometries_r(h, g);
        for (int k = 0; k < np; ++k) a.area.push_back(poly_of(GEOSGetGeometryN_r(h, g, k)));
      } else {
        throw std::runtime_error("unexpected geometry type in " + f.string());
      }
      out.push_back(std::move(a));
    }
    GEOSGeom_destroy_r(h, coll);
  }
  return out;
}

inline std::size_t vertex_count(const warden::multipolygon& mp) {
  std::size_t n = 0;
  for (const auto& p : mp) {
    n += p.outer.size();
    for (const auto& r : p.holes) n += r.size();
  }
  return n;
}

// Exact brute-force reference: even-odd parity, boundary covered, in
// 128-bit integers (GEOS's RayCrossingCounter rule). Each orientation scales
// its six coordinates by the smallest power of two that makes them all
// integers; it throws when they would not fit (tests then use coarser
// coordinates).
__extension__ using i128 = __int128;
inline int fraction_bits(double v) {
  if (v == std::floor(v)) return 0;
  int e = 0;
  const auto m = static_cast<std::uint64_t>(std::ldexp(std::fabs(std::frexp(v, &e)), 53));  // v = m 2^(e-53)
  return 53 - e - __builtin_ctzll(m);
}
inline int orient_i(warden::xy a, warden::xy b, warden::xy c) {
  const double v[6] = {a.x_m, a.y_m, b.x_m, b.y_m, c.x_m, c.y_m};
  int k = 0;
  for (double x : v) k = std::max(k, fraction_bits(x));
  i128 s[6];
  for (int i = 0; i < 6; ++i) {
    const double scaled = std::ldexp(v[i], k);
    if (!(std::fabs(scaled) < 9.2e18)) throw std::runtime_error("orient_i: coordinates too fine for the reference");
    s[i] = static_cast<std::int64_t>(scaled);
  }
  const i128 d = (s[2] - s[0]) * (s[5] - s[1]) - (s[3] - s[1]) * (s[4] - s[0]);
  return d > 0 ? 1 : d < 0 ? -1 : 0;
}
inline bool reference_covers(const warden::multipolygon& mp, warden::xy p) {
  int crossings = 0;
  auto ring_test = [&](const warden::ring& r) {
    for (std::size_t i = 0; i < r.size(); ++i) {
      const warden::xy a = r[i], b = r[(i + 1) % r.size()];
      const bool in_box = std::min(a.x_m, b.x_m) <= p.x_m && p.x_m <= std::max(a.x_m, b.x_m) &&
                          std::min(a.y_m, b.y_m) <= p.y_m && p.y_m <= std::max(a.y_m, b.y_m);
      const int o = orient_i(a, b, p);
      if (in_box && o == 0) return true;
      if ((a.y_m > p.y_m) != (b.y_m > p.y_m)) {
        // Crossing of the ray to the right of p.
        if ((b.y_m > a.y_m) ? o > 0 : o < 0) ++crossings;
      }
    }
    return false;
  };
  for (const auto& poly : mp) {
    if (ring_test(poly.outer)) return true;
    for (const auto& h : poly.holes)
      if (ring_test(h)) return true;
  }
  return crossings % 2 == 1;
}

}  // namespace pip_test

namespace pip_test {

// Crime locations from the police.uk CSVs in `dir` (Longitude, Latitude in
// columns 5 and 6; rows without coordinates skipped), projected, in file
// order of the sorted file names.
inline std::vector<warden::xy> load_crime_points(const std::filesystem::path& dir,
                                                 const warden::tm_frame& frame = warden::tm_frame{}) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".csv") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<warden::xy> out;
  for (const auto& f : files) {
    std::ifstream in(f);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::vector<std::string> cols;
      std::size_t start = 0;
      for (int k = 0; k < 6; ++k) {
        const std::size_t comma = line.find(',', start);
        cols.push_back(line.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      if (cols.size() < 6 || cols[4].empty() || cols[5].empty()) continue;
      auto ll = warden::lat_lon::from_degrees(std::stod(cols[5]), std::stod(cols[4]));
      if (ll) out.push_back(frame.forward(*ll));
    }
  }
  return out;
}

}  // namespace pip_test
