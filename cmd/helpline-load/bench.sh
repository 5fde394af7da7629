#!/usr/bin/env bash
# One load run of BENCHMARKS.md: builds the server and the load generator,
# starts the server as a process of its own on the memory or PostgreSQL
# store, measures how long it takes to answer, runs helpline-load against it
# (with --server-pid, so the report has the server's memory and CPU) and
# stops the server.
#
#   cmd/helpline-load/bench.sh memory 1000 --interval 1s --storm
#   cmd/helpline-load/bench.sh postgres 10000 --interval 10s --jitter 2s --counselor-capacity 20 --storm
#   cmd/helpline-load/bench.sh pairs postgres 1000
#
# "pairs" runs the paired workload (helpline-load --pairs: one counsellor per
# conversation, consoles connecting while seekers arrive) twice in the same
# invocation: first against the reference relay (`helpline-load relay`, its
# own process), then against helpline on the store, and prints helpline's
# ratios to the relay (`helpline-load compare`).
#
# With BENCH_CENTRIFUGO set, "pairs" also runs the workload against
# Centrifugo (helpline-load --target centrifugo), its own process on
# 127.0.0.1:BENCH_PORT+2 with the configuration `helpline-load
# centrifugo-config` prints (insecure client mode, no history), after the
# relay and before helpline; compare then gives helpline's ratios to both.
#
# Anything after the store and the number of conversations goes to
# helpline-load (see `helpline-load -h`). Environment:
#   BENCH_OUT           where binaries, logs and JSON reports go (/tmp/helpline-bench)
#   BENCH_PORT          server port on 127.0.0.1 (8089)
#   BENCH_DATABASE_URL  PostgreSQL (postgres://postgres@127.0.0.1:5432/test?sslmode=disable); each run
#                       gets a fresh schema "helpline_load" in it, dropped and made again
#   BENCH_QUIET         wait (up to 2 minutes) until the 1-minute load average is below this (1.0)
#                       before starting: other processes on the machine skew every figure
#   BENCH_NICE          niceness of the server and the generator (-10, so that other jobs on a
#                       shared machine disturb the measurement less; 0 to run as any process)
#   BENCH_CENTRIFUGO    with "pairs": a Centrifugo v6 binary to run as well, or "build" to build the version
#                       `helpline-load centrifugo-config -version` names into BENCH_OUT once (go install from
#                       the module proxy, outside this module: it is no dependency of helpline); unset: no Centrifugo
#   HELPLINE_ROUTING    offer (default, as the server) or pick
#   HELPLINE_*          any other server setting is passed through
set -euo pipefail
pairs=
if [[ ${1:-} == pairs ]]; then
  pairs=1
  shift
fi
store=${1:?usage: bench.sh [pairs] memory|postgres CONVERSATIONS [helpline-load flags]}
seekers=${2:?usage: bench.sh memory|postgres CONVERSATIONS [helpline-load flags]}
shift 2
cd "$(dirname "$0")/../.."

out=${BENCH_OUT:-/tmp/helpline-bench}
mkdir -p "$out"
go build -o "$out/helpline" ./cmd/helpline
go build -o "$out/helpline-load" ./cmd/helpline-load
centrifugo=
if [[ -n $pairs && -n ${BENCH_CENTRIFUGO:-} ]]; then
  centrifugo=$BENCH_CENTRIFUGO
  if [[ $centrifugo == build ]]; then
    # Built outside this module (go install PATH@VERSION ignores go.mod), once,
    # with the version stamped in as its release builds have it.
    centrifugo=$out/centrifugo
    version=$("$out/helpline-load" centrifugo-config -version)
    [[ -x $centrifugo ]] || (cd "$out" && GOBIN="$PWD" go install \
      -ldflags "-X github.com/centrifugal/centrifugo/v6/internal/build.Version=${version#v}" "github.com/centrifugal/centrifugo/v6@$version")
  fi
  [[ -x $centrifugo ]] || { echo "BENCH_CENTRIFUGO=$BENCH_CENTRIFUGO: no such executable" >&2; exit 2; }
fi

