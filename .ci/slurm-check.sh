#!/usr/bin/env bash
# Run a workflow config through SLURM on a single-node cluster started here from Debian's packages
# (slurm-wlm, munge), with the bundled profile profiles/slurm (snakemake-executor-plugin-slurm).
# Needs root (installs packages, starts munged/slurmctld/slurmd; stops the daemons it started when it ends,
# unless KEEP_SLURM=1). Usage:
#   bash .ci/slurm-check.sh [PYTHON] [CONFIG]   # PYTHON: the environment with radiovector installed (default
#                                               # .venv); CONFIG: the run (default config/config.yaml, the example;
#                                               # CI uses .test/config/config.yaml)
# Prints the run summary and the jobs slurmctld ran (from its log); exits non-zero on failure. Where the machine
# cannot host SLURM (not root) it prints "slurm-check: SKIPPED" with the reason and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-.venv/bin/python}
CONFIG=${2:-config/config.yaml}
if [ "$(id -u)" -ne 0 ]; then
  echo "slurm-check: SKIPPED: needs root to install slurm-wlm and munge and to start munged, slurmctld and" \
       "slurmd (running as uid $(id -u))" >&2
  exit 0
fi
WORK=$(mktemp -d /tmp/radiovector-slurm.XXXXXX)
HOST=$(hostname -s)
CPUS=$(nproc)
MEM_MB=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512 ))
STARTED=()  # daemons this script started (pids), stopped on exit
cleanup() {
  if [ "${KEEP_SLURM:-0}" != 1 ] && [ "${#STARTED[@]}" -gt 0 ]; then
    kill "${STARTED[@]}" 2>/dev/null || true
  fi
}
trap cleanup EXIT
start_daemon() {  # NAME COMMAND...: start unless running; remember the pid of what this script started
  local name=$1; shift
  if ! pgrep -x "$name" >/dev/null; then
    "$@"
    for _ in $(seq 20); do pgrep -x -n "$name" >/dev/null && break; sleep 0.5; done
    local pid
    pid=$(pgrep -x -n "$name") || { echo "slurm-check: $name did not start" >&2; exit 1; }
    STARTED+=("$pid")
  fi
}

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi
"$PY" -m pip install -q snakemake-executor-plugin-slurm

# munge: one key, daemon as the munge user
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge && chown munge:munge /run/munge /var/log/munge /var/lib/munge
start_daemon munged runuser -u munge -- /usr/sbin/munged
munge -n | unmunge >/dev/null

# slurm: one node, one partition, no accounting database, no cgroups (works in containers)
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
cat > /etc/slurm/slurm.conf <<EOF
ClusterName=radiovector
SlurmctldHost=${HOST}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
# no accounting database: job states come from squeue, so keep finished jobs listed for 10 min
MinJobAge=600
NodeName=${HOST} CPUs=${CPUS} RealMemory=${MEM_MB} State=UNKNOWN
PartitionName=debug Nodes=${HOST} Default=YES MaxTime=INFINITE State=UP
EOF
start_daemon slurmctld slurmctld
start_daemon slurmd slurmd
ready=0
for _ in $(seq 60); do
  if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then ready=1; break; fi
  sleep 1
done
sinfo
if [ "$ready" -ne 1 ]; then
  echo "slurm-check: the node did not become idle within 60 s; slurmd log:" >&2
  tail -20 /var/log/slurm/slurmd.log >&2 || true
  exit 1
fi

# a site profile: the bundled one plus this cluster's partition and a small job limit
mkdir -p "$WORK/profile"
sed -e 's/^  slurm_partition: ""/  slurm_partition: "debug"/' -e 's/^jobs: .*/jobs: 4/' \
  profiles/slurm/config.yaml > "$WORK/profile/config.yaml"
"$PY" - "$WORK" "$CONFIG" <<'EOF'
import sys
from pathlib import Path
import yaml
work = Path(sys.argv[1])
cfg_path = Path(sys.argv[2])
config = yaml.safe_load(cfg_path.read_text())
config["inputs"] = {k: str((cfg_path.parent / v).resolve()) for k, v in config["inputs"].items()}
config["workdir"] = str(work / "work")  # on a cluster: a directory every node sees
(work / "config.yaml").write_text(yaml.safe_dump(config))
EOF
start=$(date +%s)
set +e
"$PY" -m radiovector run --config "$WORK/config.yaml" --store "$WORK/store" --json -- \
  --profile "$WORK/profile" --slurm-no-account --slurm-status-command squeue \
  --slurm-init-seconds-before-status-checks 5 --seconds-between-status-checks 5 > "$WORK/summary.json"
code=$?
set -e
# the verdict is the committed run (an abort at interpreter exit after the commit was seen once: exit 134)
[ "$code" -eq 0 ] || echo "warning: radiovector run exited with $code" >&2
head -c 600 "$WORK/summary.json"; echo
echo "SLURM run took $(( $(date +%s) - start )) s; jobs slurmctld ran (kept listed for MinJobAge):"
squeue --states=all --format="%.8i %.10T %.10M %k" || true
"$PY" -m radiovector runs list --store "$WORK/store"
grep -q '"status": "succeeded"' "$WORK/summary.json"
echo "slurm-check: OK ($WORK)"
