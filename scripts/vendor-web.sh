#!/usr/bin/env bash
# Refreshes the front-end files navette embeds, from the npm registry, at
# pinned versions, and records the SHA-256 of each file copied in
# web/static/vendor/SHA256SUMS (checked by "go test ./web" and by
# "sha256sum -c web/static/vendor/SHA256SUMS" from the repository root).
# Nothing is fetched at build or test time: the files are committed.
#
# DSFR asks for consent to its licence at install: this script gives it
# (DSFR_ACCEPT_LICENSE=1). DSFR's code is Etalab-2.0, but its terms reserve
# the State brand (Marianne, the brand block, the Marianne font) to State
# services: the "dsfr" theme is for ministry deployments only, is never the
# default, and its files are copied unaltered.
set -euo pipefail

DSFR_VERSION=1.15.3
TUS_VERSION=4.3.1
AXE_VERSION=4.14.1

root=$(cd "$(dirname "$0")/.." && pwd)
vendor=web/static/vendor
axe=internal/testbrowser/axe
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$work"
printf '{"name":"navette-vendor","version":"0.0.0","private":true}\n' >package.json
DSFR_ACCEPT_LICENSE=1 npm install --no-audit --no-fund --ignore-scripts=false --save-exact \
	"@gouvfr/dsfr@$DSFR_VERSION" "tus-js-client@$TUS_VERSION" "axe-core@$AXE_VERSION" >npm.log 2>&1 || {
	cat npm.log >&2
	exit 1
}

for p in "@gouvfr/dsfr:$DSFR_VERSION" "tus-js-client:$TUS_VERSION" "axe-core:$AXE_VERSION"; do
	name=${p%%:*} want=${p##*:}
	got=$(node -p "require('./node_modules/$name/package.json').version")
	[ "$got" = "$want" ] || { echo "$name: got $got, want $want" >&2; exit 1; }
done

cd "$root"
rm -rf "$vendor" "$axe"
mkdir -p "$vendor/tus" "$vendor/dsfr" "$axe"

cp "$work/node_modules/tus-js-client/dist/tus.min.js" "$vendor/tus/"
cp "$work/node_modules/tus-js-client/LICENSE" "$vendor/tus/LICENSE"

d="$work/node_modules/@gouvfr/dsfr/dist"
cp "$d/dsfr.min.css" "$d/dsfr.module.min.js" "$d/dsfr.nomodule.min.js" "$vendor/dsfr/"
mkdir -p "$vendor/dsfr/fonts" "$vendor/dsfr/favicon"
cp "$d"/fonts/*.woff2 "$vendor/dsfr/fonts/"
cp "$d"/favicon/* "$vendor/dsfr/favicon/" 2>/dev/null || true
# Only the icons the style sheet refers to, at the same relative paths.
grep -o 'url(icons/[^)]*)' "$d/dsfr.min.css" | sed 's/^url(//; s/)$//' | LC_ALL=C sort -u |
	while read -r icon; do
		mkdir -p "$vendor/dsfr/$(dirname "$icon")"
		cp "$d/$icon" "$vendor/dsfr/$icon"
	done
cp "$work/node_modules/@gouvfr/dsfr/LICENSE.md" "$vendor/dsfr/LICENSE.md" 2>/dev/null ||
	cp "$work/node_modules/@gouvfr/dsfr/LICENSE" "$vendor/dsfr/LICENSE"

cp "$work/node_modules/axe-core/axe.min.js" "$axe/"
cp "$work/node_modules/axe-core/LICENSE" "$axe/LICENSE"

cat >"$vendor/VERSIONS" <<V
@gouvfr/dsfr $DSFR_VERSION Etalab-2.0 (State brand reserved to State services)
tus-js-client $TUS_VERSION MIT
axe-core $AXE_VERSION MPL-2.0 (tests only: $axe)
V

{
	find "$vendor" "$axe" -type f ! -name "SHA256SUMS*" | LC_ALL=C sort | xargs sha256sum
} >"$vendor/SHA256SUMS.tmp"
mv "$vendor/SHA256SUMS.tmp" "$vendor/SHA256SUMS"
echo "vendored: $(wc -l <"$vendor/SHA256SUMS") files; see $vendor/VERSIONS"
