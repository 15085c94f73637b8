#!/usr/bin/env bash
# test_reproducible.sh: the engine's guarantee that labels, centroids, inertia
# and iteration counts are bit-identical for any number of ranks and threads.
#   - gen (300,000 members) at np 1 and np 3: every /members dataset and
#     /truth/group identical;
#   - train --k 6 (k-means++ and k-means||) at np 1, 2, 4, 7 (oversubscribed)
#     x OMP_NUM_THREADS 1, 2: every /results dataset and every /model dataset
#     (centroids, centroids_original, ...) identical to the np 1 x 1 thread run
#     under plain h5diff (no tolerance), the model attributes inertia,
#     iterations, converged, best_restart equal bit for bit;
#   - CDNOW (many exactly tied members), k 8, log1p, 4 restarts: np 1 x 1
#     against np 5 x 2 threads, same comparisons (when SHARED_DIR has it);
#   - rfm on 3,000,000 generated members at np 1 and np 4: every /results
#     dataset identical.
#
# Environment (set by ctest): CVSEG, SOURCE_DIR, SHARED_DIR, WORK_DIR, PYTHON.
set -euo pipefail

# shellcheck source=lib.sh
source "${SOURCE_DIR:?}/tests/e2e/lib.sh"
ORACLE=$SOURCE_DIR/tests/e2e/oracle_km/kmo.py
need_python h5py numpy
need_command h5diff
enter_work_dir
export OMP_WAIT_POLICY=PASSIVE

# ------------------------------------------------------------ gen
run_threads 1 2 gen -q --out gen_np1.h5 --members 300000 --clusters 5 --seed 21
ran "gen --members 300000 at np 1"
run_threads 3 1 gen -q --out gen_np3.h5 --members 300000 --clusters 5 --seed 21
ran "gen --members 300000 at np 3"
same_datasets "gen: np 1 and np 3 give identical /members and /truth datasets" gen_np1.h5 gen_np3.h5 \
    /members /truth

# ------------------------------------------------------------ train
for init in k-means++ k-means-parallel; do
    reference=train_${init}_np1_t1
    for np in 1 2 4 7; do
        for threads in 1 2; do
            tag=train_${init}_np${np}_t${threads}
            run_threads $np $threads train -q --in gen_np1.h5 --out $tag.h5 --model ${tag}_model.h5 \
                --k 6 --init $init --seed 5
            if [ "$rc" != 0 ]; then
                fail "train --k 6 --init $init at np $np x $threads threads" \
                    "exit $rc: $(tail -n 3 err.txt | tr '\n' ' ')"
                continue
            fi
            "$PYTHON" -c "import h5py, sys
a = h5py.File(sys.argv[1], 'r')['model'].attrs
assert int(a['ranks']) == $np and int(a['threads']) == $threads, (a['ranks'], a['threads'])" \
                ${tag}_model.h5 >attrs.log 2>&1 ||
                fail "$init np $np x $threads threads: model records ranks and threads" \
                    "$(tail -n 1 attrs.log)"
            [ "$tag" = "$reference" ] && continue
            same_datasets "$init np $np x $threads threads: /results identical to np 1 x 1" \
                $reference.h5 $tag.h5 /results
            same_datasets "$init np $np x $threads threads: /model datasets identical to np 1 x 1" \
                ${reference}_model.h5 ${tag}_model.h5 /model
            oracle "$init np $np x $threads threads: inertia, iterations bit-identical" \
                same-model ${reference}_model.h5 ${tag}_model.h5
        done
    done
done

# ------------------------------------------------------------ CDNOW (many tied rows)
# Many CDNOW members share (R, F, M) exactly: ties in seeding weights, nearest
# centres and restarts must still be broken the same way at any partition.
CDNOW=${SHARED_DIR:-}/data/cdnow/CDNOW_master.txt
if [ -r "$CDNOW" ]; then
    OMP_NUM_THREADS=1 cdnow_members "$CDNOW" cdnow_tx.h5 cdnow.h5 1998-07-01
    for init in k-means++ k-means-parallel; do
        for np in 1 5; do
            threads=$((np == 1 ? 1 : 2))
            run_threads $np $threads train -q --in cdnow.h5 --out cdnow_${init}_np$np.h5 \
                --model cdnow_${init}_np${np}_model.h5 --k 8 --init $init --transform log1p --n-init 4 --seed 9
            ran "CDNOW train --k 8 --transform log1p --init $init at np $np x $threads threads"
        done
        same_datasets "CDNOW $init: np 5 x 2 threads /results identical to np 1 x 1" \
            cdnow_${init}_np1.h5 cdnow_${init}_np5.h5 /results
        same_datasets "CDNOW $init: np 5 x 2 threads /model datasets identical to np 1 x 1" \
            cdnow_${init}_np1_model.h5 cdnow_${init}_np5_model.h5 /model
        oracle "CDNOW $init: inertia, iterations bit-identical" \
            same-model cdnow_${init}_np1_model.h5 cdnow_${init}_np5_model.h5
    done
else
    echo "info CDNOW_master.txt not found under SHARED_DIR: CDNOW cases not run"
fi

# ------------------------------------------------------------ rfm at scale
run_threads 2 1 gen -q --out big.h5 --members 3000000 --clusters 5 --seed 23
ran "gen --members 3000000"
run_threads 1 2 rfm -q --in big.h5 --out rfm_np1.h5
ran "rfm on 3,000,000 members at np 1"
run_threads 4 1 rfm -q --in big.h5 --out rfm_np4.h5
ran "rfm on 3,000,000 members at np 4"
same_datasets "rfm: np 1 and np 4 give identical /results datasets" rfm_np1.h5 rfm_np4.h5 /results
rm -f big.h5 rfm_np1.h5 rfm_np4.h5

finish
