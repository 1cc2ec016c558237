// The warden command line: one function per subcommand, each in its own
// src/cli/cmd_<name>.cpp. Exit status: 0 success, 1 bad input (records were
// reported), 2 usage error or capability not built yet.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace warden::cli {

using args = std::vector<std::string>;  // the arguments after the subcommand

int cmd_demo(const args& a);
int cmd_check(const args& a);
int cmd_match(const args& a);
int cmd_locate(const args& a);
int cmd_windows(const args& a);
int cmd_report(const args& a);
int cmd_synth(const args& a);

// Prints "warden SUB: not built yet (issue N)" and returns 2.
int not_built(std::string_view sub, std::string_view what);

// Minimal option parsing shared by subcommands: --name value / --flag.
class options {
 public:
  // `flags` are the options that take no value. Unknown options are errors.
  options(const args& a, std::vector<std::string> valued, std::vector<std::string> flags);
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  bool has(std::string_view name) const;
  std::string get(std::string_view name, std::string fallback = {}) const;
  bool help() const { return help_; }

 private:
  std::vector<std::pair<std::string, std::string>> values_;
  std::string error_;
  bool help_ = false;
};

// Prints a usage error "warden SUB: message" and the usage text; returns 2.
int usage_error(std::string_view sub, std::string_view message, std::string_view usage);

}  // namespace warden::cli
