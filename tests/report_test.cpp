// Evidence packs (warden/report.hpp): the alerts and matches readers, the
// pack content, the HTML's structure and self-containment, escaping,
// determinism and the GeoJSON rendering.
#include <catch2/catch.hpp>

#include <warden/detail/csv.hpp>
#include <warden/detail/json.hpp>
#include <warden/report.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

using namespace warden;
namespace json = warden::detail::json;

namespace {

instant at(const char* s) { return parse_instant(s).value(); }

std::size_t count(const std::string& hay, std::string_view needle) {
  std::size_t n = 0;
  for (std::size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + needle.size())) ++n;
  return n;
}

// A square exclusion zone around Chelmsford centre and a circle victim_home.
const char* zones_text = R"({"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"zone_id":"X1","subject_id":"S1","kind":"exclusion"},
 "geometry":{"type":"Polygon","coordinates":[[[0.465,51.733],[0.472,51.733],[0.472,51.738],[0.465,51.738],[0.465,51.733]]]}},
{"type":"Feature","properties":{"zone_id":"VH1","subject_id":"S1","kind":"victim_home","radius_m":300},
 "geometry":{"type":"Point","coordinates":[0.4685,51.7356]}}]})";

std::vector<zone> test_zones() {
  diagnostics d;
  auto z = parse_zones(zones_text, "zones.geojson", {}, d);
  REQUIRE(z);
  REQUIRE(z->size() == 2);
  return std::move(*z);
}

// A walk west to east across the zone, one fix a minute, with a 40-minute
// silence after the tenth fix.
std::vector<pack_fix> walk(instant t0, int n, bool with_gap) {
  std::vector<pack_fix> v;
  instant t = t0;
  for (int i = 0; i < n; ++i) {
    const double lon = 0.455 + 0.0007 * i;
    v.push_back(pack_fix{t, lat_lon::from_degrees(51.7355, lon).value(), 8.0 + i % 3, "gps", false});
    t += (with_gap && i == 9) ? std::chrono::minutes{40} : std::chrono::minutes{1};
  }
  return v;
}

alert_record sample_alert(std::string subject = "S1") {
  const std::string id = "0123456789abcdef";
  std::string line1 = R"({"alert_id":")" + id + R"(","event":"opened","type":"exclusion","subject_id":)";
  std::string esc;
  append_json_string(esc, subject);
  line1 += esc + R"(,"zone_id":"X1","victim_id":null,"start":"2026-03-23T10:15:00Z","end":null,"priority":2,)"
                 R"("confidence":"certain","fix_count":2,"max_depth_m":42.0,"min_distance_m":null,"evidence":{"fixes":)"
                 R"([["2026-03-23T10:15:00Z",51.7355,0.4655,8.0],["2026-03-23T10:16:00Z",51.7355,0.4662,9.0]],)"
                 R"("zone_version":"aaaabbbbccccdddd","params":{"confirm_fixes":2,"exit_fixes":2},"engine":"warden 0.1.0",)"
                 R"("schedule":null,"rejected_fixes":0},"rule":"exclusion","decided_at":"2026-03-23T10:16:00Z","late_arrival":false})";
  std::string line2 = line1;
  line2.replace(line2.find("\"opened\""), 8, "\"closed\"");
  line2.replace(line2.find("\"end\":null"), 10, "\"end\":\"2026-03-23T10:31:00Z\"");
  diagnostics d;
  auto log = parse_alert_log(line1 + "\n" + line2 + "\n", "alerts.jsonl", d);
  REQUIRE(log);
  REQUIRE(log->size() == 1);
  CHECK(d.empty());
  return log->front();
}

}  // namespace

