// MetadataAssembler: collects the ut_metadata pieces of one torrent's info dictionary and
// verifies them against the info-hash. Pure state machine; one owner, one thread.
//
// Invariants: size_ is 0 (unknown) or in 1..max_size_; then slots_ has one Slot per
// 16 KiB piece and buffer_ has size_ bytes; received_ counts the slots with received set;
// a received slot has no holder; complete_ implies every slot is received and the SHA-1
// of buffer_ equals info_hash_.
#include "bitflow/metadata_assembler.hpp"

#include <algorithm>
#include <cstring>

#include "bitflow/extension.hpp"

namespace bitflow::peer {

MetadataAssembler::MetadataAssembler(Sha1Hash info_hash, std::int64_t max_size,
                                     Clock::duration request_timeout)
    : info_hash_(info_hash),
      max_size_(std::clamp<std::int64_t>(max_size, 1, max_metadata_size)),
      request_timeout_(request_timeout) {}

std::int32_t MetadataAssembler::num_pieces() const noexcept {
  return static_cast<std::int32_t>(slots_.size());
}

bool MetadataAssembler::set_size(std::int64_t size) {
  if (size_known()) return size == size_;
  if (size < 1 || size > max_size_) return false;
  size_ = size;
  const auto pieces = (size + metadata_piece_size - 1) / metadata_piece_size;
  slots_.assign(static_cast<std::size_t>(pieces), Slot{});
  buffer_.assign(static_cast<std::size_t>(size), '\0');
  received_ = 0;
  complete_ = false;
  return true;
}

std::optional<std::int32_t> MetadataAssembler::next_piece_to_request(MetadataPeer peer,
                                                                     Clock::time_point now) {
  if (complete_) return std::nullopt;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    Slot& slot = slots_[i];
    if (slot.received || (slot.holder && now < slot.deadline)) continue;
    slot.holder = peer;
    slot.deadline = now + request_timeout_;
    return static_cast<std::int32_t>(i);
  }
  return std::nullopt;
}

MetadataResult MetadataAssembler::on_data(MetadataPeer peer, std::int32_t piece,
                                          std::int64_t total_size, std::string_view data) {
  if (complete_) return MetadataResult::duplicate;
  if (!set_size(total_size)) return MetadataResult::rejected_bad_size;
  if (piece < 0 || piece >= num_pieces()) return MetadataResult::rejected_out_of_range;
  const std::int64_t length = metadata_piece_length(piece, size_);
  if (static_cast<std::int64_t>(data.size()) != length) return MetadataResult::rejected_bad_size;
  Slot& slot = slots_[static_cast<std::size_t>(piece)];
  if (slot.received) return MetadataResult::duplicate;
  std::memcpy(buffer_.data() + piece * metadata_piece_size, data.data(), data.size());
  slot.received = true;
  slot.holder.reset();
  slot.source = peer;
  ++received_;
  return received_ == num_pieces() ? verify() : MetadataResult::accepted;
}

MetadataResult MetadataAssembler::verify() {
  if (sha1(buffer_) == info_hash_) {
    complete_ = true;
    return MetadataResult::complete;
  }
  suspects_.clear();
  for (const Slot& slot : slots_)
    suspects_.push_back(slot.source);
  std::sort(suspects_.begin(), suspects_.end());
  suspects_.erase(std::unique(suspects_.begin(), suspects_.end()), suspects_.end());
  reset();
  return MetadataResult::hash_mismatch;
}

void MetadataAssembler::on_reject(MetadataPeer peer, std::int32_t piece) {
  if (piece < 0 || piece >= num_pieces()) return;
  Slot& slot = slots_[static_cast<std::size_t>(piece)];
  if (slot.holder == peer) slot.holder.reset();
}

void MetadataAssembler::peer_gone(MetadataPeer peer) {
  for (Slot& slot : slots_)
    if (slot.holder == peer) slot.holder.reset();
}

std::string MetadataAssembler::take_metadata() {
  if (!complete_) return {};
  std::string out = std::move(buffer_);
  buffer_.clear();
  return out;
}

void MetadataAssembler::reset() {
  size_ = 0;
  received_ = 0;
  complete_ = false;
  slots_.clear();
  buffer_.clear();
  buffer_.shrink_to_fit();
}

}  // namespace bitflow::peer
