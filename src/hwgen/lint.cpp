// Synthesizability lint for HLS C++ (hls.md §6). A lexical checker: comments and string literals are
// blanked, C-simulation-only code (`#ifndef __SYNTHESIS__`) is dropped, and the rules run on tokens.
#include "sparsedse/hwgen/lint.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <utility>

namespace sparsedse::hwgen {
namespace {

struct Token {
  std::string text;
  int line;
  bool ident;
};

bool is_ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Comments become spaces (newlines kept). With `blank_literals`, the insides of string and character
// literals become spaces too.
std::string strip(std::string_view in, bool blank_literals) {
  std::string out(in);
  enum { code, line_comment, block_comment, str, chr } state = code;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    const char next = i + 1 < in.size() ? in[i + 1] : '\0';
    switch (state) {
      case code:
        if (c == '/' && next == '/') {
          state = line_comment;
          out[i] = ' ';
        } else if (c == '/' && next == '*') {
          state = block_comment;
          out[i] = out[i + 1] = ' ';
          ++i;
        } else if (c == '"') {
          state = str;
        } else if (c == '\'' && !(i > 0 && std::isxdigit(static_cast<unsigned char>(in[i - 1])))) {
          state = chr;  // not a digit separator (1'000)
        }
        break;
      case line_comment:
        if (c == '\n') {
          state = code;
        } else {
          out[i] = ' ';
        }
        break;
      case block_comment:
        if (c == '*' && next == '/') {
          out[i] = out[i + 1] = ' ';
          ++i;
          state = code;
        } else if (c != '\n') {
          out[i] = ' ';
        }
        break;
      case str:
      case chr: {
        const char close = state == str ? '"' : '\'';
        if (c == '\\') {
          if (blank_literals) out[i] = ' ';
          if (i + 1 < in.size() && blank_literals && in[i + 1] != '\n') out[i + 1] = ' ';
          ++i;
        } else if (c == close) {
          state = code;
        } else if (c == '\n') {
          state = code;  // unterminated literal: recover at the end of the line
        } else if (blank_literals) {
          out[i] = ' ';
        }
        break;
      }
    }
  }
  return out;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '\n') {
      lines.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return lines;
}

std::string trim(const std::string& s) {
  std::size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return s.substr(a, b - a);
}

// The directive of a preprocessor line ("if", "ifndef", "pragma", ...) and the rest, with spaces removed
// from the rest (so "! defined ( __SYNTHESIS__ )" reads "!defined(__SYNTHESIS__)").
std::pair<std::string, std::string> directive_of(const std::string& line) {
  std::string t = trim(line);
  if (t.empty() || t[0] != '#') return {"", ""};
  std::size_t i = 1;
  while (i < t.size() && std::isspace(static_cast<unsigned char>(t[i]))) ++i;
  std::size_t j = i;
  while (j < t.size() && is_ident_char(t[j])) ++j;
  std::string rest;
  for (std::size_t k = j; k < t.size(); ++k)
    if (!std::isspace(static_cast<unsigned char>(t[k]))) rest += t[k];
  return {t.substr(i, j - i), rest};
}

// Lines excluded from synthesis (inside `#ifndef __SYNTHESIS__`, or the #else of `#ifdef __SYNTHESIS__`)
// and preprocessor lines (including continuations).
struct LineClasses {
  std::vector<bool> excluded;
  std::vector<bool> directive;
};

LineClasses classify_lines(const std::vector<std::string>& lines) {
  LineClasses lc{std::vector<bool>(lines.size(), false), std::vector<bool>(lines.size(), false)};
  // Each frame: does it concern __SYNTHESIS__, and is its current branch excluded?
  struct Frame {
    bool synthesis;
    bool excluded;
  };
  std::vector<Frame> stack;
  auto excluded_now = [&] {
    for (const Frame& f : stack)
      if (f.excluded) return true;
    return false;
  };
  bool continuation = false;
  for (std::size_t n = 0; n < lines.size(); ++n) {
    const std::string& line = lines[n];
    const bool continues = !trim(line).empty() && trim(line).back() == '\\';
    if (continuation) {
      lc.directive[n] = true;
      lc.excluded[n] = excluded_now();
      continuation = continues;
      continue;
    }
    const auto [dir, rest] = directive_of(line);
    if (dir.empty() && (trim(line).empty() || trim(line)[0] != '#')) {
      lc.excluded[n] = excluded_now();
      continue;
    }
    lc.directive[n] = true;
    continuation = continues;
    if (dir == "if" || dir == "ifdef" || dir == "ifndef") {
      const bool not_synth = (dir == "ifndef" && rest == "__SYNTHESIS__") || rest == "!defined(__SYNTHESIS__)" ||
                             rest == "!defined__SYNTHESIS__";
      const bool synth = (dir == "ifdef" && rest == "__SYNTHESIS__") || rest == "defined(__SYNTHESIS__)";
      lc.excluded[n] = excluded_now();
      stack.push_back(Frame{not_synth || synth, not_synth});
    } else if (dir == "else" || dir == "elif") {
      if (!stack.empty() && stack.back().synthesis) stack.back().excluded = !stack.back().excluded;
      lc.excluded[n] = excluded_now();
    } else if (dir == "endif") {
      if (!stack.empty()) stack.pop_back();
      lc.excluded[n] = excluded_now();
    } else {
      lc.excluded[n] = excluded_now();
    }
  }
  return lc;
}

std::vector<Token> tokenize(const std::vector<std::string>& lines, const LineClasses& lc) {
  std::vector<Token> tokens;
  for (std::size_t n = 0; n < lines.size(); ++n) {
    if (lc.excluded[n] || lc.directive[n]) continue;
    const std::string& s = lines[n];
    const int line = static_cast<int>(n) + 1;
    for (std::size_t i = 0; i < s.size();) {
      const char c = s[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
      } else if (is_ident_start(c)) {
        std::size_t j = i;
        while (j < s.size() && is_ident_char(s[j])) ++j;
        tokens.push_back({s.substr(i, j - i), line, true});
        i = j;
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        std::size_t j = i;
        while (j < s.size() && (is_ident_char(s[j]) || s[j] == '.' || s[j] == '\'')) ++j;
        tokens.push_back({s.substr(i, j - i), line, false});
        i = j;
      } else if ((c == ':' && i + 1 < s.size() && s[i + 1] == ':') ||
                 (c == '-' && i + 1 < s.size() && s[i + 1] == '>') ||
                 (c == '&' && i + 1 < s.size() && s[i + 1] == '&')) {
        tokens.push_back({s.substr(i, 2), line, false});
        i += 2;
      } else {
        tokens.push_back({std::string(1, c), line, false});
        ++i;
      }
    }
  }
  return tokens;
}

// Index of the token closing the bracket opened at `open` (same kind), or tokens.size().
std::size_t match(const std::vector<Token>& t, std::size_t open) {
  const std::string o = t[open].text;
  const std::string c = o == "(" ? ")" : o == "{" ? "}" : o == "[" ? "]" : ">";
  int depth = 0;
  for (std::size_t i = open; i < t.size(); ++i) {
    if (t[i].text == o) ++depth;
    if (t[i].text == c && --depth == 0) return i;
    if (o == "<" && (t[i].text == ";" || t[i].text == "{")) break;  // not a template argument list
  }
  return t.size();
}

const std::set<std::string>& non_function_keywords() {
  static const std::set<std::string> k = {"if",       "for",       "while",         "switch",   "catch",
                                          "return",   "sizeof",    "alignof",       "decltype", "static_assert",
                                          "defined",  "noexcept",  "alignas",       "new",      "delete",
                                          "throw",    "else",      "case",          "do",       "_Pragma",
                                          "operator", "__attribute__"};
  return k;
}

const std::set<std::string>& containers() {
  static const std::set<std::string> c = {
      "vector",         "deque",         "list",           "forward_list",       "map",
      "multimap",       "set",           "multiset",       "unordered_map",      "unordered_multimap",
      "unordered_set",  "unordered_multiset", "stack",      "queue",              "priority_queue",
      "string",         "wstring",       "u16string",      "u32string",          "basic_string",
      "array",          "valarray",      "bitset",         "string_view"};
  return c;
}

struct Linter {
  std::string file;
  std::vector<LintFinding> findings;

