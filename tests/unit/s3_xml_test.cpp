// S3 response bodies (shaped like the S3 API reference's examples) and hostile variants:
// truncated at every byte, huge and malformed numbers, missing elements, other roots,
// deep nesting, entity tricks. Every failure must be a clear error, never a crash.
#include <catch2/catch.hpp>
#include <pugixml.hpp>
#include <string>

#include "s3/s3_error.hpp"
#include "s3/s3_xml.hpp"

using namespace bitflow;

namespace {

const std::string list_parts_page = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>example-bucket</Bucket>
  <Key>my folder/&lt;UploadId&gt; &amp; more.bin</Key>
  <UploadId>XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA</UploadId>
  <PartNumberMarker>1</PartNumberMarker>
  <NextPartNumberMarker>3</NextPartNumberMarker>
  <MaxParts>2</MaxParts>
  <IsTruncated>true</IsTruncated>
  <Part>
    <PartNumber>2</PartNumber>
    <LastModified>2010-11-10T20:48:34.000Z</LastModified>
    <ETag>&quot;7778aef83f66abc1fa1e8477f296d394&quot;</ETag>
    <Size>10485760</Size>
  </Part>
  <Part>
    <PartNumber>3</PartNumber>
    <LastModified>2010-11-10T20:48:33.000Z</LastModified>
    <ETag>"aaaa18db4cc2f85cedef654fccc4a4x8"</ETag>
    <Size>18446744073709551615</Size>
  </Part>
</ListPartsResult>)";

std::string with(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

template <typename Parse>
ErrorInfo failure_of(Parse parse, const std::string& body) {
  ErrorInfo error;
  CHECK_FALSE(parse(body, error));
  CHECK(error);
  return error;
}

auto list_parts = [](const std::string& body, ErrorInfo& e) {
  return s3::parse_list_parts(body, e);
};

}  // namespace

TEST_CASE("s3 xml reads an error document", "[s3][xml]") {
  const auto e = s3::parse_error(R"(<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchKey</Code><Message>The resource you requested does not exist</Message>
<Resource>/mybucket/myfoto.jpg</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>)");
  CHECK(e.code == "NoSuchKey");
  CHECK(e.message == "The resource you requested does not exist");
  CHECK(e.resource == "/mybucket/myfoto.jpg");
  CHECK(e.request_id == "4442587FB7D0A2F9");
  ErrorInfo error;
  CHECK_FALSE(s3::parse_error("<Error><Message>no code</Message></Error>", error));
  CHECK(error.code == s3::errc::unexpected_xml);
  CHECK(error.message == "s3 xml: <Error> has no <Code>");
}

TEST_CASE("s3 xml reads InitiateMultipartUploadResult", "[s3][xml]") {
  const auto r = s3::parse_initiate_multipart_upload(R"(<?xml version="1.0" encoding="UTF-8"?>
<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>example-bucket</Bucket><Key>example-object</Key>
  <UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>
</InitiateMultipartUploadResult>)");
  CHECK(r.bucket == "example-bucket");
  CHECK(r.key == "example-object");
  CHECK(r.upload_id == "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
  const auto error = failure_of(
      [](const std::string& b, ErrorInfo& e) { return s3::parse_initiate_multipart_upload(b, e); },
      "<InitiateMultipartUploadResult><Bucket>b</Bucket><UploadId></UploadId>"
      "</InitiateMultipartUploadResult>");
  CHECK(error.code == s3::errc::unexpected_xml);
  CHECK(error.message == "s3 xml: <InitiateMultipartUploadResult> has no <UploadId>");
}

TEST_CASE("s3 xml treats an <Error> in a 200 CompleteMultipartUpload as an error", "[s3][xml]") {
  const auto ok = s3::parse_complete_multipart_upload(R"(<?xml version="1.0" encoding="UTF-8"?>
<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Location>http://Example-Bucket.s3.amazonaws.com/Example-Object</Location>
  <Bucket>Example-Bucket</Bucket><Key>Example-Object</Key>
  <ETag>"3858f62230ac3c915f300c664312c11f-9"</ETag>
</CompleteMultipartUploadResult>)");
  CHECK(ok.etag == "\"3858f62230ac3c915f300c664312c11f-9\"");
  CHECK(ok.key == "Example-Object");
  CHECK(ok.location == "http://Example-Bucket.s3.amazonaws.com/Example-Object");

  const std::string error_body = R"(<?xml version="1.0" encoding="UTF-8"?>

<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message>
<RequestId>656c76696e6727732072657175657374</RequestId><HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==</HostId></Error>)";
  ErrorInfo error;
  CHECK_FALSE(s3::parse_complete_multipart_upload(error_body, error));
  CHECK(error.code == s3::errc::service_error);
  CHECK(error.message ==
        "s3 xml: S3 error InternalError: We encountered an internal error. Please try again. "
        "(request id 656c76696e6727732072657175657374)");
  CHECK(s3::parse_error(error_body).code == "InternalError");
  CHECK_THROWS_AS(s3::parse_complete_multipart_upload(error_body), Error);
}

