#include "metainfo/file_tree.hpp"

namespace bitflow::detail {
namespace {

bool walk(bencode::Node node, const std::string& prefix, std::vector<RawFile>& out) {
  if (!node.is_dict() || node.size() == 0) return false;
  for (auto [key, child] : node.entries()) {
    if (key.empty()) {  // a file: {"": {"length": n, "pieces root": ...}}
      auto length = child.find_int("length");
      auto attr = child.find_string("attr");
      if (!length && attr && attr->find('l') != std::string_view::npos) length = 0;  // a link
      if (!child.is_dict() || !length || *length < 0 || prefix.empty()) return false;
      out.emplace_back(prefix, *length);
    } else if (!walk(child, prefix.empty() ? std::string(key) : prefix + "/" + std::string(key),
                     out)) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool read_file_tree(bencode::Node tree, std::vector<RawFile>& out) {
  return walk(tree, "", out);
}

}  // namespace bitflow::detail
