#include "sparsedse/data/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

#include <zlib.h>

#include "sparsedse/common/error.hpp"
#include "sparsedse/common/io.hpp"
#include "sparsedse/common/memory.hpp"

namespace sparsedse::data {

namespace fs = std::filesystem;
using nlohmann::json;

std::string to_string(const ImageShape& s) {
  return std::to_string(s.channels) + "x" + std::to_string(s.rows) + "x" + std::to_string(s.cols);
}

// ---------------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------------

std::string read_maybe_gzip(const fs::path& path) {
  std::error_code ec;
  if (const std::uintmax_t size = fs::file_size(path, ec); !ec)
    check_memory_budget(size, path.string(), "reading the file");
  std::string raw = read_file(path);
  if (raw.size() < 2 || std::uint8_t(raw[0]) != 0x1f || std::uint8_t(raw[1]) != 0x8b) return raw;
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw InputError(path.string(), "cannot initialise zlib");
  zs.next_in = reinterpret_cast<Bytef*>(raw.data());
  zs.avail_in = uInt(raw.size());
  std::string out;
  std::array<char, 1 << 16> chunk;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk.data());
    zs.avail_out = uInt(chunk.size());
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      bool truncated = rc == Z_BUF_ERROR && zs.avail_in == 0;
      throw InputError(path.string(), truncated ? "gzip stream is truncated"
                                                : std::string("corrupt gzip data (zlib: ") +
                                                      (zs.msg ? zs.msg : "error " + std::to_string(rc)) + ")");
    }
    // A gzip stream does not announce its size: check as it grows (a 1 KiB file can inflate to 1 GiB).
    const std::size_t produced = chunk.size() - zs.avail_out;
    if (raw.size() + out.size() + produced > memory_budget()) {
      inflateEnd(&zs);
      check_memory_budget(raw.size() + out.size() + produced, path.string(), "decompressing the file");
    }
    out.append(chunk.data(), produced);
  }
  inflateEnd(&zs);
  return out;
}

