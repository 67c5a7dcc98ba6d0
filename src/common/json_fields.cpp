#include "sparsedse/common/json_fields.hpp"

#include <algorithm>
#include <cmath>

#include "sparsedse/common/error.hpp"

namespace sparsedse {

namespace {
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string type_name(const nlohmann::json& v) { return v.type_name(); }
}  // namespace

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    std::size_t d = edit_distance(word, c);
    if (d < best_d) { best_d = d; best = c; }
  }
  return best;
}

JsonFields::JsonFields(const nlohmann::json& object, std::string file, std::string path)
    : object_(object), file_(std::move(file)), path_(std::move(path)) {
  if (!object_.is_object())
    throw InputError(file_ + (path_.empty() ? "" : ": " + path_),
                     "expected a JSON object, got " + type_name(object_));
}

std::string JsonFields::where(const std::string& key) const { return file_ + ": " + path_ + "/" + key; }

void JsonFields::fail(const std::string& key, const std::string& expected) const {
  throw InputError(where(key), "expected " + expected);
}

void JsonFields::allow_only(const std::vector<std::string>& allowed) const {
  for (const auto& [key, value] : object_.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string hint = closest_match(key, allowed);
    std::string known;
    for (const auto& a : allowed) known += (known.empty() ? "" : ", ") + a;
    throw InputError(where(key), "unknown key" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                                     "; known keys: " + known);
  }
}

bool JsonFields::has(const std::string& key) const { return object_.contains(key) && !object_.at(key).is_null(); }

const nlohmann::json& JsonFields::raw(const std::string& key) const {
  if (!object_.contains(key)) throw InputError(where(key), "missing required field");
  return object_.at(key);
}

double JsonFields::number(const std::string& key) const {
  const auto& v = raw(key);
  if (!v.is_number()) fail(key, "a number, got " + type_name(v));
  double d = v.get<double>();
  if (!std::isfinite(d)) fail(key, "a finite number");
  return d;
}
double JsonFields::number(const std::string& key, double fallback) const {
  return has(key) ? number(key) : fallback;
}
double JsonFields::positive(const std::string& key) const {
  double d = number(key);
  if (!(d > 0)) fail(key, "a positive number, got " + std::to_string(d));
  return d;
}
double JsonFields::positive(const std::string& key, double fallback) const {
  return has(key) ? positive(key) : fallback;
}
long long JsonFields::integer(const std::string& key) const {
  const auto& v = raw(key);
  if (!v.is_number_integer()) fail(key, "an integer, got " + type_name(v));
  return v.get<long long>();
}
long long JsonFields::integer(const std::string& key, long long fallback) const {
  return has(key) ? integer(key) : fallback;
}
long long JsonFields::integer_at_least(const std::string& key, long long min, long long fallback) const {
  long long v = integer(key, fallback);
  if (v < min) fail(key, "an integer >= " + std::to_string(min) + ", got " + std::to_string(v));
  return v;
}
bool JsonFields::boolean(const std::string& key, bool fallback) const {
  if (!has(key)) return fallback;
  const auto& v = raw(key);
  if (!v.is_boolean()) fail(key, "true or false, got " + type_name(v));
  return v.get<bool>();
}
std::string JsonFields::string(const std::string& key) const {
  const auto& v = raw(key);
  if (!v.is_string()) fail(key, "a string, got " + type_name(v));
  return v.get<std::string>();
}
std::string JsonFields::string(const std::string& key, const std::string& fallback) const {
  return has(key) ? string(key) : fallback;
}
std::string JsonFields::choice(const std::string& key, const std::vector<std::string>& options,
                               const std::string& fallback) const {
  std::string v = string(key, fallback);
  if (std::find(options.begin(), options.end(), v) != options.end()) return v;
  std::string list;
  for (const auto& o : options) list += (list.empty() ? "" : ", ") + ("\"" + o + "\"");
  std::string hint = closest_match(v, options);
  fail(key, "one of " + list + ", got \"" + v + "\"" + (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
}
std::vector<double> JsonFields::numbers(const std::string& key) const {
  const auto& v = raw(key);
  if (!v.is_array()) fail(key, "an array of numbers, got " + type_name(v));
  std::vector<double> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_number() || !std::isfinite(v[i].get<double>()))
      throw InputError(where(key) + "/" + std::to_string(i), "expected a finite number");
    out.push_back(v[i].get<double>());
  }
  return out;
}
std::vector<int> JsonFields::integers(const std::string& key) const {
  const auto& v = raw(key);
  if (!v.is_array()) fail(key, "an array of integers, got " + type_name(v));
  std::vector<int> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_number_integer()) throw InputError(where(key) + "/" + std::to_string(i), "expected an integer");
    out.push_back(v[i].get<int>());
  }
  return out;
}
JsonFields JsonFields::object(const std::string& key) const { return JsonFields(raw(key), file_, path_ + "/" + key); }

}  // namespace sparsedse
