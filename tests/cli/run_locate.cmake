# `warden locate` on hand-made zones, planar and WGS84: points inside, in
# holes, on edges and vertices (shared between zones and of holes), on a
# circle's rim, in the gap of a multipolygon and outside everything; bad
# point rows and bad zones reported as FILE:LINE: code (exit status 1) while
# the good records around them are still answered. Every expected file in
# tests/cli/locate_expected_* was written by hand from the geometry, not
# by running warden.
#
#   cmake -DWARDEN=path/to/warden -DSRC=source/dir -P run_locate.cmake
set(dir ${SRC}/tests/cli)

# Runs warden locate with the given arguments (working directory tests/cli,
# so that diagnostics name files as given) and compares stdout, the exit
# status and, when `stderr_file` is not "", the FILE:LINE: code prefix of
# every stderr line, in order.
function(check_locate name expected_rc expected_out stderr_file)
  execute_process(COMMAND ${WARDEN} locate ${ARGN}
                  WORKING_DIRECTORY ${dir}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  file(READ ${dir}/${expected_out} expected)
  if(NOT rc EQUAL expected_rc)
    message(FATAL_ERROR "${name}: exit status ${rc}, expected ${expected_rc}\nstderr:\n${err}")
  endif()
  if(NOT out STREQUAL expected)
    message(FATAL_ERROR "${name}: printed:\n${out}\nexpected:\n${expected}\nstderr:\n${err}")
  endif()
  if(stderr_file STREQUAL "")
    if(NOT err STREQUAL "")
      message(FATAL_ERROR "${name}: unexpected stderr:\n${err}")
    endif()
    return()
  endif()
  file(STRINGS ${dir}/${stderr_file} want)
  string(REGEX REPLACE "\n$" "" err_trimmed "${err}")
  string(REPLACE ";" "," err_trimmed "${err_trimmed}")  # messages may hold ';', a CMake list separator
  string(REPLACE "\n" ";" got "${err_trimmed}")
  list(LENGTH want n_want)
  list(LENGTH got n_got)
  if(NOT n_want EQUAL n_got)
    message(FATAL_ERROR "${name}: ${n_got} stderr lines, expected ${n_want}:\n${err}")
  endif()
  foreach(i RANGE 1 ${n_want})
    math(EXPR k "${i} - 1")
    list(GET want ${k} w)
    list(GET got ${k} g)
    string(FIND "${g}" "${w}: " at)
    if(NOT at EQUAL 0)
      message(FATAL_ERROR "${name}: stderr line ${i} is\n  ${g}\nexpected it to start with\n  ${w}: ")
    endif()
  endforeach()
endfunction()

check_locate(planar 0 locate_expected_planar.txt ""
             --zones locate_zones_planar.geojson --points locate_points_planar.csv --crs planar)
check_locate(wgs84 0 locate_expected_wgs84.txt ""
             --zones locate_zones_wgs84.geojson --points locate_points_wgs84.csv)
check_locate(wgs84_explicit 0 locate_expected_wgs84.txt ""
             --zones locate_zones_wgs84.geojson --points locate_points_wgs84.csv --crs wgs84)
check_locate(bad_rows 1 locate_expected_bad.txt locate_expected_bad_stderr.txt
             --zones locate_zones_wgs84.geojson --points locate_points_bad.csv)
check_locate(bad_zones 1 locate_expected_bad_zones.txt locate_expected_bad_zones_stderr.txt
             --zones locate_zones_bad.geojson --points locate_points_planar.csv --crs planar)

# Planar zones are not WGS84: read as longitude/latitude they are refused
# (x = 100, y = 100 is no position), and the run exits 1.
execute_process(COMMAND ${WARDEN} locate --zones locate_zones_planar.geojson --points locate_points_wgs84.csv
                WORKING_DIRECTORY ${dir} RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "planar zones read as WGS84: exit status ${rc}, expected 1\n${err}")
endif()

# --strict stops at the first bad row: only the rows before it are answered.
execute_process(COMMAND ${WARDEN} locate --zones locate_zones_wgs84.geojson --points locate_points_bad.csv --strict
                WORKING_DIRECTORY ${dir} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 1 OR NOT out STREQUAL "id,zone_ids\ng1,Z1\n")
  message(FATAL_ERROR "--strict: exit status ${rc}, printed:\n${out}\nstderr:\n${err}")
endif()

# Usage errors exit 2.
execute_process(COMMAND ${WARDEN} locate --zones locate_zones_wgs84.geojson --points locate_points_wgs84.csv
                        --crs mercator
                WORKING_DIRECTORY ${dir} RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
if(NOT rc EQUAL 2)
  message(FATAL_ERROR "--crs mercator: exit status ${rc}, expected 2")
endif()