namespace {

std::uint32_t big_endian_u32(const std::string& b, std::size_t at) {
  return (std::uint32_t(std::uint8_t(b[at])) << 24) | (std::uint32_t(std::uint8_t(b[at + 1])) << 16) |
         (std::uint32_t(std::uint8_t(b[at + 2])) << 8) | std::uint32_t(std::uint8_t(b[at + 3]));
}

// An IDX file of unsigned bytes: magic 00 00 08 <ndim>, ndim big-endian u32 dimensions, the data.
struct Idx {
  std::vector<std::uint32_t> dims;
  std::string bytes;       // the whole (decompressed) file
  std::size_t data_at = 0;  // offset of the first data byte
};

Idx read_idx(const fs::path& path, const std::string& what, std::set<int> allowed_ndim) {
  Idx idx;
  idx.bytes = read_maybe_gzip(path);
  const std::string& b = idx.bytes;
  if (b.size() < 4 || b[0] != 0 || b[1] != 0)
    throw InputError(path.string(), "not an IDX file (wrong magic; expected 00 00 08 0N)");
  if (std::uint8_t(b[2]) != 0x08)
    throw InputError(path.string(), "IDX element type 0x" + std::to_string(int(std::uint8_t(b[2]))) +
                                        " is not supported (expected 0x08, unsigned byte)");
  int ndim = std::uint8_t(b[3]);
  if (!allowed_ndim.count(ndim))
    throw InputError(path.string(), "IDX " + what + " file has " + std::to_string(ndim) + " dimensions, expected " +
                                        (what == "labels" ? "1" : "3 (N, H, W) or 4 (N, C, H, W)"));
  if (b.size() < 4 + 4 * std::size_t(ndim)) throw InputError(path.string(), "truncated IDX header");
  std::uint64_t expected = 1;
  for (int d = 0; d < ndim; ++d) {
    idx.dims.push_back(big_endian_u32(b, 4 + 4 * std::size_t(d)));
    expected = saturating_mul(expected, idx.dims.back());  // four u32 dimensions can overflow 64 bits
    // Image sizes become ints (ImageShape); the data size check below cannot catch a zero.
    if (d > 0 && (idx.dims.back() == 0 || idx.dims.back() > (1u << 20))) {
      static const char* names3[] = {"images", "rows", "columns"};
      static const char* names4[] = {"images", "channels", "rows", "columns"};
      throw InputError(path.string(), std::string("IDX header: ") + (ndim == 3 ? names3 : names4)[d] + " = " +
                                          std::to_string(idx.dims.back()) + "; expected 1 .. 1048576");
    }
  }
  idx.data_at = 4 + 4 * std::size_t(ndim);
  std::uint64_t have = b.size() - idx.data_at;
  if (have < expected)
    throw InputError(path.string(), "truncated: the IDX header announces " + std::to_string(expected) +
                                        " data bytes but the file holds " + std::to_string(have));
  if (have > expected)
    throw InputError(path.string(), "the file holds " + std::to_string(have - expected) +
                                        " bytes beyond the " + std::to_string(expected) + " its IDX header announces");
  return idx;
}

// The selected images' copy next to the file contents it is taken from, against the memory budget.
void check_images_memory(std::uint64_t file_bytes, std::int64_t count, std::uint64_t image_bytes, const std::string& where) {
  check_memory_budget(file_bytes + saturating_mul(std::uint64_t(count), image_bytes), where,
                      "loading " + std::to_string(count) + " images");
}

std::int64_t checked_count(std::int64_t total, const Subset& s, const std::string& where) {
  if (s.offset < 0) throw InputError(where, "--offset must be >= 0");
  if (s.offset >= total)
    throw InputError(where, "offset " + std::to_string(s.offset) + " is past the last image (the dataset has " +
                                std::to_string(total) + " images)");
  std::int64_t left = total - s.offset;
  return s.limit < 0 ? left : std::min(left, s.limit);
}

// ---------------------------------------------------------------------------------------------------
// JSON spec
// ---------------------------------------------------------------------------------------------------

std::string at(const std::string& where, const std::string& pointer) { return where + ":" + pointer; }

double number(const json& v, const std::string& where) {
  if (!v.is_number()) throw InputError(where, "expected a number");
  double x = v.get<double>();
  if (!std::isfinite(x)) throw InputError(where, "expected a finite number");
  return x;
}

int integer(const json& v, const std::string& where, int min) {
  if (!v.is_number_integer()) throw InputError(where, "expected an integer");
  auto x = v.get<std::int64_t>();
  if (x < min || x > (1 << 20)) throw InputError(where, "expected an integer >= " + std::to_string(min));
  return int(x);
}

fs::path path_field(const json& v, const fs::path& base, const std::string& where) {
  if (!v.is_string() || v.get<std::string>().empty()) throw InputError(where, "expected a file path string");
  fs::path p = v.get<std::string>();
  return p.is_absolute() ? p : base / p;
}

std::vector<double> number_list(const json& v, const std::string& where, bool positive) {
  std::vector<double> out;
  if (v.is_number()) {
    out.push_back(number(v, where));
  } else if (v.is_array() && !v.empty()) {
    for (std::size_t i = 0; i < v.size(); ++i) out.push_back(number(v[i], json_path(where, i)));
  } else {
    throw InputError(where, "expected a number or a non-empty array of numbers");
  }
  if (positive)
    for (std::size_t i = 0; i < out.size(); ++i)
      if (!(out[i] > 0)) throw InputError(json_path(where, i), "must be > 0");
  return out;
}

}  // namespace

