// Links the embedded bitflow: prints the version it was built from.
#include <bitflow/version.hpp>

#include <cstdio>

int main() {
  std::printf("bitflow %s\n", bitflow::version_string);
  return 0;
}
