// AWS settings resolution: environment first, then the profile in the credentials file,
// then in the config file; each setting on its own, as the AWS CLI does it. Pure.
#include "s3/aws_config.hpp"

#include "s3/ini.hpp"
#include "s3/s3_error.hpp"
#include "util/concat.hpp"
#include "util/failure.hpp"

namespace bitflow::s3 {

namespace {

using util::concat;

// A non-empty value from the map (an empty variable counts as unset, as in the CLI).
const std::string* find(const std::map<std::string, std::string, std::less<>>& map,
                        std::string_view name) {
  const auto it = map.find(name);
  return it == map.end() || it->second.empty() ? nullptr : &it->second;
}

class Resolver {
 public:
  Resolver(const AwsSources& sources, ErrorInfo& error) : sources_(sources), error_(error) {}

  std::optional<S3Settings> run() {
    if (!load(sources_.credentials_file, "credentials", credentials_file_) ||
        !load(sources_.config_file, "config", config_file_))
      return std::nullopt;
    S3Settings out;
    out.profile = profile_name();
    credentials_section_ = section(credentials_file_, out.profile);
    config_section_ =
        section(config_file_, out.profile == "default" ? std::string("default")
                                                       : concat("profile ", out.profile));
    if (!config_section_ && out.profile == "default")
      config_section_ = section(config_file_, "profile default");
    const bool named = find(env(), "AWS_PROFILE") || find(env(), "AWS_DEFAULT_PROFILE");
    if (named && !credentials_section_ && !config_section_)
      return fail(errc::invalid_config,
                  concat("aws config: profile '", out.profile,
                         "' is in neither the credentials nor the config file"));
    if (!read_credentials(out.credentials, out.profile)) return std::nullopt;
    out.region =
        first_of({find(env(), "AWS_REGION"), find(env(), "AWS_DEFAULT_REGION"), config("region")});
    if (out.region.empty()) out.region = "us-east-1";  // S3's home, as the SDKs assume for s3
    if (!read_endpoint(out.endpoint) || !read_addressing(out.addressing)) return std::nullopt;
    return out;
  }

 private:
  const Environment& env() const { return sources_.environment; }

  util::Failure fail(errc code, std::string message) {
    error_.code = code;
    error_.message = std::move(message);
    return {};
  }

  bool load(const std::optional<std::string>& text, std::string_view name, IniFile& out) {
    if (!text) return true;
    auto parsed = parse_ini(*text, error_);
    if (!parsed) {
      // "aws config: line 3: …" becomes "aws config: credentials file, line 3: …".
      constexpr std::string_view prefix = "aws config: ";
      if (error_.message.starts_with(prefix))
        error_.message.insert(prefix.size(), concat(name, " file, "));
      return false;
    }
    out = std::move(*parsed);
    return true;
  }

  static const IniSection* section(const IniFile& file, std::string_view name) {
    const auto it = file.find(name);
    return it == file.end() ? nullptr : &it->second;
  }

  std::string profile_name() const {
    return first_of({find(env(), "AWS_PROFILE"), find(env(), "AWS_DEFAULT_PROFILE")}, "default");
  }

  const std::string* config(std::string_view key) const {
    return config_section_ ? find(*config_section_, key) : nullptr;
  }

  static std::string first_of(std::initializer_list<const std::string*> values,
                              std::string_view fallback = {}) {
    for (const std::string* v : values)
      if (v) return *v;
    return std::string(fallback);
  }

  bool read_credentials(Credentials& out, const std::string& profile) {
    const std::string* id = find(env(), "AWS_ACCESS_KEY_ID");
    const std::string* secret = find(env(), "AWS_SECRET_ACCESS_KEY");
    if (id || secret) {
      if (!id || !secret)
        return fail(errc::invalid_config,
                    std::string(id ? "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"
                                   : "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"));
      out = {*id, *secret, first_of({find(env(), "AWS_SESSION_TOKEN")})};
      return true;
    }
    for (const IniSection* s : {credentials_section_, config_section_}) {
      if (!s) continue;
      id = find(*s, "aws_access_key_id");
      secret = find(*s, "aws_secret_access_key");
      if (!id && !secret) continue;
      if (!id || !secret)
        return fail(errc::invalid_config, concat("aws config: profile '", profile,
                                                 "' has only half of its access key pair"));
      out = {*id, *secret, first_of({find(*s, "aws_session_token")})};
      return true;
    }
    return fail(errc::missing_credentials,
                concat("aws config: no credentials: set AWS_ACCESS_KEY_ID and "
                       "AWS_SECRET_ACCESS_KEY, or add aws_access_key_id and "
                       "aws_secret_access_key to profile '",
                       profile, "'"));
  }

  bool read_endpoint(std::optional<Endpoint>& out) {
    const std::string* ignore = find(env(), "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    if (ignore && (*ignore == "true" || *ignore == "TRUE" || *ignore == "True")) return true;
    const std::string url =
        first_of({find(env(), "AWS_ENDPOINT_URL_S3"), find(env(), "AWS_ENDPOINT_URL"),
                  config("s3.endpoint_url"), config("endpoint_url")});
    if (url.empty()) return true;
    out = parse_endpoint(url, error_);
    return out.has_value();
  }

  bool read_addressing(AddressingStyle& out) {
    const std::string* style = config("s3.addressing_style");
    if (!style || *style == "auto") return true;
    if (*style == "path") {
      out = AddressingStyle::path;
    } else if (*style == "virtual") {
      out = AddressingStyle::virtual_hosted;
    } else {
      return fail(errc::invalid_config, concat("aws config: addressing_style '", *style,
                                               "' is not auto, path or virtual"));
    }
    return true;
  }

  const AwsSources& sources_;
  ErrorInfo& error_;
  IniFile credentials_file_, config_file_;
  const IniSection* credentials_section_ = nullptr;
  const IniSection* config_section_ = nullptr;
};

}  // namespace

AwsFilePaths aws_file_paths(const Environment& environment, std::string_view home) {
  const std::string base = concat(home, "/.aws/");
  const std::string* credentials = find(environment, "AWS_SHARED_CREDENTIALS_FILE");
  const std::string* config = find(environment, "AWS_CONFIG_FILE");
  return {credentials ? *credentials : concat(base, "credentials"),
          config ? *config : concat(base, "config")};
}

std::optional<S3Settings> resolve_s3_settings(const AwsSources& sources, ErrorInfo& error) {
  return Resolver(sources, error).run();
}

S3Settings resolve_s3_settings(const AwsSources& sources) {
  ErrorInfo error;
  auto out = resolve_s3_settings(sources, error);
  if (!out) error.raise();
  return std::move(*out);
}

}  // namespace bitflow::s3