TEST_CASE("alert log: episodes keep their last content and every event", "[report]") {
  const alert_record a = sample_alert();
  CHECK(a.alert_id == "0123456789abcdef");
  CHECK(a.type == "exclusion");
  CHECK(a.rule == "exclusion");
  CHECK(a.zone_id == "X1");
  CHECK_FALSE(a.victim_id);
  REQUIRE(a.end);
  CHECK(*a.end == at("2026-03-23T10:31:00Z"));
  REQUIRE(a.history.size() == 2);
  CHECK(a.history[0].event == "opened");
  CHECK_FALSE(a.history[0].end);
  CHECK(a.history[1].event == "closed");
  CHECK(a.evidence.size() == 2);
  CHECK(a.zone_version == "aaaabbbbccccdddd");
  CHECK(a.params_json == R"({"confirm_fixes":2,"exit_fixes":2})");
  CHECK_FALSE(a.retracted());

  // Unknown types are kept as text; bad lines are reported, not fatal.
  diagnostics d;
  auto log = parse_alert_log(
      "{\"alert_id\":\"a\",\"event\":\"opened\",\"type\":\"geo_teleport\",\"subject_id\":\"S\",\"start\":\"2026-01-01T00:00:00Z\"}\n"
      "not json\n\n{\"alert_id\":\"b\"}\n"
      "{\"alert_id\":\"a\",\"event\":\"retracted\",\"type\":\"geo_teleport\",\"subject_id\":\"S\",\"start\":\"2026-01-01T00:00:00Z\"}\n",
      "x.jsonl", d);
  REQUIRE(log);
  REQUIRE(log->size() == 1);
  CHECK(log->front().type == "geo_teleport");
  CHECK(log->front().retracted());
  CHECK(d.total() == 2);
  CHECK(d.count(errc::json_syntax) == 1);
  CHECK(d.count(errc::missing_field) == 1);
}

TEST_CASE("alert pack: the HTML holds the map, timeline, parameters and versions", "[report]") {
  const auto zones = test_zones();
  const alert_record a = sample_alert();
  const auto fixes = walk(at("2026-03-23T10:00:00Z"), 40, true);
  const evidence_pack p = make_alert_pack(a, &zones[0], fixes, {}, {});
  // 30 min of context either side of 10:15..10:31.
  CHECK(p.view_from == at("2026-03-23T09:45:00Z"));
  CHECK(p.view_to == at("2026-03-23T11:01:00Z"));
  const std::size_t in_view = static_cast<std::size_t>(std::count_if(fixes.begin(), fixes.end(), [&](const pack_fix& f) {
    return f.time >= p.view_from && f.time <= p.view_to;
  }));
  const std::size_t evidence = static_cast<std::size_t>(
      std::count_if(p.fixes.begin(), p.fixes.end(), [](const pack_fix& f) { return f.evidence; }));
  CHECK(evidence == 2);
  // The evidence fixes are not on the walk (different longitudes): added.
  CHECK(p.fixes.size() == in_view + 2);

  const std::string html = render_html(p);
  CAPTURE(html.size());
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(count(html, "<svg id=\"map\"") == 1);
  CHECK(count(html, "<svg id=\"timeline\"") == 1);
  CHECK(count(html, "id=\"parameters\"") == 1);
  CHECK(count(html, "id=\"scale-bar\"") == 1);
  CHECK(count(html, "<path id=\"area\"") == 1);
  CHECK(count(html, "class=\"fix ") == p.fixes.size());
  CHECK(count(html, "class=\"fix during evidence\"") == 2);
  CHECK(count(html, "class=\"fix before") > 0);
  CHECK(count(html, "class=\"fix after") > 0);
  // One gap of 40 min on the map and on the timeline.
  CHECK(count(html, "<line class=\"gap\"") == 2);
  CHECK(html.find("aaaabbbbccccdddd") != std::string::npos);   // zone version
  CHECK(html.find("warden 0.1.0") != std::string::npos);       // engine
  CHECK(html.find("confirm_fixes") != std::string::npos);      // parameters
  CHECK(html.find("opened") != std::string::npos);             // timeline
  CHECK(html.find("42.0 m") != std::string::npos);             // depth

  // Self-contained: nothing fetched, nothing run.
  for (const char* banned : {"http://", "https://", "<script", "url(", "@import", "<link", "<img", "<iframe", "src="})
    CHECK(html.find(banned) == std::string::npos);

  // Without the gap there is no dashed segment.
  const evidence_pack q = make_alert_pack(a, &zones[0], walk(at("2026-03-23T10:00:00Z"), 40, false), {}, {});
  CHECK(count(render_html(q), "<line class=\"gap\"") == 0);
}

