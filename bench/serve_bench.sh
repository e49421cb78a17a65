#!/usr/bin/env bash
# `egress-sim serve` side by side with its two baselines, in one run on this machine:
#
#   trace   POST /v1/topologies/NAME/trace over 64 keep-alive connections (wrk), against nginx
#           serving a static file of the same size as that answer: requests/s and p99 latency,
#           and the ratio to nginx's rate (issue 16 asks for at least 0.5x and p99 under 5 ms).
#   replay  POST /v1/topologies/NAME/replay with a capture as the body (curl, streaming the
#           file as it reads it), against `egress-sim replay TOPOLOGY CAPTURE --flows FILE` on
#           the same capture, both writing the flow records: median seconds and the ratio
#           (asked: at most 1.3x).
#
#   bench/serve_bench.sh [BUILD_DIR]      (default build/release; builds egress-sim there)
#
# Needs nginx, wrk and curl (Debian: apt-get install nginx wrk curl); they are benchmark-only
# and not in tools/deps.sh. ROUNDS (default 3) rounds alternate the two sides so the machine's
# slow phases hit both; DURATION (default 10) seconds per wrk run; PACKETS (default 1000000)
# packets in the generated capture; SIM, a binary to use instead of building one; BASE_SIM, a
# second binary (an older build) measured beside it in the same rounds; WRK_THREADS (default
# 2) wrk's threads. Everything runs on loopback and in a temporary directory.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
build="${1:-build/release}"
rounds="${ROUNDS:-3}"
duration="${DURATION:-10}"
packets="${PACKETS:-1000000}"
wrk_threads="${WRK_THREADS:-2}"
base="${BASE_SIM:-}"
topology=topologies/aks-loadbalancer.yaml
name=aks-loadbalancer

for tool in nginx wrk curl; do
  if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
    echo "serve_bench: $tool is not installed (apt-get install nginx wrk curl)" >&2
    exit 2
  fi
done
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

if [ -n "${SIM:-}" ]; then
  sim="$SIM"  # a binary built elsewhere
else
  if [ ! -d "$build" ]; then
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
  cmake --build "$build" -j2 --target egress-sim >/dev/null
  sim="$PWD/$build/egress-sim"
fi

work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_ready() {
  for _ in $(seq 1 100); do
    if curl -sf "$1" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "serve_bench: $1 never answered" >&2
  exit 1
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# start_serve BINARY: egress-sim serve, every core's thread, on port $port (pid $!).
start_serve() {
  port="$(free_port)"
  # The capture is posted whole: its size, not the 64 MiB default, bounds the body.
  "$1" serve "$topology" --listen "127.0.0.1:$port" --max-body-bytes $((1 << 40)) \
    >>"$work/serve.log" 2>&1 &
  pids+=($!)
  wait_ready "http://127.0.0.1:$port/readyz"
}
start_serve "$sim"
sport="$port"
spid="${pids[-1]}"
if [ -n "$base" ]; then
  start_serve "$base"
  bport="$port"
  bpid="${pids[-1]}"
fi

body='{"src":"10.224.0.4","dst":"140.82.112.3","proto":"tcp","sport":40112,"dport":443}'
url="http://127.0.0.1:$sport/v1/topologies/$name/trace"
curl -sf -X POST -H 'Content-Type: application/json' --data "$body" "$url" >"$work/answer.json"
size="$(stat -c %s "$work/answer.json")"

# nginx serving a file of the answer's size, one worker per core, no logs.
mkdir -p "$work/www" "$work/nginx"
chmod a+rx "$work" "$work/www"  # nginx's workers drop root for nobody
head -c "$size" /dev/zero | tr '\0' 'x' >"$work/www/answer.json"
nport="$(free_port)"
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
daemon off;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $work/nginx;
  proxy_temp_path $work/nginx;
  fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx;
  scgi_temp_path $work/nginx;
  server {
    listen 127.0.0.1:$nport;
    root $work/www;
    default_type application/json;
  }
}
EOF
"$nginx_bin" -c "$work/nginx/nginx.conf" -p "$work/nginx" &
pids+=($!)
npid=$!
wait_ready "http://127.0.0.1:$nport/answer.json"

cat >"$work/post.lua" <<EOF
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
EOF

# cpu_ticks PID: CPU time of the process and its children (nginx's workers), in clock ticks.
cpu_ticks() {
  local t=0 p
  for p in "$1" $(pgrep -P "$1"); do
    t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$t"
}
hz="$(getconf CLK_TCK)"

# run_wrk PID URL [SCRIPT]: prints "requests/s p99_ms cpu_us_per_request" (the server's CPU
# time per answered request: what the server costs, whatever else the cores were doing).
run_wrk() {
  local out t0 t1
  t0="$(cpu_ticks "$1")"
  out="$(wrk -t"$wrk_threads" -c64 -d"${duration}s" --latency ${3:+-s "$3"} "$2")"
  t1="$(cpu_ticks "$1")"
  if echo "$out" | grep -q 'Non-2xx'; then
    echo "serve_bench: non-2xx answers from $2" >&2
    echo "$out" >&2
    exit 1
  fi
  local rps p99
  rps="$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')"
  p99="$(echo "$out" | awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; print v}')"
  local n
  n="$(echo "$out" | awk '/requests in/ {print $1}')"
  echo "$rps $p99 $(awk -v a="$t0" -v b="$t1" -v n="$n" -v hz="$hz" 'BEGIN {print (b - a) / hz * 1e6 / n}')"
}

