// Zones and fixes in, alert episodes out: the smallest useful program.
#include <warden/warden.hpp>

#include <iostream>

struct print_alerts : warden::alert_sink {
  void on_alert(const warden::alert_event& e) override { std::cout << warden::to_json_line(e) << '\n'; }
};

int main() {
  warden::diagnostics diag(&std::cerr);
  auto zones = warden::parse_zones(R"({"type":"FeatureCollection","features":[{"type":"Feature",
      "properties":{"zone_id":"Z1","subject_id":"S1","kind":"exclusion","radius_m":200},
      "geometry":{"type":"Point","coordinates":[0.4685,51.7356]}}]})", "zones.geojson", {}, diag);
  auto m = warden::monitor::create(*zones, {}, {});
  print_alerts sink;
  m->set_sink(&sink);
  for (int i = 0; i < 10; ++i) {  // S1 walks east through the zone, one fix a minute
    const warden::instant t = warden::from_epoch_ms(1774260000000 + i * 60000);
    m->push(warden::fix{"S1", t, warden::lat_lon::from_degrees(51.7356, 0.460 + 0.002 * i).value(), 8.0f,
                        warden::fix_source::gps, t});
  }
  m->flush();  // end of input
}
