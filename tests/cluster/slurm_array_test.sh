#!/usr/bin/env bash
# The README's Slurm job-array script under a real Slurm (issue 14, item 1):
# munged, slurmctld and slurmd started here from a private config and state
# folder, the script submitted with sbatch over real photos, then checked:
# every input has exactly one output, no input is done by two tasks, every
# task's report is valid and `imgflow merge-reports` passes. Then the fault
# case: one array task cancelled part-way (scancel) and run again (scontrol
# requeue keeps its index and the array's variables): with --skip-existing
# the union is complete, nothing is partial, nothing is written twice.
# Then the README's script for more shards than MaxArraySize allows (10
# here): three arrays with offsets, every input once, merged as one job.
# Every daemon started here is stopped by its pid on exit, also on failure.
#
# usage: slurm_array_test.sh IMGFLOW_BINARY README.md SAMPLE_IMAGES_DIR
# exit 0 pass, 1 fail, 77 skipped (no Slurm or munge, or not root).
set -euo pipefail

imgflow=$(realpath "$1")
readme=$2
samples=$3

skip() {
  echo "SKIP: $*"
  exit 77
}
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
log() { echo "slurm test: $*"; }

for c in munged slurmctld slurmd sbatch squeue scancel scontrol sinfo; do
  command -v "$c" >/dev/null || skip "$c is not installed (scripts/setup.sh installs slurm-wlm and munge)"
done
[[ $(id -u) -eq 0 ]] || skip "needs root: the daemons run as root (SlurmUser=root)"

