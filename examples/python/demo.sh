#!/bin/sh
# demo.sh [VENV] - the Python distributed-convert example, end to end.
#
# Makes a venv (default .venv in the repo; Debian's Python refuses a root
# pip install outside one), installs this repo's package into it
# (pip install .: builds the extension and the packaged wq_worker), makes a
# few sample images (.ppm) in a temp dir, runs examples/python/convert.py on
# them with two local workers that the queue itself starts, checks that
# every output (.pgm) exists and is a PGM, and cleans up. Exits non-zero on
# failure. Needs python3 with venv, a C compiler, and PyPI for the build
# requirements (setuptools, Cython).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../demo-check.sh"
repo=$(cd "$here/../.." && pwd)
venv=${1:-$repo/.venv}
case $venv in /*) ;; *) venv=$(pwd)/$venv ;; esac
limit=${WQ_DEMO_TIMEOUT:-300}

if [ ! -x "$venv/bin/python" ]; then
	echo "demo: creating the venv $venv"
	python3 -m venv "$venv"
fi
if [ "${WQ_DEMO_NO_INSTALL:-}" = 1 ] && (cd / && "$venv/bin/python" -c "import work_queue") 2>/dev/null; then
	echo "demo: using the work_queue already installed in $venv"
else
	echo "demo: installing work_queue into $venv"
	"$venv/bin/pip" install -q "$repo"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/wq-pydemo.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
demo_make_images "$tmp" "" "255 0 0" "0 255 0" "0 0 255" "200 200 50" "10 20 30" "90 90 90"

echo "demo: converting $n images in $tmp on 2 local workers"
# run from $tmp so that ./work_queue of the repo cannot shadow the installed package
cd "$tmp"
rc=0
timeout "$limit" "$venv/bin/python" "$here/convert.py" -w 2 pgm "$tmp"/image*.ppm || rc=$?

demo_check_outputs "$tmp"
demo_verdict convert.py "$rc" "2 local workers"
