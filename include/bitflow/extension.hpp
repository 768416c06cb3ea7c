// bitflow/extension.hpp — the payloads of three BEP 10 extension messages as plain values:
// the extended handshake (BEP 10), ut_metadata (BEP 9) and ut_pex (BEP 11), their encoders
// and decoders, and PexTracker, which decides what a ut_pex message should say and when.
//
// A payload is what travels inside peer::Extended after its id byte. Encoders produce
// canonical bencoding (sorted keys). Decoders bound everything (payload size, nesting,
// entry counts) and are tolerant where real clients are sloppy: unknown keys are ignored,
// dictionaries may be unsorted, and optional fields of the wrong type or out of range
// count as absent. A decoded value always re-encodes to bytes that decode to an equal
// value.
//
// Everything here is pure: no sockets, no clocks (PexTracker takes the time as an
// argument), no threads; safe to call from any thread on distinct objects.
#pragma once

#include <array>
#include <chrono>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

#include "bitflow/error.hpp"

namespace bitflow::peer {

/// Why an extension payload was refused. The message should be dropped; whether to also
/// drop the peer is the caller's policy (each of these means a buggy or hostile peer).
enum class extension_errc {
  invalid_message = 1,     ///< not bencoded, not a dictionary, or a required key missing/mistyped
  message_too_large,       ///< the payload exceeds the limit for its kind
  too_many_entries,        ///< more extensions (m) or PEX peers than the limits allow
  invalid_peer_list,       ///< a compact peer list not a multiple of 6 (IPv4) or 18 (IPv6)
  invalid_metadata_piece,  ///< a ut_metadata piece index outside the metadata
  invalid_metadata_size,   ///< a total_size out of range, or data not the piece's length
};

const std::error_category& extension_category() noexcept;
std::error_code make_error_code(extension_errc e) noexcept;

}  // namespace bitflow::peer

template <>
struct std::is_error_code_enum<bitflow::peer::extension_errc> : std::true_type {};

namespace bitflow::peer {

/// An IPv4 or IPv6 address as raw network-order bytes (IPv4 uses the first 4).
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};
  bool v6 = false;

  /// The 4 or 16 raw bytes.
  [[nodiscard]] std::string_view raw() const noexcept {
    return {reinterpret_cast<const char*>(bytes.data()), v6 ? 16u : 4u};
  }
  /// Takes exactly 4 or 16 raw bytes; nullopt for any other length.
  [[nodiscard]] static std::optional<IpAddress> from_raw(std::string_view raw) noexcept;
  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
};

// ---- BEP 10: the extended handshake (extended message id 0) ----------------------------

inline constexpr std::string_view ut_metadata_name = "ut_metadata";
inline constexpr std::string_view ut_pex_name = "ut_pex";
/// Largest handshake payload decoded; real ones are a few hundred bytes.
inline constexpr std::size_t max_extension_handshake_size = 64 * 1024;
/// Most extensions a handshake's m may name.
inline constexpr std::size_t max_extensions = 128;
/// Largest metadata (info dictionary) anything here accepts: 4096 pieces of 16 KiB.
inline constexpr std::int64_t max_metadata_size = 64 * 1024 * 1024;

/// The extended handshake. Decoded, every optional field holds a valid value or nothing:
/// p in 1..65535, reqq >= 1, metadata_size in 1..max_metadata_size, yourip 4 or 16 bytes,
/// ipv4 an IPv4 and ipv6 an IPv6 address; anything else the peer sent there is dropped.
struct ExtensionHandshake {
  /// Extension name → the message id the sender wants to receive it under; 0 = disabled.
  std::map<std::string, std::uint8_t, std::less<>> m;
  std::optional<std::string> v;               ///< client name and version
  std::optional<std::uint16_t> p;             ///< the sender's listen port
  std::optional<std::uint32_t> reqq;          ///< requests it queues without dropping
  std::optional<std::int64_t> metadata_size;  ///< BEP 9: bytes of the info dictionary
  std::optional<IpAddress> yourip;            ///< the receiver's address as seen by the sender
  std::optional<IpAddress> ipv4;              ///< the sender's own IPv4 address
  std::optional<IpAddress> ipv6;              ///< the sender's own IPv6 address

  /// The id for `name`, or 0 if the sender did not list it or disabled it.
  [[nodiscard]] std::uint8_t id_of(std::string_view name) const noexcept;
  friend bool operator==(const ExtensionHandshake&, const ExtensionHandshake&) = default;
};

/// The bencoded payload, keys sorted; absent fields are left out.
[[nodiscard]] std::string encode_extension_handshake(const ExtensionHandshake& handshake);
/// Refuses a payload over max_extension_handshake_size (message_too_large), one that is
/// not a bencoded dictionary or whose m is not a dictionary (invalid_message), and an m of
/// more than max_extensions entries (too_many_entries). Ids outside 0..255 and non-integer
/// ids are ignored, as are unknown keys and optional fields that are mistyped or invalid.
[[nodiscard]] std::optional<ExtensionHandshake> decode_extension_handshake(std::string_view payload,
                                                                           ErrorInfo& error);
/// Throws bitflow::Error instead.
[[nodiscard]] ExtensionHandshake decode_extension_handshake(std::string_view payload);

// ---- BEP 9: ut_metadata ------------------------------------------------------------------

/// Metadata travels in pieces of 16 KiB, the last one shorter.
inline constexpr std::int64_t metadata_piece_size = 16 * 1024;
/// Pieces of a max_metadata_size info dictionary.
inline constexpr std::int32_t max_metadata_pieces =
    static_cast<std::int32_t>(max_metadata_size / metadata_piece_size);
