# `cmake --install` and the Debian package (`cpack -G DEB` in the build directory). The binary,
# its man page and bash completion are installed by tools/CMakeLists.txt, which makes them; here
# the example topologies and the README. Tests and benchmarks are not installed.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/topologies/
  DESTINATION ${CMAKE_INSTALL_DATADIR}/egress-sim/topologies)
# Named after the package, egress-sim (CMAKE_INSTALL_DOCDIR is named after the project,
# egress_sim).
set(EGRESS_INSTALL_DOCDIR ${CMAKE_INSTALL_DATAROOTDIR}/doc/egress-sim)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${EGRESS_INSTALL_DOCDIR})
foreach(licence LICENSE LICENSE.md LICENSE.txt COPYING)
  if(EXISTS ${PROJECT_SOURCE_DIR}/${licence})
    install(FILES ${PROJECT_SOURCE_DIR}/${licence} DESTINATION ${EGRESS_INSTALL_DOCDIR})
  endif()
endforeach()

# cpack and `make install` install what was built, as `cmake --install` does, rather than first
# building every target (tests and benchmarks included) and, under ctest, relinking the binary
# the other tests are running.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

if(NOT EGRESS_TOP_LEVEL)
  return()
endif()
set(EGRESS_MAINTAINER "egress-sim maintainers <maintainers@users.noreply.b-seed-3f3ec383.example>"
  CACHE STRING "Maintainer field of the Debian package")
set(CPACK_PACKAGE_NAME egress-sim)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${EGRESS_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "packet-level simulator of the egress path of Azure VNets and AKS clusters")
set(CPACK_PACKAGE_DESCRIPTION
  "Given a topology (VNets, subnets, route tables, NAT gateways, load balancers, firewalls, VPN gateways, an AKS cluster and its outbound type) as YAML, egress-sim says for any flow which way it leaves, what happens to it and with which public source IP, and replays pcap captures through it.")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
# dpkg-shlibdeps names the libraries' packages with the versions the binary needs
# (libpcap0.8, libyaml-cpp0.7, libstdc++6, libc6); without it, the same names unversioned.
find_program(DPKG_SHLIBDEPS dpkg-shlibdeps)
if(DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libpcap0.8, libyaml-cpp0.7, libstdc++6, libc6")
endif()
include(CPack)