DatasetSpec DatasetSpec::from_json(const json& doc, const fs::path& base_dir, const std::string& where) {
  if (!doc.is_object()) throw InputError(where, "a dataset description must be a JSON object");
  DatasetSpec spec;
  if (!doc.contains("format")) throw InputError(where, "missing key 'format' (\"idx\", \"cifar10-bin\" or \"raw-f32\")");
  const json& f = doc["format"];
  std::string fmt = f.is_string() ? f.get<std::string>() : "";
  if (fmt == "idx") spec.format = Format::Idx;
  else if (fmt == "cifar10-bin") spec.format = Format::Cifar10Bin;
  else if (fmt == "raw-f32") spec.format = Format::RawF32;
  else throw InputError(at(where, "/format"), "expected \"idx\", \"cifar10-bin\" or \"raw-f32\"");

  std::set<std::string> known{"format", "images", "pad", "scale", "mean", "std", "channels", "description"};
  if (spec.format != Format::Cifar10Bin) known.insert("labels");
  if (spec.format == Format::RawF32) known.insert({"shape", "label_type"});
  for (const auto& [key, value] : doc.items()) {
    if (known.count(key)) continue;
    std::string hint;
    if (key == "labels") hint = " (CIFAR-10 batches carry their labels; remove 'labels')";
    if (key == "shape" || key == "label_type") hint = " (only for format \"raw-f32\")";
    std::string expected;
    for (const auto& k : known) expected += (expected.empty() ? "" : ", ") + k;
    throw InputError(at(where, "/" + key), "unknown key" + hint + "; expected one of: " + expected);
  }

  if (!doc.contains("images")) throw InputError(where, "missing key 'images'");
  const json& im = doc["images"];
  if (im.is_array() && spec.format == Format::Cifar10Bin && !im.empty()) {
    for (std::size_t i = 0; i < im.size(); ++i)
      spec.images.push_back(path_field(im[i], base_dir, at(where, json_path("/images", i))));
  } else {
    spec.images.push_back(path_field(im, base_dir, at(where, "/images")));
  }
  if (spec.format != Format::Cifar10Bin) {
    if (!doc.contains("labels")) throw InputError(where, "missing key 'labels'");
    spec.labels = path_field(doc["labels"], base_dir, at(where, "/labels"));
  }
  if (doc.contains("pad")) {
    const json& p = doc["pad"];
    if (p.is_number_integer()) {
      int v = integer(p, at(where, "/pad"), 0);
      spec.pad = {v, v, v, v};
    } else if (p.is_array() && p.size() == 4) {
      for (std::size_t i = 0; i < 4; ++i) spec.pad[i] = integer(p[i], at(where, json_path("/pad", i)), 0);
    } else {
      throw InputError(at(where, "/pad"), "expected [top, right, bottom, left] (4 non-negative integers)");
    }
  }
  if (spec.format == Format::RawF32) spec.scale = 1.0;
  if (doc.contains("scale")) {
    spec.scale = number(doc["scale"], at(where, "/scale"));
    if (spec.scale == 0) throw InputError(at(where, "/scale"), "must not be 0");
  }
  if (doc.contains("mean")) spec.mean = number_list(doc["mean"], at(where, "/mean"), false);
  if (doc.contains("std")) spec.std = number_list(doc["std"], at(where, "/std"), true);
  if (doc.contains("channels")) spec.channels = integer(doc["channels"], at(where, "/channels"), 1);
  if (doc.contains("description") && !doc["description"].is_string())
    throw InputError(at(where, "/description"), "expected a string");
  if (spec.format == Format::RawF32) {
    if (!doc.contains("shape")) throw InputError(where, "format \"raw-f32\" needs 'shape': [C, H, W] of one image");
    const json& s = doc["shape"];
    if (!s.is_array() || s.size() != 3) throw InputError(at(where, "/shape"), "expected [C, H, W]");
    spec.raw_shape = {integer(s[0], at(where, "/shape/0"), 1), integer(s[1], at(where, "/shape/1"), 1),
                      integer(s[2], at(where, "/shape/2"), 1)};
    if (doc.contains("label_type")) {
      const json& t = doc["label_type"];
      std::string name = t.is_string() ? t.get<std::string>() : "";
      if (name == "uint8") spec.label_type = LabelType::UInt8;
      else if (name == "int32") spec.label_type = LabelType::Int32;
      else throw InputError(at(where, "/label_type"), "expected \"uint8\" or \"int32\"");
    }
  }
  return spec;
}