addr=127.0.0.1:${BENCH_PORT:-8089}
routing=${HELPLINE_ROUTING:-offer}
extra=()
password="load-admin-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
# Loopback load test: no per-address limit on new conversations.
metrics=127.0.0.1:$(( ${BENCH_PORT:-8089} + 1000 ))
env=(HELPLINE_ADDR="$addr" HELPLINE_METRICS_ADDR="$metrics" HELPLINE_STARTS_PER_MINUTE=0 HELPLINE_ROUTING="$routing")
case $store in
postgres)
  db=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
  PGOPTIONS="-c client_min_messages=warning" psql "$db" -qc "DROP SCHEMA IF EXISTS helpline_load CASCADE; CREATE SCHEMA helpline_load"
  sep='?'; [[ $db == *\?* ]] && sep='&'
  env+=(DATABASE_URL="$db${sep}search_path=helpline_load"
    HELPLINE_ENCRYPTION_KEYS="$("$out/helpline" keygen e1)" HELPLINE_TOKEN_KEYS="$("$out/helpline" keygen t1)")
  # Migrates the fresh schema and makes the admin that creates the counsellors.
  echo "$password" | env "${env[@]}" "$out/helpline" user add --role admin --username load-admin --password-stdin >/dev/null
  admin="load-admin:$password"
  extra=(--postgres-cpu)
  ;;
memory)
  env+=(HELPLINE_DEMO=true HELPLINE_DEMO_PASSWORD="$password")
  admin="admin:$password"
  ;;
*)
  echo "store must be memory or postgres" >&2
  exit 2
  ;;
esac

quiet=${BENCH_QUIET:-1.0}
wait_quiet() {
  for _ in $(seq 120); do
    awk -v q="$quiet" '{exit !($1 < q)}' /proc/loadavg && break
    sleep 1
  done
}

# Every connection is a file descriptor: 10,000 conversations need ~11,000
# (the hard limit may be lower in a container; then take what there is).
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "open file limit: $(ulimit -n)"
nice=${BENCH_NICE:--10}
pid=
trap '[[ -n $pid ]] && { kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; }' EXIT

# start LOG COMMAND…: runs COMMAND in the background as $pid and waits until
# http://$addr/healthz answers.
start() {
  local log=$1
  shift
  local t0
  t0=$(date +%s%N)
  nice -n "$nice" "$@" >"$log" 2>&1 &
  pid=$!
  until curl -sf "${health_url:-http://$addr/healthz}" >/dev/null 2>&1; do
    kill -0 $pid 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.005
  done
  echo "$(basename "${@: -1}") answered ${health_url:-/healthz} $(( ($(date +%s%N) - t0) / 1000000 )) ms after exec; pid $pid; log $log"
}

stop() {
  kill $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  pid=
}

name=$store-$seekers
if [[ -n $pairs ]]; then
  name=$store-pairs-$seekers
  wait_quiet
  start "$out/relay-$name.log" "$out/helpline-load" relay -addr "$addr"
  echo "load average before the relay run: $(cut -d' ' -f1-3 /proc/loadavg); relay and generator at nice $nice"
  relay_ok=0
  nice -n "$nice" "$out/helpline-load" --pairs --target relay --url "http://$addr" --label relay --seekers "$seekers" \
    --server-pid $pid --json "$out/relay-$name.json" "$@" || relay_ok=$?
  stop
  extra+=(--pairs)
fi

# Centrifugo, when asked for: between the relay and helpline, the same
# workload, its report beside theirs.
peer=()
peer_ok=0
if [[ -n $centrifugo ]]; then
  caddr=127.0.0.1:$(( ${BENCH_PORT:-8089} + 2 ))
  "$out/helpline-load" centrifugo-config -addr "$caddr" >"$out/centrifugo-$name.config.json"
  wait_quiet
  health_url=http://$caddr/health start "$out/centrifugo-$name.log" "$centrifugo" --config "$out/centrifugo-$name.config.json"
  echo "$(go version -m "$centrifugo" | awk '$1 == "mod" {print $2, $3}'); load average before the centrifugo run: $(cut -d' ' -f1-3 /proc/loadavg); centrifugo and generator at nice $nice"
  nice -n "$nice" "$out/helpline-load" --pairs --target centrifugo --url "http://$caddr" --label centrifugo --seekers "$seekers" \
    --server-pid $pid --json "$out/centrifugo-$name.json" "$@" || peer_ok=$?
  stop
  peer=("$out/centrifugo-$name.json")
fi

wait_quiet
start "$out/server-$name.log" env "${env[@]}" "$out/helpline"
echo "server ($store, $routing routing); load average before the run: $(cut -d' ' -f1-3 /proc/loadavg); server and generator at nice $nice"
ok=0
nice -n "$nice" "$out/helpline-load" --url "http://$addr" --admin "$admin" --label "$store" --routing "$routing" \
  --seekers "$seekers" --server-pid $pid --metrics-url "http://$metrics/metrics" --json "$out/$name.json" "${extra[@]}" "$@" || ok=$?
stop
if [[ -n $pairs ]]; then
  echo
  "$out/helpline-load" compare "$out/relay-$name.json" ${peer[@]+"${peer[@]}"} "$out/$name.json"
  [[ $relay_ok == 0 ]] || ok=$relay_ok
  [[ $peer_ok == 0 ]] || ok=$peer_ok
fi
exit $ok