TEST_CASE("alert pack: the same input gives the same bytes, whatever the fix order", "[report]") {
  const auto zones = test_zones();
  const alert_record a = sample_alert();
  auto fixes = walk(at("2026-03-23T10:00:00Z"), 40, true);
  const std::string html = render_html(make_alert_pack(a, &zones[0], fixes, {}, {}));
  const std::string gj = render_geojson(make_alert_pack(a, &zones[0], fixes, {}, {}));
  const unsigned seed = 20261122;
  CAPTURE(seed);
  std::mt19937 rng(seed);
  for (int k = 0; k < 5; ++k) {
    std::shuffle(fixes.begin(), fixes.end(), rng);
    fixes.push_back(fixes.front());  // a duplicate
    const evidence_pack p = make_alert_pack(a, &zones[0], fixes, {}, {});
    CHECK(render_html(p) == html);
    CHECK(render_geojson(p) == gj);
  }
}

TEST_CASE("alert pack: ids with markup are escaped in HTML and JSON", "[report]") {
  const auto zones = test_zones();
  const std::string nasty = "S<&\">'x";
  const alert_record a = sample_alert(nasty);
  REQUIRE(a.subject_id == nasty);
  const evidence_pack p = make_alert_pack(a, &zones[0], {}, {}, {});
  const std::string html = render_html(p);
  CHECK(html.find(nasty) == std::string::npos);
  CHECK(html.find("S&lt;&amp;&quot;&gt;&#39;x") != std::string::npos);
  const std::string gj = render_geojson(p);
  auto doc = json::parse(gj);
  REQUIRE(doc);
  const auto props = doc->root().find("features")->operator[](0).find("properties");
  REQUIRE(props);
  CHECK(props->find("subject_id")->as_string() == nasty);
}

TEST_CASE("alert pack: the GeoJSON is a FeatureCollection with the same content", "[report]") {
  const auto zones = test_zones();
  const alert_record a = sample_alert();
  const evidence_pack p = make_alert_pack(a, &zones[0], walk(at("2026-03-23T10:00:00Z"), 40, true), {}, {});
  const std::string gj = render_geojson(p);
  auto doc = json::parse(gj);
  REQUIRE(doc);
  const json::value root = doc->root();
  CHECK(root.find("type")->as_string() == "FeatureCollection");
  const json::value features = *root.find("features");
  std::size_t fixes = 0, evidence = 0, gaps = 0, paths = 0, areas = 0, packs = 0;
  for (std::size_t i = 0; i < features.size(); ++i) {
    const json::value f = features[i];
    CHECK(f.find("type")->as_string() == "Feature");
    const json::value props = *f.find("properties");
    const std::string_view role = props.find("role")->as_string();
    if (role == "fix") {
      ++fixes;
      evidence += props.find("evidence")->as_bool();
      const json::value c = *f.find("geometry")->find("coordinates");
      CHECK(c.size() == 2);
      CHECK(c[0].as_number() == Approx(0.46).margin(0.02));  // [lon, lat]
      CHECK(c[1].as_number() == Approx(51.7355).margin(0.001));
    }
    gaps += role == "gap";
    paths += role == "path";
    areas += role == "area";
    if (role == "pack") {
      ++packs;
      CHECK(props.find("zone_version")->as_string() == "aaaabbbbccccdddd");
      CHECK(props.find("engine")->as_string() == "warden 0.1.0");
      CHECK(props.find("timeline")->size() == p.timeline.size());
      CHECK(props.find("parameters")->size() == p.parameters.size());
    }
  }
  CHECK(packs == 1);
  CHECK(areas == 1);
  CHECK(fixes == p.fixes.size());
  CHECK(evidence == 2);
  CHECK(gaps == 1);
  CHECK(paths >= 2);
}

