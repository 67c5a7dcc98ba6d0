#pragma once
// File helpers shared by every component: atomic writes and JSON loading with clear errors.
#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace sparsedse {

// Write `contents` to `path` atomically: a temporary file in the same directory, then rename.
// Readers never see a partial file. Throws InputError if the directory is not writable.
void write_file_atomic(const std::filesystem::path& path, std::string_view contents);
void write_json_atomic(const std::filesystem::path& path, const nlohmann::json& value, int indent = 2);

// Create `dir` and any missing parents. When that is impossible (a parent is a regular file, no
// permission, a read-only file system) an InputError names the directory and the reason.
void ensure_directory(const std::filesystem::path& dir);

// Whether `path` names something that exists. Unlike std::filesystem::exists it never throws: a path
// that cannot even be looked up (too long, a component that is a file) does not exist for a reader,
// which then reports "not found" naming the path.
bool path_exists(const std::filesystem::path& path);

// Read a whole file; throws InputError naming the file if it cannot be read.
std::string read_file(const std::filesystem::path& path);

// Parse a JSON file; a syntax error names the file, line and column.
nlohmann::json read_json(const std::filesystem::path& path);

// JSON-pointer-like path for error messages, e.g. "/partitions/0/layers/3/fine".
std::string json_path(std::string_view parent, std::string_view key);
std::string json_path(std::string_view parent, std::size_t index);

}  // namespace sparsedse
