#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with seeds from the repository's fixtures, plus a few small
# inputs written here for parsers the fixtures do not cover (version pairs, DSSE envelopes,
# .assayignore, assay.yaml, layer tars). Idempotent; the corpus directories are not committed
# (libFuzzer adds its discoveries to them).
set -euo pipefail
cd "$(dirname "$0")"
root=..
corpus=corpus
mkdir -p "$corpus"

# copy TARGET FILE...: one seed per file, named after its path.
copy() {
    local target=$1
    shift
    mkdir -p "$corpus/$target"
    for f in "$@"; do
        [ -f "$f" ] || continue
        cp "$f" "$corpus/$target/$(echo "${f#"$root"/}" | tr '/' '_')"
    done
}

# prefixed TARGET BYTE NAME FILE: FILE with one selector byte (given in octal) in front.
prefixed() {
    mkdir -p "$corpus/$1"
    { printf "\\$2"; cat "$4"; } >"$corpus/$1/$3"
}

# text TARGET NAME TEXT (printf format)
text() {
    mkdir -p "$corpus/$1"
    printf "$3" >"$corpus/$1/$2"
}

# Dockerfiles and Kubernetes manifests: every rule fixture.
mapfile -t dockerfiles < <(find "$root/fixtures" -iname '*dockerfile*' -type f | sort)
copy dockerfile "${dockerfiles[@]}"
mapfile -t manifests < <(find "$root/fixtures/rules/kubernetes" "$root/fixtures/demo" \
    \( -name '*.yaml' -o -name '*.yml' \) -type f | sort)
copy k8s "${manifests[@]}"

# OSV records, AdmissionReviews.
mapfile -t osv < <(find "$root/fixtures/osv" -name '*.json' | sort)
copy osv "${osv[@]}"
copy admission_review "$root"/fixtures/admission/*-review.json

# SBOMs: the report crate's format snapshots, without insta's header.
mkdir -p "$corpus/sbom"
for snap in "$root"/crates/assay-report/tests/snapshots/sbom_formats__*.snap; do
    awk 'n>=2 {print} /^---$/ && n<2 {n++}' "$snap" >"$corpus/sbom/$(basename "$snap" .snap)"
done

# Keys: public PEMs for selector 0, private PEMs for 1 (no password) and 2 (a password).
for f in "$root"/fixtures/keys/*.pub "$root"/fixtures/admission/*.pub; do
    prefixed cosign_key 000 "pub-$(basename "$f")" "$f"
done
for f in "$root"/fixtures/keys/*.key; do
    prefixed cosign_key 001 "key-$(basename "$f")" "$f"
    prefixed cosign_key 002 "enc-$(basename "$f")" "$f"
done

# Signatures: a simple-signing payload, NUL, a base64 signature.
payload='{"critical":{"identity":{"docker-reference":"registry.example.com/app"},"image":{"docker-manifest-digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111"},"type":"cosign container image signature"},"optional":{"tag":"1.0"}}'
text cosign_signature simple-signing "%s\0%s" "$payload" \
    "MEUCIQDx0yJ5m3G3iR4uKpbu3q2Y4bV5Lh8iGZ1B0pF6qJ3T0wIgS1v6mXc7sQ0aTf0vP8b3kJm4dQ9vYw8F2x5r1c9u0oE="

# DSSE: an in-toto statement about one image, in an envelope with one signature.
statement='{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"registry.example.com/app","digest":{"sha256":"1111111111111111111111111111111111111111111111111111111111111111"}}],"predicateType":"https://cyclonedx.org/bom","predicate":{"bomFormat":"CycloneDX"}}'
b64=$(printf '%s' "$statement" | base64 -w0)
text dsse statement '{"payloadType":"application/vnd.in-toto+json","payload":"%s","signatures":[{"keyid":"","sig":"MEUCIQDx"}]}' "$b64"
text dsse empty '{"payloadType":"","payload":"","signatures":[]}'

# Version pairs: selector byte = index in Scheme::ALL (deb rpm apk pep440 semver go maven
# rubygems nuget composer), then "a\nb".
i=0
for pair in '1:2.30-1ubuntu1~22.04\n1:2.30-1' '2:1.4.3-3.el9_2.1\n2:1.4.3-3.el9' \
    '1.2.3_rc1-r0\n1.2.3-r1' '1!2.0.0.post1.dev3\n2.0rc1+local.7' '1.0.0-alpha.1\n1.0.0+build.5' \
    'v1.2.3+incompatible\nv1.2.3-pre' '1.0-RC1-SNAPSHOT\n1.0.0.0-sp1' '1.2.a.3\n1.2.pre' \
    '1.0.0.0-Beta.2\n1.0-beta.10' 'v2.0.0-RC2-p1\n2.0.0.0-dev'; do
    mkdir -p "$corpus/version"
    { printf "\\$(printf '%03o' $i)"; printf "$pair"; } >"$corpus/version/scheme-$i"
    i=$((i + 1))
done

# .assayignore in both shapes, assay.yaml.
text assayignore lines '# accepted risks\nCVE-2023-1234 exp:2030-01-01\nASSAY-DF-002 path:docker/*.Dockerfile\nGHSA-xxxx-yyyy-zzzz\n'
text assayignore yaml 'ignore:\n  - id: CVE-2023-1234\n    paths: ["app/**"]\n    expires: 2030-01-01\n    reason: not reachable\n  - id: ASSAY-SEC-010\n'
text assay_yaml full 'severity: [HIGH, CRITICAL]\nfail-on:\n  vuln: HIGH\n  misconfig: MEDIUM\nexit-code: 7\nformat: json\nscanners: [vuln, misconfig, secret]\niac:\n  allowed-registries: [registry.example.com]\n  disable: [ASSAY-DF-003]\n  severity:\n    ASSAY-DF-001: LOW\nsecrets:\n  allow:\n    - path: /etc/shadow\n      rule: ASSAY-SEC-112\ndb:\n  max-age: 7d\ngolden-images:\n  - registry.example.com/base/debian:12\n'
text assay_yaml short 'fail-on: HIGH\nignore-unfixed: true\n'

# Layers: selector 0 plain tar, 1 tar compressed by the harness, 3 gzip, 4 zstd. A small
# tree with a directory, files, a symlink, a hardlink, a whiteout and an opaque marker,
# written by GNU tar; and the fixture images' layer blobs.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/t/etc" "$work/t/app/sub" "$work/t/var/lib/dpkg"
printf 'ID=debian\nVERSION_ID="12"\n' >"$work/t/etc/os-release"
printf 'Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\n\n' >"$work/t/var/lib/dpkg/status"
ln -s ../etc/os-release "$work/t/app/link"
ln "$work/t/etc/os-release" "$work/t/app/hard"
: >"$work/t/app/.wh.gone"
: >"$work/t/app/sub/.wh..wh..opq"
tar --format=gnu --owner=0 --group=0 --mtime=@0 -C "$work/t" -cf "$work/layer.tar" .
tar --format=pax --owner=0 --group=0 --mtime=@0 -C "$work/t" -cf "$work/layer-pax.tar" .
gzip -9n <"$work/layer.tar" >"$work/layer.tar.gz"
zstd -q -19 <"$work/layer.tar" >"$work/layer.tar.zst"
prefixed layer_walk 000 gnu.tar "$work/layer.tar"
prefixed layer_walk 000 pax.tar "$work/layer-pax.tar"
prefixed layer_walk 001 gnu.tar.harness-gz "$work/layer.tar"
prefixed layer_walk 003 gnu.tar.gz "$work/layer.tar.gz"
prefixed layer_walk 004 gnu.tar.zst "$work/layer.tar.zst"
for blob in "$root"/fixtures/images/*/blobs/sha256/*; do
    if [ "$(head -c 2 "$blob" | od -An -tx1 | tr -d ' ')" = 1f8b ]; then
        prefixed layer_walk 003 "fixture-$(basename "$blob" | cut -c1-12).tar.gz" "$blob"
    fi
done

for d in "$corpus"/*/; do
    printf '%-18s %3d seeds\n' "$(basename "$d")" "$(find "$d" -type f | wc -l)"
done
