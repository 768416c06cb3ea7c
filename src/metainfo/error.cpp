#include "bitflow/metainfo.hpp"
#include "util/error_category.hpp"

namespace bitflow::metainfo {
namespace {

const char* describe(errc e) noexcept {
  switch (e) {
    case errc::not_a_dictionary:
      return "torrent file is not a dictionary";
    case errc::missing_info:
      return "missing or invalid info dictionary";
    case errc::missing_name:
      return "missing or invalid name";
    case errc::invalid_piece_length:
      return "invalid piece length";
    case errc::invalid_pieces:
      return "invalid piece hashes";
    case errc::piece_count_mismatch:
      return "number of piece hashes does not match the size";
    case errc::invalid_file_size:
      return "invalid file size";
    case errc::invalid_file_list:
      return "invalid file list";
    case errc::invalid_path:
      return "invalid file path";
    case errc::no_files:
      return "no files in torrent";
    case errc::no_data:
      return "torrent has no data";
    case errc::too_large:
      return "torrent exceeds size limits";
    case errc::v2_not_supported:
      return "v2-only torrents are not supported";
    case errc::inconsistent_hybrid:
      return "hybrid torrent's v1 and v2 parts differ";
    case errc::io_error:
      return "cannot read torrent file";
  }
  return nullptr;
}

}  // namespace

const std::error_category& category() noexcept {
  static const util::EnumCategory<errc> instance("metainfo", describe);
  return instance;
}

std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

}  // namespace bitflow::metainfo
