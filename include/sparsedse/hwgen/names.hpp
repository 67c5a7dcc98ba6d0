#pragma once
// C identifiers for generated HLS code (hls.md §2): layer names are legalised by a separate pass
// before emission, and every derived name (streams, configs, ROMs) comes from one NameScope, so no
// two generated identifiers can collide.
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace sparsedse::hwgen {

// One identifier from an arbitrary name: characters outside [A-Za-z0-9_] become '_', runs of '_' are
// collapsed (a double underscore is reserved in C++), a leading digit or '_' and C++ keywords get the
// prefix `l_`, and the empty name becomes `l_`.
std::string legal_identifier(std::string_view name);

// Unique identifiers within one generated file set. `unique(base)` returns `base` if it is free and
// otherwise `base_2`, `base_3`, … (hls.md §2), and reserves the result.
class NameScope {
 public:
  NameScope() = default;
  explicit NameScope(const std::vector<std::string>& reserved);  // names the scope must never return
  std::string unique(std::string_view base);
  bool contains(const std::string& name) const { return used_.count(name) > 0; }

 private:
  std::set<std::string> used_;
};

// The legalisation pass: each name (in the given order) to a unique legal identifier, with collisions
// resolved by `_2`, `_3`, … in that order.
std::map<std::string, std::string> legalise_names(const std::vector<std::string>& names, NameScope& scope);

}  // namespace sparsedse::hwgen