work=$(mktemp -d /tmp/imgflow-slurm-XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  local rc=$?
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  if ((rc != 0)) && [[ -d $work ]]; then
    for f in "$work"/*.log; do [[ -f $f ]] && { echo "--- $f"; tail -n 20 "$f"; }; done
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT

# --- munge, with its own key and socket -------------------------------------
mkdir -m 700 "$work/munge"
head -c 1024 /dev/urandom >"$work/munge/munge.key"
chmod 400 "$work/munge/munge.key"
socket=$work/munge/munge.socket
munged --foreground --force --key-file="$work/munge/munge.key" --socket="$socket" \
  --pid-file="$work/munge/munged.pid" --log-file="$work/munged.log" \
  --seed-file="$work/munge/munged.seed" &
pids+=($!)
for _ in $(seq 50); do [[ -S $socket ]] && break; sleep 0.1; done
[[ -S $socket ]] || skip "munged did not start (see its log)"

# --- Slurm: one node (this machine), one partition, no accounting ------------
host=$(hostname -s)
cpus=$(nproc)
port=$((20000 + RANDOM % 20000))
mkdir -p "$work/state" "$work/spool" "$work/logs"
conf=$work/slurm.conf
cat >"$conf" <<EOF
ClusterName=imgflowtest
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
SlurmUser=root
SlurmdUser=root
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
KillWait=30
# 1001 by default; 10 here, so that part 3 needs more than one array.
MaxArraySize=10
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=batch Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$conf
start=$(date +%s.%N)
slurmctld -D -f "$conf" &
pids+=($!)
slurmd -D -f "$conf" &
pids+=($!)
up=""
for _ in $(seq 300); do
  state=$(sinfo -h -o %T 2>/dev/null | head -n1 || true)
  if [[ $state == idle* ]]; then
    up=yes
    break
  fi
  sleep 0.1
done
[[ -n $up ]] || skip "Slurm did not come up (node state: ${state:-none}; see the logs)"
log "slurmctld + slurmd up, node idle after $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $start }") s"

# --- The README's script, with /data under our folder ---------------------------
readme_script() { # readme_script REGEX: the README's first ```sh block matching REGEX
  awk -v want="$1" '/^```sh$/ { block = ""; inside = 1; next }
     inside && /^```$/ { if (block ~ want) { printf "%s", block; exit } inside = 0; next }
     inside { block = block $0 "\n" }' "$readme" | sed "s#/data/#$work/data/#g"
}
script=$work/thumbnails.sbatch
readme_script '#SBATCH --array' >"$script"
grep -q '^#SBATCH --array=' "$script" || fail "no job-array script found in $readme"
grep -q -- '--shard auto' "$script" || fail "the README's script does not use --shard auto"

# 1,000 photos (hard links to the samples under new names), 100 per task.
photos=$work/data/photos
mkdir -p "$photos/sub"
mapfile -t originals < <(find "$samples" -type f \( -name '*.jpg' -o -name '*.png' -o -name '*.webp' \) | sort)
for i in $(seq 0 999); do
  src=${originals[$((i % ${#originals[@]}))]}
  dir=$photos
  ((i % 3 == 0)) && dir=$photos/sub
  ln "$src" "$dir/p$i.${src##*.}"
done
inputs=$(find "$photos" -type f | wc -l)

# The node has $cpus CPUs: the script's --cpus-per-task=8 could never be
# placed, so the command line asks for one (a command-line option overrides
# the #SBATCH line; the script itself is unchanged).
submit() { # submit [SBATCH OPTIONS] SCRIPT [ARGUMENTS]
  sbatch --parsable --cpus-per-task=1 --chdir="$work" --output="$work/logs/%A_%a.out" \
    --export=ALL,PATH="$(dirname "$imgflow"):$PATH" "$@"
}
wait_for() { # wait_for JOBID: until no task of it is pending or running
  for _ in $(seq 1200); do
    [[ -z $(squeue -h -j "$1" 2>/dev/null) ]] && return 0
    sleep 0.25
  done
  fail "job $1 still running after 300 s"
}

# Outputs: exactly one per input, with the input's relative path; no temporaries.
check_outputs() { # check_outputs [INPUT FOLDER, default $photos]
  local outputs temporaries
  outputs=$(cd "$work/data/thumbs" && find . -type f ! -name '.*' | sed 's#^\./##; s#\.[^.]*$##' | sort)
  [[ $outputs == $(cd "${1:-$photos}" && find . -type f | sed 's#^\./##; s#\.[^.]*$##' | sort) ]] ||
    fail "the outputs are not exactly one per input"
  temporaries=$(find "$work/data/thumbs" -name '.*imgflow-*' | wc -l)
  ((temporaries == 0)) || fail "$temporaries temporary files left behind"
}

# --- 1. The array as written ----------------------------------------------------
t0=$(date +%s.%N)
job=$(submit "$script")
wait_for "$job"
log "array of 10 tasks over $inputs photos: $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $t0 }") s"
check_outputs
for k in $(seq 0 9); do
  [[ -f $work/reports/$k.json ]] || fail "task $k wrote no report (log: $(cat "$work/logs/${job}_$k.out" 2>/dev/null))"
done
"$imgflow" merge-reports -o "$work/all.json" "$work"/reports/*.json ||
  fail "merge-reports did not pass on the complete array"
python3 - "$work/all.json" "$inputs" <<'EOF'
import json, sys
merged = json.load(open(sys.argv[1]))
inputs = int(sys.argv[2])
assert merged["summary"]["ok"] == inputs, merged["summary"]
assert len({f["input"] for f in merged["files"]}) == inputs
assert merged["merge"]["shards_present"] == list(range(1, 11)), merged["merge"]
assert merged["merge"]["in_several_shards"] == [], merged["merge"]
EOF

# --- 2. One task cancelled part-way, then requeued --------------------------------
rm -rf "$work/data/thumbs" "$work/reports" "$work/all.json"
# Task 3's share (shard 4 of 10): cancel it once some, not all, are written.
mapfile -t share < <("$imgflow" --dry-run -r -s 800x800 --shard 4/10 -o "$work/data/thumbs" "$photos" 2>/dev/null |
  sed 's/.* -> //')
((${#share[@]} > 20)) || fail "task 3's share is only ${#share[@]} files"
job=$(submit --hold "$script")
scontrol release "${job}_3"  # task 3 alone first, so that it cannot finish before the cancel
cancelled=""
for _ in $(seq 3000); do
  done_now=0
  for f in "${share[@]}"; do [[ -f $f ]] && done_now=$((done_now + 1)); done
  if ((done_now >= 5)); then
    scancel "${job}_3" || true  # may say "try again later" while it signals
    cancelled=$done_now
    break
  fi
  sleep 0.02
done
[[ -n $cancelled ]] || fail "task 3 wrote nothing within 60 s"
for _ in $(seq 400); do [[ -z $(squeue -h -j "${job}_3" 2>/dev/null) ]] && break; sleep 0.1; done
# The task's record ends with its batch shell; imgflow itself finishes the
# files in flight and writes its report (interrupted) a moment later.
for _ in $(seq 400); do pgrep -f "reports/3[.]json" >/dev/null || break; sleep 0.1; done
python3 -c 'import json, sys; s = json.load(open(sys.argv[1]))["summary"]; assert s["cancelled"], s' \
  "$work/reports/3.json" || fail "the cancelled task's report does not say it was interrupted"
written_before=0
for f in "${share[@]}"; do [[ -f $f ]] && written_before=$((written_before + 1)); done
((written_before < ${#share[@]})) || fail "task 3 finished its ${#share[@]} files before the cancel"
log "task 3 cancelled after $written_before of ${#share[@]} files"
scontrol release "$job" || true  # "11_3: Job has already finished" for the cancelled one
wait_for "$job"
"$imgflow" merge-reports -o "$work/partial.json" "$work"/reports/*.json &&
  fail "merge-reports passed although task 3 was cancelled"
# Run task 3 again: same index, same array variables.
scontrol requeue "${job}_3"
wait_for "$job"
check_outputs
"$imgflow" merge-reports -o "$work/all.json" "$work"/reports/*.json ||
  fail "merge-reports did not pass after task 3 ran again"
python3 - "$work/reports/3.json" "$written_before" "${#share[@]}" <<'EOF'
import json, sys
rerun = json.load(open(sys.argv[1]))
before, share = int(sys.argv[2]), int(sys.argv[3])
written = [f for f in rerun["files"] if f["status"] == "ok"]
up_to_date = [f for f in rerun["files"] if f["status"] == "skipped" and "error" not in f]
# Nothing written twice: the rerun wrote only what the cancelled run had not.
assert len(written) == share - before, (len(written), share, before)
assert len(up_to_date) == before, (len(up_to_date), before)
assert rerun["job"]["shard"] == {"index": 4, "count": 10}, rerun["job"]
EOF
log "requeued task 3 wrote the other $((${#share[@]} - written_before)) files; merge complete"

# --- 3. More shards than one array holds ---------------------------------------------
# The README's script for 3,000 shards in three arrays of 0-999, scaled to
# three arrays of 0-9 over 30 shards for MaxArraySize=10 (its arithmetic
# unchanged), over 150 of the photos (all 1,000 took 138 s at a load of 13):
# Slurm refuses one array of 30, and the three submissions with offsets 0, 10
# and 20 write every input once and merge as one job.
rm -rf "$work/data/thumbs" "$work/reports" "$work/all.json"
few=$work/data/few
mkdir -p "$few/sub"
for i in $(seq 0 149); do
  for f in "$photos"/p$i.* "$photos"/sub/p$i.*; do
    if [[ -f $f ]]; then ln "$f" "$few/${f#"$photos"/}"; fi
  done
done
offsets=$work/thumbnails-offsets.sbatch
readme_script '--shard "[$]shard/3000"' |
  sed 's#--array=0-999$#--array=0-9#; s#/3000"#/30"#; s#/data/photos#/data/few#' >"$offsets"
grep -q '^#SBATCH --array=0-9$' "$offsets" || fail "no offset script (--array=0-999, /3000) in $readme"
if submit --array=0-29 "$offsets" 0 >"$work/refused.log" 2>&1; then
  fail "Slurm took --array=0-29 with MaxArraySize=10"
fi
t0=$(date +%s.%N)
jobs=()
for offset in 0 10 20; do jobs+=("$(submit "$offsets" "$offset")"); done
for j in "${jobs[@]}"; do wait_for "$j"; done
few_inputs=$(find "$few" -type f | wc -l)
log "3 arrays of 10 tasks over $few_inputs photos: $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $t0 }") s"
check_outputs "$few"
"$imgflow" merge-reports -o "$work/all.json" "$work"/reports/*.json ||
  fail "merge-reports did not pass on the three arrays"
python3 - "$work/all.json" "$few_inputs" <<'EOF'
import json, sys
merged = json.load(open(sys.argv[1]))
assert merged["summary"]["ok"] == int(sys.argv[2]), merged["summary"]
assert merged["merge"]["shards_present"] == list(range(1, 31)), merged["merge"]
assert merged["merge"]["in_several_shards"] == [], merged["merge"]
EOF
log "PASS"
