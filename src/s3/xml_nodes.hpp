// Reading AWS XML answers through pugixml: loading a body, and finding child elements by
// their local name (AWS documents carry a default namespace; some servers add prefixes).
// Shared by the S3 parsers (s3_xml.cpp) and the SQS ones (sqs_message.cpp). Pure. Internal.
#pragma once

#include <pugixml.hpp>

#include <string>
#include <string_view>

namespace bitflow::s3::xml {

/// The element's name without its namespace prefix.
[[nodiscard]] std::string_view local_name(const pugi::xml_node& node);

/// The first child element called `name` (any namespace prefix), or a null node.
[[nodiscard]] pugi::xml_node child(const pugi::xml_node& parent, std::string_view name);

/// The text of the child element `name`; empty when there is none.
[[nodiscard]] std::string text(const pugi::xml_node& parent, std::string_view name);

template <typename Visit>
void each_child(const pugi::xml_node& parent, std::string_view name, Visit visit) {
  for (pugi::xml_node node = parent.first_child(); node; node = node.next_sibling())
    if (node.type() == pugi::node_element && local_name(node) == name) visit(node);
}

/// Parses `body` into `doc` and returns its root element; a null node when the body is
/// not well-formed XML or has no root, with the reason in `problem`. DOCTYPEs are
/// skipped and only XML's five entities are expanded, so a body cannot expand itself.
[[nodiscard]] pugi::xml_node load_root(pugi::xml_document& doc, std::string_view body,
                                       std::string& problem);

}  // namespace bitflow::s3::xml