DatasetSpec DatasetSpec::read(const fs::path& json_file) {
  json doc = read_json(json_file);
  fs::path base = json_file.has_parent_path() ? json_file.parent_path() : fs::path(".");
  DatasetSpec spec = from_json(doc, base, json_file.string());
  spec.source = json_file;
  return spec;
}

// ---------------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------------

Dataset Dataset::load(const fs::path& json_file, Subset subset) { return load(DatasetSpec::read(json_file), subset); }

Dataset Dataset::load(const DatasetSpec& spec, Subset subset) {
  Dataset d;
  d.spec_ = spec;
  d.offset_ = subset.offset;
  const std::string where = spec.source.empty() ? std::string("dataset") : spec.source.string();
  if (spec.images.empty()) throw InputError(where, "no image file given");

  switch (spec.format) {
    case Format::Idx: {
      const fs::path& ipath = spec.images[0];
      Idx images = read_idx(ipath, "images", {3, 4});
      Idx labels = read_idx(spec.labels, "labels", {1});
      const auto& dims = images.dims;
      if (dims.size() == 3) d.source_shape_ = {1, int(dims[1]), int(dims[2])};
      else d.source_shape_ = {int(dims[1]), int(dims[2]), int(dims[3])};
      std::int64_t n = dims[0];
      if (std::int64_t(labels.dims[0]) != n)
        throw InputError(spec.labels.string(), "holds " + std::to_string(labels.dims[0]) + " labels but " +
                                                   ipath.string() + " holds " + std::to_string(n) + " images");
      std::int64_t count = checked_count(n, subset, where);
      const std::size_t image_bytes = std::size_t(d.source_shape_.elements());
      check_images_memory(images.bytes.size() + labels.bytes.size(), count, image_bytes, where);
      auto first = images.bytes.begin() + std::ptrdiff_t(images.data_at + std::size_t(subset.offset) * image_bytes);
      d.bytes_.assign(first, first + std::ptrdiff_t(std::size_t(count) * image_bytes));
      for (std::int64_t i = 0; i < count; ++i)
        d.labels_.push_back(std::uint8_t(labels.bytes[labels.data_at + std::size_t(subset.offset + i)]));
      break;
    }
    case Format::Cifar10Bin: {
      // Each record: 1 label byte + 3072 pixel bytes (R, G, B planes of 32x32), i.e. CHW.
      constexpr std::size_t kRecord = 1 + 3 * 32 * 32;
      d.source_shape_ = {3, 32, 32};
      std::vector<std::string> files;
      std::int64_t total = 0;
      for (const fs::path& p : spec.images) {
        files.push_back(read_maybe_gzip(p));
        const std::string& b = files.back();
        if (b.empty() || b.size() % kRecord != 0)
          throw InputError(p.string(), "truncated or not a CIFAR-10 binary batch: " + std::to_string(b.size()) +
                                           " bytes is not a positive multiple of the 3073-byte record");
        total += std::int64_t(b.size() / kRecord);
      }
      std::int64_t count = checked_count(total, subset, where);
      std::uint64_t file_bytes = 0;
      for (const std::string& b : files) file_bytes += b.size();
      check_images_memory(file_bytes, count, kRecord - 1, where);
      d.bytes_.reserve(std::size_t(count) * (kRecord - 1));
      std::int64_t index = 0;
      for (std::size_t f = 0; f < files.size(); ++f) {
        const std::string& b = files[f];
        for (std::size_t r = 0; r < b.size() / kRecord; ++r, ++index) {
          if (index < subset.offset || index >= subset.offset + count) continue;
          int label = std::uint8_t(b[r * kRecord]);
          if (label > 9)
            throw InputError(spec.images[f].string(), "record " + std::to_string(r) + " has label " +
                                                          std::to_string(label) + ", expected 0..9 (wrong format?)");
          d.labels_.push_back(label);
          d.bytes_.insert(d.bytes_.end(), b.begin() + std::ptrdiff_t(r * kRecord + 1),
                          b.begin() + std::ptrdiff_t((r + 1) * kRecord));
        }
      }
      break;
    }
    case Format::RawF32: {
      // Little-endian float32 NCHW images, labels as uint8 or little-endian int32 (docs/datasets.md).
      const fs::path& ipath = spec.images[0];
      d.source_shape_ = spec.raw_shape;
      if (d.source_shape_.elements() <= 0) throw InputError(where, "raw-f32 needs a positive 'shape'");
      std::string images = read_maybe_gzip(ipath);
      std::string labels = read_maybe_gzip(spec.labels);
      const std::size_t image_bytes = std::size_t(d.source_shape_.elements()) * 4;
      if (images.empty() || images.size() % image_bytes != 0)
        throw InputError(ipath.string(), "truncated: " + std::to_string(images.size()) +
                                             " bytes is not a positive multiple of one " + to_string(spec.raw_shape) +
                                             " float32 image (" + std::to_string(image_bytes) + " bytes)");
      const std::int64_t n = std::int64_t(images.size() / image_bytes);
      const std::size_t label_bytes = spec.label_type == LabelType::UInt8 ? 1 : 4;
      if (labels.size() % label_bytes != 0)
        throw InputError(spec.labels.string(), "truncated: " + std::to_string(labels.size()) +
                                                   " bytes is not a multiple of 4 (int32 labels)");
      if (std::int64_t(labels.size() / label_bytes) != n)
        throw InputError(spec.labels.string(), "holds " + std::to_string(labels.size() / label_bytes) +
                                                   " labels but " + ipath.string() + " holds " + std::to_string(n) +
                                                   " images");
      std::int64_t count = checked_count(n, subset, where);
      const std::size_t per = std::size_t(d.source_shape_.elements());
      check_images_memory(images.size() + labels.size(), count, image_bytes, where);
      d.floats_.resize(std::size_t(count) * per);
      for (std::size_t i = 0; i < d.floats_.size(); ++i) {
        const auto* p = reinterpret_cast<const unsigned char*>(images.data()) + (std::size_t(subset.offset) * per + i) * 4;
        std::uint32_t bits = std::uint32_t(p[0]) | (std::uint32_t(p[1]) << 8) | (std::uint32_t(p[2]) << 16) |
                             (std::uint32_t(p[3]) << 24);
        float v;
        std::memcpy(&v, &bits, 4);
        if (!std::isfinite(v))
          throw InputError(ipath.string(), "image " + std::to_string(subset.offset + std::int64_t(i / per)) +
                                               " contains NaN or Inf");
        d.floats_[i] = v;
      }
      for (std::int64_t i = 0; i < count; ++i) {
        std::size_t at = std::size_t(subset.offset + i) * label_bytes;
        const auto* p = reinterpret_cast<const unsigned char*>(labels.data()) + at;
        std::int64_t label = label_bytes == 1 ? p[0]
                                              : std::int32_t(std::uint32_t(p[0]) | (std::uint32_t(p[1]) << 8) |
                                                             (std::uint32_t(p[2]) << 16) | (std::uint32_t(p[3]) << 24));
        if (label < 0)
          throw InputError(spec.labels.string(), "label " + std::to_string(subset.offset + i) + " is negative");
        d.labels_.push_back(int(label));
      }
      break;
    }
  }

  // Output shape and the per-channel preprocessing constants.
  const int src_c = d.source_shape_.channels;
  const int out_c = spec.channels == 0 ? src_c : spec.channels;
  if (out_c != src_c && src_c != 1)
    throw InputError(where, "'channels' is " + std::to_string(out_c) + " but the images have " + std::to_string(src_c) +
                                " channels (only a 1-channel source can be replicated)");
  d.shape_ = {out_c, d.source_shape_.rows + spec.pad[0] + spec.pad[2], d.source_shape_.cols + spec.pad[1] + spec.pad[3]};
  auto per_channel = [&](const std::vector<double>& v, double fallback, const char* key) {
    if (v.empty()) return std::vector<double>(std::size_t(out_c), fallback);
    if (v.size() == 1) return std::vector<double>(std::size_t(out_c), v[0]);
    if (int(v.size()) != out_c)
      throw InputError(where + ":/" + key, "has " + std::to_string(v.size()) + " values, expected 1 or " +
                                               std::to_string(out_c) + " (one per channel)");
    return v;
  };
  d.mean_ = per_channel(spec.mean, 0.0, "mean");
  d.std_ = per_channel(spec.std, 1.0, "std");
  d.pad_value_.resize(std::size_t(out_c));
  for (int c = 0; c < out_c; ++c) d.pad_value_[std::size_t(c)] = float((0.0 - d.mean_[std::size_t(c)]) / d.std_[std::size_t(c)]);
  if (spec.format != Format::RawF32) {
    d.byte_lut_.resize(std::size_t(out_c) * 256);
    for (int c = 0; c < out_c; ++c)
      for (int b = 0; b < 256; ++b)
        d.byte_lut_[std::size_t(c) * 256 + std::size_t(b)] =
            float((double(b) * spec.scale - d.mean_[std::size_t(c)]) / d.std_[std::size_t(c)]);
  }
  return d;
}

