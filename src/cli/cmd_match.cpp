// warden match — crime matching, issue 7.
#include "commands.hpp"

namespace warden::cli {

int cmd_match(const args&) { return not_built("match", "crime matching, issue 7"); }

}  // namespace warden::cli
