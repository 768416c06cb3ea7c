// s3_client_check: drives bitflow::s3::Client for s3_client.sh against a real S3 server.
// Settings come from the environment, as a user's would (AWS_ENDPOINT_URL, the keys, ...).
//
//   s3_client_check put BUCKET KEY FILE          prints the ETag
//   s3_client_check head BUCKET KEY              prints "SIZE ETAG"
//   s3_client_check get BUCKET KEY OUT [FIRST LAST]
//   s3_client_check multipart BUCKET KEY FILE PART_SIZE   prints the parts ListParts saw
//   s3_client_check abort BUCKET KEY             starts an upload with one part, aborts it
//   s3_client_check uploads BUCKET [PREFIX]      prints how many uploads are unfinished
//   s3_client_check presign BUCKET KEY SECONDS
//   s3_client_check delete BUCKET KEY
//   s3_client_check sqs-send QUEUE_URL FILE      sends FILE's bytes, prints the MessageId
//   s3_client_check sqs-notify QUEUE_URL BUCKET KEY SIZE SHA256 SOURCE DOWNLOAD_ID
//                                               sends a delivery notice, prints the MessageId
// A failure prints "error CODE-NUMBER: MESSAGE" and exits 2.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "bitflow/s3.hpp"
#include "bitflow/sqs.hpp"

namespace asio = boost::asio;
using namespace bitflow;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
  if (!out) throw std::runtime_error("cannot write " + path);
}

asio::awaitable<void> multipart(s3::Client& client, std::string bucket, std::string key,
                                std::string data, std::size_t part_size) {
  const std::string id = co_await client.create_multipart_upload(bucket, key);
  std::vector<s3::UploadedPart> parts;
  for (std::size_t offset = 0; offset < data.size(); offset += part_size) {
    const int number = static_cast<int>(parts.size()) + 1;
    parts.push_back(
        co_await client.upload_part(bucket, key, id, number, data.substr(offset, part_size)));
  }
  const auto listed = co_await client.list_parts(bucket, key, id);
  for (const auto& p : listed.parts)
    std::cout << p.part_number << ' ' << p.size << '\n';
  // Given in reverse: the client sorts them as S3 requires.
  std::vector<s3::UploadedPart> reversed(parts.rbegin(), parts.rend());
  const auto done = co_await client.complete_multipart_upload(bucket, key, id, reversed);
  std::cout << "complete " << done.etag << '\n';
}

asio::awaitable<void> sqs(asio::io_context& io, s3::ClientSettings settings,
                          std::vector<std::string> a) {
  s3::SqsNotifier notifier(io, std::move(settings), a.at(1));
  if (a.at(0) == "sqs-send") {
    std::cout << co_await notifier.send(read_file(a.at(2))) << '\n';
  } else {
    const s3::DeliveryNotice notice{a.at(2), a.at(3), std::stoull(a.at(4)),
                                    a.at(5), a.at(6), a.at(7)};
    std::cout << co_await notifier.notify_delivered(notice) << '\n';
  }
}

asio::awaitable<void> run(s3::Client& client, std::vector<std::string> a) {
  const std::string& cmd = a.at(0);
  if (cmd == "put") {
    std::cout << co_await client.put_object(a.at(1), a.at(2), read_file(a.at(3))) << '\n';
  } else if (cmd == "head") {
    const auto info = co_await client.head_object(a.at(1), a.at(2));
    std::cout << info.size << ' ' << info.etag << '\n';
  } else if (cmd == "get") {
    std::optional<s3::ByteRange> range;
    if (a.size() > 5) range = s3::ByteRange{std::stoull(a.at(4)), std::stoull(a.at(5))};
    const auto got = co_await client.get_object(a.at(1), a.at(2), range);
    write_file(a.at(3), got.data);
    std::cout << got.info.size << '\n';
  } else if (cmd == "multipart") {
    co_await multipart(client, a.at(1), a.at(2), read_file(a.at(3)), std::stoull(a.at(4)));
  } else if (cmd == "abort") {
    const std::string id = co_await client.create_multipart_upload(a.at(1), a.at(2));
    (void)co_await client.upload_part(a.at(1), a.at(2), id, 1, "a part that is never used");
    co_await client.abort_multipart_upload(a.at(1), a.at(2), id);
    std::cout << "aborted\n";
  } else if (cmd == "uploads") {
    // A named prefix: g++ 12 miscompiles a conditional's temporary inside co_await.
    std::string prefix = a.size() > 2 ? a[2] : std::string();
    const auto page = co_await client.list_multipart_uploads(a.at(1), prefix);
    std::cout << page.uploads.size() << '\n';
  } else if (cmd == "presign") {
    std::cout << client.presign(s3::PresignMethod::get, a.at(1), a.at(2),
                                std::chrono::seconds{std::stoll(a.at(3))})
              << '\n';
  } else if (cmd == "delete") {
    co_await client.delete_object(a.at(1), a.at(2));
  } else {
    throw std::invalid_argument("unknown command " + cmd);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: s3_client_check COMMAND ARGS... (see the source)\n";
    return 64;
  }
  std::vector<std::string> args(argv + 1, argv + argc);
  int status = 0;
  try {
    s3::ClientSettings settings = s3::settings_from_environment();
    settings.retry.base_delay = std::chrono::milliseconds{50};  // keep failing tests short
    asio::io_context io;
    s3::Client client(io, settings);
    auto work = args[0].starts_with("sqs-") ? sqs(io, settings, args) : run(client, args);
    asio::co_spawn(io, std::move(work), [&](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const bitflow::Error& error) {
        std::cerr << "error " << error.code().value() << ": " << error.what() << '\n';
        status = 2;
      } catch (const std::exception& error) {
        std::cerr << "error: " << error.what() << '\n';
        status = 1;
      }
    });
    io.run();
  } catch (const std::exception& error) {
    std::cerr << "error: " << error.what() << '\n';
    return 1;
  }
  return status;
}
