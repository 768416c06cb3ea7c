# bitflow.pc for build systems other than CMake (`pkg-config --cflags --libs bitflow`).
# The prefix is found relative to the .pc file itself, so the same file is right in
# /usr (the .deb), /usr/local or any --prefix. libbitflow is usually static, so curl,
# OpenSSL, pugixml, SQLite and spdlog (whose logger is in the public API) are plain
# requirements: `--libs` must name them without `--static`, whose answer for libcurl lists
# static libraries Debian does not ship. Boost is header-only.
set(BITFLOW_PC_PREFIX "\${pcfiledir}/..")
string(REPLACE "/" ";" libdir_parts "${CMAKE_INSTALL_LIBDIR}")
foreach(part IN LISTS libdir_parts)
  string(APPEND BITFLOW_PC_PREFIX "/..")
endforeach()
configure_file(${PROJECT_SOURCE_DIR}/cmake/bitflow.pc.in ${PROJECT_BINARY_DIR}/bitflow.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/bitflow.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
