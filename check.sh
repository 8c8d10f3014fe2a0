#!/usr/bin/env bash
# check.sh - install what the project needs, build it, and run every test.
# This is the README's test command; .ci/run calls exactly this.
# Prints how long each phase took. Exit status 0 only if everything passed.
set -euo pipefail
cd "$(dirname "$0")"

phase_start=0
phases=()
begin() { phase_name=$1; phase_start=$(date +%s); echo; echo "=== $phase_name"; }
end() { local t=$(( $(date +%s) - phase_start )); phases+=("$(printf '%-36s %5ss' "$phase_name" "$t")"); echo "=== $phase_name: ${t}s"; }
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

begin "C demo"
make --no-print-directory demo
end

begin "Python: venv and pip install ."
if ! python3 -m venv --help >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv python3-dev >/dev/null
	else
		echo "python3 with venv is needed (Debian: apt-get install python3-venv python3-dev)" >&2; exit 1
	fi
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q ".[test,plot]" ruff
end

begin "browser for the dashboard test (Debian's chromium)"
if ! command -v chromium >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
	else
		echo "the dashboard test needs Debian's chromium (apt-get install chromium)" >&2; exit 1
	fi
fi
chromium --version
end

begin "Python: ruff"
.venv/bin/ruff check work_queue workqueue tests/python examples/python bench setup.py
end

begin "Python: tests (installed package)"
.venv/bin/pytest -q tests/python
end

begin "benchmarks (--quick: figures, not pass/fail on targets)"
mkdir -p build/bench-quick && .venv/bin/python bench/run.py --quick --venv "$PWD/.venv" --out "$PWD/build/bench-quick" --no-doc
end

begin "Python demo"
WQ_DEMO_NO_INSTALL=1 sh examples/python/demo.sh .venv
end
