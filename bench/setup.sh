#!/bin/sh
# Installs what the benchmarks compare the service with and npm cannot provide: the native `lame` encoder.
# Run once per machine before `npm run bench`; the benchmarks still run without it, minus the native column.
set -eu

if command -v lame >/dev/null 2>&1; then
  echo "lame is installed: $(command -v lame)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "lame is missing and this is not a Debian/Ubuntu machine: install it with your package manager" >&2
  exit 1
fi
# Root in a container, sudo on a workstation.
if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
$sudo apt-get update
$sudo apt-get install -y lame
lame --version | head -n 1
