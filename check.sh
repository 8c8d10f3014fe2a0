#!/usr/bin/env bash
# check.sh - install what the project needs, build it, and run every test.
# This is the README's test command; .ci/run calls exactly this.
# Prints how long each phase took. Exit status 0 only if everything passed.
set -euo pipefail
cd "$(dirname "$0")"

phase_start=0
phases=()
begin() { phase_name=$1; phase_start=$(date +%s); echo; echo "=== $phase_name"; }
end() { local t=$(( $(date +%s) - phase_start )); phases+=("$(printf '%-28s %5ss' "$phase_name" "$t")"); echo "=== $phase_name: ${t}s"; }
summary() { echo; echo "=== phase timings"; printf '  %s\n' "${phases[@]}"; }
trap summary EXIT

begin "install dependencies"
need=()
for tool in gcc make ar timeout awk; do command -v "$tool" >/dev/null 2>&1 || need+=("$tool"); done
if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq build-essential coreutils gawk >/dev/null
	else
		echo "missing tools: ${need[*]} (install build-essential, coreutils and awk)" >&2
		exit 1
	fi
fi
end

begin "build"
make -j2 all
end

begin "C unit + end-to-end tests"
make --no-print-directory test
end

begin "C tests under ASan+UBSan"
make --no-print-directory -j2 asan-test
end

begin "demo"
make --no-print-directory demo
end
