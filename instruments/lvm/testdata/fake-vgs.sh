#!/bin/sh
# Stands in for vgs in tests: $1 picks a behaviour, $2 is a report to print; the report
# arguments the collector appends come after and are ignored.
case "$1" in
  ok) cat "$2" ;;
  noisy) echo "  WARNING: Device /dev/sdz has size of 0 sectors." >&2; cat "$2" ;;
  fail) echo "  Volume group \"nope\" not found" >&2; echo "  Cannot process volume group nope" >&2; exit 5 ;;
  hang) exec sleep 30 ;;
  garbage) echo "lvm: this is not a report" ;;
  # Fails on its first run, then reports: $3 is a marker file.
  flaky) if [ -e "$3" ]; then cat "$2"; else : > "$3"; echo "  Locking failed" >&2; exit 5; fi ;;
esac
