// warden/zone.hpp — zones (exclusion, inclusion, curfew home, victim home)
// and the GeoJSON zones reader (FORMATS.md "Zones").
//
// A zone is either polygonal (Polygon / MultiPolygon with holes) or a circle
// (Point + radius_m). Polygonal zones are kept twice, index-aligned: as the
// WGS84 rings read from the file (`outline_wgs84`) and projected into the
// reader's tm_frame (`area`, metres), which is what every decision uses.
// Rings follow warden/geometry.hpp: the closing vertex is not repeated, and
// consecutive duplicate vertices are always dropped (so every stored edge
// has non-zero length), in both copies alike. Orientation is as read.
//
// Boundary semantics: a zone covers its boundary. A circle covers every point
// within radius_m (ground metres) of its centre; `disc` carries the radius in
// frame metres (radius_m times the frame's point scale at the centre).
//
// Validation (reader): structure, coordinate ranges, limits, zero area and
// GEOS (OGC) validity of the projected geometry. A zone in hand is valid: no
// self-intersection, holes inside their shell, parts disjoint. With
// `repair`, invalid geometry is made valid with GEOS MakeValid (polygonal
// part kept; input vertices keep their exact coordinates) and reported with
// errc::repaired instead of being rejected. One invalid form is accepted
// without a diagnostic because it covers a well-defined area: an outer ring
// that touches itself at a vertex to enclose a hole (ESRI style; one real
// ONS LSOA, E01021909, and one ward, E05004205, are drawn so). It is
// rewritten into OGC form, an explicit hole touching the shell, and the
// rewrite is checked to keep the area.
//
// `version` is a stable 16-hex-digit FNV-1a 64 hash over the kind, the
// canonical WGS84 geometry (IEEE-754 bits of the stored coordinates, which
// are the input coordinates unless the zone was repaired), the circle
// radius, the tolerance and the schedule; it is the same on every machine
// and does not depend on the frame, the zone_id, the subjects or display
// properties. Alerts quote it as evidence of which zone definition applied.
//
// Thread-safety: zones are plain values; read_zones uses no shared state and
// may run concurrently on different diagnostics collectors.
#pragma once

#include <warden/diagnostics.hpp>
#include <warden/frame.hpp>
#include <warden/geo.hpp>
#include <warden/geometry.hpp>
#include <warden/result.hpp>
#include <warden/schedule.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace warden {

enum class zone_kind : std::uint8_t {
  exclusion = 0,    // the subject must stay out
  inclusion = 1,    // the subject must stay in
  curfew_home = 2,  // inclusion, only inside its schedule
  victim_home = 3,  // exclusion with proximity priority
};
// "exclusion" | "inclusion" | "curfew_home" | "victim_home".
std::string_view to_string(zone_kind k) noexcept;
// Exact (case-sensitive) names as above. Errors: bad_kind.
result<zone_kind> parse_zone_kind(std::string_view s) noexcept;

enum class zone_shape : std::uint8_t { polygonal = 0, circle = 1 };

// WGS84 rings, same conventions as warden::ring (closure implied).
using lat_lon_ring = std::vector<lat_lon>;
struct lat_lon_polygon {
  lat_lon_ring outer;
  std::vector<lat_lon_ring> holes;
};
using lat_lon_multipolygon = std::vector<lat_lon_polygon>;

struct zone {
  std::string zone_id;                // unique within what one reader call loaded
  std::vector<std::string> subjects;  // as given, duplicates dropped; {"*"} = everyone
  zone_kind kind = zone_kind::exclusion;
  zone_shape shape = zone_shape::polygonal;

  // Polygonal zones (empty for circles); area[i] is outline_wgs84[i] projected
  // (planar reads: outline_wgs84 is empty, see zone_read_options::planar).
  lat_lon_multipolygon outline_wgs84;
  multipolygon area;

