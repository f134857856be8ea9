#!/usr/bin/env bash
# Apache ECharts for the dashboard, from the npm registry at build time (npm checks the package's
# integrity); the product serves it from the package and never from a CDN.
set -euo pipefail
VERSION=5.6.0
DEST=src/hvpatent/web/static/vendor
if ! command -v npm >/dev/null; then  # a bare Debian machine: take npm from Debian's packages
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends npm
fi
mkdir -p "$DEST"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "echarts@$VERSION" --silent >/dev/null 2>&1 && tar -xzf "echarts-$VERSION.tgz")
cp "$work/package/dist/echarts.min.js" "$DEST/echarts.min.js"
cp "$work/package/LICENSE" "$DEST/echarts.LICENSE.txt"
echo "ECharts $VERSION → $DEST/echarts.min.js"
