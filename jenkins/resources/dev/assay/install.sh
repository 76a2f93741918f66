#!/bin/sh
# Install an assay release: install.sh VERSION|latest DOWNLOAD_URL DIR
# Downloads <DOWNLOAD_URL>/v<VERSION>/{SHA256SUMS,assay-<VERSION>-<TARGET>.tar.gz}, checks the
# tarball's SHA-256 against SHA256SUMS and, when ASSAY_PUBLIC_KEY names a PEM public key file,
# the signature SHA256SUMS.sig (base64 DER ECDSA, as cosign writes it) first. Extracts the binary
# to DIR/assay and prints that path on stdout; everything else goes to stderr.
set -eu
version=${1:?usage: install.sh VERSION DOWNLOAD_URL DIR}
base=${2:?usage: install.sh VERSION DOWNLOAD_URL DIR}
dir=${3:?usage: install.sh VERSION DOWNLOAD_URL DIR}
base=${base%/}
log() { echo "assay install: $*" >&2; }
die() { log "$*"; exit 2; }
fetch() {
  if command -v curl > /dev/null 2>&1; then curl -fsSL --proto '=https,file' --retry 3 -o "$2" "$1"
  else wget -q -O "$2" "$1"; fi
}
sha256() { (sha256sum "$1" 2> /dev/null || shasum -a 256 "$1") | awk '{ print $1 }'; }

case "$(uname -s)/$(uname -m)" in
  Linux/x86_64 | Linux/amd64) target=x86_64-unknown-linux-gnu ;;
  Linux/aarch64 | Linux/arm64) target=aarch64-unknown-linux-gnu ;;
  Darwin/arm64) target=aarch64-apple-darwin ;;
  Darwin/x86_64) target=x86_64-apple-darwin ;;
  *) die "no prebuilt assay for $(uname -s)/$(uname -m)" ;;
esac
version=${version#v}
if [ "$version" = latest ]; then
  version=$(curl -fsSIL --proto '=https' --retry 3 -o /dev/null -w '%{url_effective}' "${base%/download}/latest") \
    || die "cannot resolve the latest release; give a version"
  version=${version##*/}
  version=${version#v}
fi
case "$version" in
  [0-9]*.[0-9]*.[0-9]*) ;;
  *) die "not a release version: $version" ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/assay-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tgz="assay-$version-$target.tar.gz"
for f in SHA256SUMS "$tgz"; do
  log "downloading $base/v$version/$f"
  fetch "$base/v$version/$f" "$tmp/$f" || { log "download failed: $f"; exit 3; }
done
if [ -n "${ASSAY_PUBLIC_KEY:-}" ]; then
  [ -f "$ASSAY_PUBLIC_KEY" ] || die "ASSAY_PUBLIC_KEY is not a file: $ASSAY_PUBLIC_KEY"
  command -v openssl > /dev/null 2>&1 || die "openssl is needed to verify the release signature"
  fetch "$base/v$version/SHA256SUMS.sig" "$tmp/SHA256SUMS.sig" || { log "download failed: SHA256SUMS.sig"; exit 3; }
  tr -d ' \r\n' < "$tmp/SHA256SUMS.sig" > "$tmp/sig.b64"
  openssl base64 -d -A -in "$tmp/sig.b64" -out "$tmp/sig.der" \
    && openssl dgst -sha256 -verify "$ASSAY_PUBLIC_KEY" -signature "$tmp/sig.der" "$tmp/SHA256SUMS" > /dev/null 2>&1 \
    || die "SHA256SUMS.sig does not verify against $ASSAY_PUBLIC_KEY"
  log "signature of SHA256SUMS verified"
fi
expected=$(awk -v f="$tgz" '$2 == f || $2 == "*" f { print $1 }' "$tmp/SHA256SUMS")
[ -n "$expected" ] || die "$tgz is not listed in SHA256SUMS"
actual=$(sha256 "$tmp/$tgz")
[ "$expected" = "$actual" ] || die "checksum mismatch for $tgz: expected $expected, got $actual"
log "checksum of $tgz verified ($actual)"
tar -xzf "$tmp/$tgz" -C "$tmp"
src=$tmp/assay-$version-$target/assay
[ -f "$src" ] || src=$tmp/assay
[ -f "$src" ] || die "$tgz has no assay binary"
mkdir -p "$dir"
cp "$src" "$dir/assay.part"
chmod 755 "$dir/assay.part"
mv -f "$dir/assay.part" "$dir/assay"
"$dir/assay" --version >&2
echo "$dir/assay"
