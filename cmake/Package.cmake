#===- Package.cmake - `cmake --install` and the cnnopt CMake package -------===#
#
# `cmake --install build --prefix P` puts the tools in P/bin, the runtime
# library a program linking a generated model needs in P/lib with its
# headers in P/include/cnnopt, and the package in P/lib/cmake/cnnopt:
# find_package(cnnopt) gives the imported targets cnnopt::cnnopt (the
# compiler, run at build time) and cnnopt::runtime, and cnnopt_add_model()
# (cmake/cnnoptAddModel.cmake). The compiler's own libraries (add_mlir_library)
# are not installed: nothing outside the tools links them.
#===------------------------------------------------------------------------===#
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(CNNOPT_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/cnnopt)
set(CNNOPT_INSTALL_INCLUDEDIR ${CMAKE_INSTALL_INCLUDEDIR}/cnnopt)

# cnnopt-run starts cnnopt-device-worker from its own folder (GPU targets),
# so the two always go to the same place.
install(TARGETS cnnopt cnnopt-run cnnopt-opt cnnopt-device-worker
        EXPORT cnnoptTargets
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS cnnopt_runtime
        EXPORT cnnoptTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES
          ${PROJECT_SOURCE_DIR}/codegen/runtime/cnnopt_runtime.h
          ${PROJECT_SOURCE_DIR}/codegen/runtime/cnnopt_model_api.h
        DESTINATION ${CNNOPT_INSTALL_INCLUDEDIR})
# cnnopt::runtime is the name users see; the build keeps its own.
set_target_properties(cnnopt_runtime PROPERTIES EXPORT_NAME runtime)
install(EXPORT cnnoptTargets
        NAMESPACE cnnopt::
        DESTINATION ${CNNOPT_INSTALL_CMAKEDIR})

configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/cnnoptConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/cnnoptConfig.cmake
  INSTALL_DESTINATION ${CNNOPT_INSTALL_CMAKEDIR}
  PATH_VARS CNNOPT_INSTALL_INCLUDEDIR)
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/cmake/cnnoptConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES
          ${PROJECT_BINARY_DIR}/cmake/cnnoptConfig.cmake
          ${PROJECT_BINARY_DIR}/cmake/cnnoptConfigVersion.cmake
          ${PROJECT_SOURCE_DIR}/cmake/cnnoptAddModel.cmake
        DESTINATION ${CNNOPT_INSTALL_CMAKEDIR})
