#!/usr/bin/env bash
# rewrite-citations.sh: point the repository's citations of the protocol spec
# at the project's own reference. "pop-spec §1.3" becomes
# "docs/protocol.md §1.3" (the section numbers are the same, and
# TestProtocolCitations proves each one has its heading in docs/protocol.md);
# a path to the spec file (../shared/spec/pop-spec.md) becomes docs/protocol.md.
# Go files it changes are run through gofmt, since a longer string can move a
# column of aligned comments.
#
# Usage: docs/rewrite-citations.sh [-n] [FILE...]
#   -n       list every line that would change (FILE:LINE, the line before and
#            after) and a count; change nothing
#   FILE...  the files to rewrite; default: every file git tracks that cites
#            the spec, except this script and docs/protocol.md with its
#            generator (reports/protocol_doc*.go)
# Exit status: 0 done, 1 a file could not be rewritten, 2 wrong usage.
set -euo pipefail

usage() {
	echo "usage: docs/rewrite-citations.sh [-n] [FILE...]  (-n lists the changes without making them)" >&2
	exit 2
}

dry=0
while getopts ":nh" opt; do
	case $opt in
	n) dry=1 ;;
	h)
		sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "rewrite-citations.sh: unknown option -$OPTARG" >&2
		usage
		;;
	esac
done
shift $((OPTIND - 1))

command -v perl >/dev/null || {
	echo "rewrite-citations.sh: perl not found: install perl (Debian: apt-get install perl)" >&2
	exit 1
}

# The two substitutions, applied line by line. The name is written in two
# parts here so that a rewrite of this script by itself changes nothing.
old='pop-''spec'
subst='(s{(?:[\w.~/-]*/)?'"$old"'\.md}{docs/protocol.md}g + s{\b'"$old"'\b(?![\w-])}{docs/protocol.md}g)'

files=()
if [ $# -gt 0 ]; then
	files=("$@")
else
	root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel 2>/dev/null) || {
		echo "rewrite-citations.sh: not in a git work tree: run it from a clone, or name the files" >&2
		exit 2
	}
	cd "$root"
	while IFS= read -r f; do
		case $f in
		docs/protocol.md | docs/rewrite-citations.sh | reports/protocol_doc.go | reports/protocol_doc_test.go) ;;
		*) files+=("$f") ;;
		esac
	done < <(git grep -lI -e "$old" -- . || true)
fi

changed_lines=0
changed_files=0
for f in "${files[@]}"; do
	if [ ! -f "$f" ]; then
		echo "rewrite-citations.sh: $f: no such file" >&2
		exit 1
	fi
	n=$(perl -ne "\$n++ if $subst; END { print \$n+0 }" -- "$f")
	[ "$n" -eq 0 ] && continue
	changed_lines=$((changed_lines + n))
	changed_files=$((changed_files + 1))
	if [ $dry -eq 1 ]; then
		perl -ne "my \$o = \$_; if ($subst) { print \"\$ARGV:\$.:\n  - \$o  + \$_\" }" -- "$f"
		continue
	fi
	perl -pi -e "$subst" -- "$f" || {
		echo "rewrite-citations.sh: $f: could not rewrite it" >&2
		exit 1
	}
	case $f in
	*.go)
		gofmt=$(command -v gofmt || echo "$(go env GOROOT 2>/dev/null)/bin/gofmt")
		"$gofmt" -w "$f" || {
			echo "rewrite-citations.sh: $f: gofmt failed after the rewrite" >&2
			exit 1
		}
		;;
	esac
done

if [ $dry -eq 1 ]; then
	echo "would rewrite $changed_lines lines in $changed_files files"
else
	echo "rewrote $changed_lines lines in $changed_files files"
fi
