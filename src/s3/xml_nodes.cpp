// See xml_nodes.hpp. pugixml parses without recursion, so nesting depth cannot exhaust
// the stack.
#include "s3/xml_nodes.hpp"

#include "util/concat.hpp"

namespace bitflow::s3::xml {

std::string_view local_name(const pugi::xml_node& node) {
  std::string_view name = node.name();
  const auto colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node child(const pugi::xml_node& parent, std::string_view name) {
  for (pugi::xml_node node = parent.first_child(); node; node = node.next_sibling())
    if (node.type() == pugi::node_element && local_name(node) == name) return node;
  return {};
}

std::string text(const pugi::xml_node& parent, std::string_view name) {
  return child(parent, name).child_value();
}

pugi::xml_node load_root(pugi::xml_document& doc, std::string_view body, std::string& problem) {
  const pugi::xml_parse_result result =
      doc.load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!result) {
    problem = util::concat("malformed XML at byte ", std::to_string(result.offset), ": ",
                           result.description());
    return {};
  }
  pugi::xml_node root = doc.document_element();
  if (!root) problem = "the document has no root element";
  return root;
}

}  // namespace bitflow::s3::xml
