#!/usr/bin/env bash
# Compare YAML parser candidates for scenario files (see RESULTS.md).
#
#   fuzz/candidates/run.sh            # build, run cases/, fuzz each candidate 60 s
#   FUZZ_SECONDS=0 fuzz/candidates/run.sh   # cases only
#
# Needs clang++-14 (libFuzzer), libyaml-cpp-dev, libyaml-dev, libfyaml-dev.
# Everything it writes goes to $OUT (default fuzz/candidates/out/, git-ignored):
#   bin/       the harnesses and the probe
#   gen/       large generated cases (never committed)
#   logs/      one libFuzzer log per (candidate, case) and per fuzz run
#   artifacts/ crash/timeout/oom inputs found while fuzzing
#   cases.tsv  candidate, case, outcome, where, seconds, peak RSS (KiB)
#   fuzz.tsv   candidate, outcome, where, artifact, execs, seconds
#   probe.txt  what each API reports for marks, aliases, tags, duplicate keys
#   verdicts.tsv  per (library, case): accepted N docs / rejected with message
# Runs one process at a time (the machine is shared): at most 1 core, and every
# run is capped by -rss_limit_mb (plus malloc_limit, which defaults to it).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${OUT:-$HERE/out}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
CXX=${CXX:-clang++-14}
CXXFLAGS="-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined"
RSS_MB=2048
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

mkdir -p "$OUT"/{bin,gen,logs,artifacts,corpus}

# --- 1. build -----------------------------------------------------------------
# name:source:extra flags and libraries
CANDIDATES=(
  "yamlcpp:fuzz_yamlcpp.cpp:-lyaml-cpp"
  "libyaml:fuzz_libyaml.cpp:-lyaml"
  "libfyaml:fuzz_libfyaml.cpp:-lfyaml"
  "libfyaml_resolve:fuzz_libfyaml.cpp:-DFY_RESOLVE -lfyaml"
)
BUILT=()
for c in "${CANDIDATES[@]}"; do
  IFS=: read -r name src extra <<<"$c"
  echo "== build $name"
  # shellcheck disable=SC2086
  if $CXX $CXXFLAGS "$HERE/$src" -o "$OUT/bin/fuzz_$name" $extra >"$OUT/logs/build_$name.txt" 2>&1; then
    BUILT+=("$name")
  else
    echo "   BUILD FAILED, see $OUT/logs/build_$name.txt"
  fi
done
# The probe is an ordinary program (no libFuzzer) linking all three libraries.
$CXX -std=c++20 -O1 -g -fsanitize=address,undefined "$HERE/probe.cpp" -o "$OUT/bin/probe" \
  -lyaml-cpp -lyaml -lfyaml >"$OUT/logs/build_probe.txt" 2>&1 &&
  "$OUT/bin/probe" >"$OUT/probe.txt" 2>&1
echo "== probe written to $OUT/probe.txt (exit $?)"
# Same probe without sanitizers, for accept/reject verdicts under ulimit -v.
$CXX -std=c++20 -O1 -g "$HERE/probe.cpp" -o "$OUT/bin/probe_plain" \
  -lyaml-cpp -lyaml -lfyaml >>"$OUT/logs/build_probe.txt" 2>&1

# --- 2. generated cases (too big to commit) ------------------------------------
python3 - "$OUT/gen" <<'EOF'
import sys, os
d = sys.argv[1]
def w(name, data):
    with open(os.path.join(d, name), 'w') as f: f.write(data)
w('nest_100k.yaml', '[' * 100000 + ']' * 100000 + '\n')
w('keys_100k.yaml', ''.join(f'key{i}: {i}\n' for i in range(100000)))
# an 8 MiB block list of short scalars
item, n = '- item_%07d\n', (8 << 20) // len('- item_0000000\n')
w('list_8mb.yaml', ''.join(item % i for i in range(n)))
EOF
ls -l "$OUT/gen"

# --- helpers --------------------------------------------------------------------
# classify LOG RC -> "outcome<TAB>where"
classify() {
  local log=$1 rc=$2 kind where
  if grep -q 'ERROR: libFuzzer: timeout' "$log"; then kind=timeout
  elif grep -qE 'ERROR: libFuzzer: out-of-memory|allocation-size-too-big|allocator is out of memory' "$log"; then kind=oom
  elif grep -q 'ERROR: AddressSanitizer: ' "$log"; then
    kind="crash:$(grep -m1 -oE 'ERROR: AddressSanitizer: [a-zA-Z_-]+' "$log" | awk '{print $3}')"
  elif grep -q 'ERROR: LeakSanitizer' "$log"; then kind="crash:leak"
  elif grep -q 'ERROR: libFuzzer: deadly signal' "$log"; then kind="crash:signal"
  elif grep -q 'runtime error:' "$log"; then kind="ub"
  elif [ "$rc" -eq 0 ]; then kind=ok
  else kind="other(rc=$rc)"
  fi
  # first stack frame inside a YAML library (.so or inline header) or the harness;
  # "[in walk]" when the harness' own recursive walk is on the stack
  where=$(grep -m1 -E '^ +#[0-9]+ .*(libyaml-0\.so|libyaml-cpp\.so|libfyaml\.so|include/yaml-cpp/|fuzz_[a-z]+\.cpp:)' "$log" |
    sed -E 's/^ +#[0-9]+ 0x[0-9a-f]+ (in )?//; s/ \(BuildId.*//; s|/usr/include/||; s|/lib/x86_64-linux-gnu/||; s|'"$HERE"'/||' | cut -c1-100)
  grep -qE '^ +#[0-9]+ .* in walk\(' "$log" && where="$where [in walk]"
  [ "$kind" = ok ] && where=""
  printf '%s\t%s' "$kind" "${where:--}"
}

