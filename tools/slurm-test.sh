#!/usr/bin/env bash
# Tests examples/slurm/embed-array.sbatch on a real Slurm (docs/scale-out.md, "Tested on a real Slurm"): installs
# Debian's slurm-wlm and munge when missing, starts a one-node cluster on 127.0.0.1 (munged, slurmctld, slurmd with this
# machine's CPUs; everything in a temporary folder, nothing in /etc), then:
#   1. submits the example job with N = 4 shards on the first $SENTENCES Brown sentences, waits for its merge and
#      compares the merged file with one `elmo embed` run: it must be the same bytes;
#   2. a fault: submits it again into an empty folder, cancels array task 1 half way through (scancel), checks that it
#      left no shard file, resubmits that task alone and the merge after it; the result must again be the same bytes,
#      and no temporary file may remain.
# It stops everything it started (trap) and removes its folder (KEEP=1 keeps it). Needs root (or sudo) for apt-get
# and to run the daemons. Usage: tools/slurm-test.sh     Environment: SENTENCES (default 10000; each shard must run long enough to be cancelled half way), ELMONATIVE_BROWN (a
# one-sentence-per-line file; default data/brown/brown.txt, fetched by tools/fetch-brown.sh when missing).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sentences=${SENTENCES:-10000}
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"

log() { echo "slurm-test: $*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
  log "installing slurm-wlm and munge"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi

brown=${ELMONATIVE_BROWN:-$root/data/brown/brown.txt}
[ -f "$brown" ] || "$root/tools/fetch-brown.sh"

# The elmo program the jobs run: the launcher, built once here (so that no job builds).
"$root/elmo" --help >/dev/null
export ELMO="$root/elmo"

work=$(mktemp -d /tmp/elmo-slurm.XXXXXX)
chmod 755 "$work"
pids=()
jobs_submitted=()
cleanup() {
  local status=$?
  set +e
  for j in "${jobs_submitted[@]}"; do scancel "$j" >/dev/null 2>&1; done
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
  done
  if [ "$status" -ne 0 ]; then
    for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }; done >&2
  fi
  if [ "${KEEP:-0}" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# munge: its own key, socket and files.
dd if=/dev/urandom of="$work/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge.key"
mkdir -p "$work/munge"
chmod 700 "$work/munge"
munged --foreground --force --key-file="$work/munge.key" --socket="$work/munge/socket" \
       --pid-file="$work/munge/munged.pid" --log-file="$work/munged.log" --seed-file="$work/munge/seed" &
pids+=($!)

# slurm: one node, this machine's CPUs, on loopback, on ports of its own.
cpus=$(nproc)
memory=$(awk '/MemTotal/ { print int($2 / 1024 / 2) }' /proc/meminfo)
node=$(hostname -s)
mkdir -p "$work/state" "$work/spool"
export SLURM_CONF="$work/slurm.conf"
cat > "$SLURM_CONF" <<CONF
ClusterName=elmotest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$work/munge/socket
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MinJobAge=600
SlurmdTimeout=30
KillWait=5
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
for _ in $(seq 50); do [ -S "$work/munge/socket" ] && break; sleep 0.1; done
[ -S "$work/munge/socket" ] || fail "munged did not start"
slurmctld -D -i -f "$SLURM_CONF" >>"$work/slurmctld.log" 2>&1 &
pids+=($!)
slurmd -D -N "$node" -f "$SLURM_CONF" >>"$work/slurmd.log" 2>&1 &
pids+=($!)
for _ in $(seq 120); do
  state=$(sinfo -h -n "$node" -o %T 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 0.5
done
[ "$state" = idle ] || fail "the node did not become idle (state: '${state:-none}')"
log "cluster up: node $node, $cpus CPUs, in $work"

head -n "$sentences" "$brown" > "$work/input.txt"
export SBATCH_MEM_PER_NODE=1G   # the example asks for 4G; this machine's node may have less to give

job_state() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -n 1; }
wait_job() { # job id, timeout in seconds: waits until it is no longer pending or running, prints its state
  local deadline=$((SECONDS + $2)) state
  while true; do
    state=$(job_state "$1")
    case "$state" in PENDING | RUNNING | CONFIGURING | COMPLETING | "") ;; *) echo "$state"; return ;; esac
    [ $SECONDS -lt $deadline ] || { echo "TIMEOUT($state)"; return; }
    sleep 1
  done
}
submit() { # the example's submit mode; records the job ids, sets $array and $merge
  local out
  out=$(cd "$work" && bash "$root/examples/slurm/embed-array.sbatch" "$work/input.txt" "$work/shards" "$work/merged.hdf5" 4)
  log "$out"
  array=$(echo "$out" | sed -n 's/.*embed array \([0-9]*\).*/\1/p')
  merge=$(echo "$out" | sed -n 's/.* merge \([0-9]*\) .*/\1/p')
  [ -n "$array" ] && [ -n "$merge" ] || fail "could not read the job ids from: $out"
  jobs_submitted+=("$array" "$merge")
}

