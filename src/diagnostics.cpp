// Diagnostic formatting and collection (warden/diagnostics.hpp).
#include <warden/diagnostics.hpp>

#include <ostream>

namespace warden {

std::string format(const diagnostic& d) {
  std::string s = d.file.empty() ? std::string("<input>") : d.file;
  if (d.line != 0) {
    s += ':';
    s += std::to_string(d.line);
  }
  s += ": ";
  s += to_string(d.code);
  s += ": ";
  s += d.message;
  return s;
}

void diagnostics::report(diagnostic d) {
  ++total_;
  ++counts_[d.code];
  if (echo_ != nullptr) *echo_ << format(d) << '\n';
  if (kept_.size() < keep_limit_) kept_.push_back(std::move(d));
}

}  // namespace warden
