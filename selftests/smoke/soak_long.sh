#!/bin/bash
# The concurrency soak (vfio_mdev_soak) at its full length, SOAK_LONG_ROUNDS
# rounds (default 10,000) for MDEV_DRIVER, on the production kernel: make
# check runs it in vm-p, where the 10,000 took 29-32 s (2026-12-07), beside
# the shorter soak of the debug kernel (SOAK_ROUNDS, 1,000), where KASAN,
# lockdep and kmemleak watch the same races and 10,000 did not end in 18
# minutes.  The checks are the soak's own; kmemleak's is skipped where the
# kernel has none.
TOP=$(cd "$(dirname "$0")/../.." && pwd)
SOAK_ROUNDS=${SOAK_LONG_ROUNDS:-10000} exec "$TOP/build/selftests/vfio_mdev_soak"
