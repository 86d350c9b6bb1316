#!/bin/sh
# migsim run --mpi under mpirun with 2 and 3 ranks writes results.jsonl, results.csv and
# summary.txt byte-identical to a serial run. Exit 77 (skipped) without OpenMPI or without a
# migsim built with it; scripts/setup.sh installs OpenMPI.
# Usage: mpi_test.sh MIGSIM SOURCE_DIR WORK_DIR
set -eu
migsim=$1 src=$2 work=$3
command -v mpirun >/dev/null 2>&1 || { echo "skipped: mpirun not found (Debian openmpi-bin)"; exit 77; }
if "$migsim" run --mpi /dev/null 2>&1 | grep -q "built without MPI"; then
  echo "skipped: this migsim was built without MPI"; exit 77
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
rm -rf "$work" && mkdir -p "$work" && cd "$work"
# A sweep of single migrations and one of several-VM batches.
cp "$src/scenarios/default-suite/tsmc-low-dirty.yaml" "$src/scenarios/examples/evacuation.yaml" .
files="tsmc-low-dirty.yaml evacuation.yaml"
"$migsim" run $files --out serial --quiet --jobs 1
for ranks in 2 3; do
  mpirun -n $ranks "$migsim" run --mpi $files --out mpi$ranks --quiet
  for f in results.jsonl results.csv summary.txt; do
    cmp "serial/$f" "mpi$ranks/$f" || { echo "FAIL: $ranks ranks: $f differs from the serial run"; exit 1; }
  done
  echo "$ranks ranks: $(wc -l < mpi$ranks/results.jsonl) records identical to the serial run"
done