TEST_CASE("s3 xml reads a ListParts page", "[s3][xml]") {
  const auto r = s3::parse_list_parts(list_parts_page);
  CHECK(r.bucket == "example-bucket");
  CHECK(r.key == "my folder/<UploadId> & more.bin");
  CHECK(r.upload_id == "XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA");
  REQUIRE(r.parts.size() == 2);
  CHECK(r.parts[0].part_number == 2);
  CHECK(r.parts[0].etag == "\"7778aef83f66abc1fa1e8477f296d394\"");
  CHECK(r.parts[0].size == 10485760);
  CHECK(r.parts[1].size == 18446744073709551615u);
  CHECK(r.is_truncated);
  CHECK(r.next_part_number_marker == 3);

  const auto last =
      s3::parse_list_parts("<ListPartsResult><IsTruncated>false</IsTruncated></ListPartsResult>");
  CHECK(last.parts.empty());
  CHECK_FALSE(last.is_truncated);
  CHECK_FALSE(last.next_part_number_marker);
}

TEST_CASE("s3 xml rejects ListParts pages it cannot trust", "[s3][xml]") {
  auto error = failure_of(list_parts, with(list_parts_page, "<Size>18446744073709551615</Size>",
                                           "<Size>18446744073709551616</Size>"));
  CHECK(error.code == s3::errc::invalid_number);
  CHECK(error.message ==
        "s3 xml: <Size> '18446744073709551616' is not a number from 0 to "
        "18446744073709551615");
  for (const char* bad :
       {"99999999999999999999999999", "-1", "0", "10001", "1e3", " 2", "2 ", "0x2", "+2", ""}) {
    INFO("PartNumber " << bad);
    error = failure_of(list_parts, with(list_parts_page, "<PartNumber>2</PartNumber>",
                                        std::string("<PartNumber>") + bad + "</PartNumber>"));
    CHECK((error.code == s3::errc::invalid_number || error.code == s3::errc::unexpected_xml));
  }
  error = failure_of(list_parts, with(list_parts_page, "<Size>10485760</Size>", ""));
  CHECK(error.message == "s3 xml: <Part> has no <Size>");
  error = failure_of(
      list_parts,
      with(list_parts_page, "<ETag>&quot;7778aef83f66abc1fa1e8477f296d394&quot;</ETag>", ""));
  CHECK(error.message == "s3 xml: <Part> has no <ETag>");
  error = failure_of(list_parts,
                     with(list_parts_page, "<NextPartNumberMarker>3</NextPartNumberMarker>", ""));
  CHECK(error.message == "s3 xml: <ListPartsResult> has no <NextPartNumberMarker>");
  error = failure_of(list_parts, with(list_parts_page, "<IsTruncated>true</IsTruncated>",
                                      "<IsTruncated>yes</IsTruncated>"));
  CHECK(error.code == s3::errc::unexpected_xml);
}

TEST_CASE("s3 xml fails cleanly on every truncation of a document", "[s3][xml]") {
  for (std::size_t n = 0; n < list_parts_page.size(); ++n) {
    ErrorInfo error;
    const auto r = s3::parse_list_parts(std::string_view(list_parts_page).substr(0, n), error);
    INFO("prefix of " << n << " bytes: " << error.message);
    CHECK_FALSE(r);
    CHECK(error.code == s3::errc::malformed_xml);
  }
}

TEST_CASE("s3 xml names the byte where a document breaks", "[s3][xml]") {
  ErrorInfo error;
  CHECK_FALSE(s3::parse_list_parts("<ListPartsResult><Part></Prt></ListPartsResult>", error));
  CHECK(error.code == s3::errc::malformed_xml);
  CHECK(error.message.starts_with("s3 xml: malformed XML at byte "));
  for (std::string_view junk :
       {std::string_view(""), std::string_view("   "), std::string_view("not xml at all"),
        std::string_view("\0\0\0", 3), std::string_view("\xff\xfe<\0a\0/\0>\0", 10)}) {
    error.clear();
    CHECK_FALSE(s3::parse_list_parts(junk, error));
    CHECK(error);
  }
}

