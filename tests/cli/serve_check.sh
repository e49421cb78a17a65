#!/usr/bin/env bash
# serve_check.sh SIM TOPOLOGY: starts `SIM serve TOPOLOGY --listen 127.0.0.1:0`, asks /healthz
# and /v1/topologies over bash's /dev/tcp, sends SIGHUP (the server still answers) and SIGTERM,
# and checks the exit status is 0.
set -uo pipefail
sim=$1
topology=$2
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT

"$sim" serve "$topology" --listen 127.0.0.1:0 --threads 2 2>"$dir/err" &
pid=$!
port=
for _ in $(seq 100); do
  port=$(sed -n 's/^egress-sim serve: listening on 127.0.0.1:\([0-9]*\) .*/\1/p' "$dir/err")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "FAIL: no 'listening on' line"; cat "$dir/err"; exit 1; }

ask() {  # ask PATH: the whole answer of GET PATH
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf 'GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' "$1" >&3
  cat <&3
  exec 3<&-
}

answer=$(ask /healthz)
grep -q '^HTTP/1.1 200 OK' <<<"$answer" || { echo "FAIL: /healthz: $answer"; exit 1; }
grep -q '^ok$' <<<"$answer" || { echo "FAIL: /healthz body: $answer"; exit 1; }
kill -HUP "$pid"
for _ in $(seq 50); do
  grep -q 'reloaded 1 topologies' "$dir/err" && break
  sleep 0.1
done
grep -q 'reloaded 1 topologies' "$dir/err" || { echo "FAIL: no reload line"; cat "$dir/err"; exit 1; }
answer=$(ask /v1/topologies)
grep -q '"name":"lb"' <<<"$answer" || { echo "FAIL: /v1/topologies: $answer"; exit 1; }
kill -TERM "$pid"
wait "$pid"
status=$?
[ "$status" -eq 0 ] || { echo "FAIL: exit $status after SIGTERM"; cat "$dir/err"; exit 1; }
echo "ok: port $port, SIGHUP reloaded, SIGTERM exit 0"
