// GEOS validity and repair for the zones reader (warden/detail/geos_adapter.hpp).
#define GEOS_USE_ONLY_R_API
#include <geos_c.h>

#include <warden/detail/geos_adapter.hpp>

#include <string>
#include <utility>
#include <vector>

namespace warden::detail {
namespace {

void capture_message(const char* message, void* userdata) {
  auto* last = static_cast<std::string*>(userdata);
  *last = message ? message : "";
}

}  // namespace

struct geos_context::impl {
  GEOSContextHandle_t handle = nullptr;
  std::string last_error;  // GEOS reports through a handler, not a return value
  std::string last_notice;

  impl() {
    handle = GEOS_init_r();
    GEOSContext_setErrorMessageHandler_r(handle, capture_message, &last_error);
    // Notices (e.g. from validity checks) are not errors; keep them off stderr.
    GEOSContext_setNoticeMessageHandler_r(handle, capture_message, &last_notice);
  }
  ~impl() { GEOS_finish_r(handle); }
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;

  struct geom_deleter {
    GEOSContextHandle_t h;
    void operator()(GEOSGeometry* g) const noexcept {
      if (g) GEOSGeom_destroy_r(h, g);
    }
  };
  using geom_ptr = std::unique_ptr<GEOSGeometry, geom_deleter>;

  geom_ptr own(GEOSGeometry* g) const noexcept { return geom_ptr(g, geom_deleter{handle}); }

  error geos_error(const char* what) const {
    std::string m = std::string("GEOS could not ") + what;
    if (!last_error.empty()) m += ": " + last_error;
    return make_error(errc::invalid_geometry, std::move(m));
  }

  // A closed GEOS ring from an implicitly closed warden ring.
  geom_ptr make_ring(const ring& r, std::vector<double>& buf) {
    buf.clear();
    buf.reserve(2 * (r.size() + 1));
    for (const xy& p : r) {
      buf.push_back(p.x_m);
      buf.push_back(p.y_m);
    }
    if (!r.empty()) {
      buf.push_back(r.front().x_m);
      buf.push_back(r.front().y_m);
    }
    GEOSCoordSequence* seq =
        GEOSCoordSeq_copyFromBuffer_r(handle, buf.data(), static_cast<unsigned>(buf.size() / 2), 0, 0);
    if (!seq) return own(nullptr);
    return own(GEOSGeom_createLinearRing_r(handle, seq));  // takes seq, even on failure
  }

  result<geom_ptr> make_multipolygon(const multipolygon& mp) {
    last_error.clear();
    std::vector<double> buf;
    std::vector<geom_ptr> polys;
    polys.reserve(mp.size());
    for (const polygon& poly : mp) {
      geom_ptr shell = make_ring(poly.outer, buf);
      if (!shell) return geos_error("build a ring");
      std::vector<geom_ptr> holes;
      for (const ring& h : poly.holes) {
        holes.push_back(make_ring(h, buf));
        if (!holes.back()) return geos_error("build a ring");
      }
      std::vector<GEOSGeometry*> raw_holes;
      for (auto& h : holes) raw_holes.push_back(h.release());
      GEOSGeometry* p = GEOSGeom_createPolygon_r(handle, shell.release(), raw_holes.data(),
                                                 static_cast<unsigned>(raw_holes.size()));
      if (!p) return geos_error("build a polygon");
      polys.push_back(own(p));
    }
    std::vector<GEOSGeometry*> raw;
    for (auto& p : polys) raw.push_back(p.release());
    GEOSGeometry* m =
        GEOSGeom_createCollection_r(handle, GEOS_MULTIPOLYGON, raw.data(), static_cast<unsigned>(raw.size()));
    if (!m) return geos_error("build a multipolygon");
    return own(m);
  }