TEST_CASE("s3 xml checks the root element but not its namespace prefix", "[s3][xml]") {
  auto error = failure_of(list_parts, "<ListBucketResult></ListBucketResult>");
  CHECK(error.code == s3::errc::unexpected_xml);
  CHECK(error.message == "s3 xml: expected <ListPartsResult>, got <ListBucketResult>");
  const auto r = s3::parse_list_parts(
      R"(<s3:ListPartsResult xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/">)"
      "<s3:Part><s3:PartNumber>7</s3:PartNumber><s3:ETag>e</s3:ETag><s3:Size>1</s3:Size>"
      "</s3:Part></s3:ListPartsResult>");
  REQUIRE(r.parts.size() == 1);
  CHECK(r.parts[0].part_number == 7);
}

TEST_CASE("s3 xml accepts the <OperationResponse> roots moto 5 sends", "[s3][xml]") {
  const auto parts = s3::parse_list_parts(
      "<ListPartsResponse><Part><PartNumber>1</PartNumber><ETag>e</ETag><Size>5</Size></Part>"
      "<IsTruncated>false</IsTruncated></ListPartsResponse>");
  REQUIRE(parts.parts.size() == 1);
  const auto done = s3::parse_complete_multipart_upload(
      "<CompleteMultipartUploadResponse><Bucket>b</Bucket><Key>k</Key><ETag>\"x-3\"</ETag>"
      "</CompleteMultipartUploadResponse>");
  CHECK(done.etag == "\"x-3\"");
  const auto uploads = s3::parse_list_multipart_uploads(
      "<ListMultipartUploadsResponse><IsTruncated>false</IsTruncated>"
      "</ListMultipartUploadsResponse>");
  CHECK(uploads.uploads.empty());
  CHECK(failure_of(list_parts, "<ListObjectsResponse/>").code == s3::errc::unexpected_xml);
}

TEST_CASE("s3 xml survives deep nesting and entity tricks", "[s3][xml]") {
  std::string deep;
  for (int i = 0; i < 200000; ++i)
    deep += "<a>";
  for (int i = 0; i < 200000; ++i)
    deep += "</a>";
  auto error = failure_of(list_parts, deep);
  CHECK(error.code == s3::errc::unexpected_xml);

  // A "billion laughs" DOCTYPE: entities are never expanded.
  const std::string laughs = R"(<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<InitiateMultipartUploadResult><UploadId>&lol3;</UploadId></InitiateMultipartUploadResult>)";
  ErrorInfo laugh_error;
  const auto r = s3::parse_initiate_multipart_upload(laughs, laugh_error);
  if (r) CHECK(r->upload_id.size() < 16);
}

TEST_CASE("s3 xml reads ListMultipartUploads pages", "[s3][xml]") {
  const std::string page = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>bucket</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>
  <NextKeyMarker>my-movie.m2ts</NextKeyMarker>
  <NextUploadIdMarker>YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ</NextUploadIdMarker>
  <MaxUploads>3</MaxUploads><IsTruncated>true</IsTruncated>
  <Upload><Key>my-divisor</Key><UploadId>XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw</UploadId>
    <Initiated>2010-11-10T20:48:33.000Z</Initiated></Upload>
  <Upload><Key>my-movie.m2ts</Key><UploadId>VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>
    <Initiated>2010-11-10T20:48:33.000Z</Initiated></Upload>
</ListMultipartUploadsResult>)";
  const auto r = s3::parse_list_multipart_uploads(page);
  REQUIRE(r.uploads.size() == 2);
  CHECK(r.uploads[0].key == "my-divisor");
  CHECK(r.uploads[1].upload_id == "VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
  CHECK(r.uploads[1].initiated == "2010-11-10T20:48:33.000Z");
  CHECK(r.is_truncated);
  CHECK(r.next_key_marker == "my-movie.m2ts");
  CHECK(r.next_upload_id_marker == "YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ");

  auto parse = [](const std::string& b, ErrorInfo& e) {
    return s3::parse_list_multipart_uploads(b, e);
  };
  auto error = failure_of(parse, with(page, "<NextKeyMarker>my-movie.m2ts</NextKeyMarker>", ""));
  CHECK(error.message == "s3 xml: <ListMultipartUploadsResult> has no <NextKeyMarker>");
  error = failure_of(parse, with(page, "<Key>my-divisor</Key>", ""));
  CHECK(error.message == "s3 xml: <Upload> has no <Key>");
  CHECK(s3::parse_list_multipart_uploads("<ListMultipartUploadsResult/>").uploads.empty());
}

