// A small command-line parser for the bitflow client: options with and without values,
// repeatable options, and positional arguments, with clear usage errors.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace cli {

/// Thrown for bad command lines; main() prints it and exits with status 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Args {
 public:
  /// `flags` take no value; `options` take one (as "--opt V" or "--opt=V"); short aliases
  /// map a letter to a long name ("-t" -> "--tracker").
  Args(const std::vector<std::string>& argv, std::set<std::string> flags,
       std::set<std::string> options, std::map<char, std::string> aliases = {});

  [[nodiscard]] bool flag(const std::string& name) const { return flags_.contains(name); }
  [[nodiscard]] std::optional<std::string> value(const std::string& name) const;
  [[nodiscard]] std::vector<std::string> values(const std::string& name) const;
  [[nodiscard]] const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::set<std::string> flags_;
  std::multimap<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

/// Parses a size such as "262144", "256k", "4M" or "1MiB" into bytes.
std::int64_t parse_size(const std::string& text);

}  // namespace cli
