#!/bin/sh
# Validates an SBOM with the official tools, offline:
#   tests/sbom-validate.sh cdx FILE    CycloneDX 1.6: the JSON schema from npm's
#                                      @cyclonedx/cyclonedx-library (with its spdx
#                                      and jsf references), Debian's python3-jsonschema
#   tests/sbom-validate.sh spdx FILE   SPDX 2.3: SPDX's pyspdxtools (scripts/spdx-tools.sh)
# Exit 0 when valid; the validator's messages otherwise.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in
cdx)
	/usr/bin/python3 - "$here/tests/node_modules/@cyclonedx/cyclonedx-library/res/schema" "${2:?usage: $0 cdx FILE}" <<'PY'
import json, os, sys, jsonschema, jsonschema._validators as jv
# Debian 12's jsonschema 4.10 sorts the extra items to name them, and dicts
# do not sort (a TypeError inside oneOf): name them unsorted
jv.extras_msg = lambda x: (', '.join(repr(e) for e in x), 'was' if len(x) == 1 else 'were')
d = sys.argv[1]
load = lambda n: json.load(open(os.path.join(d, n)))
bom = load('bom-1.6.SNAPSHOT.schema.json')
store = {'http://cyclonedx.org/schema/' + n: load(n) for n in
         ('spdx.SNAPSHOT.schema.json', 'jsf-0.82.SNAPSHOT.schema.json')}
res = jsonschema.RefResolver.from_schema(bom, store=store)
v = jsonschema.Draft7Validator(bom, resolver=res, format_checker=jsonschema.FormatChecker())
errs = list(v.iter_errors(json.load(open(sys.argv[2]))))
for e in errs:
    print(list(e.path), e.message)
sys.exit(1 if errs else 0)
PY
	;;
spdx)
	site=$("$here/scripts/spdx-tools.sh")
	PYTHONPATH="$site" /usr/bin/python3 "$site/../../../bin/pyspdxtools" -i "${2:?usage: $0 spdx FILE}"
	;;
*)
	echo "usage: $0 cdx|spdx FILE" >&2
	exit 2
	;;
esac
