# `warden windows` across both 2026 clock changes: the 19:00-07:00 curfew
# is 11 h on the spring-forward night and 13 h on the fall-back night
# (expected output written by hand from the UK rules, not by warden).
set(out "")
foreach(range "2026-03-28T12:00:00Z;2026-03-30T12:00:00Z" "2026-10-24T12:00:00Z;2026-10-26T12:00:00Z")
  list(GET range 0 from)
  list(GET range 1 to)
  execute_process(COMMAND ${WARDEN} windows --zones ${SRC}/tests/cli/curfew_zone.geojson --zone H1
                          --from ${from} --to ${to}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE part)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "warden windows exited ${rc}")
  endif()
  string(APPEND out "${part}")
endforeach()
file(READ ${SRC}/tests/cli/windows_expected.txt expected)
if(NOT out STREQUAL expected)
  message(FATAL_ERROR "warden windows printed:\n${out}\nexpected:\n${expected}")
endif()
execute_process(COMMAND ${WARDEN} windows --zones ${SRC}/tests/cli/curfew_zone.geojson --zone NOPE
                        --from 2026-03-28T12:00:00Z --to 2026-03-30T12:00:00Z
                RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "an unknown zone must exit 1, got ${rc}")
endif()
