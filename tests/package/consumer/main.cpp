// A project outside the warden tree that links the installed library.
#include <warden/warden.hpp>

#include <cstdio>

int main() {
  auto t = warden::parse_instant("2026-03-29T01:59:30+01:00");
  if (!t || warden::format_instant(*t) != "2026-03-29T00:59:30Z") return 1;
  std::printf("consumer ok %s\n", warden::version());
  return 0;
}
