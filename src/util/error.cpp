#include "bitflow/error.hpp"

#include <utility>

namespace bitflow {

Error::Error(std::error_code code, std::string message)
    : std::system_error(code), message_(std::move(message)) {}

void ErrorInfo::raise() const {
  throw Error(code, message);
}

}  // namespace bitflow
