// PieceBuffer — the bytes of one piece, owned; shared between assembly, hashing, writing
// and the read cache. Internal to the engine.
#pragma once

#include <cstddef>
#include <memory>
#include <span>

namespace bitflow::session {

/// Allocated without zero-filling: every byte is received or read before use (zeroing
/// 1 MiB pieces showed up in profiles).
class PieceBuffer {
 public:
  PieceBuffer() = default;
  explicit PieceBuffer(std::size_t size)
      : bytes_(std::make_unique_for_overwrite<char[]>(size)), size_(size) {}
  [[nodiscard]] char* data() noexcept { return bytes_.get(); }
  [[nodiscard]] const char* data() const noexcept { return bytes_.get(); }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::span<const char> span() const noexcept { return {bytes_.get(), size_}; }
  [[nodiscard]] std::span<char> span() noexcept { return {bytes_.get(), size_}; }

 private:
  std::unique_ptr<char[]> bytes_;
  std::size_t size_ = 0;
};

}  // namespace bitflow::session