/// Bytes of the bencoded dictionary in front of a data message's piece.
inline constexpr std::size_t max_metadata_header_size = 1024;

/// Bytes of piece `piece` of metadata of `total_size` bytes; 0 if it is outside.
[[nodiscard]] std::int64_t metadata_piece_length(std::int32_t piece,
                                                 std::int64_t total_size) noexcept;

struct MetadataRequest {  ///< msg_type 0
  std::int32_t piece = 0;
  friend bool operator==(MetadataRequest, MetadataRequest) = default;
};
struct MetadataData {  ///< msg_type 1: the dictionary, then the piece's raw bytes
  std::int32_t piece = 0;
  std::int64_t total_size = 0;
  std::string_view data;  ///< decoded: a view into the payload
  friend bool operator==(MetadataData, MetadataData) = default;
};
struct MetadataReject {  ///< msg_type 2
  std::int32_t piece = 0;
  friend bool operator==(MetadataReject, MetadataReject) = default;
};
/// A msg_type this version does not know. BEP 9 says to ignore it (room for future types).
struct MetadataUnknown {
  std::int64_t msg_type = 0;
  friend bool operator==(MetadataUnknown, MetadataUnknown) = default;
};
using MetadataMessage =
    std::variant<MetadataRequest, MetadataData, MetadataReject, MetadataUnknown>;

/// The payload: the bencoded dictionary, followed by `data` for a data message.
[[nodiscard]] std::string encode_metadata_message(const MetadataMessage& message);
/// Refuses a payload over max_metadata_header_size + metadata_piece_size
/// (message_too_large), one without an integer msg_type, or with a known msg_type and no
/// integer piece (invalid_message), a piece outside 0..max_metadata_pieces-1 or past the
/// end of total_size (invalid_metadata_piece), and a data message whose total_size is
/// outside 1..max_metadata_size or whose data is not exactly metadata_piece_length() bytes
/// (invalid_metadata_size). Trailing bytes after a request or reject are ignored.
[[nodiscard]] std::optional<MetadataMessage> decode_metadata_message(std::string_view payload,
                                                                     ErrorInfo& error);
/// Throws bitflow::Error instead.
[[nodiscard]] MetadataMessage decode_metadata_message(std::string_view payload);

// ---- BEP 11: ut_pex ----------------------------------------------------------------------

/// The flag bits of added.f / added6.f.
namespace pex_flags {
inline constexpr std::uint8_t prefers_encryption = 0x01;
inline constexpr std::uint8_t seed = 0x02;  ///< seed or upload-only
inline constexpr std::uint8_t supports_utp = 0x04;
inline constexpr std::uint8_t supports_holepunch = 0x08;  ///< ut_holepunch
inline constexpr std::uint8_t reachable = 0x10;           ///< we connected out to it
}  // namespace pex_flags

struct PexPeer {
  IpAddress address;
  std::uint16_t port = 0;
  std::uint8_t flags = 0;  ///< pex_flags bits; always 0 for dropped peers
  friend bool operator==(const PexPeer&, const PexPeer&) = default;
};

/// One ut_pex message. Both lists mix IPv4 and IPv6 peers; on the wire they are split
/// into added/added6 and dropped/dropped6. Decoded, IPv4 peers come first.
struct PexMessage {
  std::vector<PexPeer> added;
  std::vector<PexPeer> dropped;
  friend bool operator==(const PexMessage&, const PexMessage&) = default;
};

/// Most peers per list (added, dropped; both families together) a decoded message may hold.
inline constexpr std::size_t max_pex_peers_decoded = 200;
/// Most peers per list encode_pex() writes (BEP 11 asks for at most 50).
inline constexpr std::size_t max_pex_peers_sent = 50;
/// Largest ut_pex payload decoded.
inline constexpr std::size_t max_pex_size = 16 * 1024;

/// The payload, with all six keys (added, added.f, added6, added6.f, dropped, dropped6)
/// even when empty. Only the first max_pex_peers_sent of each list are written.
[[nodiscard]] std::string encode_pex(const PexMessage& message);
/// Refuses a payload over max_pex_size (message_too_large), one that is not a dictionary
/// or whose peer lists are not strings (invalid_message), a list whose length is not a
/// multiple of 6 or 18 (invalid_peer_list), and more than max_pex_peers_decoded added or
/// dropped peers (too_many_entries). Peers with port 0 are skipped; a flags string that is
/// missing or of the wrong length gives flags 0.
[[nodiscard]] std::optional<PexMessage> decode_pex(std::string_view payload, ErrorInfo& error);
/// Throws bitflow::Error instead.
[[nodiscard]] PexMessage decode_pex(std::string_view payload);

/// What one connection has told its peer through ut_pex, and what it should say next.
/// Give it our current set of connected peers (without the peer this tracker talks to);
/// it answers with the difference since the last message it produced, at most once per
/// pex_interval and at most max_pex_peers_sent added and dropped each; the rest wait for
/// the next message. Peers are told apart by address and port. Not thread-safe.
class PexTracker {
 public:
  static constexpr std::chrono::seconds pex_interval{60};

  /// The message to send now, or nullopt if the last one was sent less than pex_interval
  /// before `now` or nothing changed since.
  [[nodiscard]] std::optional<PexMessage> poll(const std::vector<PexPeer>& connected,
                                               std::chrono::steady_clock::time_point now);

 private:
  std::set<std::pair<IpAddress, std::uint16_t>> told_;  // peers the other side knows of
  std::optional<std::chrono::steady_clock::time_point> last_sent_;
};

}  // namespace bitflow::peer