echo "== machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
echo "== trace: $size-byte answer, 64 connections, wrk -t$wrk_threads, ${duration}s x $rounds rounds"
: >"$work/sim.txt"
: >"$work/nginx.txt"
: >"$work/base.txt"
for r in $(seq 1 "$rounds"); do
  run_wrk "$spid" "$url" "$work/post.lua" | tee -a "$work/sim.txt" |
    sed "s/^/round $r egress-sim  /"
  run_wrk "$npid" "http://127.0.0.1:$nport/answer.json" | tee -a "$work/nginx.txt" |
    sed "s/^/round $r nginx       /"
  if [ -n "$base" ]; then
    run_wrk "$bpid" "${url/:$sport\//:$bport/}" "$work/post.lua" | tee -a "$work/base.txt" |
      sed "s/^/round $r base        /"
  fi
done
sim_rps="$(cut -d' ' -f1 "$work/sim.txt" | median)"
sim_p99="$(cut -d' ' -f2 "$work/sim.txt" | median)"
ngx_rps="$(cut -d' ' -f1 "$work/nginx.txt" | median)"
ngx_p99="$(cut -d' ' -f2 "$work/nginx.txt" | median)"

# Replay: the same capture through the CLI and over HTTP, both writing the flow records.
"$sim" synth "$topology" --flows $((packets / 24 + 1)) --seed 1 --pcap-out "$work/capture.pcap" \
  >/dev/null 2>&1
: >"$work/cli.txt"
: >"$work/http.txt"
now() { date +%s.%N; }
# post_capture PORT OUT: the capture as the body of one replay request. `-T` streams the file
# as curl reads it, as a client sending a large capture would; `--data-binary @FILE` would
# first read the whole file into curl's memory, which on 2 cores costs the client more CPU
# time than the server spends on the replay. 'Expect:' skips the 100-continue round trip.
post_capture() {
  curl -sSf -X POST -T "$work/capture.pcap" -H 'Expect:' \
    -H 'Content-Type: application/vnd.tcpdump.pcap' -o "$2" \
    "http://127.0.0.1:$1/v1/topologies/$name/replay"
}
: >"$work/base_http.txt"
for _ in $(seq 1 "$rounds"); do
  t0="$(now)"
  "$sim" replay "$topology" "$work/capture.pcap" --flows "$work/cli.jsonl" >/dev/null 2>&1
  t1="$(now)"
  post_capture "$sport" "$work/http.jsonl"
  t2="$(now)"
  awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}' >>"$work/cli.txt"
  awk -v a="$t1" -v b="$t2" 'BEGIN {print b - a}' >>"$work/http.txt"
  if [ -n "$base" ]; then
    t0="$(now)"
    post_capture "$bport" "$work/base.jsonl"
    t1="$(now)"
    awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}' >>"$work/base_http.txt"
  fi
done
cli_s="$(median <"$work/cli.txt")"
http_s="$(median <"$work/http.txt")"
cli_flows="$(wc -l <"$work/cli.jsonl")"
http_lines="$(wc -l <"$work/http.jsonl")"

echo
echo "== medians"
printf '%-34s %12s %10s %14s\n' "" "requests/s" "p99 ms" "CPU us/request"
printf '%-34s %12.0f %10.2f %14.1f\n' "egress-sim serve, POST trace" "$sim_rps" "$sim_p99" \
  "$(cut -d' ' -f3 "$work/sim.txt" | median)"
printf '%-34s %12.0f %10.2f %14.1f\n' "nginx, static file of that size" "$ngx_rps" "$ngx_p99" \
  "$(cut -d' ' -f3 "$work/nginx.txt" | median)"
if [ -n "$base" ]; then
  printf '%-34s %12.0f %10.2f %14.1f\n' "BASE_SIM serve, POST trace" \
    "$(cut -d' ' -f1 "$work/base.txt" | median)" "$(cut -d' ' -f2 "$work/base.txt" | median)" \
    "$(cut -d' ' -f3 "$work/base.txt" | median)"
fi
printf 'trace rate vs nginx: %.2fx (goal >= 0.50x); p99 %.2f ms (goal < 5 ms)\n' \
  "$(awk -v a="$sim_rps" -v b="$ngx_rps" 'BEGIN {print a / b}')" "$sim_p99"
printf '%-34s %12s\n' "" "seconds"
printf '%-34s %12.3f   (%s flow records)\n' "egress-sim replay --flows" "$cli_s" "$cli_flows"
printf '%-34s %12.3f   (%s lines: records and summary)\n' "POST replay over HTTP" "$http_s" \
  "$http_lines"
if [ -n "$base" ]; then
  base_s="$(median <"$work/base_http.txt")"
  printf '%-34s %12.3f   (%.2fx the CLI)\n' "BASE_SIM: POST replay over HTTP" "$base_s" \
    "$(awk -v a="$base_s" -v b="$cli_s" 'BEGIN {print a / b}')"
fi
printf 'replay over HTTP vs CLI: %.2fx the time (goal <= 1.30x)\n' \
  "$(awk -v a="$http_s" -v b="$cli_s" 'BEGIN {print a / b}')"