  // Appends ring coordinates without the closing vertex.
  bool read_ring(const GEOSGeometry* g, ring& out) {
    const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(handle, g);
    unsigned n = 0;
    if (!seq || !GEOSCoordSeq_getSize_r(handle, seq, &n)) return false;
    std::vector<double> buf(2 * static_cast<std::size_t>(n));
    if (n && !GEOSCoordSeq_copyToBuffer_r(handle, seq, buf.data(), 0, 0)) return false;
    out.clear();
    for (unsigned i = 0; i + 1 < n; ++i) out.push_back(xy{buf[2 * i], buf[2 * i + 1]});
    return true;
  }

  // Collects the non-empty polygons of g, descending into collections.
  bool collect_polygons(const GEOSGeometry* g, multipolygon& out) {
    const int t = GEOSGeomTypeId_r(handle, g);
    if (t == GEOS_POLYGON) {
      if (GEOSisEmpty_r(handle, g) == 1) return true;
      polygon p;
      if (!read_ring(GEOSGetExteriorRing_r(handle, g), p.outer)) return false;
      const int nh = GEOSGetNumInteriorRings_r(handle, g);
      for (int i = 0; i < nh; ++i) {
        ring h;
        if (!read_ring(GEOSGetInteriorRingN_r(handle, g, i), h)) return false;
        p.holes.push_back(std::move(h));
      }
      out.push_back(std::move(p));
      return true;
    }
    if (t == GEOS_MULTIPOLYGON || t == GEOS_GEOMETRYCOLLECTION) {
      const int n = GEOSGetNumGeometries_r(handle, g);
      for (int i = 0; i < n; ++i)
        if (!collect_polygons(GEOSGetGeometryN_r(handle, g, i), out)) return false;
      return true;
    }
    return true;  // points and lines have no area: dropped
  }
};

geos_context::geos_context() : impl_(std::make_unique<impl>()) {}
geos_context::~geos_context() = default;

result<geos_validity> geos_context::check(const multipolygon& mp, bool allow_inverted_holes) {
  auto g = impl_->make_multipolygon(mp);
  if (!g) return std::move(g).err();
  char* reason = nullptr;
  GEOSGeometry* where = nullptr;
  const char rc = GEOSisValidDetail_r(impl_->handle, g->get(),
                                        allow_inverted_holes ? GEOSVALID_ALLOW_SELFTOUCHING_RING_FORMING_HOLE : 0,
                                        &reason, &where);
  auto where_owned = impl_->own(where);
  geos_validity v;
  if (rc == 2) {
    if (reason) GEOSFree_r(impl_->handle, reason);
    return impl_->geos_error("check validity");
  }
  v.valid = rc == 1;
  if (reason) {
    v.reason = reason;
    GEOSFree_r(impl_->handle, reason);
  }
  if (!v.valid && where) {
    double x = 0, y = 0;
    if (GEOSGeomGetX_r(impl_->handle, where, &x) == 1 && GEOSGeomGetY_r(impl_->handle, where, &y) == 1) {
      v.has_location = true;
      v.location = xy{x, y};
    }
  }
  return v;
}

result<multipolygon> geos_context::make_valid(const multipolygon& mp) {
  auto g = impl_->make_multipolygon(mp);
  if (!g) return std::move(g).err();
  auto fixed = impl_->own(GEOSMakeValid_r(impl_->handle, g->get()));
  if (!fixed) return impl_->geos_error("make the geometry valid");
  multipolygon out;
  if (!impl_->collect_polygons(fixed.get(), out)) return impl_->geos_error("read the repaired geometry");
  if (out.empty())
    return make_error(errc::degenerate_geometry, "nothing with an area is left after making the geometry valid");
  return out;
}

result<double> geos_context::area_m2(const multipolygon& mp) {
  auto g = impl_->make_multipolygon(mp);
  if (!g) return std::move(g).err();
  double a = 0;
  if (!GEOSArea_r(impl_->handle, g->get(), &a)) return impl_->geos_error("compute the area");
  return a;
}

}  // namespace warden::detail
