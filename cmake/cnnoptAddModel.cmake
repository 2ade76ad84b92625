#===- cnnoptAddModel.cmake - cnnopt_add_model() ----------------------------===#
#
#   cnnopt_add_model(<target> NAME <model> MODEL <file.cnn|file.onnx>
#                    [WEIGHTS <file.safetensors>] [TRAIN]
#                    [TARGET_STRING <halide target, default host>])
#
# At build time runs the installed cnnopt on MODEL:
#   cnnopt MODEL --model NAME --emit=lib -o <bindir>/cnnopt_<target>/<target>.a
# (plus --weights, --train, --target as given), which writes a static
# library and its C header <target>.h beside it, again whenever MODEL,
# WEIGHTS or cnnopt itself change. <target> is an imported static library
# carrying the header's folder and what the generated code needs: the
# runtime library (cnnopt::runtime: .safetensors loading, initialisers),
# pthread, dl and libm. Link it and include "<target>.h" (declaring
# NAME_forward, NAME_init_params, ...; README "Using it").
#
# A static library rather than one object: cnnopt compiles a large model in
# parts on several threads, and an archive holds them without a relocatable
# link. Relative MODEL and WEIGHTS paths are from the calling CMakeLists.txt's
# folder, as add_executable's sources are.
#===------------------------------------------------------------------------===#
include_guard(GLOBAL)

function(cnnopt_add_model target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "TRAIN" "NAME;MODEL;WEIGHTS;TARGET_STRING" "")
  # CMake rewraps a message's lines, except those starting with a space:
  # the usage and file names go on such lines, whole.
  string(CONCAT usage "\n  usage: cnnopt_add_model(<target> NAME <model> MODEL <file.cnn|file.onnx> "
                "[WEIGHTS <file.safetensors>] [TRAIN] [TARGET_STRING <halide-target>])")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "cnnopt_add_model(${target}): unknown arguments "
                        "'${ARG_UNPARSED_ARGUMENTS}'${usage}")
  endif()
  if(ARG_KEYWORDS_MISSING_VALUES)
    message(FATAL_ERROR "cnnopt_add_model(${target}): ${ARG_KEYWORDS_MISSING_VALUES} "
                        "needs a value${usage}")
  endif()
  # NAME is required although cnnopt could pick a file's only model: the
  # functions of the header are named after it, and the program calling
  # them should not break when the file gains a second model.
  foreach(required NAME MODEL)
    if(NOT DEFINED ARG_${required})
      message(FATAL_ERROR "cnnopt_add_model(${target}): missing ${required}${usage}")
    endif()
  endforeach()
  if(TARGET ${target})
    message(FATAL_ERROR "cnnopt_add_model(${target}): a target named '${target}' "
                        "already exists")
  endif()
  if(ARG_TRAIN AND DEFINED ARG_WEIGHTS)
    # cnnopt refuses the pair too, but only at build time.
    message(FATAL_ERROR "cnnopt_add_model(${target}): TRAIN does not combine with WEIGHTS\n"
                        "  (the training step updates the parameters at run time; "
                        "WEIGHTS embeds them)")
  endif()

  set(inputs)
  foreach(file MODEL WEIGHTS)
    if(NOT DEFINED ARG_${file})
      continue()
    endif()
    get_filename_component(path "${ARG_${file}}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    get_source_file_property(generated "${path}" GENERATED)
    if(NOT EXISTS "${path}" AND NOT generated)
      message(FATAL_ERROR "cnnopt_add_model(${target}): no ${file} file\n  ${path}")
    endif()
    set(ARG_${file} "${path}")
    list(APPEND inputs "${path}")
  endforeach()
  if(NOT DEFINED ARG_TARGET_STRING)
    set(ARG_TARGET_STRING host)
  endif()

  set(dir "${CMAKE_CURRENT_BINARY_DIR}/cnnopt_${target}")
  set(library "${dir}/${target}${CMAKE_STATIC_LIBRARY_SUFFIX}")
  set(header "${dir}/${target}.h")
  set(options --model "${ARG_NAME}" --emit=lib -o "${library}" --target "${ARG_TARGET_STRING}")
  if(DEFINED ARG_WEIGHTS)
    list(APPEND options --weights "${ARG_WEIGHTS}")
  endif()
  if(ARG_TRAIN)
    list(APPEND options --train)
  endif()
  # An imported target's include folder must exist when CMake generates.
  file(MAKE_DIRECTORY "${dir}")
  add_custom_command(
    OUTPUT "${library}" "${header}"
    COMMAND cnnopt::cnnopt "${ARG_MODEL}" ${options}
    DEPENDS "$<TARGET_FILE:cnnopt::cnnopt>" ${inputs}
    COMMENT "Compiling model ${ARG_NAME} of ${ARG_MODEL} with cnnopt"
    VERBATIM)
  add_custom_target(${target}.cnnopt DEPENDS "${library}" "${header}")

  add_library(${target} STATIC IMPORTED GLOBAL)
  set(link cnnopt::runtime Threads::Threads ${CMAKE_DL_LIBS})
  if(UNIX AND NOT APPLE)
    list(APPEND link m)
  endif()
  set_target_properties(${target} PROPERTIES
    IMPORTED_LOCATION "${library}"
    INTERFACE_INCLUDE_DIRECTORIES "${dir}"
    INTERFACE_LINK_LIBRARIES "${link}")
  add_dependencies(${target} ${target}.cnnopt)
endfunction()
