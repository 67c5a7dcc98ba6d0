#include "sparsedse/common/io.hpp"

#include <fstream>
#include <random>
#include <sstream>
#include <system_error>

#include <unistd.h>

#include "sparsedse/common/error.hpp"

namespace sparsedse {

bool path_exists(const std::filesystem::path& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec) && !ec;
}

namespace fs = std::filesystem;

void write_file_atomic(const fs::path& path, std::string_view contents) {
  fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  // Unique per process and call, so concurrent writers (threads, MPI ranks) never share a temp file.
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  fs::path tmp = dir / (path.filename().string() + ".tmp." + std::to_string(::getpid()) + "." +
                        std::to_string(rng() % 1000000007ULL));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw InputError(path.string(), "cannot write file (is the directory writable?)");
    out.write(contents.data(), std::streamsize(contents.size()));
    out.flush();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw InputError(path.string(), "write failed (disk full?)");
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw InputError(path.string(), "cannot replace file: " + ec.message());
  }
}

void write_json_atomic(const fs::path& path, const nlohmann::json& value, int indent) {
  write_file_atomic(path, value.dump(indent) + "\n");
}

void ensure_directory(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir))
    throw InputError(dir.string(), "cannot create the directory (" + (ec ? ec.message() : std::string("not a directory")) +
                                       "); expected a writable directory path");
}

std::string read_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw InputError(path.string(), "file not found");
  if (fs::is_directory(path, ec)) throw InputError(path.string(), "is a directory, expected a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string(), "cannot open file for reading");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nlohmann::json read_json(const fs::path& path) {
  std::string text = read_file(path);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // Translate the byte offset into line:column for the user.
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < e.byte && i < text.size(); ++i) {
      if (text[i] == '\n') { ++line; col = 1; } else { ++col; }
    }
    throw InputError(path.string() + ":" + std::to_string(line) + ":" + std::to_string(col),
                     "invalid JSON (expected a well-formed JSON document)");
  } catch (const nlohmann::json::exception& e) {
    // The parser reports some errors as other exception types, e.g. out_of_range.406 for a number
    // too large for a double (1e999).
    throw InputError(path.string(), std::string("invalid JSON: ") + e.what());
  }
}

std::string json_path(std::string_view parent, std::string_view key) {
  return std::string(parent) + "/" + std::string(key);
}
std::string json_path(std::string_view parent, std::size_t index) {
  return std::string(parent) + "/" + std::to_string(index);
}

}  // namespace sparsedse