  void add(int line, const std::string& rule, const std::string& message) {
    findings.push_back(LintFinding{file, line, rule, message});
  }

  void check_pragma(int line, const std::string& text) {
    // Normalise: upper case, single spaces, no spaces around '='.
    std::string u;
    for (char c : upper(text)) {
      if (std::isspace(static_cast<unsigned char>(c))) {
        if (!u.empty() && u.back() != ' ') u += ' ';
      } else {
        u += c;
      }
    }
    std::string n;
    for (std::size_t i = 0; i < u.size(); ++i) {
      if (u[i] == ' ' && ((i + 1 < u.size() && u[i + 1] == '=') || (!n.empty() && n.back() == '='))) continue;
      n += u[i];
    }
    std::size_t at = n.find("HLS ");
    if (at == std::string::npos || trim(n.substr(0, at)).find_first_not_of("#PRAGM ") != std::string::npos) return;
    const std::string body = n.substr(at + 4);
    const std::string directive = body.substr(0, body.find(' '));
    if (directive == "RESOURCE") add(line, "banned-pragma", "HLS RESOURCE is Vivado-HLS only; use BIND_STORAGE / BIND_OP");
    if (directive == "DATA_PACK") add(line, "banned-pragma", "HLS DATA_PACK was removed in Vitis HLS");
    if (directive == "OCCURRENCE") add(line, "banned-pragma", "HLS OCCURRENCE is banned");
    if (directive != "RESOURCE" && n.find("CORE=") != std::string::npos)
      add(line, "banned-pragma", "core= is Vivado-HLS only; use BIND_STORAGE / BIND_OP impl=");
  }

