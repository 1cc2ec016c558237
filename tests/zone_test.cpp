#include <warden/zone.hpp>

#define GEOS_USE_ONLY_R_API
#include <geos_c.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace warden;

namespace {

// A square of about 700 m x 1.1 km near Southend (lon, lat).
const char* square = "[[[0.5,51.5],[0.51,51.5],[0.51,51.51],[0.5,51.51],[0.5,51.5]]]";
const char* default_props = R"("zone_id":"Z","kind":"exclusion","subject_id":"S1")";

std::string feature(const std::string& props, const std::string& geometry) {
  return R"({"type":"Feature","properties":{)" + props + R"(},"geometry":)" + geometry + "}";
}
std::string polygon_geometry(const std::string& coords) {
  return R"({"type":"Polygon","coordinates":)" + coords + "}";
}
std::string multipolygon_geometry(const std::string& coords) {
  return R"({"type":"MultiPolygon","coordinates":)" + coords + "}";
}
const std::string good_feature =
    feature(R"("zone_id":"good","kind":"inclusion","subject_id":"S2")",
            polygon_geometry("[[[0.6,51.6],[0.61,51.6],[0.61,51.61],[0.6,51.6]]]"));

// One feature per line: line 1 opens the collection, features follow.
std::string collection(const std::vector<std::string>& features) {
  std::string s = "{\"type\":\"FeatureCollection\",\"features\":[\n";
  for (std::size_t i = 0; i < features.size(); ++i) s += features[i] + (i + 1 < features.size() ? ",\n" : "\n");
  return s + "]}\n";
}

struct loaded {
  result<std::vector<zone>> zones = std::vector<zone>{};
  diagnostics diags;
  std::string diag_text() const {
    std::string s;
    for (const auto& d : diags.kept()) s += format(d) + "\n";
    return s;
  }
};

loaded load(const std::string& text, const zone_read_options& o = {}) {
  loaded l;
  l.zones = parse_zones(text, "t.geojson", o, l.diags);
  return l;
}

double shoelace_m2(const ring& r) {
  double a = 0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    const xy p = r[i], q = r[(i + 1) % r.size()];
    a += (p.x_m - r[0].x_m) * (q.y_m - r[0].y_m) - (q.x_m - r[0].x_m) * (p.y_m - r[0].y_m);
  }
  return std::fabs(a) / 2;
}

double area_m2(const multipolygon& mp) {
  double a = 0;
  for (const polygon& p : mp) {
    a += shoelace_m2(p.outer);
    for (const ring& h : p.holes) a -= shoelace_m2(h);
  }
  return a;
}

// Independent GEOS handle for reference answers.
struct geos_ref {
  GEOSContextHandle_t h = GEOS_init_r();
  ~geos_ref() { GEOS_finish_r(h); }
  geos_ref() = default;
  geos_ref(const geos_ref&) = delete;
  geos_ref& operator=(const geos_ref&) = delete;

  GEOSGeometry* build(const multipolygon& mp) const {
    std::vector<GEOSGeometry*> polys;
    auto mk = [this](const ring& r) {
      GEOSCoordSequence* s = GEOSCoordSeq_create_r(h, static_cast<unsigned>(r.size() + 1), 2);
      for (unsigned i = 0; i <= r.size(); ++i) {
        const xy p = r[i % r.size()];
        GEOSCoordSeq_setXY_r(h, s, i, p.x_m, p.y_m);
      }
      return GEOSGeom_createLinearRing_r(h, s);
    };
    for (const polygon& p : mp) {
      std::vector<GEOSGeometry*> holes;
      for (const ring& r : p.holes) holes.push_back(mk(r));
      polys.push_back(GEOSGeom_createPolygon_r(h, mk(p.outer), holes.data(), static_cast<unsigned>(holes.size())));
    }
    return GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, polys.data(), static_cast<unsigned>(polys.size()));
  }
  bool valid(const multipolygon& mp) const {
    GEOSGeometry* g = build(mp);
    const bool v = GEOSisValid_r(h, g) == 1;
    GEOSGeom_destroy_r(h, g);
    return v;
  }
  double area(const multipolygon& mp) const {
    GEOSGeometry* g = build(mp);
    double a = -1;
    GEOSArea_r(h, g, &a);
    GEOSGeom_destroy_r(h, g);
    return a;
  }
};

std::string shared_data() { return WARDEN_SHARED_DATA; }

std::vector<std::string> json_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".json") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("zones: a full feature is read into the model", "[zone]") {
  const std::string props = R"("zone_id":"Z1","kind":"curfew_home","subject_id":"S1","tolerance_m":12.5,)"
                            R"("schedule":{"tz":"Europe/London","windows":[{"days":["mon","tue"],"start":"19:00","end":"07:00"}],)"
                            R"("except":["2026-12-25"],"from":"2026-01-05","until":"2026-07-05"},)"
                            R"("name":"Home","LSOA11NM":"Southend-on-Sea 003A","level":3,"flag":true,"gone":null,"tags":["a",1])";
  auto l = load(collection({feature(props, polygon_geometry(square))}));
  INFO(l.diag_text());
  REQUIRE(l.zones.ok());
  REQUIRE(l.diags.empty());
  REQUIRE(l.zones->size() == 1);
  const zone& z = l.zones->front();
  CHECK(z.zone_id == "Z1");
  CHECK(z.kind == zone_kind::curfew_home);
  CHECK(z.subjects == std::vector<std::string>{"S1"});
  CHECK(z.applies_to("S1"));
  CHECK_FALSE(z.applies_to("S2"));
  CHECK_FALSE(z.applies_to_everyone());
  CHECK(z.tolerance_m == 12.5);
  CHECK(z.shape == zone_shape::polygonal);
  CHECK(z.file == "t.geojson");
  CHECK(z.line == 2);
  CHECK_FALSE(z.repaired);
  REQUIRE(z.schedule.has_value());
  CHECK(z.schedule->tz == "Europe/London");
  REQUIRE(z.schedule->windows.size() == 1);
  CHECK(z.schedule->windows[0].days == std::vector<std::string>{"mon", "tue"});
  CHECK(z.schedule->windows[0].start == "19:00");
  CHECK(z.schedule->windows[0].end == "07:00");
  CHECK(z.schedule->except == std::vector<std::string>{"2026-12-25"});
  CHECK(z.schedule->from == "2026-01-05");
  CHECK(z.schedule->until == "2026-07-05");
  const std::vector<std::pair<std::string, std::string>> expected_props = {
      {"name", "Home"}, {"LSOA11NM", "Southend-on-Sea 003A"}, {"level", "3"}, {"flag", "true"}, {"tags", "[\"a\",1]"}};
  CHECK(z.properties == expected_props);
  CHECK(z.property("LSOA11NM") == "Southend-on-Sea 003A");
  CHECK(z.property("kind").empty());
  // Closing vertex dropped; both copies index-aligned.
  REQUIRE(z.outline_wgs84.size() == 1);
  REQUIRE(z.outline_wgs84[0].outer.size() == 4);
  CHECK(z.outline_wgs84[0].outer[1].lon_deg() == 0.51);
  CHECK(z.outline_wgs84[0].outer[1].lat_deg() == 51.5);
  REQUIRE(z.area.size() == 1);
  REQUIRE(z.area[0].outer.size() == 4);
  const tm_frame f;
  for (std::size_t i = 0; i < 4; ++i) CHECK(z.area[0].outer[i] == f.forward(z.outline_wgs84[0].outer[i]));
  // ~694 m x 1,112 m.
  CHECK(area_m2(z.area) == Approx(694.0 * 1112.0).epsilon(0.01));
  box expected;
  for (const lat_lon& q : z.outline_wgs84[0].outer) expected.extend(f.forward(q));
  const box b = z.bounds();
  CHECK(b.min == expected.min);
  CHECK(b.max == expected.max);
  REQUIRE(z.version.size() == 16);
  CHECK(z.version.find_first_not_of("0123456789abcdef") == std::string::npos);
}

