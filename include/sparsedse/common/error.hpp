#pragma once
// Errors a user can cause (bad files, bad fields, bad options). The CLI maps them to exit code 2;
// anything else escaping is a bug in sparsedse.
#include <stdexcept>
#include <string>

namespace sparsedse {

class InputError : public std::runtime_error {
 public:
  // `where` names the file (and, if known, the field / node), `what` says what was wrong and expected.
  InputError(const std::string& where, const std::string& what)
      : std::runtime_error(where.empty() ? what : where + ": " + what), where_(where), detail_(what) {}
  const std::string& where() const { return where_; }
  const std::string& detail() const { return detail_; }

 private:
  std::string where_;
  std::string detail_;
};

}  // namespace sparsedse
