// What the Store interface (bitflow/manager_store.hpp) implements itself, for stores that
// have nothing faster.
#include <algorithm>
#include <iterator>

#include "bitflow/manager_store.hpp"

namespace bitflow::manager {

std::vector<DownloadRecord> Store::list_page(ListFilter filter,
                                             const std::optional<std::string>& owner,
                                             const std::optional<ListPosition>& after,
                                             std::size_t limit) {
  std::vector<DownloadRecord> all = list(filter, owner);
  auto first = all.begin();
  if (after)
    first = std::find_if(all.begin(), all.end(), [&](const DownloadRecord& r) {
      return r.queue_seq > after->queue_seq ||
             (r.queue_seq == after->queue_seq && r.id > after->id);
    });
  const auto count = std::min<std::size_t>(limit, static_cast<std::size_t>(all.end() - first));
  std::vector<DownloadRecord> page;
  page.reserve(count);
  std::move(first, first + static_cast<std::ptrdiff_t>(count), std::back_inserter(page));
  return page;
}

}  // namespace bitflow::manager