TEST_CASE("zones: subjects forms", "[zone]") {
  struct row {
    const char* props;
    std::vector<std::string> subjects;  // empty = rejected with bad_subjects
    bool everyone;
  };
  const row rows[] = {
      {R"("subject_id":"S1")", {"S1"}, false},
      {R"("subjects":["S1","S2","S1"])", {"S1", "S2"}, false},
      {R"("subjects":["*"])", {"*"}, true},
      {R"("subject_id":"*")", {"*"}, true},
      {R"("subjects":["S1","*"])", {"*"}, true},
      {R"("subjects":[])", {}, false},
      {R"("subjects":"S1")", {}, false},
      {R"("subjects":["S1",2])", {}, false},
      {R"("subject_id":7)", {}, false},
      {R"("subject_id":"")", {}, false},
      {R"("subject_id":"a,b")", {}, false},
      {R"("subject_id":"a;b")", {}, false},
      {R"("subject_id":"S1","subjects":["S2"])", {}, false},
      {R"("other":1)", {}, false},
      {R"("subject_id":null)", {}, false},
  };
  for (const auto& r : rows) {
    INFO(r.props);
    auto l = load(collection({feature(std::string(R"("zone_id":"Z","kind":"exclusion",)") + r.props,
                                      polygon_geometry(square))}));
    REQUIRE(l.zones.ok());
    if (r.subjects.empty()) {
      CHECK(l.zones->empty());
      CHECK(l.diags.count(errc::bad_subjects) == 1);
      CHECK(l.diags.total() == 1);
    } else {
      REQUIRE(l.zones->size() == 1);
      CHECK(l.zones->front().subjects == r.subjects);
      CHECK(l.zones->front().applies_to_everyone() == r.everyone);
      CHECK(l.zones->front().applies_to("anyone") == r.everyone);
    }
  }
  // Defaults apply only when neither form is given.
  zone_read_options o;
  o.default_subjects = {"*"};
  auto l = load(collection({feature(R"("zone_id":"A","kind":"exclusion")", polygon_geometry(square)),
                            feature(R"("zone_id":"B","kind":"exclusion","subject_id":"S9")", polygon_geometry(square))}),
                o);
  REQUIRE(l.zones->size() == 2);
  CHECK((*l.zones)[0].applies_to_everyone());
  CHECK((*l.zones)[1].subjects == std::vector<std::string>{"S9"});
}

