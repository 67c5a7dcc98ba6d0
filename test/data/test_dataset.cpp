// Dataset readers and preprocessing: small files written by the test with hand-known contents,
// plus the real Fashion-MNIST test set when the Debian package is installed.
#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <zlib.h>

#include "sparsedse/common/error.hpp"
#include "sparsedse/common/memory.hpp"
#include "sparsedse/data/dataset.hpp"

namespace fs = std::filesystem;
using namespace sparsedse;
using namespace sparsedse::data;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("sparsedse_data_" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path operator/(const std::string& name) const { return path / name; }
};

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

void write_gzip(const fs::path& p, const std::string& bytes) {
  gzFile f = gzopen(p.c_str(), "wb");
  REQUIRE(f != nullptr);
  gzwrite(f, bytes.data(), unsigned(bytes.size()));
  gzclose(f);
}

std::string be32(std::uint32_t v) {
  return {char(v >> 24), char((v >> 16) & 0xff), char((v >> 8) & 0xff), char(v & 0xff)};
}

std::string idx_images(const std::vector<std::uint8_t>& pixels, int n, int rows, int cols) {
  std::string s{'\0', '\0', '\x08', '\x03'};
  s += be32(std::uint32_t(n)) + be32(std::uint32_t(rows)) + be32(std::uint32_t(cols));
  s.append(pixels.begin(), pixels.end());
  return s;
}

std::string idx_labels(const std::vector<std::uint8_t>& labels) {
  std::string s{'\0', '\0', '\x08', '\x01'};
  s += be32(std::uint32_t(labels.size()));
  s.append(labels.begin(), labels.end());
  return s;
}

void write_json(const fs::path& p, const std::string& text) { write_bytes(p, text); }

// Three 2x3 images: image i has pixel (y, x) = 10·i + 3·y + x; labels 7, 0, 3.
std::vector<std::uint8_t> small_pixels() {
  std::vector<std::uint8_t> px;
  for (int i = 0; i < 3; ++i)
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 3; ++x) px.push_back(std::uint8_t(10 * i + 3 * y + x));
  return px;
}

void write_small_idx(const TempDir& dir, bool gzip) {
  std::string im = idx_images(small_pixels(), 3, 2, 3), lb = idx_labels({7, 0, 3});
  if (gzip) {
    write_gzip(dir / "im.gz", im);
    write_gzip(dir / "lb.gz", lb);
  } else {
    write_bytes(dir / "im.idx", im);
    write_bytes(dir / "lb.idx", lb);
  }
}

}  // namespace

TEST_CASE("idx: plain and gzip files give the same preprocessed images", "[data]") {
  TempDir dir;
  write_small_idx(dir, false);
  write_small_idx(dir, true);
  write_json(dir / "plain.json", R"({"format": "idx", "images": "im.idx", "labels": "lb.idx", "scale": 1})");
  write_json(dir / "gz.json", R"({"format": "idx", "images": "im.gz", "labels": "lb.gz", "scale": 1})");
  Dataset a = Dataset::load(dir / "plain.json");
  Dataset b = Dataset::load(dir / "gz.json");
  REQUIRE(a.size() == 3);
  CHECK(a.shape() == ImageShape{1, 2, 3});
  CHECK(a.labels() == std::vector<int>{7, 0, 3});
  CHECK(b.labels() == a.labels());
  for (int i = 0; i < 3; ++i) {
    std::vector<float> x = a.image(i), y = b.image(i);
    CHECK(x == y);
    for (int p = 0; p < 6; ++p) CHECK(x[std::size_t(p)] == float(10 * i + p));
  }
}

TEST_CASE("idx: scale, replicate, pad, then normalise per channel", "[data]") {
  TempDir dir;
  write_small_idx(dir, false);
  // pad = [top 1, right 0, bottom 0, left 2]; 3 channels from 1; mean/std per channel.
  write_json(dir / "d.json", R"({"format": "idx", "images": "im.idx", "labels": "lb.idx",
      "pad": [1, 0, 0, 2], "scale": 0.5, "mean": [1, 2, 3], "std": [2, 4, 0.5], "channels": 3})");
  Dataset d = Dataset::load(dir / "d.json");
  REQUIRE(d.shape() == ImageShape{3, 3, 5});
  std::vector<float> x = d.image(1);  // pixels 10..15
  const double mean[] = {1, 2, 3}, sd[] = {2, 4, 0.5};
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 3; ++y)
      for (int xx = 0; xx < 5; ++xx) {
        double raw = 0.0;  // padding is zero in scaled space, then normalised like any pixel
        if (y >= 1 && xx >= 2) raw = 0.5 * (10 + 3 * (y - 1) + (xx - 2));
        float expected = float((raw - mean[c]) / sd[c]);
        CHECK(x[std::size_t(c * 15 + y * 5 + xx)] == expected);
      }
}