TEST_CASE("victims: positions only when authorised; victim_home withheld otherwise", "[report]") {
  const auto zones = test_zones();
  alert_record a = sample_alert();
  a.type = "exclusion";
  a.zone_id = "VH1";
  a.victim_id = "V1";
  const auto subject = walk(at("2026-03-23T10:00:00Z"), 40, false);
  std::vector<pack_fix> victim;
  for (int i = 0; i < 40; ++i)
    victim.push_back(pack_fix{at("2026-03-23T10:00:30Z") + std::chrono::minutes{i},
                              lat_lon::from_degrees(51.7400, 0.4700).value(), 10, "gps", false});

  pack_options hidden;
  const evidence_pack p = make_alert_pack(a, &zones[1], subject, victim, hidden);
  CHECK(p.area_withheld);
  CHECK(p.victim_fixes.empty());
  const std::string html = render_html(p);
  CHECK(html.find("id=\"area\"") == std::string::npos);
  CHECK(html.find("<g class=\"victim\">") == std::string::npos);
  CHECK(html.find("51.7400000") == std::string::npos);  // the victim's latitude appears nowhere
  // The victim is stationary: the closest distance is the closest subject fix's.
  double closest = 1e9;
  for (const pack_fix& f : p.fixes) closest = std::min(closest, geodesic_distance_m(f.pos, victim[0].pos));
  std::string expect;
  detail::append_decimal(expect, closest, 0);
  CAPTURE(closest);
  CHECK(html.find("closest distance between the fixes (victim interpolated)</th><td>" + expect + " m at ") !=
        std::string::npos);
  CHECK(render_geojson(p).find("victim_fix") == std::string::npos);

  pack_options shown;
  shown.victim_authorised = true;
  const evidence_pack q = make_alert_pack(a, &zones[1], subject, victim, shown);
  CHECK_FALSE(q.area_withheld);
  CHECK(q.victim_fixes.size() == victim.size() - 0);
  const std::string html2 = render_html(q);
  CHECK(html2.find("<circle id=\"area\"") != std::string::npos);
  CHECK(count(html2, "<title>victim ") == victim.size());
}

TEST_CASE("crime pack: the disc, the window, fixes within the radius, the match row", "[report]") {
  const std::string dir = (std::filesystem::temp_directory_path() / "warden_report_test").string();
  std::filesystem::create_directories(dir);
  {
    std::ofstream m(dir + "/matches.csv");
    m << "crime_id,subject_id,status,min_distance_m,closest_time,dwell_s,first_time,last_time,fix_count,score\n"
         "C1,S1,present,12.50,2026-03-23T10:20:00Z,240.000,2026-03-23T10:18:00Z,2026-03-23T10:22:00Z,4,0.9380\n"
         "C1,S2,possible,900.00,,0.000,2026-03-23T10:00:00Z,2026-03-23T10:30:00Z,0,0.0250\n"
         "C2,S1,bad,notanumber,,,,,,\n";
  }
  diagnostics d;
  auto rows = read_matches(dir + "/matches.csv", d);
  REQUIRE(rows);
  REQUIRE(rows->size() == 2);
  CHECK(d.count(errc::bad_number) == 1);
  const match_record& m = rows->front();
  CHECK(m.min_distance_m == Approx(12.5));
  CHECK(m.fix_count == 4);
  CHECK(rows->at(1).closest_time == std::nullopt);

  crime c;
  c.crime_id = "C1";
  c.pos = lat_lon::from_degrees(51.7355, 0.4655).value();
  c.from = at("2026-03-23T10:10:00Z");
  c.to = at("2026-03-23T10:30:00Z");
  c.type = "Burglary";
  crime_pack_params cp;
  cp.radius_m = 100;
  const auto fixes = walk(at("2026-03-23T10:00:00Z"), 40, false);
  const evidence_pack p = make_crime_pack(c, m, fixes, cp, {});
  // Fixes in the window whose accuracy circle touches the 100 m disc.
  std::size_t expect = 0;
  for (const pack_fix& f : p.fixes)
    expect += f.time >= c.from && f.time <= c.to && geodesic_distance_m(f.pos, c.pos) - f.accuracy_m <= 100;
  REQUIRE(expect > 0);
  CHECK(static_cast<std::size_t>(std::count_if(p.fixes.begin(), p.fixes.end(),
                                               [](const pack_fix& f) { return f.evidence; })) == expect);
  const std::string html = render_html(p);
  CHECK(count(html, "<circle id=\"area\"") == 1);
  CHECK(html.find("class=\"crime\"") != std::string::npos);
  CHECK(html.find("Burglary") != std::string::npos);
  CHECK(html.find("12.5 m") != std::string::npos);
  CHECK(html.find("http") == std::string::npos);
  auto doc = json::parse(render_geojson(p));
  REQUIRE(doc);
  std::size_t outline = 0;
  const json::value features = *doc->root().find("features");
  for (std::size_t i = 0; i < features.size(); ++i)
    if (features[i].find("properties")->find("role")->as_string() == "area_outline") {
      ++outline;
      const json::value ring = (*features[i].find("geometry")->find("coordinates"))[0];
      CHECK(ring.size() == 73);
      // Every outline vertex is 100 m from the crime (ground metres).
      for (std::size_t k = 0; k < ring.size(); ++k) {
        const lat_lon v = lat_lon::from_degrees(ring[k][1].as_number(), ring[k][0].as_number()).value();
        CHECK(geodesic_distance_m(v, c.pos) == Approx(100).margin(0.05));
      }
    }
  CHECK(outline == 1);
}