TEST_CASE("zones: every bad feature gets its reason code and line; the others load", "[zone]") {
  zone_read_options o;
  o.max_vertices_per_zone = 40;
  o.max_rings_per_zone = 3;
  const std::string p = default_props;
  const std::string sq = polygon_geometry(square);
  const std::string ring5 = "[[0.5,51.5],[0.51,51.5],[0.51,51.51],[0.5,51.51],[0.5,51.5]]";
  std::string long_ring = "[[";
  for (int i = 0; i < 40; ++i) long_ring += "[" + std::to_string(0.5 + 0.0001 * i) + ",51.5],";
  long_ring += "[0.5,51.51],[0.5,51.5]]]";
  struct row {
    std::string feature;
    errc code;
    const char* note;
  };
  const std::vector<row> rows = {
      {feature(R"("kind":"exclusion","subject_id":"S1")", sq), errc::bad_id, "no id"},
      {feature(R"("zone_id":"","kind":"exclusion","subject_id":"S1")", sq), errc::bad_id, "empty id"},
      {feature(R"("zone_id":{},"kind":"exclusion","subject_id":"S1")", sq), errc::bad_id, "object id"},
      {feature(R"("zone_id":1.5,"kind":"exclusion","subject_id":"S1")", sq), errc::bad_id, "fractional id"},
      {feature(R"("zone_id":"a,b","kind":"exclusion","subject_id":"S1")", sq), errc::bad_id, "separator in id"},
      {feature(R"("zone_id":"a\nb","kind":"exclusion","subject_id":"S1")", sq), errc::bad_id, "control in id"},
      {feature(R"("zone_id":"Z","subject_id":"S1")", sq), errc::bad_kind, "no kind"},
      {feature(R"("zone_id":"Z","kind":"Exclusion","subject_id":"S1")", sq), errc::bad_kind, "kind case"},
      {feature(R"("zone_id":"Z","kind":"keep_out","subject_id":"S1")", sq), errc::bad_kind, "unknown kind"},
      {feature(R"("zone_id":"Z","kind":1,"subject_id":"S1")", sq), errc::bad_kind, "kind number"},
      {feature(R"("zone_id":"Z","kind":"exclusion")", sq), errc::bad_subjects, "no subjects"},
      {feature(p + R"(,"tolerance_m":-1)", sq), errc::bad_tolerance, "negative tolerance"},
      {feature(p + R"(,"tolerance_m":"5")", sq), errc::bad_tolerance, "string tolerance"},
      {feature(p + R"(,"tolerance_m":1e999)", sq), errc::bad_tolerance, "infinite tolerance"},
      {feature(p + R"(,"schedule":"19:00-07:00")", sq), errc::bad_schedule, "schedule string"},
      {feature(p + R"(,"schedule":{})", sq), errc::bad_schedule, "no windows"},
      {feature(p + R"(,"schedule":{"windows":{}})", sq), errc::bad_schedule, "windows object"},
      {feature(p + R"(,"schedule":{"windows":[{"days":["mon"],"start":"19:00"}]})", sq), errc::bad_schedule,
       "window without end"},
      {feature(p + R"(,"schedule":{"windows":[{"days":"mon","start":"19:00","end":"07:00"}]})", sq),
       errc::bad_schedule, "days string"},
      {feature(p + R"(,"schedule":{"windows":[{"days":["mon",1],"start":"19:00","end":"07:00"}]})", sq),
       errc::bad_schedule, "day number"},
      {feature(p + R"(,"schedule":{"windows":[{"days":["mon"],"start":1900,"end":"07:00"}]})", sq),
       errc::bad_schedule, "start number"},
      {feature(p + R"(,"schedule":{"windows":[{"days":["mon"],"start":"19:00","end":"07:00","note":1}]})", sq),
       errc::bad_schedule, "unknown window member"},
      {feature(p + R"(,"schedule":{"windows":[],"untill":"2026-01-01"})", sq), errc::bad_schedule,
       "misspelt member"},
      {feature(p + R"(,"schedule":{"windows":[],"except":"2026-12-25"})", sq), errc::bad_schedule, "except string"},
      {feature(p + R"(,"schedule":{"windows":[],"from":20260101})", sq), errc::bad_schedule, "from number"},
      {feature(p + R"(,"schedule":{"windows":[],"tz":0})", sq), errc::bad_schedule, "tz number"},
      {feature(p + R"(,"schedule":{"windows":[7]})", sq), errc::bad_schedule, "window number"},
      {R"({"type":"Feature","properties":{)" + p + "}}", errc::bad_geometry, "no geometry"},
      {feature(p, "null"), errc::bad_geometry, "null geometry"},
      {feature(p, "[]"), errc::bad_geometry, "geometry array"},
      {feature(p, R"({"type":"LineString","coordinates":[[0.5,51.5],[0.6,51.6]]})"), errc::bad_geometry,
       "line string"},
      {feature(p, R"({"type":"Polygon"})"), errc::bad_geometry, "no coordinates"},
      {feature(p, polygon_geometry("[[[0.5,51.5],[0.51],[0.51,51.51],[0.5,51.5]]]")), errc::bad_geometry,
       "short position"},
      {feature(p, polygon_geometry("[[[0.5,51.5],\"x\",[0.51,51.51],[0.5,51.5]]]")), errc::bad_geometry,
       "string position"},
      {feature(p, polygon_geometry("[[[0.5,51.5],[0.51,\"51\"],[0.51,51.51],[0.5,51.5]]]")), errc::bad_geometry,
       "string coordinate"},
      {feature(p, polygon_geometry("[[0.5,51.5]]")), errc::bad_geometry, "ring of numbers"},
      {feature(p, polygon_geometry("{}")), errc::bad_geometry, "coordinates object"},
      {feature(p, multipolygon_geometry("[[0.5,51.5]]")), errc::bad_geometry, "multipolygon of numbers"},
      {feature(p, polygon_geometry("[[[0.5,51.5],[0.51,51.5],[0.51,51.51],[0.5,51.51]]]")), errc::ring_not_closed,
       "unclosed"},
      {feature(p, polygon_geometry("[[[0.5,51.5],[0.51,51.5],[0.51,51.51]]]")), errc::ring_not_closed,
       "unclosed and short"},
      {feature(p, polygon_geometry("[[[0.5,51.5],[0.51,51.5],[0.5,51.5]]]")), errc::ring_too_few_points, "3 positions"},
      {feature(p, polygon_geometry("[[]]")), errc::ring_too_few_points, "empty ring"},
      {feature(p, polygon_geometry("[[[0.5,51.5],[0.51,51.5],[0.51,51.5],[0.5,51.5]]]")), errc::ring_too_few_points,
       "2 distinct corners"},
      {feature(p, polygon_geometry("[" + ring5.substr(0) + ",[[0.501,51.501],[0.502,51.501],[0.501,51.501]]]")),
       errc::ring_too_few_points, "short hole"},
      {feature(p, polygon_geometry("[]")), errc::empty_geometry, "empty polygon"},
      {feature(p, multipolygon_geometry("[]")), errc::empty_geometry, "empty multipolygon"},
      {feature(p, multipolygon_geometry("[" + std::string(square) + ",[]]")), errc::empty_geometry,
       "empty part"},
      {feature(p + R"(,"radius_m":10)", R"({"type":"Point","coordinates":[]})"), errc::empty_geometry, "empty point"},
      // The central meridian (2 W) is straight in the frame; parallels are not.
      {feature(p, polygon_geometry("[[[-2,51.5],[-2,51.51],[-2,51.52],[-2,51.5]]]")), errc::degenerate_geometry,
       "collinear"},
      {feature(p, polygon_geometry("[[[0.5,51.5],[0.51,51.51],[0.5,51.5],[0.51,51.51],[0.5,51.5]]]")),
       errc::degenerate_geometry, "there and back"},
      {feature(p, polygon_geometry("[[[0.5,51.5],[0.51,51.51],[0.51,51.5],[0.5,51.51],[0.5,51.5]]]")),
       errc::self_intersection, "bow-tie"},
      {feature(p, polygon_geometry("[" + ring5 + ",[[0.6,51.6],[0.601,51.6],[0.601,51.601],[0.6,51.6]]]")),
       errc::invalid_geometry, "hole outside its shell"},
      {feature(p, multipolygon_geometry("[" + std::string(square) +
                                         ",[[[0.501,51.501],[0.502,51.501],[0.502,51.502],[0.501,51.501]]]]")),
       errc::invalid_geometry, "nested shells"},
      {feature(p, multipolygon_geometry("[" + std::string(square) +
                                         ",[[[0.505,51.505],[0.52,51.505],[0.52,51.52],[0.505,51.505]]]]")),
       errc::self_intersection, "overlapping parts"},
      {feature(p, polygon_geometry("[[[0.5,91],[0.51,51.5],[0.51,51.51],[0.5,91]]]")), errc::lat_out_of_range,
       "latitude 91"},
      {feature(p, polygon_geometry("[[[-180.5,51.5],[0.51,51.5],[0.51,51.51],[-180.5,51.5]]]")),
       errc::lon_out_of_range, "longitude -180.5"},
      {feature(p, polygon_geometry("[[[0.5,1e400],[0.51,51.5],[0.51,51.51],[0.5,1e400]]]")), errc::not_finite,
       "infinite"},
      {feature(p, polygon_geometry("[[[151.2,-33.8],[151.3,-33.8],[151.3,-33.9],[151.2,-33.8]]]")),
       errc::lon_out_of_range, "Sydney in the British frame"},
      {feature(p + R"(,"radius_m":50)", R"({"type":"Point","coordinates":[12.0,51.5]})"), errc::lon_out_of_range,
       "Leipzig in the British frame"},
      {feature(p, polygon_geometry(long_ring)), errc::too_many_vertices, "42 vertices > 40"},
      {feature(p, polygon_geometry("[" + ring5 + "," + ring5 + "," + ring5 + "," + ring5 + "]")),
       errc::too_many_rings, "4 rings > 3"},
      {feature(p, R"({"type":"Point","coordinates":[0.5,51.5]})"), errc::bad_radius, "no radius"},
      {feature(p + R"(,"radius_m":0)", R"({"type":"Point","coordinates":[0.5,51.5]})"), errc::bad_radius,
       "zero radius"},
      {feature(p + R"(,"radius_m":-5)", R"({"type":"Point","coordinates":[0.5,51.5]})"), errc::bad_radius,
       "negative radius"},
      {feature(p + R"(,"radius_m":"50")", R"({"type":"Point","coordinates":[0.5,51.5]})"), errc::bad_radius,
       "string radius"},
      {feature(p + R"(,"radius_m":200000)", R"({"type":"Point","coordinates":[0.5,51.5]})"), errc::bad_radius,
       "radius too large"},
      {feature(p + R"(,"radius_m":50)", sq), errc::bad_radius, "radius on a polygon"},
      {feature(p + R"(,"radius_m":50)", R"({"type":"Point","coordinates":[0.5,95]})"), errc::lat_out_of_range,
       "point latitude"},
      {R"({"type":"Feature","properties":[1],"geometry":)" + sq + "}", errc::bad_property, "properties array"},
      {R"([1,2])", errc::not_feature_collection, "feature array"},
      {R"({"type":"Featur","properties":{)" + p + R"(},"geometry":)" + sq + "}", errc::not_feature_collection,
       "misspelt Feature"},
      {R"({"type":"Feature","crs":{"type":"name","properties":{"name":"EPSG:27700"}},"properties":{)" + p +
           R"(},"geometry":)" + sq + "}",
       errc::bad_crs, "feature crs"},
  };
  std::set<errc> covered;
  for (const auto& r : rows) {
    INFO(r.note << "\n" << r.feature);
    auto l = load(collection({good_feature, r.feature, good_feature}), o);
    INFO(l.diag_text());
    REQUIRE(l.zones.ok());
    // The good feature before it loads; the same one after it is a duplicate.
    REQUIRE(l.zones->size() == 1);
    CHECK(l.zones->front().zone_id == "good");
    REQUIRE(l.diags.total() == 2);
    const diagnostic& d = l.diags.kept()[0];
    CHECK(d.code == r.code);
    CHECK(d.line == 3);
    CHECK(d.file == "t.geojson");
    CHECK_FALSE(d.message.empty());
    CHECK(l.diags.kept()[1].code == errc::duplicate_id);
    CHECK(l.diags.kept()[1].line == 4);
    covered.insert(r.code);
  }
  CHECK(covered.size() == 21);
}

TEST_CASE("zones: messages say where and why", "[zone]") {
  const std::string p = default_props;
  auto l = load(collection({feature(
      p, polygon_geometry("[[[0.5,51.5],[0.51,51.51],[0.51,51.5],[0.5,51.51],[0.5,51.5]]]"))}));
  REQUIRE(l.diags.total() == 1);
  const std::string m = l.diags.kept()[0].message;
  INFO(m);
  CHECK(m.find("zone 'Z'") != std::string::npos);
  CHECK(m.find("Self-intersection") != std::string::npos);
  // GEOS finds the crossing at the centre of the bow-tie; reported in degrees.
  CHECK(m.find("lat 51.50") != std::string::npos);
  CHECK(m.find("lon 0.50") != std::string::npos);
  CHECK(m.find("--repair") != std::string::npos);
  CHECK(format(l.diags.kept()[0]).rfind("t.geojson:2: self_intersection: zone 'Z': ", 0) == 0);

  auto swapped = load(collection({feature(p, polygon_geometry("[[[0.5,95.5],[0.5,0.51],[1.51,0.51],[0.5,95.5]]]"))}));
  REQUIRE(swapped.diags.total() == 1);
  CHECK(swapped.diags.kept()[0].message.find("[longitude, latitude]") != std::string::npos);

  // A value on a later line than its feature is named in the message.
  auto multi = load("{\"type\":\"FeatureCollection\",\"features\":[\n{\"type\":\"Feature\",\"properties\":{" + p +
                    "},\n\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[\n[[0.5,51.5],[0.51,51.5],[0.51,51.51],"
                    "[0.5,51.51]]]}}]}");
  REQUIRE(multi.diags.total() == 1);
  CHECK(multi.diags.kept()[0].line == 2);
  CHECK(multi.diags.kept()[0].code == errc::ring_not_closed);
  CHECK(multi.diags.kept()[0].message.find("(line 4)") != std::string::npos);
}

