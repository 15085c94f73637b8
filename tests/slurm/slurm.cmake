# Slurm end-to-end test: include() this from tests/CMakeLists.txt.
# Starts a private single-node Slurm (scripts/slurm-start.sh) and runs the job
# scripts in jobs/ with the built cvseg. Needs root and the packages munge,
# slurmctld, slurmd, slurm-client; without them the test reports SKIPPED
# (exit code 77). Run only it with: ctest -L slurm --output-on-failure
add_test(NAME slurm_jobs
         COMMAND ${CMAKE_SOURCE_DIR}/tests/slurm/run_slurm_tests.sh
                 $<TARGET_FILE:cvseg> ${CMAKE_BINARY_DIR}/slurm-work)
set_tests_properties(slurm_jobs PROPERTIES
                     LABELS slurm
                     SKIP_RETURN_CODE 77
                     TIMEOUT 600
                     RUN_SERIAL TRUE)
