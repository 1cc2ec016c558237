// The README's embedding example, compiled with every build so it cannot rot.
#include <warden/warden.hpp>

#include <cstdio>

int main() {
  const warden::tm_frame frame;  // British National Grid parameters on WGS84
  auto chelmsford = warden::lat_lon::from_degrees(51.7356, 0.4685);
  auto t = warden::parse_instant("2026-03-29T01:59:30+01:00");
  if (!chelmsford || !t) return 1;
  const warden::xy p = frame.forward(*chelmsford);
  std::printf("%s at E %.1f m, N %.1f m\n", warden::format_instant(*t).c_str(), p.x_m, p.y_m);
  return 0;
}
