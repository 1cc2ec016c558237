// warden/detail/geos_adapter.hpp — validity checking and repair of planar
// polygons through the GEOS C API, internal to the zones reader.
//
// No GEOS type appears here: GEOS is a private dependency of the compiled
// library, and consumers of warden's headers never need its headers.
//
// Coordinates are frame metres (warden/geometry.hpp conventions: closure
// implied). Validity is OGC validity as GEOSisValidDetail reports it
// (self-touching rings that form holes are invalid).
//
// Thread-safety: a geos_context owns one reentrant GEOS handle; use one per
// thread (or per reader call). Distinct contexts are independent.
#pragma once

#include <warden/geometry.hpp>
#include <warden/result.hpp>

#include <memory>
#include <string>

namespace warden::detail {

struct geos_validity {
  bool valid = true;
  std::string reason;         // GEOS's words, e.g. "Self-intersection"
  bool has_location = false;  // GEOS gave the point where it found the problem
  xy location;                // frame metres
};

class geos_context {
 public:
  geos_context();
  ~geos_context();
  geos_context(const geos_context&) = delete;
  geos_context& operator=(const geos_context&) = delete;

  // With allow_inverted_holes, a ring that touches itself at a point to
  // enclose a hole (the ESRI form of a hole touching its shell) is accepted.
  // Errors: invalid_geometry when GEOS cannot even build the geometry.
  result<geos_validity> check(const multipolygon& mp, bool allow_inverted_holes = false);

  // The polygonal part of GEOSMakeValid(mp), rings without the closing
  // vertex. Errors: degenerate_geometry (nothing polygonal with area is
  // left), invalid_geometry (GEOS failed).
  result<multipolygon> make_valid(const multipolygon& mp);

  // Area in square metres as GEOS computes it (for messages and tests).
  result<double> area_m2(const multipolygon& mp);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace warden::detail