  void check_config_lines(const std::vector<std::string>& lines, const LineClasses& lc) {
    for (std::size_t n = 0; n < lines.size(); ++n) {
      if (lc.excluded[n]) continue;
      const std::string& s = lines[n];
      const int line = static_cast<int>(n) + 1;
      const std::size_t ap = s.find("config_array_partition");
      if (ap != std::string::npos && s.find("-maximum_size", ap) != std::string::npos)
        add(line, "banned-pragma", "config_array_partition -maximum_size is Vivado-HLS only");
      const std::size_t ci = s.find("config_interface");
      if (ci != std::string::npos && s.find("-m_axi_offset", ci) != std::string::npos)
        add(line, "banned-pragma", "config_interface -m_axi_offset is Vivado-HLS only; use INTERFACE offset=slave");
      if (lc.directive[n] && directive_of(s).first == "pragma") check_pragma(line, s);
      // _Pragma("...") with a literal argument, anywhere (also in macro definitions).
      for (std::size_t p = s.find("_Pragma"); p != std::string::npos; p = s.find("_Pragma", p + 7)) {
        const std::size_t q = s.find_first_not_of(" \t(", p + 7);
        if (q == std::string::npos || s[q] != '"') continue;
        const std::size_t end = s.find('"', q + 1);
        if (end != std::string::npos) check_pragma(line, s.substr(q + 1, end - q - 1));
      }
    }
  }

  void check_tokens(const std::vector<Token>& t) {
    for (std::size_t i = 0; i < t.size(); ++i) {
      const std::string& s = t[i].text;
      const std::string prev = i > 0 ? t[i - 1].text : "";
      const std::string next = i + 1 < t.size() ? t[i + 1].text : "";
      if (!t[i].ident) continue;
      if (s == "new") add(t[i].line, "dynamic-memory", "'new' allocates dynamic memory");
      if (s == "delete" && prev != "=") add(t[i].line, "dynamic-memory", "'delete' frees dynamic memory");
      if ((s == "malloc" || s == "calloc" || s == "realloc" || s == "free" || s == "aligned_alloc") && next == "(" &&
          prev != "." && prev != "->")
        add(t[i].line, "dynamic-memory", "'" + s + "' allocates or frees dynamic memory");
      if (s == "unique_ptr" || s == "shared_ptr" || s == "make_unique" || s == "make_shared")
        add(t[i].line, "dynamic-memory", "'" + s + "' uses dynamic memory");
      if (s == "throw" || s == "try" || s == "catch") add(t[i].line, "exception", "'" + s + "': no exceptions in HLS");
      if (s == "std" && next == "::" && i + 2 < t.size() && containers().count(t[i + 2].text))
        add(t[i].line, "std-container", "std::" + t[i + 2].text + " is a standard container");
    }
  }

  // Direct recursion: a function definition whose body calls the function's own name.
  void check_recursion(const std::vector<Token>& t) {
    static const std::set<std::string> before_name = {">", "*", "&", "&&", "::", "~"};
    for (std::size_t i = 0; i + 1 < t.size(); ++i) {
      if (!t[i].ident || t[i + 1].text != "(" || non_function_keywords().count(t[i].text)) continue;
      if (i == 0) continue;
      const Token& p = t[i - 1];
      const bool plausible = (p.ident && !non_function_keywords().count(p.text)) || before_name.count(p.text);
      if (!plausible) continue;
      std::size_t k = match(t, i + 1);
      if (k >= t.size()) continue;
      ++k;
      // Qualifiers and a trailing return type between ')' and '{'.
      while (k < t.size() && (t[k].text == "const" || t[k].text == "volatile" || t[k].text == "override" ||
                              t[k].text == "final" || t[k].text == "&" || t[k].text == "&&" ||
                              t[k].text == "noexcept")) {
        ++k;
        if (k < t.size() && t[k - 1].text == "noexcept" && t[k].text == "(") k = match(t, k) + 1;
      }
      if (k < t.size() && t[k].text == "->") {
        while (k < t.size() && t[k].text != "{" && t[k].text != ";") {
          if (t[k].text == "(") k = match(t, k);
          ++k;
        }
      }
      if (k >= t.size() || t[k].text != "{") continue;
      const std::size_t end = match(t, k);
      const std::string& name = t[i].text;
      for (std::size_t j = k + 1; j < end && j < t.size(); ++j) {
        if (t[j].text != name || t[j - 1].text == "." || t[j - 1].text == "->") continue;
        std::size_t after = j + 1;
        if (after < t.size() && t[after].text == "<") after = match(t, after) + 1;
        if (after < t.size() && t[after].text == "(") {
          add(t[j].line, "recursion", "'" + name + "' calls itself (no recursion in HLS)");
          break;
        }
      }
    }
  }

