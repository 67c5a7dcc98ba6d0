#pragma once
// Synthesizability lint for HLS C++ (hls.md §6): the rules every emitted file and the sdhls library
// must satisfy. Lexical checks on comment- and string-free text; code inside `#ifndef __SYNTHESIS__`
// (C-simulation only) is exempt.
#include <string>
#include <string_view>
#include <vector>

namespace sparsedse::hwgen {

struct LintFinding {
  std::string file;
  int line = 0;          // 1-based
  std::string rule;      // dynamic-memory | std-container | recursion | exception | banned-pragma | unbounded-loop
  std::string message;
  bool operator==(const LintFinding&) const = default;
};

// Findings sorted by line. Rules:
//  dynamic-memory  new, delete (not `= delete`), malloc/calloc/realloc/free, std smart pointers
//  std-container   std::vector, std::map, std::string, std::array, ... (any standard container)
//  recursion       a function that calls itself directly (unqualified or via its own name)
//  exception       throw, try, catch
//  banned-pragma   HLS RESOURCE / core=, DATA_PACK, OCCURRENCE; config_array_partition -maximum_size;
//                  config_interface -m_axi_offset (also inside _Pragma("..."))
//  unbounded-loop  a while / do-while / for(;;) loop whose body has no LOOP_TRIPCOUNT pragma
std::vector<LintFinding> lint_hls_source(std::string_view text, std::string_view file);

// "file:line: [rule] message"
std::string to_string(const LintFinding& finding);

}  // namespace sparsedse::hwgen