# 1. The whole job.
start=$SECONDS
submit
state=$(wait_job "$merge" 900)
[ "$state" = COMPLETED ] || fail "the merge job $merge ended $state"
log "array $array and merge $merge completed in $((SECONDS - start)) s"
"$ELMO" embed --input "$work/input.txt" --output "$work/single.hdf5" --no-progress --quiet
cmp "$work/single.hdf5" "$work/merged.hdf5" || fail "the merged file differs from one elmo embed run"
log "merged file == one elmo embed run ($(stat -c %s "$work/single.hdf5") bytes)"
# How long task 1 took (its summary line: "embed: shard 1/4, ..., 2.51 s, ..."), to cancel it half way next time.
seconds1=$(sed -n 's/^embed: shard 1\/4.*, \([0-9.]*\) s, .*/\1/p' "$work/elmo-embed-${array}_1.log")
[ -n "$seconds1" ] || fail "no summary line in $work/elmo-embed-${array}_1.log"

# 2. A fault: task 1 cancelled half way, then resubmitted alone.
rm -rf "$work/shards" "$work/merged.hdf5"
submit
deadline=$((SECONDS + 600))
while true; do
  # Its temporary file appears once the model is loaded and the first sentences are read.
  partial=$(find "$work/shards" -maxdepth 1 -name '.shard-00001-of-00004.hdf5.*.tmp' 2>/dev/null | head -n 1 || true)
  [ -n "$partial" ] && break
  [ -f "$work/shards/shard-00001-of-00004.manifest.json" ] && fail "task 1 finished before it could be cancelled"
  [ $SECONDS -lt $deadline ] || fail "task 1 did not start writing"
  sleep 0.05
done
sleep "$(awk -v s="$seconds1" 'BEGIN { print s * 0.3 }')"
[ -f "$work/shards/shard-00001-of-00004.manifest.json" ] && fail "task 1 finished before it could be cancelled half way"
scancel "${array}_1"
log "cancelled task ${array}_1 while it was writing, $(awk -v s="$seconds1" 'BEGIN { print s * 0.3 }') s into a shard that took $seconds1 s"
for k in 0 2 3; do
  state=$(wait_job "${array}_$k" 900)
  [ "$state" = COMPLETED ] || fail "task ${array}_$k ended $state"
done
state=$(wait_job "${array}_1" 120)
[ "$state" = CANCELLED ] || fail "task ${array}_1 ended $state, not CANCELLED"
sleep 1
[ ! -e "$work/shards/shard-00001-of-00004.hdf5" ] && [ ! -e "$work/shards/shard-00001-of-00004.manifest.json" ] \
  || fail "the cancelled task left a shard file"
[ "$(job_state "$merge")" = PENDING ] || fail "the merge job $merge is not held back by its dependency ($(job_state "$merge"))"
scancel "$merge"
if [ ! -e "$work/merged.hdf5" ]; then log "task 1 left no shard file and the merge did not run"; else fail "a merge ran"; fi

resubmitted=$(cd "$work" && sbatch --parsable --array=1 "$root/examples/slurm/embed-array.sbatch" "$work/input.txt" "$work/shards" "$work/merged.hdf5" 4)
resubmitted=${resubmitted%%;*}
merge=$(cd "$work" && sbatch --parsable --dependency="afterok:$resubmitted" "$root/examples/slurm/embed-array.sbatch" "$work/input.txt" "$work/shards" "$work/merged.hdf5" 4)
merge=${merge%%;*}
jobs_submitted+=("$resubmitted" "$merge")
state=$(wait_job "$merge" 900)
[ "$state" = COMPLETED ] || fail "the merge job $merge after the resubmitted task ended $state"
cmp "$work/single.hdf5" "$work/merged.hdf5" || fail "after the fault, the merged file differs from one elmo embed run"
leftovers=$(find "$work/shards" "$work" -maxdepth 1 -name '.*.tmp' | wc -l)
[ "$leftovers" -eq 0 ] || fail "temporary files remain: $(find "$work/shards" "$work" -maxdepth 1 -name '.*.tmp')"
log "after the fault: merged file == one elmo embed run, no temporary file left"
log "passed"
