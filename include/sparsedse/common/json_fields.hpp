#pragma once
// Typed access to JSON configuration fields with errors that name the file, the JSON path of the
// field, and what was expected; unknown keys are errors with a "did you mean" suggestion.
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace sparsedse {

// Closest candidate by edit distance, or "" if none is plausibly a misspelling.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

class JsonFields {
 public:
  // `file` names the source file; `path` is the JSON path of `object` within it ("" for the root).
  JsonFields(const nlohmann::json& object, std::string file, std::string path = "");

  // Throws InputError for any key not in `allowed` (with a suggestion for a near miss).
  void allow_only(const std::vector<std::string>& allowed) const;

  bool has(const std::string& key) const;
  const nlohmann::json& raw(const std::string& key) const;  // required field of any type

  double number(const std::string& key) const;
  double number(const std::string& key, double fallback) const;
  double positive(const std::string& key) const;                    // > 0
  double positive(const std::string& key, double fallback) const;
  long long integer(const std::string& key) const;
  long long integer(const std::string& key, long long fallback) const;
  long long integer_at_least(const std::string& key, long long min, long long fallback) const;
  bool boolean(const std::string& key, bool fallback) const;
  std::string string(const std::string& key) const;
  std::string string(const std::string& key, const std::string& fallback) const;
  std::string choice(const std::string& key, const std::vector<std::string>& options, const std::string& fallback) const;
  std::vector<double> numbers(const std::string& key) const;
  std::vector<int> integers(const std::string& key) const;
  JsonFields object(const std::string& key) const;

  // "file: /path/key" for messages about a field.
  std::string where(const std::string& key) const;
  [[noreturn]] void fail(const std::string& key, const std::string& expected) const;

  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }
  const nlohmann::json& json() const { return object_; }

 private:
  const nlohmann::json& object_;
  std::string file_;
  std::string path_;
};

}  // namespace sparsedse