TEST_CASE("zones: file-level problems", "[zone]") {
  struct row {
    std::string text;
    errc code;
    std::uint64_t line;
  };
  const std::vector<row> rows = {
      {"", errc::json_syntax, 1},
      {"{\"type\":\"FeatureCollection\",\n\"features\":[\n,]}", errc::json_syntax, 3},
      {"[]", errc::not_feature_collection, 1},
      {"{\"type\":\"Feature\",\"features\":[]}", errc::not_feature_collection, 1},
      {"{\"type\":\"FeatureCollection\"}", errc::not_feature_collection, 1},
      {"{\"type\":\"FeatureCollection\",\"features\":{}}", errc::not_feature_collection, 1},
      {"{\"type\":\"FeatureCollection\",\n\"crs\":{\"type\":\"name\",\"properties\":{\"name\":"
       "\"urn:ogc:def:crs:EPSG::27700\"}},\"features\":[]}",
       errc::bad_crs, 2},
      {"{\"type\":\"FeatureCollection\",\"crs\":\"CRS84\",\"features\":[]}", errc::bad_crs, 1},
      {"{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"link\",\"properties\":{\"href\":\"x\"}},\"features\":[]}",
       errc::bad_crs, 1},
      {"{\"type\":\"FeatureCollection\",\"features\":[" + std::string(100, '[') + std::string(100, ']') + "]}",
       errc::json_too_deep, 1},
  };
  for (const auto& r : rows) {
    INFO(r.text.substr(0, 200));
    auto l = load(r.text);
    REQUIRE_FALSE(l.zones.ok());
    CHECK(l.zones.code() == r.code);
    REQUIRE(l.diags.total() == 1);
    CHECK(l.diags.kept()[0].code == r.code);
    CHECK(l.diags.kept()[0].line == r.line);
  }
  for (const char* name : {"urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "CRS84", "OGC:CRS84",
                           "EPSG:4326", "epsg:4326", "urn:ogc:def:crs:EPSG::4326",
                           "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}) {
    INFO(name);
    auto l = load(std::string("{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"") +
                  name + "\"}},\"features\":[" + good_feature + "]}");
    REQUIRE(l.zones.ok());
    CHECK(l.zones->size() == 1);
    CHECK(l.diags.empty());
  }
  // An empty collection is fine: no zones, nothing to report.
  auto empty = load("{\"type\":\"FeatureCollection\",\"features\":[]}");
  REQUIRE(empty.zones.ok());
  CHECK(empty.zones->empty());
  CHECK(empty.diags.empty());
}

TEST_CASE("zones: files, size limit, io errors and ids across files", "[zone]") {
  const auto dir = std::filesystem::temp_directory_path() / "warden_zone_test";
  std::filesystem::create_directories(dir);
  const std::string a = (dir / "a.geojson").string(), b = (dir / "b.geojson").string();
  {
    std::ofstream(a) << collection({good_feature});
    std::ofstream(b) << collection({feature(R"("zone_id":"other","kind":"exclusion","subject_id":"S1")",
                                            polygon_geometry(square)),
                                    good_feature});
  }
  diagnostics diags;
  auto z = read_zones(a, {}, diags);
  REQUIRE(z.ok());
  CHECK(z->size() == 1);
  CHECK(z->front().file == a);

  auto r = append_zones(*z, b, {}, diags);
  CHECK(r.ok());
  CHECK(z->size() == 2);
  REQUIRE(diags.total() == 1);
  CHECK(diags.kept()[0].code == errc::duplicate_id);
  CHECK(diags.kept()[0].file == b);
  CHECK(diags.kept()[0].line == 3);
  CHECK(diags.kept()[0].message.find(a + ":2") != std::string::npos);

  zone_read_options small;
  small.max_file_bytes = 100;
  diagnostics d2;
  auto big = read_zones(b, small, d2);
  CHECK(big.code() == errc::file_too_large);
  CHECK(d2.count(errc::file_too_large) == 1);
  CHECK(parse_zones(collection({good_feature}), "x", small, d2).code() == errc::file_too_large);

  diagnostics d3;
  auto missing = read_zones((dir / "nope.geojson").string(), {}, d3);
  CHECK(missing.code() == errc::io_error);
  REQUIRE(d3.total() == 1);
  CHECK(d3.kept()[0].line == 0);
  CHECK(read_zones(dir.string(), {}, d3).code() == errc::io_error);
  std::filesystem::remove_all(dir);
}

TEST_CASE("zones: holes, multipolygons and duplicate vertices", "[zone]") {
  const std::string p = default_props;
  // Outer square with two holes; repeated vertices (consecutive and at the
  // closing position) are dropped in both copies.
  const std::string coords =
      "[[[0.5,51.5],[0.51,51.5],[0.51,51.5],[0.51,51.51],[0.5,51.51],[0.5,51.5],[0.5,51.5]],"
      "[[0.501,51.501],[0.502,51.501],[0.502,51.502],[0.501,51.501]],"
      "[[0.505,51.505],[0.506,51.505],[0.506,51.506],[0.505,51.506],[0.505,51.505]]]";
  auto l = load(collection({feature(p, polygon_geometry(coords))}));
  INFO(l.diag_text());
  REQUIRE(l.zones->size() == 1);
  const zone& z = l.zones->front();
  REQUIRE(z.area.size() == 1);
  CHECK(z.area[0].outer.size() == 4);
  CHECK(z.outline_wgs84[0].outer.size() == 4);
  REQUIRE(z.area[0].holes.size() == 2);
  CHECK(z.area[0].holes[0].size() == 3);
  CHECK(z.area[0].holes[1].size() == 4);
  geos_ref geos;
  CHECK(area_m2(z.area) == Approx(geos.area(z.area)).epsilon(1e-9));
  for (const polygon& poly : z.area)
    for (std::size_t i = 0; i < poly.outer.size(); ++i) CHECK(poly.outer[i] != poly.outer[(i + 1) % poly.outer.size()]);

  const std::string two = "[" + std::string(square) + ",[[[0.52,51.5],[0.53,51.5],[0.53,51.51],[0.52,51.5]]]]";
  auto m = load(collection({feature(p, multipolygon_geometry(two))}));
  REQUIRE(m.zones->size() == 1);
  CHECK(m.zones->front().area.size() == 2);
  CHECK(m.zones->front().outline_wgs84.size() == 2);
  CHECK(area_m2(m.zones->front().area) == Approx(geos.area(m.zones->front().area)).epsilon(1e-9));
  // A multipolygon of one part is kept as one polygon.
  auto one = load(collection({feature(p, multipolygon_geometry(std::string("[") + square + "]"))}));
  REQUIRE(one.zones->size() == 1);
  CHECK(one.zones->front().area.size() == 1);
  // Touching at a single vertex is valid (parts meet at a point).
  const std::string touching =
      "[" + std::string(square) + ",[[[0.51,51.51],[0.52,51.51],[0.52,51.52],[0.51,51.51]]]]";
  auto t = load(collection({feature(p, multipolygon_geometry(touching))}));
  INFO(t.diag_text());
  CHECK(t.zones->size() == 1);
}

TEST_CASE("zones: circles", "[zone]") {
  const std::string p = default_props;
  auto l = load(collection({feature(p + R"(,"radius_m":250,"note":"home")",
                                    R"({"type":"Point","coordinates":[0.7, 51.55, 12.0]})")}));
  INFO(l.diag_text());
  REQUIRE(l.zones->size() == 1);
  const zone& z = l.zones->front();
  CHECK(z.shape == zone_shape::circle);
  CHECK(z.radius_m == 250);
  CHECK(z.centre_wgs84.lat_deg() == 51.55);
  CHECK(z.centre_wgs84.lon_deg() == 0.7);
  const tm_frame f;
  CHECK(z.disc.centre == f.forward(z.centre_wgs84));
  CHECK(z.disc.radius_m == Approx(250 * f.scale_at(z.centre_wgs84)));
  CHECK(z.disc.radius_m == Approx(250).epsilon(0.001));
  CHECK(z.area.empty());
  CHECK(z.outline_wgs84.empty());
  CHECK(z.property("note") == "home");
  CHECK(z.property("radius_m").empty());
  const box b = z.bounds();
  CHECK(b.max.x_m - b.min.x_m == Approx(2 * z.disc.radius_m));
}

TEST_CASE("zones: --repair makes a bow-tie valid and says so", "[zone]") {
  const std::string p = default_props;
  const std::string bowtie = polygon_geometry("[[[0.5,51.5],[0.51,51.51],[0.51,51.5],[0.5,51.51],[0.5,51.5]]]");
  zone_read_options o;
  o.repair = true;
  auto l = load(collection({feature(p, bowtie), good_feature}), o);
  REQUIRE(l.zones.ok());
  REQUIRE(l.zones->size() == 2);
  REQUIRE(l.diags.total() == 1);
  const diagnostic& d = l.diags.kept()[0];
  CHECK(d.code == errc::repaired);
  CHECK(d.line == 2);
  INFO(d.message);
  CHECK(d.message.find("Self-intersection") != std::string::npos);
  CHECK(d.message.find("MakeValid") != std::string::npos);
  const zone& z = l.zones->front();
  CHECK(z.repaired);
  // Two triangles meeting at the crossing point.
  REQUIRE(z.area.size() == 2);
  geos_ref geos;
  CHECK(geos.valid(z.area));
  for (const polygon& poly : z.area) {
    CHECK(poly.outer.size() == 3);
    CHECK(poly.holes.empty());
  }
  // The two triangles between the crossing point X of the diagonals AC and
  // BD and the sides DA and CB, all in the frame.
  const tm_frame f;
  const xy a = f.forward(lat_lon::from_degrees(51.5, 0.5).value());
  const xy c = f.forward(lat_lon::from_degrees(51.51, 0.51).value());
  const xy bb = f.forward(lat_lon::from_degrees(51.5, 0.51).value());
  const xy dd = f.forward(lat_lon::from_degrees(51.51, 0.5).value());
  const double d1x = c.x_m - a.x_m, d1y = c.y_m - a.y_m, d2x = dd.x_m - bb.x_m, d2y = dd.y_m - bb.y_m;
  const double t = ((bb.x_m - a.x_m) * d2y - (bb.y_m - a.y_m) * d2x) / (d1x * d2y - d1y * d2x);
  const xy x{a.x_m + t * d1x, a.y_m + t * d1y};
  const double expected = shoelace_m2({a, x, dd}) + shoelace_m2({x, c, bb});
  CHECK(area_m2(z.area) == Approx(expected).epsilon(1e-9));
  // The input corners keep their exact WGS84 coordinates.
  std::size_t exact = 0;
  for (const polygon& poly : z.area)
    for (const xy& q : poly.outer) exact += (q == a || q == bb || q == c || q == dd) ? 1 : 0;
  CHECK(exact == 4);
  for (std::size_t i = 0; i < z.area.size(); ++i)
    for (std::size_t j = 0; j < z.area[i].outer.size(); ++j)
      CHECK(distance_m(z.area[i].outer[j], f.forward(z.outline_wgs84[i].outer[j])) < 1e-6);
  // Repair is reported, and the version is of the repaired geometry.
  auto plain = load(collection({feature(p, bowtie)}));
  CHECK(plain.zones->empty());
  CHECK(plain.diags.count(errc::self_intersection) == 1);

  // A hole outside its shell becomes a second part.
  const std::string hole_out = polygon_geometry(
      "[[[0.5,51.5],[0.51,51.5],[0.51,51.51],[0.5,51.51],[0.5,51.5]],[[0.6,51.6],[0.601,51.6],[0.601,51.601],[0.6,51.6]]]");
  auto h = load(collection({feature(p, hole_out)}), o);
  INFO(h.diag_text());
  REQUIRE(h.zones->size() == 1);
  CHECK(h.diags.count(errc::repaired) == 1);
  CHECK(geos.valid(h.zones->front().area));
  CHECK(h.zones->front().area.size() == 2);
  // Repair does not touch structural errors or valid zones.
  auto unclosed = load(collection({feature(p, polygon_geometry("[[[0.5,51.5],[0.51,51.5],[0.51,51.51],[0.5,51.51]]]")),
                                   feature(R"("zone_id":"Y","kind":"exclusion","subject_id":"S1")", polygon_geometry(square))}),
                       o);
  CHECK(unclosed.zones->size() == 1);
  CHECK(unclosed.diags.count(errc::ring_not_closed) == 1);
  CHECK(unclosed.diags.total() == 1);
  CHECK_FALSE(unclosed.zones->front().repaired);
}

TEST_CASE("zones: version is a stable hash of what the zone means", "[zone]") {
  auto version_of = [](const std::string& props, const std::string& geometry) {
    auto l = load(collection({feature(props, geometry)}));
    INFO(l.diag_text());
    REQUIRE(l.zones->size() == 1);
    return l.zones->front().version;
  };
  const std::string sq = polygon_geometry(square);
  const std::string base = version_of(default_props, sq);
  // The golden value pins the hash across machines and releases: changing
  // the canonical form must be deliberate.
  CHECK(base == "c4a946b29ff2ce64");
  // Not part of the version: id, subjects, display properties, closing/duplicate vertices.
  CHECK(version_of(R"("zone_id":"other","kind":"exclusion","subjects":["A","B"],"name":"x")", sq) == base);
  CHECK(version_of(default_props,
                   polygon_geometry("[[[0.5,51.5],[0.51,51.5],[0.51,51.5],[0.51,51.51],[0.5,51.51],[0.5,51.5]]]")) ==
        base);
  // Part of it: kind, tolerance, schedule, coordinates, radius.
  std::set<std::string> distinct = {base};
  const std::vector<std::pair<std::string, std::string>> variants = {
      {R"("zone_id":"Z","kind":"inclusion","subject_id":"S1")", sq},
      {std::string(default_props) + R"(,"tolerance_m":5)", sq},
      {std::string(default_props) + R"(,"tolerance_m":5.000001)", sq},
      {std::string(default_props) + R"(,"schedule":{"windows":[{"days":["mon"],"start":"19:00","end":"07:00"}]})", sq},
      {std::string(default_props) + R"(,"schedule":{"windows":[{"days":["tue"],"start":"19:00","end":"07:00"}]})", sq},
      {std::string(default_props) + R"(,"schedule":{"tz":"UTC","windows":[{"days":["tue"],"start":"19:00","end":"07:00"}]})", sq},
      {default_props, polygon_geometry("[[[0.5,51.5],[0.51,51.5],[0.51,51.51],[0.5,51.510000001],[0.5,51.5]]]")},
      // Same corners, other starting vertex: a different canonical sequence.
      {default_props, polygon_geometry("[[[0.51,51.5],[0.51,51.51],[0.5,51.51],[0.5,51.5],[0.51,51.5]]]")},
      {std::string(default_props) + R"(,"radius_m":100)", R"({"type":"Point","coordinates":[0.5,51.5]})"},
      {std::string(default_props) + R"(,"radius_m":101)", R"({"type":"Point","coordinates":[0.5,51.5]})"},
  };
  for (const auto& [props, geometry] : variants) {
    INFO(props << " " << geometry);
    CHECK(distinct.insert(version_of(props, geometry)).second);
  }
  // The version does not depend on the frame.
  zone_read_options utm;
  utm.frame = tm_frame::utm(31).value();
  diagnostics d;
  auto u = parse_zones(collection({feature(default_props, sq)}), "t", utm, d);
  REQUIRE(u->size() == 1);
  CHECK(u->front().version == base);
  CHECK(u->front().area[0].outer[0] != load(collection({feature(default_props, sq)})).zones->front().area[0].outer[0]);
}

TEST_CASE("zones: options for files without warden properties", "[zone]") {
  const std::string ons = feature(R"("LSOA11CD":"E01015814","LSOA11NM":"Southend-on-Sea 003A")", polygon_geometry(square));
  auto strict = load(collection({ons}));
  CHECK(strict.zones->empty());
  CHECK(strict.diags.count(errc::bad_id) == 1);

  zone_read_options o;
  o.id_property = "LSOA11CD";
  o.default_kind = zone_kind::exclusion;
  o.default_subjects = {"*"};
  auto l = load(collection({ons}), o);
  INFO(l.diag_text());
  REQUIRE(l.zones->size() == 1);
  const zone& z = l.zones->front();
  CHECK(z.zone_id == "E01015814");
  CHECK(z.kind == zone_kind::exclusion);
  CHECK(z.applies_to_everyone());
  CHECK(z.property("LSOA11NM") == "Southend-on-Sea 003A");
  CHECK(z.property("LSOA11CD").empty());  // it is the zone_id

  // The Feature's own id is the fallback; integers are accepted.
  auto fid = load(collection({R"({"type":"Feature","id":42,"properties":{"kind":"inclusion","subject_id":"S"},"geometry":)" +
                              polygon_geometry(square) + "}"}));
  REQUIRE(fid.zones->size() == 1);
  CHECK(fid.zones->front().zone_id == "42");
  CHECK(fid.zones->front().kind == zone_kind::inclusion);

  CHECK(to_string(zone_kind::victim_home) == "victim_home");
  for (auto k : {zone_kind::exclusion, zone_kind::inclusion, zone_kind::curfew_home, zone_kind::victim_home})
    CHECK(parse_zone_kind(to_string(k)).value() == k);
  CHECK(parse_zone_kind("").code() == errc::bad_kind);
}

namespace {

struct reference_counts {
  std::size_t features = 0, multipolygons = 0, with_holes = 0, invalid = 0;
  std::vector<std::string> inverted_holes;      // OGC-invalid only by a ring touching itself around a hole
  std::map<std::string, std::size_t> vertices;  // id -> vertices without closing positions
  std::map<std::string, double> area_m2;        // id -> GEOS area of the input projected as written
};

// Reads a file with GEOS's own GeoJSON reader: an independent parse.
reference_counts geos_counts(const std::string& path, const std::string& id_property) {
  reference_counts c;
  GEOSContextHandle_t h = GEOS_init_r();
  GEOSGeoJSONReader* reader = GEOSGeoJSONReader_create_r(h);
  GEOSGeometry* all = GEOSGeoJSONReader_readGeometry_r(h, reader, slurp(path).c_str());
  REQUIRE(all != nullptr);
  const int n = GEOSGetNumGeometries_r(h, all);
  // GEOS drops properties, so features are matched by position with ids
  // taken from our own JSON parse of the same file.
  diagnostics diags;
  zone_read_options o;
  o.id_property = id_property;
  o.default_kind = zone_kind::exclusion;
  o.default_subjects = {"*"};
  auto ours = read_zones(path, o, diags);
  REQUIRE(ours.ok());
  REQUIRE(static_cast<std::size_t>(n) == ours->size());
  for (int i = 0; i < n; ++i) {
    const GEOSGeometry* g = GEOSGetGeometryN_r(h, all, i);
    ++c.features;
    const int type = GEOSGeomTypeId_r(h, g);
    if (type == GEOS_MULTIPOLYGON && GEOSGetNumGeometries_r(h, g) > 1) ++c.multipolygons;
    const std::string& id = (*ours)[static_cast<std::size_t>(i)].zone_id;
    if (GEOSisValid_r(h, g) != 1) {
      ++c.invalid;
      char* reason = nullptr;
      GEOSGeometry* where = nullptr;
      if (GEOSisValidDetail_r(h, g, GEOSVALID_ALLOW_SELFTOUCHING_RING_FORMING_HOLE, &reason, &where) == 1)
        c.inverted_holes.push_back(id);
      if (reason) GEOSFree_r(h, reason);
      if (where) GEOSGeom_destroy_r(h, where);
    }
    bool holes = false;
    std::size_t vertices = 0;
    const tm_frame frame;
    multipolygon projected;
    auto project_ring = [&](const GEOSGeometry* r) {
      ring out;
      const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(h, r);
      unsigned size = 0;
      GEOSCoordSeq_getSize_r(h, seq, &size);
      for (unsigned k = 0; k + 1 < size; ++k) {
        double lon = 0, lat = 0;
        GEOSCoordSeq_getXY_r(h, seq, k, &lon, &lat);
        out.push_back(frame.forward(lat_lon::from_degrees(lat, lon).value()));
      }
      return out;
    };
    for (int k = 0; k < GEOSGetNumGeometries_r(h, g); ++k) {
      const GEOSGeometry* poly = GEOSGetGeometryN_r(h, g, k);
      const int nh = GEOSGetNumInteriorRings_r(h, poly);
      holes = holes || nh > 0;
      vertices += static_cast<std::size_t>(GEOSGeomGetNumPoints_r(h, GEOSGetExteriorRing_r(h, poly)) - 1);
      polygon& pp = projected.emplace_back();
      pp.outer = project_ring(GEOSGetExteriorRing_r(h, poly));
      for (int r = 0; r < nh; ++r) {
        vertices += static_cast<std::size_t>(GEOSGeomGetNumPoints_r(h, GEOSGetInteriorRingN_r(h, poly, r)) - 1);
        pp.holes.push_back(project_ring(GEOSGetInteriorRingN_r(h, poly, r)));
      }
    }
    if (holes) ++c.with_holes;
    c.vertices[id] = vertices;
    // GEOS's area of an invalid ring is its shoelace area, which for a ring
    // looping around an inverted hole is already shell minus hole.
    c.area_m2[id] = geos_ref().area(projected);
  }
  GEOSGeom_destroy_r(h, all);
  GEOSGeoJSONReader_destroy_r(h, reader);
  GEOS_finish_r(h);
  return c;
}

struct our_counts {
  std::size_t zones = 0, multipolygons = 0, with_holes = 0, geos_invalid = 0;
  std::uint64_t diagnostics = 0;
  std::map<std::string, std::size_t> vertices;
  std::map<std::string, double> area_m2;
};

our_counts load_dir(const std::string& dir, const std::string& id_property, std::vector<zone>& all) {
  our_counts c;
  diagnostics diags;
  zone_read_options o;
  o.id_property = id_property;
  o.default_kind = zone_kind::exclusion;
  o.default_subjects = {"*"};
  for (const std::string& f : json_files(dir)) {
    auto r = append_zones(all, f, o, diags);
    CHECK(r.ok());
  }
  for (const auto& d : diags.kept()) UNSCOPED_INFO(format(d));
  c.diagnostics = diags.total();
  geos_ref geos;
  for (const zone& z : all) {
    ++c.zones;
    if (z.area.size() > 1) ++c.multipolygons;
    bool holes = false;
    std::size_t vertices = 0;
    for (const polygon& p : z.area) {
      holes = holes || !p.holes.empty();
      vertices += p.outer.size();
      for (const ring& r : p.holes) vertices += r.size();
    }
    if (holes) ++c.with_holes;
    c.vertices[z.zone_id] = vertices;
    c.area_m2[z.zone_id] = area_m2(z.area);
    if (!geos.valid(z.area)) ++c.geos_invalid;
    CHECK(z.applies_to_everyone());
    CHECK_FALSE(z.repaired);
  }
  return c;
}

reference_counts geos_reference(const std::string& dir, const std::string& id_property) {
  reference_counts ref;
  for (const std::string& f : json_files(dir)) {
    const reference_counts r = geos_counts(f, id_property);
    ref.features += r.features;
    ref.multipolygons += r.multipolygons;
    ref.with_holes += r.with_holes;
    ref.invalid += r.invalid;
    ref.inverted_holes.insert(ref.inverted_holes.end(), r.inverted_holes.begin(), r.inverted_holes.end());
    ref.vertices.insert(r.vertices.begin(), r.vertices.end());
    ref.area_m2.insert(r.area_m2.begin(), r.area_m2.end());
  }
  return ref;
}

void compare_with_reference(const our_counts& ours, const reference_counts& ref) {
  // No real ring repeats a vertex consecutively, and making an inverted
  // hole explicit moves vertices without adding any: counts are equal.
  CHECK(ref.vertices == ours.vertices);
  REQUIRE(ref.area_m2.size() == ours.area_m2.size());
  for (const auto& [id, a] : ref.area_m2) {
    INFO(id);
    REQUIRE(ours.area_m2.count(id) == 1);
    CHECK(ours.area_m2.at(id) == Approx(a).epsilon(1e-9));
  }
}

}  // namespace

TEST_CASE("zones: all 1,077 Essex LSOAs load cleanly and match GEOS's own reading", "[zone][data]") {
  const std::string dir = shared_data() + "/boundaries/essex-lsoa";
  std::vector<zone> all;
  const our_counts ours = load_dir(dir, "LSOA11CD", all);
  CHECK(ours.diagnostics == 0);
  CHECK(ours.zones == 1077);
  CHECK(ours.multipolygons == 39);

  CHECK(ours.geos_invalid == 0);

  const reference_counts ref = geos_reference(dir, "LSOA11CD");
  CHECK(ref.features == ours.zones);
  CHECK(ref.multipolygons == ours.multipolygons);
  CHECK(ref.with_holes == 4);
  // As written, one LSOA is OGC-invalid: its outer ring touches itself at a
  // vertex around a hole (ESRI form). We accept it and make the hole
  // explicit, so the model has one more polygon with a hole.
  CHECK(ref.invalid == ref.inverted_holes.size());
  CHECK(ref.inverted_holes == std::vector<std::string>{"E01021909"});
  CHECK(ours.with_holes == ref.with_holes + ref.inverted_holes.size());
  compare_with_reference(ours, ref);

  // Every zone_id is an LSOA code, unique, and every zone carries its name.
  std::set<std::string> ids;
  for (const zone& z : all) {
    CHECK(z.zone_id.rfind("E01", 0) == 0);
    CHECK_FALSE(z.property("LSOA11NM").empty());
    ids.insert(z.zone_id);
  }
  CHECK(ids.size() == 1077);
  // ONS files put one feature per line after a 5-line header.
  CHECK(all.front().line == 6);
  CHECK(all.front().zone_id == "E01015814");

  // Same input, same output: a second read gives the same versions.
  std::vector<zone> again;
  load_dir(dir, "LSOA11CD", again);
  REQUIRE(again.size() == all.size());
  for (std::size_t i = 0; i < all.size(); ++i) CHECK(again[i].version == all[i].version);
}

TEST_CASE("zones: all 304 Essex wards load cleanly", "[zone][data]") {
  const std::string dir = shared_data() + "/boundaries/essex-wards";
  std::vector<zone> all;
  const our_counts ours = load_dir(dir, "WD13CD", all);
  CHECK(ours.diagnostics == 0);
  CHECK(ours.zones == 304);
  CHECK(ours.geos_invalid == 0);
  const reference_counts ref = geos_reference(dir, "WD13CD");
  CHECK(ref.features == 304);
  CHECK(ref.multipolygons == ours.multipolygons);
  CHECK(ref.invalid == ref.inverted_holes.size());
  CHECK(ref.inverted_holes == std::vector<std::string>{"E05004205"});
  CHECK(ours.with_holes == ref.with_holes + ref.inverted_holes.size());
  compare_with_reference(ours, ref);
  for (const zone& z : all) {
    CHECK(z.zone_id.rfind("E05", 0) == 0);
    CHECK_FALSE(z.property("WD13NM").empty());
    CHECK(z.property("WD13NMW").empty());  // null in the files: omitted
  }
}

TEST_CASE("zones: fixture files in data/test/zones", "[zone]") {
  const std::string dir = std::string(WARDEN_SOURCE_DIR) + "/data/test/zones/";
  diagnostics diags;
  auto valid = read_zones(dir + "valid.geojson", {}, diags);
  INFO([&] {
    std::string s;
    for (const auto& d : diags.kept()) s += format(d) + "\n";
    return s;
  }());
  REQUIRE(valid.ok());
  CHECK(diags.empty());
  REQUIRE(valid->size() == 5);
  const std::vector<std::pair<std::string, zone_kind>> expected = {{"Z-EXC-1", zone_kind::exclusion},
                                                                    {"Z-INC-1", zone_kind::inclusion},
                                                                    {"Z-CURFEW-1", zone_kind::curfew_home},
                                                                    {"Z-VICTIM-1", zone_kind::victim_home},
                                                                    {"Z-MULTI-1", zone_kind::exclusion}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CHECK((*valid)[i].zone_id == expected[i].first);
    CHECK((*valid)[i].kind == expected[i].second);
    CHECK((*valid)[i].line == 5 + i);
  }
  CHECK((*valid)[1].area[0].holes.size() == 1);
  CHECK((*valid)[2].shape == zone_shape::circle);
  CHECK((*valid)[2].schedule.has_value());
  CHECK((*valid)[4].area.size() == 2);
  CHECK((*valid)[4].applies_to("anyone"));

  struct expect {
    std::uint64_t line;
    errc code;
  };
  const std::vector<expect> problems = {
      {3, errc::bad_kind},         {4, errc::bad_subjects},        {5, errc::bad_tolerance},
      {6, errc::bad_schedule},     {7, errc::ring_not_closed},     {8, errc::ring_too_few_points},
      {9, errc::self_intersection}, {10, errc::invalid_geometry},  {11, errc::empty_geometry},
      {12, errc::degenerate_geometry}, {13, errc::lat_out_of_range}, {14, errc::bad_radius},
      {15, errc::bad_geometry},    {16, errc::duplicate_id},
  };
  for (const bool repair : {false, true}) {
    CAPTURE(repair);
    diagnostics d;
    zone_read_options o;
    o.repair = repair;
    auto z = read_zones(dir + "invalid.geojson", o, d);
    REQUIRE(z.ok());
    std::vector<std::string> ids;
    for (const zone& x : *z) ids.push_back(x.zone_id);
    std::vector<expect> want = problems;
    std::vector<std::string> want_ids = {"ok-1", "ok-2"};
    if (repair) {
      // The two GEOS-invalid features become zones, with a note each.
      want[6].code = errc::repaired;
      want[7].code = errc::repaired;
      want_ids = {"ok-1", "bow-tie", "hole-outside", "ok-2"};
    }
    CHECK(ids == want_ids);
    REQUIRE(d.total() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
      INFO(format(d.kept()[i]));
      CHECK(d.kept()[i].line == want[i].line);
      CHECK(d.kept()[i].code == want[i].code);
      CHECK(d.kept()[i].file == dir + "invalid.geojson");
    }
  }
}

TEST_CASE("zones: mutated files never crash, and every zone returned keeps the invariants", "[zone]") {
  const std::string dir = std::string(WARDEN_SOURCE_DIR) + "/data/test/zones/";
  const std::string texts[] = {slurp(dir + "valid.geojson"), slurp(dir + "invalid.geojson")};
  const std::uint64_t seed = 424242;
  std::mt19937_64 rng(seed);
  geos_ref geos;
  std::size_t zones_seen = 0;
  for (int i = 0; i < 600; ++i) {
    std::string t = texts[i % 2];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng() % t.size();
      switch (rng() % 4) {
        case 0: t[at] = "0123456789-.,[]{}\"e"[rng() % 19]; break;
        case 1: t.erase(at, 1 + rng() % 8); break;
        case 2: t.insert(at, 1, "0123456789-.,"[rng() % 13]); break;
        default: {  // duplicate a chunk: repeats positions, rings, features
          const std::size_t len = 1 + rng() % 40;
          t.insert(at, t.substr(at, len));
        }
      }
    }
    INFO("seed " << seed << " case " << i);
    zone_read_options o;
    o.repair = (i % 3) == 0;
    diagnostics d;
    auto z = parse_zones(t, "m", o, d);
    if (!z) {
      CHECK(d.total() >= 1);
      continue;
    }
    for (const diagnostic& x : d.kept()) {
      CHECK(x.code != errc::ok);
      CHECK(x.line >= 1);
    }
    std::set<std::string> ids;
    for (const zone& x : *z) {
      ++zones_seen;
      CHECK(ids.insert(x.zone_id).second);
      CHECK(x.version.size() == 16);
      if (x.shape == zone_shape::circle) {
        CHECK(x.radius_m > 0);
        continue;
      }
      REQUIRE(x.area.size() == x.outline_wgs84.size());
      CHECK(geos.valid(x.area));
      const tm_frame f;
      for (std::size_t p = 0; p < x.area.size(); ++p) {
        std::vector<std::pair<const ring*, const lat_lon_ring*>> rings = {{&x.area[p].outer, &x.outline_wgs84[p].outer}};
        REQUIRE(x.area[p].holes.size() == x.outline_wgs84[p].holes.size());
        for (std::size_t h = 0; h < x.area[p].holes.size(); ++h)
          rings.emplace_back(&x.area[p].holes[h], &x.outline_wgs84[p].holes[h]);
        for (const auto& [r, ll] : rings) {
          REQUIRE(r->size() == ll->size());
          CHECK(r->size() >= 3);
          for (std::size_t k = 0; k < r->size(); ++k) {
            CHECK((*r)[k] != (*r)[(k + 1) % r->size()]);
            CHECK((*r)[k] == f.forward((*ll)[k]));
          }
        }
      }
    }
  }
  CHECK(zones_seen > 100);
}

TEST_CASE("zones: planar option reads [x, y] metres without projecting", "[zone]") {
  zone_read_options o;
  o.planar = true;
  const std::string p = default_props;
  // A 1,000 m square at BNG-like coordinates with a hole, a duplicate vertex
  // and a repeated closing vertex; a circle of 250 m; a two-part zone.
  const std::string holed = polygon_geometry(
      "[[[500000,200000],[501000,200000],[501000,200000],[501000,201000],[500000,201000],[500000,200000]],"
      "[[500250,200250],[500250,200750],[500750,200750],[500750,200250],[500250,200250]]]");
  const std::string disc =
      R"({"type":"Point","coordinates":[510000.5,210000.25]})";
  const std::string two = multipolygon_geometry(
      "[[[[0,0],[10,0],[10,10],[0,10],[0,0]]],[[[20,0],[30,0],[30,10],[20,10],[20,0]]]]");
  std::string text = collection({feature(p, holed),
                                 feature(R"("zone_id":"C","kind":"victim_home","subject_id":"S1","radius_m":250)", disc),
                                 feature(R"("zone_id":"M","kind":"inclusion","subject_id":"S1")", two)});
  // A grid's crs is accepted in planar mode (and refused otherwise).
  text.insert(text.find("\"features\""), R"("crs":{"type":"name","properties":{"name":"EPSG:27700"}},)");
  auto l = load(text, o);
  INFO(l.diag_text());
  REQUIRE(l.zones.ok());
  REQUIRE(l.zones->size() == 3);
  CHECK(l.diags.empty());
  const zone& z = (*l.zones)[0];
  CHECK(z.zone_id == "Z");
  CHECK(z.outline_wgs84.empty());
  REQUIRE(z.area.size() == 1);
  const ring want_outer = {{500000, 200000}, {501000, 200000}, {501000, 201000}, {500000, 201000}};
  CHECK(z.area[0].outer == want_outer);
  REQUIRE(z.area[0].holes.size() == 1);
  CHECK(z.area[0].holes[0].size() == 4);
  CHECK(area_m2(z.area) == 1000.0 * 1000.0 - 500.0 * 500.0);
  CHECK(z.bounds().min.x_m == 500000);
  CHECK(z.bounds().max.y_m == 201000);
  const zone& c = (*l.zones)[1];
  CHECK(c.shape == zone_shape::circle);
  CHECK(c.disc.centre == xy{510000.5, 210000.25});
  CHECK(c.disc.radius_m == 250);  // planar: no scale factor
  CHECK(c.radius_m == 250);
  const zone& m = (*l.zones)[2];
  CHECK(m.area.size() == 2);
  CHECK(area_m2(m.area) == 200);

  // The version hashes the metres: stable, different from the same numbers
  // read as WGS84, and changed by moving one vertex.
  auto again = load(text, o);
  CHECK((*again.zones)[0].version == z.version);
  const std::string small = polygon_geometry("[[[0.5,51.5],[0.51,51.5],[0.51,51.51],[0.5,51.51],[0.5,51.5]]]");
  auto as_planar = load(collection({feature(p, small)}), o);
  auto as_wgs84 = load(collection({feature(p, small)}));
  REQUIRE(as_planar.zones->size() == 1);
  REQUIRE(as_wgs84.zones->size() == 1);
  CHECK(as_planar.zones->front().version != as_wgs84.zones->front().version);
  std::string moved = text;
  moved.replace(moved.find("[501000,201000]"), 15, "[501000,201001]");
  CHECK((*load(moved, o).zones)[0].version != z.version);

  // Without the option the same file is refused: the crs, then coordinates
  // that are no longitude/latitude.
  auto wgs = load(text);
  CHECK_FALSE(wgs.zones.ok());
  CHECK(wgs.diags.count(errc::bad_crs) == 1);
}

TEST_CASE("zones: planar option keeps every validation rule and repair", "[zone]") {
  zone_read_options o;
  o.planar = true;
  const std::string p = default_props;
  const std::string bowtie = polygon_geometry("[[[0,0],[100,100],[100,0],[0,100],[0,0]]]");
  const std::string open = polygon_geometry("[[[0,0],[10,0],[10,10],[0,10]]]");
  const std::string line = polygon_geometry("[[[0,0],[10,10],[20,20],[0,0]]]");
  const std::string text_pos = polygon_geometry(R"([[[0,0],["10",0],[10,10],[0,0]]])");
  const std::string no_radius = R"({"type":"Point","coordinates":[5,5]})";
  auto id = [](const char* z) { return std::string(R"("kind":"exclusion","subject_id":"S1","zone_id":")") + z + "\""; };
  auto l = load(collection({feature(id("B"), bowtie), feature(id("O"), open), feature(id("L"), line),
                            feature(id("T"), text_pos), feature(id("R"), no_radius),
                            feature(id("G"), polygon_geometry("[[[0,0],[10,0],[10,10],[0,0]]]")),
                            feature(id("G"), polygon_geometry("[[[0,0],[10,0],[10,10],[0,0]]]"))}),
                o);
  INFO(l.diag_text());
  REQUIRE(l.zones.ok());
  REQUIRE(l.zones->size() == 1);
  CHECK(l.zones->front().zone_id == "G");
  const auto& k = l.diags.kept();
  REQUIRE(k.size() == 6);
  CHECK(k[0].code == errc::self_intersection);
  CHECK(k[0].line == 2);
  CHECK(k[0].message.find("at x 50.000, y 50.000") != std::string::npos);  // planar location, not lat/lon
  CHECK(k[1].code == errc::ring_not_closed);
  CHECK(k[2].code == errc::degenerate_geometry);
  CHECK(k[3].code == errc::bad_geometry);
  CHECK(k[3].message.find("planar metres") != std::string::npos);
  CHECK(k[4].code == errc::bad_radius);
  CHECK(k[5].code == errc::duplicate_id);
  CHECK(k[5].line == 8);

  // Repair works on planar metres too: two triangles meeting at (50, 50).
  o.repair = true;
  auto r = load(collection({feature(p, bowtie)}), o);
  INFO(r.diag_text());
  REQUIRE(r.zones->size() == 1);
  CHECK(r.diags.count(errc::repaired) == 1);
  const zone& z = r.zones->front();
  CHECK(z.repaired);
  CHECK(z.outline_wgs84.empty());
  REQUIRE(z.area.size() == 2);
  CHECK(area_m2(z.area) == Approx(5000).epsilon(1e-12));
  geos_ref geos;
  CHECK(geos.valid(z.area));
}
