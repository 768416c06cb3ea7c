// Checksum: parsing "ALGO=HEX" and hashing a finished file with OpenSSL EVP.
#include "fetchers/checksum.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <vector>

#include "util/hex.hpp"

namespace bitflow {

namespace {
std::optional<Checksum> refuse(ErrorInfo& error, std::string message) {
  error.code = std::make_error_code(std::errc::invalid_argument);
  error.message = "checksum: " + std::move(message);
  return std::nullopt;
}

const EVP_MD* digest_of(Checksum::Algorithm a) {
  switch (a) {
    case Checksum::Algorithm::md5:
      return EVP_md5();
    case Checksum::Algorithm::sha1:
      return EVP_sha1();
    case Checksum::Algorithm::sha256:
      return EVP_sha256();
  }
  return EVP_sha256();
}
}  // namespace

std::optional<Checksum> Checksum::parse(std::string_view text, ErrorInfo& error) {
  auto eq = text.find('=');
  if (eq == std::string_view::npos)
    return refuse(error,
                  "expected ALGO=HEX (sha256, sha1 or md5), got '" + std::string(text) + "'");
  std::string name(text.substr(0, eq));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  Checksum c;
  std::size_t hex_length = 0;
  if (name == "sha256" || name == "sha-256") {
    c.algorithm = Algorithm::sha256;
    hex_length = 64;
  } else if (name == "sha1" || name == "sha-1") {
    c.algorithm = Algorithm::sha1;
    hex_length = 40;
  } else if (name == "md5") {
    c.algorithm = Algorithm::md5;
    hex_length = 32;
  } else {
    return refuse(error, "unknown algorithm '" + name + "' (sha256, sha1 or md5)");
  }
  std::string hex(text.substr(eq + 1));
  std::transform(hex.begin(), hex.end(), hex.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  if (hex.size() != hex_length || !util::from_hex(hex))
    return refuse(error, name + " needs " + std::to_string(hex_length) + " hex digits");
  c.hex = std::move(hex);
  return c;
}

Checksum Checksum::parse(std::string_view text) {
  ErrorInfo error;
  auto c = parse(text, error);
  if (!c) error.raise();
  return *c;
}

const char* Checksum::algorithm_name() const noexcept {
  switch (algorithm) {
    case Algorithm::md5:
      return "md5";
    case Algorithm::sha1:
      return "sha1";
    case Algorithm::sha256:
      return "sha256";
  }
  return "sha256";
}

namespace fetch {

std::optional<std::string> file_digest_hex(const std::filesystem::path& path,
                                           Checksum::Algorithm algorithm, ErrorInfo& error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  auto fail = [&](const std::string& what) {
    error.code = std::error_code(errno, std::generic_category());
    error.message = what + " '" + path.string() + "': " + error.code.message();
    return std::nullopt;
  };
  if (fd < 0) return fail("cannot open");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), digest_of(algorithm), nullptr) != 1) {
    ::close(fd);
    error.code = std::make_error_code(std::errc::not_enough_memory);
    error.message = "OpenSSL: digest failed";
    return std::nullopt;
  }
  (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  std::vector<char> buffer(1 << 20);
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      auto r = fail("cannot read");
      ::close(fd);
      return r;
    }
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), out, &length);
  return util::to_hex(std::string_view(reinterpret_cast<const char*>(out), length));
}

}  // namespace fetch
}  // namespace bitflow
