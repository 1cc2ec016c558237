// warden — command-line entry point (FORMATS.md "Command line").
#include "commands.hpp"

#include <warden/version.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace warden::cli {

options::options(const args& a, std::vector<std::string> valued, std::vector<std::string> flags) {
  auto is = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::string& s = a[i];
    if (s == "-h" || s == "--help") {
      help_ = true;
      continue;
    }
    if (s.rfind("--", 0) != 0) {
      error_ = "unexpected argument '" + s + "'";
      return;
    }
    std::string name = s.substr(2), value;
    const auto eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      if (!is(valued, name)) {
        error_ = "unknown option --" + name;
        return;
      }
    } else if (is(valued, name)) {
      if (i + 1 >= a.size()) {
        error_ = "--" + name + " needs a value";
        return;
      }
      value = a[++i];
    } else if (!is(flags, name)) {
      error_ = "unknown option --" + name;
      return;
    }
    values_.emplace_back(std::move(name), std::move(value));
  }
}

bool options::has(std::string_view name) const {
  return std::any_of(values_.begin(), values_.end(), [&](const auto& p) { return p.first == name; });
}

std::string options::get(std::string_view name, std::string fallback) const {
  for (auto it = values_.rbegin(); it != values_.rend(); ++it)
    if (it->first == name) return it->second;
  return fallback;
}

int usage_error(std::string_view sub, std::string_view message, std::string_view usage) {
  std::cerr << "warden " << sub << ": " << message << "\n" << usage;
  return 2;
}

int not_built(std::string_view sub, std::string_view what) {
  std::cerr << "warden " << sub << ": not built yet (" << what << ")\n";
  return 2;
}

}  // namespace warden::cli

namespace {

struct subcommand {
  const char* name;
  int (*run)(const warden::cli::args&);
  const char* summary;
};

const subcommand subcommands[] = {
    {"demo", warden::cli::cmd_demo, "run the main job on the embedded scenario in data/"},
    {"check", warden::cli::cmd_check, "stream fixes and events through the monitoring engine"},
    {"match", warden::cli::cmd_match, "match crimes against trails"},
    {"locate", warden::cli::cmd_locate, "which zones cover each point"},
    {"windows", warden::cli::cmd_windows, "a zone's active windows as UTC instants"},
    {"report", warden::cli::cmd_report, "an HTML (or GeoJSON) evidence pack for one alert or crime match"},
    {"synth", warden::cli::cmd_synth, "generate a deterministic synthetic scenario"},
};

void print_help() {
  std::cout << "usage: warden SUBCOMMAND [OPTIONS]\n\n"
               "Geospatial breach detection for electronic monitoring ("
            << warden::engine_name() << ").\n\nsubcommands:\n";
  for (const auto& s : subcommands) std::printf("  %-8s %s\n", s.name, s.summary);
  std::cout << "\n`warden SUBCOMMAND --help` describes each one.\n"
               "Exit status: 0 success, 1 bad input (records were reported), 2 usage error.\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  if (argc < 2) {
    print_help();
    return 2;
  }
  const std::string sub = argv[1];
  if (sub == "-h" || sub == "--help" || sub == "help") {
    print_help();
    return 0;
  }
  if (sub == "--version" || sub == "version") {
    std::cout << warden::engine_name() << "\n";
    return 0;
  }
  warden::cli::args rest(argv + 2, argv + argc);
  for (const auto& s : subcommands)
    if (sub == s.name) return s.run(rest);
  std::cerr << "warden: unknown subcommand '" << sub << "'\n";
  print_help();
  return 2;
}
