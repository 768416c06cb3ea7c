// `bitflow presign s3://bucket/key [--expires SECONDS] [--method GET|PUT]`: prints a
// presigned URL for the object, signed with the AWS settings of the environment and
// ~/.aws (as the AWS CLI reads them, custom endpoints included). No request is made.
#include <boost/asio/io_context.hpp>
#include <charconv>
#include <cstdio>
#include <string>
#include <string_view>

#include "args.hpp"
#include "bitflow/s3_source.hpp"
#include "commands.hpp"

namespace cli {
namespace {

bitflow::s3::ObjectLocation parse_s3_url(std::string_view url) {
  bitflow::ErrorInfo error;
  auto where = bitflow::s3::parse_object_url(url, error);
  if (!where) throw UsageError("presign: " + error.message);
  return std::move(*where);
}

std::chrono::seconds parse_expires(const std::string& text) {
  long long v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || v < 1 || v > 604800)
    throw UsageError(std::string("presign: --expires takes 1 to 604800 seconds (7 days), got '") +
                     text + "'");
  return std::chrono::seconds{v};
}

bitflow::s3::PresignMethod parse_method(const std::string& text) {
  if (text == "GET" || text == "get") return bitflow::s3::PresignMethod::get;
  if (text == "PUT" || text == "put") return bitflow::s3::PresignMethod::put;
  throw UsageError(std::string("presign: --method is GET or PUT, got '") + text + "'");
}

}  // namespace

int run_presign(const std::vector<std::string>& argv) {
  Args args(argv, {}, {"expires", "method"});
  if (args.positional().size() != 1)
    throw UsageError("presign: expected one s3://bucket/key (try 'bitflow --help')");
  const bitflow::s3::ObjectLocation where = parse_s3_url(args.positional()[0]);
  const auto expires = parse_expires(args.value("expires").value_or("3600"));
  const auto method = parse_method(args.value("method").value_or("GET"));

  boost::asio::io_context io;  // the client needs one; presigning sends nothing
  bitflow::s3::Client client(io, bitflow::s3::settings_from_environment());
  std::printf("%s\n", client.presign(method, where.bucket, where.key, expires).c_str());
  return 0;
}

}  // namespace cli
