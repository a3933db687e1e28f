#!/bin/sh
# Installs slurm-factory for a CI job, from this checkout:
#   scripts/ci-install.sh PREFIX [OBJDIR]
# Debian packages first (scripts/setup.sh; through "sudo -n" when not root),
# then `make install PREFIX=PREFIX` with the objects in OBJDIR (default
# PREFIX/build), so the checkout itself is only read. The tool finds its
# recipes under PREFIX/share/slurm-factory. Prints the installed version.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
prefix=${1:?usage: ci-install.sh PREFIX [OBJDIR]}
obj=${2:-$prefix/build}
if [ "$(id -u)" -eq 0 ]; then
	"$src/scripts/setup.sh"
else
	sudo -n "$src/scripts/setup.sh"
fi
make -C "$src" --no-print-directory -j"$(nproc)" BUILD="$obj" PREFIX="$prefix" install >/dev/null
"$prefix/bin/slurm-factory" --version
