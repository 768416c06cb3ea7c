// settings_from_environment(): the one place the S3 code reads the process environment and
// the ~/.aws files; the resolution itself is the pure resolve_s3_settings().
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "bitflow/s3.hpp"
#include "s3/aws_config.hpp"

extern char** environ;

namespace bitflow::s3 {

namespace {

Environment process_environment() {
  Environment env;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view text(*entry);
    auto eq = text.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
  }
  return env;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::optional<ClientSettings> settings_from_environment(ErrorInfo& error) {
  AwsSources sources;
  sources.environment = process_environment();
  auto home = sources.environment.find("HOME");
  const auto paths =
      aws_file_paths(sources.environment, home == sources.environment.end() ? "" : home->second);
  sources.credentials_file = read_file(paths.credentials);
  sources.config_file = read_file(paths.config);
  auto resolved = resolve_s3_settings(sources, error);
  if (!resolved) return std::nullopt;

  ClientSettings out;
  out.credentials = std::move(resolved->credentials);
  out.region = std::move(resolved->region);
  out.endpoint = std::move(resolved->endpoint);
  out.addressing = resolved->addressing;
  if (auto it = sources.environment.find("AWS_MAX_ATTEMPTS"); it != sources.environment.end()) {
    int attempts = 0;
    const std::string& v = it->second;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), attempts);
    if (ec != std::errc{} || end != v.data() + v.size() || attempts < 1) {
      error.code = make_error_code(errc::invalid_config);
      error.message = std::string("AWS_MAX_ATTEMPTS: not a number of attempts >= 1: '") + v + "'";
      return std::nullopt;
    }
    out.retry.max_attempts = attempts;
  }
  return out;
}

ClientSettings settings_from_environment() {
  ErrorInfo error;
  auto settings = settings_from_environment(error);
  if (!settings) error.raise();
  return std::move(*settings);
}

}  // namespace bitflow::s3
