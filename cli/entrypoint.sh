#!/bin/sh
# The image's entry point: starts cli/main.js with V8's heap sized from the container's memory
# limit, which the chart hands over through the Downward API as SSM_MEMORY_LIMIT_MIB.
#
# Why: left alone, V8 sizes the old generation at half the memory it sees but never below
# 256 MiB, so under a 256Mi limit the heap may grow past the limit and the kernel kills the pod
# before the garbage collector reacts. Sized here, the heap stays below the limit with room for
# what lives outside it (the node binary, buffers, sockets: about a third at small limits).
#
#   old generation = 3/4 of the limit - 32 MiB (48 MiB to 4 GiB)
#   semi-space     = limit / 128 (1 to 16 MiB): fewer scavenges of a scrape's short-lived
#                    strings as the limit allows. --optimize-for-size (the chart's default)
#                    overrides it with 1 MiB, whatever the order of the flags (node 24: the
#                    new space measures 2 MiB with both given); it counts without that flag.
#   initial old generation = 1/4 of the old generation, from a 512Mi limit up: a large config
#                    (100k users, ~180 MiB of heap while it is read) is built without a full
#                    collection every few MiB of growth (--optimize-for-size keeps the limit
#                    close to what is live); it halved the L world's config load. Below 512Mi the
#                    quarter is about what such a pod keeps live, so it would only add garbage.
#
# SSM_NODE_FLAGS adds node flags (the chart passes --optimize-for-size). `node-flags` as the
# only argument prints the flags for this environment and exits.
set -eu

here=$(dirname "$0")
flags=""
limit="${SSM_MEMORY_LIMIT_MIB:-}"
if [ -n "$limit" ]; then
  case "$limit" in
    *[!0-9]* | 0*)
      echo "SSM_MEMORY_LIMIT_MIB \"$limit\": not a whole number of MiB (the chart sets it from resources.limits.memory)" >&2
      exit 2
      ;;
  esac
  old=$((limit * 3 / 4 - 32))
  [ "$old" -lt 48 ] && old=48
  # Without a limit the Downward API gives the node's allocatable memory: keep V8's own ceiling.
  [ "$old" -gt 4096 ] && old=4096
  semi=$((limit / 128))
  [ "$semi" -lt 1 ] && semi=1
  [ "$semi" -gt 16 ] && semi=16
  flags="--max-old-space-size=$old --max-semi-space-size=$semi"
  [ "$limit" -ge 512 ] && flags="$flags --initial-old-space-size=$((old / 4))"
fi
flags="$flags ${SSM_NODE_FLAGS:-}"

if [ "$#" -eq 1 ] && [ "$1" = "node-flags" ]; then
  echo $flags
  exit 0
fi
# shellcheck disable=SC2086 # the flags are words by design
exec node $flags "$here/main.js" "$@"