  // Circle zones.
  lat_lon centre_wgs84;
  double radius_m = 0;  // ground metres, as given
  circle disc;          // projected centre; radius in frame metres

  std::optional<schedule_spec> schedule;  // absent = always active
  double tolerance_m = 0;                 // finite, >= 0

  // Other feature properties for display (e.g. LSOA11NM), in file order.
  // Strings verbatim; numbers in shortest round-trip form; booleans as
  // true/false; arrays and objects as compact JSON; nulls omitted.
  std::vector<std::pair<std::string, std::string>> properties;

  std::string version;     // 16 lower-case hex digits
  std::string file;        // as given to the reader
  std::uint64_t line = 0;  // 1-based line where the feature starts
  bool repaired = false;   // geometry was changed by the `repair` option

  bool applies_to_everyone() const noexcept;
  bool applies_to(std::string_view subject_id) const noexcept;
  // The display property `key`, or an empty view.
  std::string_view property(std::string_view key) const noexcept;
  // Bounding box of the projected geometry (circle: its disc).
  box bounds() const noexcept;
};

struct zone_read_options {
  tm_frame frame{};  // projection for `area` and `disc`; BNG-on-WGS84 by default
  // Property that holds the zone id (real ONS files: "LSOA11CD", "WD13CD").
  // When the property is absent the Feature's own "id" member is used.
  std::string id_property = "zone_id";
  // Used when a feature has no `kind` property; without it `kind` is required.
  std::optional<zone_kind> default_kind;
  // Used when a feature has neither `subject_id` nor `subjects`; without it
  // one of them is required. {"*"} = everyone.
  std::vector<std::string> default_subjects;
  bool repair = false;  // make invalid geometry valid instead of rejecting it
  // GeoJSON positions are planar [x, y] metres (already in the frame of the
  // points they will be tested against; `warden locate --crs planar`), not
  // [longitude, latitude]. Nothing is projected: `area` and `disc` hold the
  // coordinates as read (radius_m in the same metres), `outline_wgs84` stays
  // empty and `centre_wgs84` unset, `frame` is unused, any `crs` member is
  // accepted, and `version` hashes the metres (under its own tag). Every
  // other rule (structure, limits, duplicates, GEOS validity, repair) is
  // the same.
  bool planar = false;
  std::size_t max_vertices_per_zone = 1'000'000;  // as written, closing vertices included
  std::size_t max_rings_per_zone = 10'000;
  std::uint64_t max_file_bytes = std::uint64_t{256} << 20;
  std::size_t max_json_depth = 64;
  double max_radius_m = 100'000;  // circles larger than this are rejected (bad_radius)
};

// Reads a GeoJSON FeatureCollection of zones.
//
// Every problem is reported to `diags` as FILE:LINE: code: message, the line
// being the feature's (file-level problems: the JSON error's line, or 0).
// A bad feature is skipped and the others still load. A zone_id seen twice
// is reported (duplicate_id) and the later feature is dropped.
//
// The result is an error only when the file as a whole cannot be used
// (io_error, file_too_large, json_syntax, json_too_deep,
// not_feature_collection, bad_crs); that error has been reported to `diags`
// already. Otherwise the zones that passed, in file order (possibly none).
// The top-level `crs` member, if any, must name CRS84 or EPSG:4326
// (coordinates are longitude, latitude in either case).
result<std::vector<zone>> read_zones(const std::string& path, const zone_read_options& options,
                                     diagnostics& diags);

// The same from text in memory; `file_name` is used in diagnostics.
result<std::vector<zone>> parse_zones(std::string_view text, std::string_view file_name,
                                      const zone_read_options& options, diagnostics& diags);

// Reads `path` and appends its zones to `zones`, checking zone_id uniqueness
// against the zones already there (to load several files as one set).
result<void> append_zones(std::vector<zone>& zones, const std::string& path,
                          const zone_read_options& options, diagnostics& diags);

}  // namespace warden