TEST_CASE("pack fixes from a CSV and from a trail store", "[report]") {
  const std::string dir = (std::filesystem::temp_directory_path() / "warden_report_test").string();
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/fixes.csv";
  {
    std::ofstream f(path);
    f << "subject_id,time,lat,lon,accuracy_m,source\n"
         "S1,2026-03-23T10:02:00Z,51.7355000,0.4655000,12.3,wifi\n"
         "S2,2026-03-23T10:01:00Z,51.7000000,0.4000000,5,gps\n"
         "S1,2026-03-23T10:01:00Z,51.7356000,0.4656000,8,gps\n"
         "S1,2026-03-23T10:01:00Z,51.7356000,0.4656000,8,gps\n"   // duplicate
         "S1,2026-03-23T11:00:00Z,51.7357000,0.4657000,8,gps\n";  // outside [from, to]
  }
  diagnostics d;
  auto v = load_pack_fixes(path, "S1", at("2026-03-23T10:00:00Z"), at("2026-03-23T10:30:00Z"), d);
  REQUIRE(v);
  CHECK(d.empty());
  REQUIRE(v->size() == 2);
  CHECK(v->at(0).time == at("2026-03-23T10:01:00Z"));  // time order
  CHECK(v->at(1).source == "wifi");
  CHECK(v->at(1).accuracy_m == Approx(12.3).margin(1e-5));

  trail_store store;
  for (const pack_fix& f : *v)
    REQUIRE(store.append(fix{"S1", f.time, f.pos, static_cast<float>(f.accuracy_m), fix_source::gps, f.time, 0}));
  const auto w = pack_fixes_from_store(store, "S1", at("2026-03-23T10:00:00Z"), at("2026-03-23T10:30:00Z"));
  REQUIRE(w.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(w[i].time == v->at(i).time);
    CHECK(geodesic_distance_m(w[i].pos, v->at(i).pos) < 0.02);  // centimetre store, 7-decimal output
    CHECK(w[i].accuracy_m >= v->at(i).accuracy_m);               // rounded up, never down
    CHECK(w[i].source.empty());
  }
  CHECK(pack_fixes_from_store(store, "nobody", at("2026-03-23T10:00:00Z"), at("2026-03-23T10:30:00Z")).empty());
}