TEST_CASE("s3 xml reads ListObjectsV2 and ListObjects pages", "[s3][xml]") {
  const std::string page = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name><Prefix>photos</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>
  <Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
  <Contents><Key>photos.txt</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>
    <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag><Size>434234</Size>
    <StorageClass>STANDARD</StorageClass></Contents>
  <Contents><Key>photos 2.txt</Key><Size>0</Size></Contents>
  <CommonPrefixes><Prefix>photos/2006/</Prefix></CommonPrefixes>
  <CommonPrefixes><Prefix>photos/2007/</Prefix></CommonPrefixes>
</ListBucketResult>)";
  const auto r = s3::parse_list_objects(page);
  REQUIRE(r.objects.size() == 2);
  CHECK(r.objects[0].key == "photos.txt");
  CHECK(r.objects[0].size == 434234);
  CHECK(r.objects[0].etag == "\"fba9dede5f27731c9771645a39863328\"");
  CHECK(r.objects[1].key == "photos 2.txt");
  CHECK(r.common_prefixes == std::vector<std::string>{"photos/2006/", "photos/2007/"});
  CHECK(r.is_truncated);
  CHECK(r.next_continuation_token == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");

  const auto v1 = s3::parse_list_objects(
      "<ListBucketResult><IsTruncated>true</IsTruncated><NextMarker>k</NextMarker>"
      "</ListBucketResult>");
  CHECK(v1.next_marker == "k");

  auto parse = [](const std::string& b, ErrorInfo& e) { return s3::parse_list_objects(b, e); };
  auto error = failure_of(parse, with(page, "<Size>434234</Size>", "<Size>-434234</Size>"));
  CHECK(error.code == s3::errc::invalid_number);
  error = failure_of(parse, with(page, "<Key>photos.txt</Key>", ""));
  CHECK(error.message == "s3 xml: <Contents> has no <Key>");
}

TEST_CASE("s3 xml builds the CompleteMultipartUpload body in part order", "[s3][xml]") {
  const std::string body = s3::complete_multipart_upload_body(
      {{2, "\"b\"", 5}, {1, "\"a<&>\"", 5}, {10000, "\"z\"", 1}});
  CHECK(body ==
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Part><PartNumber>1</PartNumber><ETag>\"a&lt;&amp;&gt;\"</ETag></Part>"
        "<Part><PartNumber>2</PartNumber><ETag>\"b\"</ETag></Part>"
        "<Part><PartNumber>10000</PartNumber><ETag>\"z\"</ETag></Part>"
        "</CompleteMultipartUpload>");
  // A real XML parser reads back what was meant.
  pugi::xml_document doc;
  REQUIRE(doc.load_string(body.c_str()));
  CHECK(std::string(doc.child("CompleteMultipartUpload").child("Part").child_value("ETag")) ==
        "\"a<&>\"");
}

TEST_CASE("s3 xml refuses part lists S3 would reject", "[s3][xml]") {
  ErrorInfo error;
  CHECK_FALSE(s3::complete_multipart_upload_body({}, error));
  CHECK(error.code == s3::errc::invalid_part);
  error.clear();
  CHECK_FALSE(s3::complete_multipart_upload_body({{1, "a", 1}, {1, "b", 1}}, error));
  CHECK(error.message == "s3 xml: part 1 is listed twice");
  error.clear();
  CHECK_FALSE(s3::complete_multipart_upload_body({{0, "a", 1}}, error));
  CHECK(error.message == "s3 xml: part number 0 is outside 1 to 10000");
  error.clear();
  CHECK_FALSE(s3::complete_multipart_upload_body({{10001, "a", 1}}, error));
  CHECK(error.code == s3::errc::invalid_part);
  error.clear();
  CHECK_FALSE(s3::complete_multipart_upload_body({{3, std::string("a\0b", 3), 1}}, error));
  CHECK(error.message == "s3 xml: part 3 has an ETag with control characters");
  CHECK_THROWS_AS(s3::complete_multipart_upload_body({}), Error);
}
