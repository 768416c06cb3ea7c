// bitflow/geometry.hpp — strong index types and all piece/file length arithmetic.
//
// A torrent's content is one byte stream cut into pieces of piece_length bytes (the last
// one shorter) and, independently, into files laid end to end. Geometry answers the two
// questions storage and file selection ask: which file ranges a piece (or part of one)
// covers, and which pieces a file spans. It is a plain value: immutable after
// construction and safe to share between threads.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace bitflow {

/// An index that cannot be mixed up with another kind of index or a length.
template <typename Tag>
struct StrongIndex {
  std::int32_t value = 0;

  constexpr StrongIndex() = default;
  constexpr explicit StrongIndex(std::int32_t v) : value(v) {}
  constexpr StrongIndex& operator++() {
    ++value;
    return *this;
  }
  friend constexpr auto operator<=>(StrongIndex, StrongIndex) = default;
};

using PieceIndex = StrongIndex<struct PieceIndexTag>;
using FileIndex = StrongIndex<struct FileIndexTag>;

/// A half-open range of pieces [first, last).
struct PieceRange {
  PieceIndex first;
  PieceIndex last;
  [[nodiscard]] bool empty() const noexcept { return first >= last; }
  [[nodiscard]] std::int32_t size() const noexcept { return last.value - first.value; }
};

/// A run of bytes inside one file.
struct FileSlice {
  FileIndex file;
  std::int64_t offset = 0;  ///< from the start of the file
  std::int64_t length = 0;
  friend bool operator==(const FileSlice&, const FileSlice&) = default;
};

class Geometry {
 public:
  Geometry() = default;
  /// `piece_length` > 0 and every size >= 0; the number of pieces must fit in int32.
  /// Throws std::invalid_argument otherwise (metainfo parsing validates before this).
  Geometry(std::int64_t piece_length, std::vector<std::int64_t> file_sizes);

  [[nodiscard]] std::int64_t piece_length() const noexcept { return piece_length_; }
  [[nodiscard]] std::int64_t total_size() const noexcept { return total_size_; }
  [[nodiscard]] std::int32_t num_pieces() const noexcept { return num_pieces_; }
  [[nodiscard]] std::int32_t num_files() const noexcept {
    return static_cast<std::int32_t>(sizes_.size());
  }
  /// Size of piece `p`: piece_length, except for a shorter last piece.
  [[nodiscard]] std::int64_t piece_size(PieceIndex p) const noexcept;
  /// Offset of piece `p` in the content stream.
  [[nodiscard]] std::int64_t piece_offset(PieceIndex p) const noexcept {
    return std::int64_t{p.value} * piece_length_;
  }
  [[nodiscard]] std::int64_t file_size(FileIndex f) const noexcept { return sizes_[idx(f)]; }
  [[nodiscard]] std::int64_t file_offset(FileIndex f) const noexcept { return offsets_[idx(f)]; }

  /// The file slices that bytes [offset, offset+length) of piece `p` land in, in order.
  /// Zero-length files never appear. The range must lie inside the piece.
  [[nodiscard]] std::vector<FileSlice> map_piece(PieceIndex p, std::int64_t offset,
                                                 std::int64_t length) const;
  /// The file slices a whole piece covers.
  [[nodiscard]] std::vector<FileSlice> map_piece(PieceIndex p) const {
    return map_piece(p, 0, piece_size(p));
  }
  /// The pieces that hold at least one byte of file `f`; empty for a zero-length file.
  [[nodiscard]] PieceRange pieces_of_file(FileIndex f) const noexcept;
  /// The file holding content byte `offset` (skipping zero-length files).
  [[nodiscard]] FileIndex file_at(std::int64_t offset) const noexcept;

 private:
  static std::size_t idx(FileIndex f) noexcept { return static_cast<std::size_t>(f.value); }

  std::int64_t piece_length_ = 0;
  std::int64_t total_size_ = 0;
  std::int32_t num_pieces_ = 0;
  std::vector<std::int64_t> sizes_;
  std::vector<std::int64_t> offsets_;
};

}  // namespace bitflow

template <typename Tag>
struct std::hash<bitflow::StrongIndex<Tag>> {
  std::size_t operator()(bitflow::StrongIndex<Tag> i) const noexcept {
    return std::hash<std::int32_t>{}(i.value);
  }
};