TEST_CASE("subsets: offset and limit select images and labels", "[data]") {
  TempDir dir;
  write_small_idx(dir, true);
  write_json(dir / "d.json", R"({"format": "idx", "images": "im.gz", "labels": "lb.gz", "scale": 1})");
  Dataset d = Dataset::load(dir / "d.json", Subset{1, 1});
  REQUIRE(d.size() == 1);
  CHECK(d.label(0) == 0);
  CHECK(d.image(0)[0] == 10.0f);
  Dataset tail = Dataset::load(dir / "d.json", Subset{2, 100});  // a limit past the end is clamped
  REQUIRE(tail.size() == 1);
  CHECK(tail.label(0) == 3);
  CHECK_THROWS_AS(Dataset::load(dir / "d.json", Subset{3, -1}), InputError);
  std::vector<float> buf(2 * 6);
  Dataset all = Dataset::load(dir / "d.json");
  all.fill(1, 2, buf.data());
  CHECK(buf[0] == 10.0f);
  CHECK(buf[6] == 20.0f);
}

TEST_CASE("relative paths resolve against the JSON file", "[data]") {
  TempDir dir;
  fs::create_directories(dir / "sets" / "files");
  write_bytes(dir / "sets" / "files" / "im.idx", idx_images(small_pixels(), 3, 2, 3));
  write_bytes(dir / "sets" / "files" / "lb.idx", idx_labels({7, 0, 3}));
  write_json(dir / "sets" / "d.json", R"({"format": "idx", "images": "files/im.idx", "labels": "files/lb.idx"})");
  Dataset d = Dataset::load(dir / "sets" / "d.json");
  CHECK(d.size() == 3);
  CHECK(d.image(0)[5] == float(5.0 / 255.0));
}

TEST_CASE("cifar10-bin: label byte then R, G, B planes, several batches", "[data]") {
  TempDir dir;
  auto record = [](std::uint8_t label, std::uint8_t base) {
    std::string r(1 + 3072, '\0');
    r[0] = char(label);
    for (int c = 0; c < 3; ++c)
      for (int p = 0; p < 1024; ++p) r[std::size_t(1 + c * 1024 + p)] = char(std::uint8_t(base + c * 50 + p % 7));
    return r;
  };
  write_bytes(dir / "b1.bin", record(4, 0) + record(9, 1));
  write_bytes(dir / "b2.bin", record(2, 2));
  write_json(dir / "d.json", R"({"format": "cifar10-bin", "images": ["b1.bin", "b2.bin"], "scale": 1})");
  Dataset d = Dataset::load(dir / "d.json", Subset{1, -1});
  REQUIRE(d.size() == 2);
  CHECK(d.shape() == ImageShape{3, 32, 32});
  CHECK(d.labels() == std::vector<int>{9, 2});
  std::vector<float> x = d.image(1);
  CHECK(x[0] == 2.0f);             // R plane, pixel 0
  CHECK(x[1024 + 3] == 55.0f);     // G plane, pixel 3: 2 + 50 + 3
  CHECK(x[2048 + 1023] == 103.0f); // B plane, pixel 1023: 2 + 100 + 1023 % 7
}

TEST_CASE("raw-f32: float32 NCHW images with int32 labels", "[data]") {
  TempDir dir;
  std::vector<float> px;
  for (int i = 0; i < 2 * 2 * 2 * 2; ++i) px.push_back(0.25f * float(i) - 1.0f);
  std::string im(px.size() * 4, '\0');
  std::memcpy(im.data(), px.data(), im.size());  // the test machine is little-endian (x86-64)
  std::int32_t labels[] = {5, 11};
  write_bytes(dir / "im.f32", im);
  write_bytes(dir / "lb.i32", std::string(reinterpret_cast<const char*>(labels), 8));
  write_json(dir / "d.json", R"({"format": "raw-f32", "images": "im.f32", "labels": "lb.i32",
      "shape": [2, 2, 2], "label_type": "int32", "std": 2})");
  Dataset d = Dataset::load(dir / "d.json");
  REQUIRE(d.size() == 2);
  CHECK(d.labels() == std::vector<int>{5, 11});
  std::vector<float> x = d.image(1);
  for (int p = 0; p < 8; ++p) CHECK(x[std::size_t(p)] == px[std::size_t(8 + p)] / 2.0f);
}

