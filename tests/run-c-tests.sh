#!/bin/sh
# Run C test binaries, each with a global timeout; print one line per test
# and a closing "N passed, N failed" line. Exit 1 if any failed.
kind=$1; shift
pass=0; fail=0; failed=""
limit=${WQ_TEST_TIMEOUT:-300}
for t in "$@"; do
	start=$(date +%s.%N)
	log=$(mktemp)
	if timeout -k 10 "$limit" "$t" >"$log" 2>&1; then
		pass=$((pass + 1)); status=ok
	else
		rc=$?; fail=$((fail + 1)); status="FAIL (exit $rc)"; failed="$failed $t"
		sed 's/^/    | /' "$log" | tail -60
	fi
	end=$(date +%s.%N)
	printf '%-6s %-40s %s %ss\n' "$kind" "$(basename "$t")" "$status" "$(awk "BEGIN{printf \"%.1f\", $end - $start}")"
	rm -f "$log"
done
echo "$kind: $pass passed, $fail failed"
[ "$fail" -eq 0 ] || { echo "failed:$failed"; exit 1; }
