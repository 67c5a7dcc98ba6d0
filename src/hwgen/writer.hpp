#pragma once
// A small indenting text writer for the emitters (one place that owns indentation and line breaks).
#include <string>
#include <string_view>
#include <vector>

namespace sparsedse::hwgen {

class CodeWriter {
 public:
  CodeWriter& line(std::string_view text = {}) {
    if (!text.empty()) out_.append(static_cast<std::size_t>(2 * depth_), ' ');
    out_ += text;
    out_ += '\n';
    return *this;
  }
  // A pragma or preprocessor line: never indented (the HLS convention).
  CodeWriter& raw(std::string_view text) {
    out_ += text;
    out_ += '\n';
    return *this;
  }
  CodeWriter& open(std::string_view text) {
    line(text);
    ++depth_;
    return *this;
  }
  CodeWriter& close(std::string_view text = "}") {
    --depth_;
    return line(text);
  }
  // Items joined by ", " and wrapped before `width` columns; continuation lines align after `head`.
  CodeWriter& wrapped(std::string_view head, const std::vector<std::string>& items, std::string_view tail,
                      std::size_t width = 110) {
    std::string cur(head);
    const std::size_t indent = 2 * static_cast<std::size_t>(depth_) + head.size();
    bool first = true;
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::string piece = items[i] + (i + 1 < items.size() ? "," : std::string(tail));
      if (!first && 2 * static_cast<std::size_t>(depth_) + cur.size() + 1 + piece.size() > width) {
        line(cur);
        cur = std::string(indent - 2 * static_cast<std::size_t>(depth_), ' ') + piece;
      } else {
        cur += (first ? "" : " ") + piece;
      }
      first = false;
    }
    if (items.empty()) cur += tail;
    return line(cur);
  }
  const std::string& str() const { return out_; }

 private:
  std::string out_;
  int depth_ = 0;
};

}  // namespace sparsedse::hwgen
