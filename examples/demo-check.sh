# demo-check.sh - shell functions shared by examples/c/demo.sh and
# examples/python/demo.sh (sourced, not run): the sample images and the
# check of the converted outputs. POSIX sh; safe under `set -eu`.

# demo_make_images DIR COMMENT COLOUR...: write DIR/image1.ppm, image2.ppm, ...,
# a small ASCII PPM image (4x3) in each COLOUR ("R G B"), with the line
# "# COMMENT N" in its header unless COMMENT is empty; sets n to the count.
demo_make_images() {
	_dir=$1
	_comment=$2
	shift 2
	n=0
	for _colour in "$@"; do
		n=$((n + 1))
		{
			echo "P3"
			if [ -n "$_comment" ]; then echo "# $_comment $n"; fi
			echo "4 3"
			echo "255"
			_i=0
			while [ $_i -lt 12 ]; do echo "$_colour"; _i=$((_i + 1)); done
		} >"$_dir/image$n.ppm"
	done
}

# demo_check_outputs DIR: count the outputs DIR/imageN.pgm of DIR/image*.ppm
# that exist and are PGM images into ok, the missing or bad ones (each named
# on stderr) into bad.
demo_check_outputs() {
	ok=0
	bad=0
	for _f in "$1"/image*.ppm; do
		_out=${_f%.ppm}.pgm
		if [ -s "$_out" ] && head -c 2 "$_out" | grep -q '^P[25]'; then
			ok=$((ok + 1))
		else
			echo "demo: missing or bad output $_out" >&2
			bad=$((bad + 1))
		fi
	done
}

# demo_failed RC: true when the run failed: RC (the exit status of the
# program that ran the conversions) is not 0, or demo_check_outputs found
# an output missing or bad.
demo_failed() {
	[ "$1" -ne 0 ] || [ "$bad" -ne 0 ]
}

# demo_verdict WHAT RC BY: print the demo's last line (WHAT = the program
# whose exit status is RC, BY = who converted the n images) and exit: 1 when
# demo_failed RC, else 0.
demo_verdict() {
	if demo_failed "$2"; then
		echo "demo: FAILED ($1 exit $2, $ok outputs good, $bad missing or bad)"
		exit 1
	fi
	echo "demo: ok: $ok of $n images converted to PGM by $3"
	exit 0
}
