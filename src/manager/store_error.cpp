// The store's error category ("store"); the codes are in the public bitflow/manager_store.hpp.
#include "bitflow/manager_store.hpp"
#include "util/error_category.hpp"

namespace bitflow::manager {

namespace {

const char* describe(store_errc e) noexcept {
  switch (e) {
    case store_errc::database_error:
      return "database error";
    case store_errc::cannot_open:
      return "cannot open the database";
    case store_errc::corrupt:
      return "the database is corrupt";
    case store_errc::busy:
      return "the database is locked by another process";
    case store_errc::constraint:
      return "duplicate id or reference to a missing row";
    case store_errc::schema_too_new:
      return "the database was written by a newer bitflow";
  }
  return nullptr;
}

}  // namespace

const std::error_category& store_category() noexcept {
  static const util::EnumCategory<store_errc> instance("store", describe);
  return instance;
}

std::error_code make_error_code(store_errc e) noexcept {
  return {static_cast<int>(e), store_category()};
}

}  // namespace bitflow::manager
