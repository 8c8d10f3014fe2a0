#!/bin/sh
# demo.sh O - the distributed-convert example on two local workers.
#
# Makes a few sample images (.ppm) in a temp dir, starts the example master
# O/examples/c/convert (port 0: it prints the port), starts two workers
# (O/wq_worker) pointed at that port, waits for the master, checks that
# every output (.pgm) exists and is a PGM, then stops the workers, removes
# the temp dir and prints a short summary. Exits non-zero on failure.
# Run by `make demo`.
set -u
O=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../demo-check.sh"
conv=$O/examples/c/convert
worker=$O/wq_worker
limit=${WQ_DEMO_TIMEOUT:-120}

for f in "$conv" "$worker"; do
	[ -x "$f" ] || { echo "demo: $f is missing; run make first" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/wq-demo.XXXXXX") || exit 1
master_pid=""
worker_pids=""
cleanup() {
	for p in $worker_pids $master_pid; do
		kill "$p" 2>/dev/null
	done
	for p in $worker_pids $master_pid; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# sample inputs: small ASCII PPM images in a few colours
demo_make_images "$tmp" sample "255 0 0" "0 255 0" "0 0 255" "200 200 50"

echo "demo: converting $n images in $tmp"
"$conv" -c "$here/wq-convert" pgm "$tmp"/image*.ppm >"$tmp/master.log" 2>&1 &
master_pid=$!

# the master prints "listening on port N"
port=""
i=0
while [ -z "$port" ] && [ $i -lt 100 ]; do
	port=$(sed -n 's/^listening on port \([0-9][0-9]*\).*/\1/p' "$tmp/master.log" 2>/dev/null | head -1)
	[ -n "$port" ] && break
	kill -0 "$master_pid" 2>/dev/null || break
	sleep 0.1
	i=$((i + 1))
done
if [ -z "$port" ]; then
	echo "demo: the master did not start:" >&2
	cat "$tmp/master.log" >&2
	exit 1
fi
echo "demo: master on port $port; starting 2 workers"
for w in 1 2; do
	mkdir -p "$tmp/worker$w"
	"$worker" --cores 1 --timeout 60 --workdir "$tmp/worker$w" 127.0.0.1 "$port" >"$tmp/worker$w.log" 2>&1 &
	worker_pids="$worker_pids $!"
done

# wait for the master, with a time limit
start=$(date +%s)
while kill -0 "$master_pid" 2>/dev/null; do
	if [ $(($(date +%s) - start)) -ge "$limit" ]; then
		echo "demo: the master did not finish within $limit s" >&2
		kill "$master_pid" 2>/dev/null
		break
	fi
	sleep 0.2
done
wait "$master_pid"
rc=$?
master_pid=""
cat "$tmp/master.log"

demo_check_outputs "$tmp"
if demo_failed "$rc"; then
	for w in 1 2; do
		echo "---- worker $w log ----" >&2
		tail -20 "$tmp/worker$w.log" >&2
	done
fi
demo_verdict master "$rc" "2 workers"
