#!/usr/bin/env bash
# Debian packages the product needs beyond Python: a CJK font for charts (fonts-noto-cjk),
# Chromium to print bulletins as PDF (and for the browser tests), poppler-utils to check PDFs.
# Installs only what is missing; uses sudo when not root.
set -euo pipefail
PACKAGES=(fonts-noto-cjk chromium chromium-driver poppler-utils)
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "需要以下系统软件包 / these system packages are needed: ${missing[*]}" >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "安装系统软件包 / installing: ${missing[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
