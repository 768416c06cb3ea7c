#include "write_file.hpp"

#include <fstream>
#include <stdexcept>

namespace cli {

void write_file(const std::filesystem::path& path, std::string_view bytes) {
  auto temp = path;
  temp += ".part";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out.write(bytes.data(), static_cast<std::streamsize>(bytes.size())) || !out.flush())
      throw std::runtime_error(path.string() + ": cannot write");
  }
  std::filesystem::rename(temp, path);
}

}  // namespace cli