TEST_CASE("bad datasets are InputErrors that name the problem", "[data]") {
  TempDir dir;
  write_small_idx(dir, false);
  auto error_of = [&](const std::string& json) -> std::string {
    write_json(dir / "e.json", json);
    try {
      Dataset::load(dir / "e.json");
    } catch (const InputError& e) {
      return e.what();
    }
    return "no error";
  };
  using Catch::Matchers::Contains;
  CHECK_THAT(error_of(R"({"format": "idx", "images": "nope.idx", "labels": "lb.idx"})"),
             Contains("nope.idx") && Contains("not found"));
  CHECK_THAT(error_of(R"({"format": "idx", "images": "im.idx", "labels": "lb.idx", "colour": 1})"),
             Contains("/colour") && Contains("unknown key"));
  CHECK_THAT(error_of(R"({"format": "jpeg", "images": "im.idx", "labels": "lb.idx"})"), Contains("/format"));
  CHECK_THAT(error_of(R"({"format": "idx", "images": "im.idx", "labels": "lb.idx", "pad": [1, 2]})"),
             Contains("/pad"));
  CHECK_THAT(error_of(R"({"format": "idx", "images": "im.idx", "labels": "lb.idx", "std": [1, 0]})"),
             Contains("/std/1"));
  CHECK_THAT(error_of(R"({"format": "idx", "images": "im.idx", "labels": "lb.idx", "mean": [1, 2]})"),
             Contains("mean") && Contains("expected 1 or 1"));
  CHECK_THAT(error_of(R"({"format": "cifar10-bin", "images": "im.idx", "labels": "lb.idx"})"),
             Contains("/labels"));

  // Wrong magic: the labels file given as images.
  write_bytes(dir / "bad.idx", std::string("\x12\x34\x08\x03", 4) + std::string(100, '\0'));
  CHECK_THAT(error_of(R"({"format": "idx", "images": "bad.idx", "labels": "lb.idx"})"), Contains("wrong magic"));
  // Truncated data.
  std::string im = idx_images(small_pixels(), 3, 2, 3);
  write_bytes(dir / "short.idx", im.substr(0, im.size() - 1));
  CHECK_THAT(error_of(R"({"format": "idx", "images": "short.idx", "labels": "lb.idx"})"),
             Contains("short.idx") && Contains("truncated"));
  // Truncated gzip stream.
  write_gzip(dir / "full.gz", im);
  std::ifstream in(dir / "full.gz", std::ios::binary);
  std::string gz((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  write_bytes(dir / "cut.gz", gz.substr(0, gz.size() / 2));
  CHECK_THAT(error_of(R"({"format": "idx", "images": "cut.gz", "labels": "lb.idx"})"),
             Contains("cut.gz") && Contains("truncated"));
  // Label/image count mismatch.
  write_bytes(dir / "lb2.idx", idx_labels({1, 2}));
  CHECK_THAT(error_of(R"({"format": "idx", "images": "im.idx", "labels": "lb2.idx"})"),
             Contains("2 labels") && Contains("3 images"));
  // A CIFAR batch that is not a whole number of records.
  write_bytes(dir / "c.bin", std::string(3073 + 5, '\0'));
  CHECK_THAT(error_of(R"({"format": "cifar10-bin", "images": "c.bin"})"), Contains("3073"));
  // Replicating a 3-channel source is not possible.
  write_bytes(dir / "c.bin", std::string(3073, '\0'));
  CHECK_THAT(error_of(R"({"format": "cifar10-bin", "images": "c.bin", "channels": 1})"), Contains("channels"));
  // Not JSON at all.
  CHECK_THAT(error_of("{\"format\": "), Contains("invalid JSON"));
}

TEST_CASE("Fashion-MNIST test set from the Debian package", "[data][fmnist]") {
  const fs::path dir = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(dir / "t10k-images-idx3-ubyte.gz")) {
    WARN("skipped: dataset-fashion-mnist is not installed");
    return;
  }
  TempDir tmp;
  write_json(tmp / "fmnist.json", R"({"format": "idx",
      "images": "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz",
      "labels": "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz",
      "pad": [2, 2, 2, 2], "scale": 1})");
  Dataset d = Dataset::load(tmp / "fmnist.json");
  REQUIRE(d.size() == 10000);
  CHECK(d.shape() == ImageShape{1, 32, 32});
  CHECK(std::vector<int>(d.labels().begin(), d.labels().begin() + 10) ==
        std::vector<int>{9, 2, 1, 1, 6, 1, 4, 6, 5, 7});
  // Independently known (numpy): image 0 sums to 33456 and its centre pixel (14, 14) is 110.
  std::vector<float> x = d.image(0);
  double sum = 0;
  for (float v : x) sum += v;
  CHECK(sum == 33456.0);
  CHECK(x[std::size_t((14 + 2) * 32 + 14 + 2)] == 110.0f);
  CHECK(x[0] == 0.0f);
}