std::string Dataset::describe() const {
  static const char* names[] = {"idx", "cifar10-bin", "raw-f32"};
  return std::string(names[int(spec_.format)]) + " " + spec_.images.at(0).filename().string() + ": " +
         std::to_string(size()) + " images " + to_string(shape_) + " (source " + to_string(source_shape_) + ")";
}

void Dataset::fill(std::int64_t first, std::int64_t count, float* out) const {
  if (first < 0 || count < 0 || first + count > size())
    throw std::out_of_range("Dataset::fill: images [" + std::to_string(first) + ", " + std::to_string(first + count) +
                            ") outside [0, " + std::to_string(size()) + ")");
  const ImageShape& s = source_shape_;
  const int top = spec_.pad[0], left = spec_.pad[3];
  const std::size_t src_plane = std::size_t(s.rows) * std::size_t(s.cols);
  const std::size_t out_plane = std::size_t(shape_.rows) * std::size_t(shape_.cols);
  for (std::int64_t i = 0; i < count; ++i) {
    const std::size_t src_image = std::size_t(first + i) * std::size_t(s.elements());
    float* dst_image = out + std::size_t(i) * std::size_t(shape_.elements());
    for (int c = 0; c < shape_.channels; ++c) {
      const std::size_t src_c = s.channels == 1 ? 0 : std::size_t(c);  // replicate a 1-channel source
      float* plane = dst_image + std::size_t(c) * out_plane;
      std::fill(plane, plane + out_plane, pad_value_[std::size_t(c)]);
      for (int y = 0; y < s.rows; ++y) {
        float* row = plane + std::size_t(y + top) * std::size_t(shape_.cols) + std::size_t(left);
        const std::size_t at = src_image + src_c * src_plane + std::size_t(y) * std::size_t(s.cols);
        if (!byte_lut_.empty()) {
          const float* lut = byte_lut_.data() + std::size_t(c) * 256;
          for (int x = 0; x < s.cols; ++x) row[x] = lut[bytes_[at + std::size_t(x)]];
        } else {
          const double mean = mean_[std::size_t(c)], sd = std_[std::size_t(c)];
          for (int x = 0; x < s.cols; ++x) row[x] = float((double(floats_[at + std::size_t(x)]) * spec_.scale - mean) / sd);
        }
      }
    }
  }
}

std::vector<float> Dataset::image(std::int64_t i) const {
  std::vector<float> out(std::size_t(shape_.elements()));
  fill(i, 1, out.data());
  return out;
}

}  // namespace sparsedse::data
