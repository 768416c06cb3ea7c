// Reading the JSON fixtures of tests/data/ (botocore's signed requests): the file, and its
// strings and [name, value] pair lists as the signer takes them.
#pragma once

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace bitflow::test {

inline boost::json::object read_json_fixture(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  return boost::json::parse(text.str()).as_object();
}

inline std::string str(const boost::json::value& v) {
  return std::string(v.as_string());
}

inline std::vector<std::pair<std::string, std::string>> pairs(const boost::json::value& v) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& item : v.as_array())
    out.emplace_back(str(item.as_array().at(0)), str(item.as_array().at(1)));
  return out;
}

}  // namespace bitflow::test
