# The examples, run on small inputs so that they cannot rot.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(D ${SRC}/data/demo)

# minimal: one exclusion episode, opened and closed.
execute_process(COMMAND ${MINIMAL} RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0 OR NOT out MATCHES "\"event\":\"opened\"" OR NOT out MATCHES "\"event\":\"closed\"")
  message(FATAL_ERROR "minimal (exit ${rc}) printed:\n${out}")
endif()

# monitoring_service: one uninterrupted run against a run that dies without
# warning after 7,500 records and is restarted on the same input.
file(STRINGS ${D}/fixes.csv head LIMIT_COUNT 30001)
list(JOIN head "\n" text)
file(WRITE ${WORK}/fixes.csv "${text}\n")
set(args --zones ${D}/zones.geojson --links ${D}/links.csv --checkpoint-every 1000 --checkpoint-seconds 3600)
execute_process(COMMAND ${SERVICE} ${args} --state ${WORK}/once INPUT_FILE ${WORK}/fixes.csv RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "monitoring_service exited ${rc}")
endif()
execute_process(COMMAND ${SERVICE} ${args} --state ${WORK}/twice --crash-after 7500 INPUT_FILE ${WORK}/fixes.csv
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 3)
  message(FATAL_ERROR "monitoring_service --crash-after should exit 3, got ${rc}")
endif()
execute_process(COMMAND ${SERVICE} ${args} --state ${WORK}/twice INPUT_FILE ${WORK}/fixes.csv RESULT_VARIABLE rc
                ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT err MATCHES "resumed after 7000 records")
  message(FATAL_ERROR "the restarted service exited ${rc}:\n${err}")
endif()
file(READ ${WORK}/once/alerts.jsonl once)
file(READ ${WORK}/twice/alerts.jsonl twice)
if(once STREQUAL "")
  message(FATAL_ERROR "no alerts from 30,000 fixes of the demo scenario")
endif()
if(NOT once STREQUAL twice)
  message(FATAL_ERROR "the restarted service wrote different alerts than the uninterrupted one")
endif()

# crime_batch over a saved store gives what `warden match` gives.
execute_process(COMMAND ${WARDEN} match --trails ${D}/fixes.csv --crimes ${D}/crimes.csv --links ${D}/links.csv
                        --save-store ${WORK}/trails.wts --out ${WORK}/matches.csv --quiet RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "warden match exited ${rc}")
endif()
execute_process(COMMAND ${CRIME_BATCH} ${WORK}/trails.wts ${D}/crimes.csv ${WORK}/batch.csv RESULT_VARIABLE rc
                ERROR_QUIET)
file(READ ${WORK}/matches.csv expected)
file(READ ${WORK}/batch.csv got)
if(NOT rc EQUAL 0 OR NOT got STREQUAL expected)
  message(FATAL_ERROR "crime_batch (exit ${rc}) differs from warden match:\n${got}\nexpected:\n${expected}")
endif()
string(REGEX MATCHALL "\n[^,\n]+,[^,\n]+,present," present "${got}")
list(LENGTH present np)
if(np EQUAL 0)
  message(FATAL_ERROR "crime_batch found nobody present at any crime")
endif()
