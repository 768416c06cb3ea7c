# .deb packages through CPack (`cpack -G DEB` in a build folder), from the same install
# rules as `cmake --install`:
#   libbitflow-dev  the library, its headers, the CMake package and bitflow.pc
#   bitflow         the `bitflow` command-line client
#   bitflowd        the download service, with a systemd unit, its own system user and
#                   /var/lib/bitflowd (when the daemon is built: BITFLOW_BUILD_DAEMON)
# All carry the MIT license as their copyright file. Installed under /usr.
set(CPACK_PACKAGE_NAME bitflow)
set(CPACK_PACKAGE_VENDOR "the bitflow developers")
set(CPACK_PACKAGE_CONTACT "bitflow developers <bitflow@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_RESOURCE_FILE_LICENSE "${PROJECT_SOURCE_DIR}/LICENSE")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR DEB)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(bitflow_components dev cli)
if(TARGET bitflowd)
  list(APPEND bitflow_components daemon)
endif()
set(CPACK_COMPONENTS_ALL ${bitflow_components})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libbitflow-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# What a program built against the headers and the static library needs.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "libboost1.81-dev, libboost-json1.81-dev, libboost-url1.81-dev, libssl-dev, libcurl4-openssl-dev, libfmt-dev, libspdlog-dev, libpugixml-dev, libsqlite3-dev")
set(CPACK_COMPONENT_DEV_DESCRIPTION
    "bitflow: BitTorrent engine library - development files\n The static library, C++20 headers, CMake package (find_package(bitflow)) and pkg-config file of bitflow, a BitTorrent engine with pluggable fetchers and sinks.")
set(CPACK_DEBIAN_CLI_PACKAGE_NAME bitflow)
set(CPACK_DEBIAN_CLI_PACKAGE_SHLIBDEPS ON)
set(CPACK_COMPONENT_CLI_DESCRIPTION
    "bitflow: BitTorrent client for the command line\n Creates, inspects, downloads and seeds torrents and magnet links.")

set(CPACK_DEBIAN_DAEMON_PACKAGE_NAME bitflowd)
set(CPACK_DEBIAN_DAEMON_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_DAEMON_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_DAEMON_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/packaging/debian/postinst;${PROJECT_SOURCE_DIR}/packaging/debian/prerm;${PROJECT_SOURCE_DIR}/packaging/debian/postrm")
set(CPACK_DEBIAN_DAEMON_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_COMPONENT_DAEMON_DESCRIPTION
    "bitflowd: download service with a REST API\n Downloads torrents, magnet links and URLs for several users with tokens, tiers and live events, into a folder or S3; runs as the bitflowd system user with its data in /var/lib/bitflowd.")

foreach(component ${bitflow_components})
  string(TOUPPER ${component} upper)
  install(FILES "${PROJECT_SOURCE_DIR}/LICENSE" RENAME copyright
          DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/${CPACK_DEBIAN_${upper}_PACKAGE_NAME}"
          COMPONENT ${component})
endforeach()
include(CPack)
