// The DHT routing table (BEP 5): k-buckets of at most 8 nodes each over the 160-bit id
// space, split only where our own id falls, so the table knows many nodes near us and a
// few far away. Pure: time is a parameter, nothing is sent; the node that owns the table
// reads from it whom to ping, whom to ask and which buckets to refresh.
//
// Node liveness, as BEP 5 defines it: good when it answered one of our queries within
// the last 15 minutes, or answered once and queried us within 15 minutes; questionable
// after 15 minutes without that; bad after failing to answer several queries in a row
// (here: 2). A full bucket takes a new node only in place of a bad one; when it has
// questionable ones, the caller is told to ping the stalest first.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <vector>

#include "dht/krpc.hpp"

namespace bitflow::dht {

using Clock = std::chrono::steady_clock;

/// The XOR distance between two ids, compared as a big-endian number.
[[nodiscard]] Id distance(const Id& a, const Id& b) noexcept;
/// Whether a is closer to target than b.
[[nodiscard]] bool closer(const Id& target, const Id& a, const Id& b) noexcept;

enum class NodeState { good, questionable, bad };

struct RoutingNode {
  NodeInfo info;
  Clock::time_point last_answer{};  ///< last reply to one of our queries (epoch: never)
  Clock::time_point last_query{};   ///< last query it sent us
  int failures = 0;                 ///< our queries it left unanswered, in a row
};

class RoutingTable {
 public:
  static constexpr std::size_t k = 8;
  static constexpr auto good_for = std::chrono::minutes(15);
  static constexpr int bad_after = 2;

  explicit RoutingTable(Id own_id);

  [[nodiscard]] const Id& own_id() const noexcept { return own_; }

  /// What became of a node that was heard from.
  enum class Outcome {
    added,       ///< a new entry
    updated,     ///< it was there already
    replaced,    ///< took the place of a bad node
    ping_first,  ///< its bucket is full: ping `stale` first (drop or keep it), then retry
    dropped,     ///< its bucket is full of good nodes (or it is us)
  };
  struct Result {
    Outcome outcome;
    std::optional<NodeInfo> stale;  ///< with ping_first: the questionable node to ping
  };

  /// A node answered one of our queries (`answered`) or sent us a query (not answered).
  /// A node that only queried us is kept only if there is room: BEP 5 wants proof that
  /// it answers before it counts as good.
  Result heard_from(const NodeInfo& node, bool answered, Clock::time_point now);
  /// One of our queries to `id` went unanswered.
  void failed(const Id& id);

  /// Up to `count` known nodes closest to `target`, closest first, bad nodes left out.
  [[nodiscard]] std::vector<NodeInfo> closest(const Id& target, std::size_t count = k,
                                              Clock::time_point now = Clock::now()) const;
  [[nodiscard]] NodeState state(const RoutingNode& node, Clock::time_point now) const;
  [[nodiscard]] std::size_t size() const noexcept;
  [[nodiscard]] std::size_t bucket_count() const noexcept { return buckets_.size(); }
  /// Buckets nobody in which was heard from for 15 minutes: for each, an id in its range
  /// to look up (a refresh).
  [[nodiscard]] std::vector<Id> refresh_targets(Clock::time_point now) const;
  /// Every node, for saving the table with the session's state.
  [[nodiscard]] std::vector<NodeInfo> nodes() const;

 private:
  struct Bucket {
    std::size_t depth = 0;  ///< ids in it share this many leading bits with own_
    std::vector<RoutingNode> nodes;
    Clock::time_point changed{};
  };
  std::size_t bucket_index(const Id& id) const noexcept;
  void split_last();

  Id own_;
  // buckets_[i] for i < last holds ids sharing exactly i leading bits with own_; the
  // last bucket holds all ids sharing at least its depth bits (it is the one that splits).
  std::vector<Bucket> buckets_;
};

}  // namespace bitflow::dht