// Regression tests for what fuzzing the IDX reader found (docs/reliability.md) and the memory budget.
TEST_CASE("idx headers whose sizes overflow or are zero are InputErrors, not crashes", "[data][fuzz]") {
  TempDir dir;
  auto error_of = [&](const std::string& images, const std::string& labels) -> std::string {
    write_bytes(dir / "im.idx", images);
    write_bytes(dir / "lb.idx", labels);
    DatasetSpec spec;
    spec.images = {dir / "im.idx"};
    spec.labels = dir / "lb.idx";
    try {
      Dataset::load(spec);
    } catch (const InputError& e) {
      return e.what();
    }
    return "no error";
  };
  using Catch::Matchers::Contains;
  // N, C, H, W = 2^16 each: 2^64 bytes, which wrapped to 0 and matched an empty data section; the
  // loader then copied 2^48-byte images out of an empty string.
  std::string four{'\0', '\0', '\x08', '\x04'};
  for (int d = 0; d < 4; ++d) four += be32(1u << 16);
  CHECK_THAT(error_of(four, idx_labels(std::vector<std::uint8_t>(1u << 16, 0))),
             Contains("im.idx") && Contains("announces 18446744073709551615 data bytes"));
  // A zero image dimension used to load as empty 1x0x3 images.
  CHECK_THAT(error_of(idx_images({}, 3, 0, 3), idx_labels({1, 2, 3})),
             Contains("im.idx") && Contains("IDX header: rows = 0; expected 1 .. 1048576"));
  // A dimension past int range used to become a negative ImageShape.
  CHECK_THAT(error_of(idx_images({}, 1, 3, int(0x80000001u)), idx_labels({1})), Contains("IDX header: columns = 2147483649"));
}

TEST_CASE("datasets larger than the memory budget fail before loading", "[data][memory]") {
  TempDir dir;
  struct Restore {
    ~Restore() { set_memory_budget(0); }
  } restore;
  // 3 images of 2x3 and 3 labels: files of 34 and 11 bytes; the loaded copy is 18 bytes more.
  write_small_idx(dir, false);
  write_json(dir / "d.json", R"({"format": "idx", "images": "im.idx", "labels": "lb.idx"})");
  set_memory_budget(34 + 11 + 18);
  CHECK(Dataset::load(dir / "d.json").size() == 3);
  set_memory_budget(34 + 11 + 17);
  CHECK_THROWS_WITH(Dataset::load(dir / "d.json"),
                    Catch::Contains("d.json: loading 3 images needs 63 B, more than the memory budget of 62 B"));
  set_memory_budget(30);
  CHECK_THROWS_WITH(Dataset::load(dir / "d.json"),
                    Catch::Contains("im.idx: reading the file needs 34 B, more than the memory budget of 30 B"));
  // A gzip stream is checked while it inflates: 1 MiB of zeros compresses to about 1 KiB.
  write_gzip(dir / "bomb.gz", std::string(1 << 20, '\0'));
  set_memory_budget(256 << 10);
  CHECK_THROWS_WITH(read_maybe_gzip(dir / "bomb.gz"),
                    Catch::Contains("bomb.gz: decompressing the file needs") &&
                        Catch::Contains("more than the memory budget of 256.0 KiB"));
  set_memory_budget(0);
  CHECK(read_maybe_gzip(dir / "bomb.gz").size() == std::size_t(1) << 20);
}