  // while / do-while / for(;;) loops need a LOOP_TRIPCOUNT pragma directly in their body.
  void check_loops(const std::vector<Token>& t, const std::vector<std::string>& lines, const LineClasses& lc) {
    std::vector<int> tripcount_lines;
    for (std::size_t n = 0; n < lines.size(); ++n) {
      if (lc.excluded[n] || !lc.directive[n]) continue;
      if (directive_of(lines[n]).first == "pragma" && upper(lines[n]).find("LOOP_TRIPCOUNT") != std::string::npos)
        tripcount_lines.push_back(static_cast<int>(n) + 1);
    }
    auto body_has_tripcount = [&](std::size_t open) {
      const std::size_t close = match(t, open);
      if (close >= t.size()) return false;
      // Nested brace ranges inside the body do not count.
      std::vector<std::pair<int, int>> nested;
      for (std::size_t j = open + 1; j < close; ++j) {
        if (t[j].text == "{") {
          const std::size_t m = match(t, j);
          nested.push_back({t[j].line, m < t.size() ? t[m].line : t[close].line});
          j = m;
        }
      }
      for (int line : tripcount_lines) {
        if (line < t[open].line || line > t[close].line) continue;
        bool inside_nested = false;
        for (const auto& [a, b] : nested)
          if (line > a && line < b) inside_nested = true;
        if (!inside_nested) return true;
      }
      return false;
    };
    std::set<std::size_t> do_tails;
    for (std::size_t i = 0; i < t.size(); ++i) {
      const std::string& s = t[i].text;
      if (s == "do" && i + 1 < t.size() && t[i + 1].text == "{") {
        const std::size_t close = match(t, i + 1);
        if (close + 1 < t.size() && t[close + 1].text == "while") do_tails.insert(close + 1);
        if (!body_has_tripcount(i + 1))
          add(t[i].line, "unbounded-loop", "do-while loop without LOOP_TRIPCOUNT in its body");
      } else if (s == "while" && !do_tails.count(i) && i + 1 < t.size() && t[i + 1].text == "(") {
        const std::size_t close = match(t, i + 1);
        if (close + 1 < t.size() && t[close + 1].text == "{") {
          if (!body_has_tripcount(close + 1))
            add(t[i].line, "unbounded-loop", "while loop without LOOP_TRIPCOUNT in its body");
        } else {
          add(t[i].line, "unbounded-loop", "while loop without a braced body cannot carry LOOP_TRIPCOUNT");
        }
      } else if (s == "for" && i + 4 < t.size() && t[i + 1].text == "(" && t[i + 2].text == ";" &&
                 t[i + 3].text == ";" && t[i + 4].text == ")") {
        if (!(i + 5 < t.size() && t[i + 5].text == "{" && body_has_tripcount(i + 5)))
          add(t[i].line, "unbounded-loop", "for(;;) loop without LOOP_TRIPCOUNT in its body");
      }
    }
  }
};

}  // namespace

std::vector<LintFinding> lint_hls_source(std::string_view text, std::string_view file) {
  Linter linter{std::string(file), {}};
  const std::vector<std::string> with_literals = split_lines(strip(text, false));
  const std::vector<std::string> code = split_lines(strip(text, true));
  const LineClasses lc = classify_lines(with_literals);
  linter.check_config_lines(with_literals, lc);
  const std::vector<Token> tokens = tokenize(code, lc);
  linter.check_tokens(tokens);
  linter.check_recursion(tokens);
  linter.check_loops(tokens, with_literals, lc);
  std::stable_sort(linter.findings.begin(), linter.findings.end(),
                   [](const LintFinding& a, const LintFinding& b) { return a.line < b.line; });
  return linter.findings;
}

std::string to_string(const LintFinding& f) {
  return f.file + ":" + std::to_string(f.line) + ": [" + f.rule + "] " + f.message;
}

}  // namespace sparsedse::hwgen
