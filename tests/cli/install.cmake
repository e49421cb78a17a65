# Installing and packaging: `cmake --install` into a temporary prefix (the installed binary,
# man page and bash completion), `cpack -G DEB`, and the commit in --version from a git checkout
# and from a `git archive` tarball (install_checks.sh says what each checks).
foreach(scenario prefix man completion deb git-archive version-refresh)
  add_test(NAME cli.install.${scenario}
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/install_checks.sh ${scenario} ${SIM}
            ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR})
  # One at a time: `cmake --install` and cpack write install_manifest.txt in the build directory.
  set_tests_properties(cli.install.${scenario} PROPERTIES LABELS cli SKIP_RETURN_CODE 77
    RESOURCE_LOCK egress_install)
endforeach()
