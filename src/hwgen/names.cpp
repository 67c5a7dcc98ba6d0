// Name legalisation for generated HLS code (hls.md §2).
#include "sparsedse/hwgen/names.hpp"

#include <cctype>

namespace sparsedse::hwgen {

namespace {

// C++14 keywords and alternative tokens, plus names the generated code and the shim use at file scope.
constexpr std::string_view kReserved[] = {
    "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case", "catch",
    "char", "char16_t", "char32_t", "class", "compl", "const", "constexpr", "const_cast", "continue", "decltype",
    "default", "delete", "do", "double", "dynamic_cast", "else", "enum", "explicit", "export", "extern", "false",
    "float", "for", "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace", "new", "noexcept",
    "not", "not_eq", "nullptr", "operator", "or", "or_eq", "private", "protected", "public", "register",
    "reinterpret_cast", "return", "short", "signed", "sizeof", "static", "static_assert", "static_cast", "struct",
    "switch", "template", "this", "thread_local", "throw", "true", "try", "typedef", "typeid", "typename", "union",
    "unsigned", "using", "virtual", "void", "volatile", "wchar_t", "while", "xor", "xor_eq", "main", "hls",
    "sdhls", "sdhls_sim", "std", "ap_int", "ap_uint", "ap_fixed", "ap_ufixed", "batch", "in", "out", "wts", "mode",
    "wr_index", "NULL"};

bool reserved(std::string_view s) {
  for (std::string_view k : kReserved)
    if (k == s) return true;
  return false;
}

}  // namespace

std::string legal_identifier(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 2);
  for (char c : name) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    const char x = ok && static_cast<unsigned char>(c) < 128 ? c : '_';
    if (x == '_' && !out.empty() && out.back() == '_') continue;  // "__" is reserved
    out += x;
  }
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0])) || out[0] == '_' || reserved(out))
    out = (out.empty() || out[0] != '_') ? "l_" + out : "l" + out;
  return out;
}

NameScope::NameScope(const std::vector<std::string>& reserved_names) : used_(reserved_names.begin(), reserved_names.end()) {}

std::string NameScope::unique(std::string_view base) {
  std::string name(base);
  for (int k = 2; used_.count(name); ++k) name = std::string(base) + "_" + std::to_string(k);
  used_.insert(name);
  return name;
}

std::map<std::string, std::string> legalise_names(const std::vector<std::string>& names, NameScope& scope) {
  std::map<std::string, std::string> ids;
  for (const std::string& n : names)
    if (!ids.count(n)) ids.emplace(n, scope.unique(legal_identifier(n)));
  return ids;
}

}  // namespace sparsedse::hwgen