# --- 3. known-bad cases, one process per (candidate, case) ---------------------
CASES=("$HERE"/cases/* "$OUT"/gen/*)
printf 'candidate\tcase\toutcome\twhere\tseconds\tpeak_rss_kib\n' >"$OUT/cases.tsv"
for name in "${BUILT[@]}"; do
  for f in "${CASES[@]}"; do
    cs=$(basename "$f" .yaml)
    log="$OUT/logs/case_${name}_$cs.txt"
    /usr/bin/time -f '%e %M' -o "$OUT/logs/time.tmp" \
      timeout 120 "$OUT/bin/fuzz_$name" -timeout=10 -rss_limit_mb=$RSS_MB "$f" >"$log" 2>&1
    rc=$?
    read -r secs rss < <(tail -n1 "$OUT/logs/time.tmp") || { secs=?; rss=?; }
    [ "$rc" -eq 124 ] && echo "killed by outer timeout 120 s" >>"$log"
    res=$(classify "$log" "$rc")
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$cs" "$res" "$secs" "$rss" | tee -a "$OUT/cases.tsv"
  done
done

# --- 3b. accept/reject verdict per library (load only, 5 s, 2.5 GB address space)
printf 'library\tcase\tverdict\n' >"$OUT/verdicts.tsv"
for lib in yamlcpp libyaml libfyaml; do
  for f in "${CASES[@]}"; do
    v=$( (ulimit -v 2500000; timeout 5 "$OUT/bin/probe_plain" "$lib" "$f" 2>"$OUT/logs/verdict.err"); echo " rc=$?")
    case "$v" in *rc=0) v=${v% rc=0};; *rc=124) v="no verdict: still running after 5 s";; esac
    [ "${v#rejected (diag}" != "$v" ] && v="rejected: $(grep -m1 -o 'error: .*' "$OUT/logs/verdict.err")"
    printf '%s\t%s\t%s\n' "$lib" "$(basename "$f" .yaml)" "$(echo "$v" | head -1 | cut -c1-110)" | tee -a "$OUT/verdicts.tsv"
  done
done

# --- 4. fuzz each candidate for FUZZ_SECONDS, one after another -----------------
# Seeds: project scenarios, tests/bad_input and cases/ -- minus every seed that
# already fails for this candidate (run once, -timeout=5), otherwise the run
# just stops on a known seed instead of looking for something new.
if [ "$FUZZ_SECONDS" -gt 0 ]; then
  printf 'candidate\toutcome\twhere\tartifact\texecs\tseconds\n' >"$OUT/fuzz.tsv"
  for name in "${BUILT[@]}"; do
    corpus="$OUT/corpus/$name"
    rm -rf "$corpus" "$OUT/artifacts/$name"
    mkdir -p "$corpus" "$OUT/artifacts/$name"
    dropped=()
    for f in "$ROOT"/scenarios/*.yaml "$ROOT"/scenarios/examples/*.yaml "$ROOT"/tests/bad_input/*.yaml "$HERE"/cases/*; do
      [ -f "$f" ] || continue
      seed="$(basename "$(dirname "$f")")_$(basename "$f")"
      if timeout 60 "$OUT/bin/fuzz_$name" -timeout=5 -rss_limit_mb=$RSS_MB "$f" >"$OUT/logs/seed.tmp" 2>&1; then
        cp "$f" "$corpus/$seed"
      else
        dropped+=("$seed")
      fi
    done
    echo "   $name: seeds left out because they already fail: ${dropped[*]:-none}" | tee -a "$OUT/logs/seeds_dropped.txt"
    log="$OUT/logs/fuzz_$name.txt"
    echo "== fuzz $name for ${FUZZ_SECONDS}s ($(ls "$corpus" | wc -l) seeds)"
    start=$(date +%s)
    timeout $((FUZZ_SECONDS + 120)) "$OUT/bin/fuzz_$name" "$corpus" -max_total_time="$FUZZ_SECONDS" -timeout=5 \
      -rss_limit_mb=$RSS_MB -max_len=4096 -print_final_stats=1 \
      -artifact_prefix="$OUT/artifacts/$name/" >"$log" 2>&1
    rc=$?
    secs=$(($(date +%s) - start))
    res=$(classify "$log" "$rc")
    [ "${res%%$'\t'*}" = ok ] && res=$(printf 'none found\t-')
    art=$(ls "$OUT/artifacts/$name" 2>/dev/null | head -1)
    execs=$(grep -m1 -oE 'stat::number_of_executed_units: [0-9]+' "$log" | awk '{print $2}')
    [ -z "$execs" ] && execs=$(grep -oE '#[0-9]+' "$log" | tail -1 | tr -d '#')
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$res" "${art:--}" "${execs:-?}" "$secs" | tee -a "$OUT/fuzz.tsv"
  done
fi
echo "== done: $OUT/cases.tsv $OUT/fuzz.tsv $OUT/probe.txt"
