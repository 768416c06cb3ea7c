// One std::error_category implementation for every area's error enum: the area supplies
// its name and a function that describes each code. Internal.
#pragma once

#include <string>
#include <system_error>

namespace bitflow::util {

template <typename Enum>
class EnumCategory final : public std::error_category {
 public:
  using Describe = const char* (*)(Enum) noexcept;
  EnumCategory(const char* name, Describe describe) noexcept : name_(name), describe_(describe) {}

  const char* name() const noexcept override { return name_; }
  std::string message(int code) const override {
    const char* text = describe_(static_cast<Enum>(code));
    return text ? text : std::string(name_) + " error " + std::to_string(code);
  }

 private:
  const char* name_;
  Describe describe_;
};

}  // namespace bitflow::util
