#pragma once
// Labelled image datasets for evaluation and calibration (docs/datasets.md).
//
// A dataset is described by a JSON file:
//   {"format": "idx" | "cifar10-bin" | "raw-f32", "images": PATH, "labels": PATH,
//    "pad": [top, right, bottom, left], "scale": 0.00392156862745098,
//    "mean": [...], "std": [...], "channels": N}
// Relative paths resolve against the JSON file's directory. Preprocessing per pixel, in this order:
// x = raw · scale; replicate a 1-channel source to `channels`; zero-pad; x = (x − mean[c]) / std[c].
#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sparsedse::data {

// Image shape without the batch dimension (CHW). Mirrors ir::Shape; data sits below the IR.
struct ImageShape {
  int channels = 0;
  int rows = 0;
  int cols = 0;
  std::int64_t elements() const { return std::int64_t(channels) * rows * cols; }
  bool operator==(const ImageShape&) const = default;
};
std::string to_string(const ImageShape& shape);  // "CxHxW"

enum class Format { Idx, Cifar10Bin, RawF32 };
enum class LabelType { UInt8, Int32 };  // raw-f32 label files

struct DatasetSpec {
  std::filesystem::path source;  // the JSON file (for messages); empty when built in code
  Format format = Format::Idx;
  std::vector<std::filesystem::path> images;  // one file (idx, raw-f32) or several batches (cifar10-bin)
  std::filesystem::path labels;               // idx / raw-f32; CIFAR-10 batches carry their own labels
  std::array<int, 4> pad{0, 0, 0, 0};         // top, right, bottom, left
  double scale = 1.0 / 255.0;                 // default 1/255 for byte formats, 1 for raw-f32
  std::vector<double> mean;                   // empty = 0; one value or one per output channel
  std::vector<double> std;                    // empty = 1; one value or one per output channel
  int channels = 0;                           // output channels; 0 = as in the source
  ImageShape raw_shape;                       // raw-f32 only: CHW of one image (JSON "shape")
  LabelType label_type = LabelType::UInt8;    // raw-f32 only: JSON "label_type" ("uint8" | "int32")

  // Parse and validate a dataset JSON file; unknown keys and bad values are InputErrors naming the field.
  static DatasetSpec read(const std::filesystem::path& json_file);
  // The same from an already parsed document; relative paths resolve against `base_dir`.
  static DatasetSpec from_json(const nlohmann::json& doc, const std::filesystem::path& base_dir,
                               const std::string& where);
};

// Which images to load: [offset, offset + limit), limit < 0 = to the end. A limit past the end is
// clamped; an offset at or past the end is an InputError.
struct Subset {
  std::int64_t offset = 0;
  std::int64_t limit = -1;
};

// A loaded dataset: the source pixels of the selected images plus their labels; preprocessing is
// applied on demand (fill), so a 10 000-image set costs its raw bytes, not its float tensors.
class Dataset {
 public:
  static Dataset load(const DatasetSpec& spec, Subset subset = {});
  static Dataset load(const std::filesystem::path& json_file, Subset subset = {});

  std::int64_t size() const { return std::int64_t(labels_.size()); }
  ImageShape shape() const { return shape_; }                // after preprocessing
  ImageShape source_shape() const { return source_shape_; }  // as stored in the files
  std::int64_t offset() const { return offset_; }            // index of image 0 in the source files
  const DatasetSpec& spec() const { return spec_; }
  int label(std::int64_t i) const { return labels_.at(std::size_t(i)); }
  const std::vector<int>& labels() const { return labels_; }
  std::string describe() const;  // e.g. "idx t10k-images-idx3-ubyte.gz: 10000 images 1x32x32"

  // Write images [first, first + count) preprocessed, NCHW contiguous, to `out` (count · shape().elements()).
  void fill(std::int64_t first, std::int64_t count, float* out) const;
  std::vector<float> image(std::int64_t i) const;  // one preprocessed image

 private:
  DatasetSpec spec_;
  ImageShape source_shape_, shape_;
  std::int64_t offset_ = 0;
  std::vector<std::uint8_t> bytes_;  // idx / cifar10-bin source pixels, image-major CHW
  std::vector<float> floats_;        // raw-f32 source pixels, image-major CHW
  std::vector<int> labels_;
  std::vector<double> mean_, std_;  // per output channel
  std::vector<float> byte_lut_;     // byte formats: [channel][256] preprocessed value of each raw byte
  std::vector<float> pad_value_;    // per output channel: the preprocessed value of a padding zero
};

// Read a whole file, transparently gunzipping it when it starts with the gzip magic (1f 8b).
// Errors (missing, corrupt or truncated gzip) name the file.
std::string read_maybe_gzip(const std::filesystem::path& path);

}  // namespace sparsedse::data
