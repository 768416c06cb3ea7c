// bitflowd's request bodies: what is accepted, and the message for what is not.
#include <catch2/catch.hpp>

#include "daemon/request_json.hpp"

using namespace bitflow::daemon;

TEST_CASE("an add request takes url, files and destination", "[daemon]") {
  auto p = parse_add_request(R"({"url": "magnet:?xt=urn:btih:aa", "files": [0, 2],
                                "destination": "movies/new"})");
  REQUIRE(p.value);
  CHECK(p.value->url == "magnet:?xt=urn:btih:aa");
  REQUIRE(p.value->files);
  CHECK(*p.value->files == std::vector<std::size_t>{0, 2});
  CHECK(p.value->destination == "movies/new");

  auto bare = parse_add_request(R"({"url": "http://h/f"})");
  REQUIRE(bare.value);
  CHECK_FALSE(bare.value->files);
  CHECK(bare.value->destination.empty());
}

TEST_CASE("an add request names what is wrong with it", "[daemon]") {
  CHECK(parse_add_request("").error == "the request needs a JSON body");
  CHECK(parse_add_request("{").error.rfind("the body is not valid JSON", 0) == 0);
  CHECK(parse_add_request("[1]").error == "the body must be a JSON object");
  CHECK(parse_add_request("{}").error == "missing field \"url\"");
  CHECK(parse_add_request(R"({"url": 3})").error == "\"url\" must be a non-empty string");
  CHECK(parse_add_request(R"({"url": ""})").error == "\"url\" must be a non-empty string");
  CHECK(parse_add_request(R"({"url": "x", "destnation": "a"})").error ==
        "unknown field \"destnation\"");
  CHECK(parse_add_request(R"({"url": "x", "files": 1})").error ==
        "\"files\" must be an array of file indices");
  CHECK(parse_add_request(R"({"url": "x", "files": ["a"]})").error ==
        "\"files\" must hold integers (file indices)");
  CHECK(parse_add_request(R"({"url": "x", "files": [-1]})").error ==
        "\"files\": an index cannot be negative");
  CHECK(parse_add_request(R"({"url": "x", "files": [1.5]})").error ==
        "\"files\" must hold integers (file indices)");
  CHECK_FALSE(parse_add_request(R"({"url": "x", "files": []})").value);
  CHECK_FALSE(parse_add_request(R"({"url": "x", "destination": "../etc"})").value);
  CHECK_FALSE(parse_add_request(R"({"url": "x", "destination": 5})").value);
}

TEST_CASE("request bodies refuse deep nesting and invalid UTF-8", "[daemon]") {
  const std::string deep =
      R"({"url": "x", "files": )" + std::string(50, '[') + std::string(50, ']') + "}";
  CHECK(parse_add_request(deep).error.rfind("the body is not valid JSON", 0) == 0);
  CHECK(parse_add_request("{\"url\": \"\xff\xfe\"}").error.rfind("the body is not valid JSON", 0) ==
        0);
}

TEST_CASE("a delete request takes ids and delete_data", "[daemon]") {
  auto p = parse_delete_request(R"({"ids": ["a", "b"], "delete_data": true})");
  REQUIRE(p.value);
  CHECK(p.value->ids == std::vector<std::string>{"a", "b"});
  CHECK(p.value->delete_data);
  CHECK_FALSE(parse_delete_request(R"({"ids": ["a"]})").value->delete_data);
  CHECK(parse_delete_request(R"({"ids": []})").error ==
        "\"ids\" must be a non-empty array of download ids");
  CHECK(parse_delete_request(R"({"ids": [1]})").error ==
        "\"ids\" must hold strings (download ids)");
  CHECK(parse_delete_request(R"({"ids": ["a"], "delete_data": "yes"})").error ==
        "\"delete_data\" must be true or false");
  CHECK(parse_delete_request(R"({"delete_data": true})").error == "missing field \"ids\"");
}

TEST_CASE("an inspect request takes only a url", "[daemon]") {
  CHECK(parse_inspect_request(R"({"url": "http://h/f"})").value->url == "http://h/f");
  CHECK(parse_inspect_request(R"({"url": "http://h/f", "files": [1]})").error ==
        "unknown field \"files\"");
}

TEST_CASE("destinations stay below the user's folder", "[daemon]") {
  CHECK(valid_relative_folder(""));
  CHECK(valid_relative_folder("movies"));
  CHECK(valid_relative_folder("movies/2026 new"));
  CHECK_FALSE(valid_relative_folder("/etc"));
  CHECK_FALSE(valid_relative_folder(".."));
  CHECK_FALSE(valid_relative_folder("a/../../b"));
  CHECK_FALSE(valid_relative_folder("a/./b"));
  CHECK_FALSE(valid_relative_folder("a//b"));
  CHECK_FALSE(valid_relative_folder("a/"));
  CHECK_FALSE(valid_relative_folder("a\\b"));
  CHECK_FALSE(valid_relative_folder(std::string("a\nb")));
  CHECK_FALSE(valid_relative_folder(std::string(256, 'a')));
}

TEST_CASE("a form's files field is a JSON array of indices", "[daemon]") {
  CHECK(*parse_file_indices("[0, 2]").value == std::vector<std::size_t>{0, 2});
  CHECK(parse_file_indices("0,2").error.rfind("\"files\" is not valid JSON", 0) == 0);
  CHECK(parse_file_indices("[]").error ==
        "\"files\" must name at least one file (leave it out for all of them)");
}

TEST_CASE("download locations are a folder below the user's or an s3 prefix", "[daemon]") {
  CHECK(valid_download_location(""));
  CHECK(valid_download_location("media/films"));
  CHECK(valid_download_location("s3://my-bucket"));
  CHECK(valid_download_location("s3://my-bucket/"));
  CHECK(valid_download_location("s3://my-bucket/users/alice/"));
  CHECK_FALSE(valid_download_location("/srv"));
  CHECK_FALSE(valid_download_location("../x"));
  CHECK_FALSE(valid_download_location("s3://"));
  CHECK_FALSE(valid_download_location("s3://ab"));
  CHECK_FALSE(valid_download_location("s3://Upper/x"));
  CHECK_FALSE(valid_download_location("s3://bucket/../x"));
  CHECK_FALSE(valid_download_location("s3://bucket//x"));
  CHECK(parse_settings_request(R"({"download_location": null})").value->download_location.empty());
  CHECK(parse_settings_request("{}").error == "missing field \"download_location\"");
}
