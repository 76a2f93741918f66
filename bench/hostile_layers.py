#!/usr/bin/env python3
"""Hostile OCI images for the peak-memory benchmark (bench/hostile.sh; docs/reliability.md,
"Peak memory on hostile layers").

usage: bench/hostile_layers.py OUTDIR [CASE...]     (default: every case)
       bench/hostile_layers.py --list

Writes OUTDIR/CASE/ as an OCI image layout (oci-layout, index.json whose manifest carries the
`org.opencontainers.image.ref.name: latest` annotation, blobs/sha256/...: the layers, an image
config whose rootfs.diff_ids are the sha256 of each uncompressed tar, and the manifest), plus
OUTDIR/CASE/case.json (blob and uncompressed sizes, expected result). Read it as
`oci:OUTDIR/CASE:latest`.

Every layer is a tar STREAM written through the compressor in chunks (gzip in-process, zstd
through /usr/bin/zstd): nothing is ever extracted and no uncompressed layer touches the disk,
so the 2 GiB bombs cost a few MB of disk. Python 3 stdlib only. Deterministic (mtime 0).
"""
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile

MiB = 1 << 20
GiB = 1 << 30
CHUNK = 4 * MiB
ZSTD = os.environ.get("ZSTD", "/usr/bin/zstd")
GZIP_LEVEL = 9


class Zeros(io.RawIOBase):
    """A readable stream of N bytes of `byte` (for tarfile.addfile), never held in memory."""

    def __init__(self, n, byte=b"\0", prefix=b""):
        self.left, self.prefix = n, prefix[:n]
        self.block = byte * CHUNK

    def readable(self):
        return True

    def read(self, size=-1):
        if self.left <= 0:
            return b""
        if size is None or size < 0 or size > CHUNK:
            size = CHUNK
        size = min(size, self.left)
        self.left -= size
        if self.prefix:
            out = self.prefix[:size] + self.block[:max(0, size - len(self.prefix))]
            self.prefix = self.prefix[size:]
            return out
        return self.block[:size]


class HashingWriter:
    """Counts and hashes what passes through (the uncompressed tar: the diff_id) and hands it on."""

    def __init__(self, sink):
        self.sink, self.sha, self.n = sink, hashlib.sha256(), 0

    def write(self, b):
        self.sha.update(b)
        self.n += len(b)
        self.sink.write(b)
        return len(b)

    def flush(self):
        pass


class Layer:
    """One layer blob being written: `tar` is a streaming tarfile (mode w|) whose bytes are hashed
    (diff_id) and compressed into a temporary file under blobs/sha256; close() names it by its
    digest. `raw` writes bytes straight into the uncompressed stream (hand-made headers)."""

    def __init__(self, layout, compression="gzip", zstd_args=("-3",)):
        self.layout, self.compression = layout, compression
        self.tmp = os.path.join(layout, "blobs", "sha256", ".layer.tmp")
        self.out = open(self.tmp, "wb")
        if compression == "gzip":
            self.comp = gzip.GzipFile(filename="", mode="wb", fileobj=self.out,
                                      compresslevel=GZIP_LEVEL, mtime=0)
            self.proc = None
        else:
            self.proc = subprocess.Popen([ZSTD, "-q", "-c", *zstd_args], stdin=subprocess.PIPE,
                                         stdout=self.out)
            self.comp = self.proc.stdin
        self.hw = HashingWriter(self.comp)
        self.tar = tarfile.open(fileobj=self.hw, mode="w|", format=tarfile.PAX_FORMAT,
                                bufsize=1 << 16)
        self.tar.copybufsize = 1 * MiB

    def raw(self, b):
        self.tar.fileobj.write(b)  # the stream's buffer: keeps tarfile's ordering
        self.tar.offset += len(b)

    def close(self, end_of_archive=True):
        if end_of_archive:
            self.tar.close()
        else:  # a truncated tar: flush what is buffered, write no end-of-archive blocks
            self.tar.fileobj.close()
            self.tar.closed = True
        self.comp.close()
        if self.proc:
            if self.proc.wait() != 0:
                raise SystemExit("zstd failed")
        self.out.close()
        sha = hashlib.sha256()
        with open(self.tmp, "rb") as f:
            for b in iter(lambda: f.read(CHUNK), b""):
                sha.update(b)
        digest = sha.hexdigest()
        os.replace(self.tmp, os.path.join(self.layout, "blobs", "sha256", digest))
        media = "application/vnd.oci.image.layer.v1.tar+" + self.compression
        return {"mediaType": media, "digest": "sha256:" + digest,
                "size": os.path.getsize(os.path.join(self.layout, "blobs", "sha256", digest)),
                "diff_id": "sha256:" + self.hw.sha.hexdigest(), "uncompressed": self.hw.n}


def info(name, size=0, kind=tarfile.REGTYPE, linkname="", mode=0o644, pax=None):
    ti = tarfile.TarInfo(name)
    ti.size, ti.type, ti.linkname, ti.mtime = size, kind, linkname, 0
    ti.mode = 0o755 if kind == tarfile.DIRTYPE else mode
    ti.uname = ti.gname = "root"
    if pax:
        ti.pax_headers = pax
    return ti


def add_file(layer, name, data=b"", mode=0o644):
    layer.tar.addfile(info(name, len(data), mode=mode), io.BytesIO(data))


def add_stream(layer, name, size, byte=b"\0", prefix=b""):
    layer.tar.addfile(info(name, size), Zeros(size, byte, prefix))


def add_dir(layer, name):
    layer.tar.addfile(info(name, kind=tarfile.DIRTYPE))


def put_blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(layout, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return "sha256:" + digest


def finish(layout, layers):
    config = {
        "created": "1970-01-01T00:00:00Z",
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": [l["diff_id"] for l in layers]},
        "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "bench/hostile_layers.py"}
                    for _ in layers],
    }
    cbytes = json.dumps(config, separators=(",", ":"), sort_keys=True).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": put_blob(layout, cbytes), "size": len(cbytes)},
        "layers": [{k: l[k] for k in ("mediaType", "digest", "size")} for l in layers],
    }
    mbytes = json.dumps(manifest, separators=(",", ":"), sort_keys=True).encode()
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": manifest["mediaType"], "digest": put_blob(layout, mbytes),
                       "size": len(mbytes),
                       "annotations": {"org.opencontainers.image.ref.name": "latest"}}],
    }
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump(index, f, indent=2)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)


OS_RELEASE = b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n' \
             b'VERSION_ID="12"\nVERSION="12 (bookworm)"\nID=debian\n'
DPKG_STATUS = b"""Package: base-files
Status: install ok installed
Priority: required
Section: admin
Architecture: amd64
Version: 12.4+deb12u5

Package: zlib1g
Status: install ok installed
Priority: optional
Section: libs
Architecture: amd64
Source: zlib
Version: 1:1.2.13.dfsg-1

"""

# ---- the cases: each gets a fresh layout dir and returns (layers, expected) ----


def c_baseline(L):
    l = L()
    for d in ("etc", "usr", "usr/bin", "var", "var/lib", "var/lib/dpkg", "app"):
        add_dir(l, d)
    add_file(l, "etc/os-release", OS_RELEASE)
    add_file(l, "var/lib/dpkg/status", DPKG_STATUS)
    add_file(l, "usr/bin/hello", b"\x7fELF" + b"\0" * 4000, mode=0o755)
    add_file(l, "app/README.md", b"hello\n" * 100)
    add_file(l, "app/LICENSE", b"MIT License\n\nCopyright (c) 2024 x\n")
    return [l.close()], "ok"


def c_gzip_bomb(L):
    l = L()
    add_stream(l, "zeros", 2 * GiB)
    return [l.close()], "ok (2 GiB < max_layer_uncompressed 16 GiB: walked to the end)"


def c_gzip_bomb_200x10m(L):
    l = L()
    add_dir(l, "z")
    for i in range(200):
        add_stream(l, f"z/f{i:03d}", 10 * MiB)
    return [l.close()], "ok"


def c_zstd_bomb(L):
    l = L("zstd", ("-3",))
    add_stream(l, "zeros", 2 * GiB)
    return [l.close()], "ok"


def c_zstd_bomb_long(L):
    # --long=27: the frame asks the decoder for a 128 MiB window (the default decoder limit).
    l = L("zstd", ("-19", "--long=27"))
    add_stream(l, "zeros", 2 * GiB)
    return [l.close()], "ok (128 MiB zstd window)"


def c_zstd_window_2g(L):
    # A hand-made zstd frame around a small tar whose header asks for a 2 GiB window
    # (windowLog 31, no content size): the decoder must refuse it, not allocate it.
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        t.addfile(info("etc/os-release", len(OS_RELEASE)), io.BytesIO(OS_RELEASE))
    tar = buf.getvalue()
    frame = bytes([0x28, 0xB5, 0x2F, 0xFD, 0x00, (31 - 10) << 3])
    frame += (1 | (len(tar) << 3)).to_bytes(3, "little") + tar  # last block, raw
    return [L.raw_blob(tar, frame, "zstd")], "error: zstd window over the decoder limit"


def tiny_files(L, n):
    l = L()
    for d in range(100):
        add_dir(l, f"d{d}")
    for i in range(n):
        add_file(l, f"d{i % 100}/f{i}", b"x")
    return [l.close()], "ok"


def c_tiny_files(L):
    return tiny_files(L, 100_000)


def c_tiny_files_400k(L):
    # the same shape four times larger: shows how memory grows per entry
    return tiny_files(L, 400_000)


def c_deep_paths(L):
    # 2,000 files, each at the bottom of its own chain of 19 directories of 200-byte names:
    # paths of ~3,880 bytes (under max_path_len 4,096), no two sharing a directory.
    l = L()
    seg = 196
    for i in range(2000):
        comps = [f"{i:04d}" + chr(97 + k % 26) * seg for k in range(19)]
        path = "/".join(comps) + f"/file{i}"
        assert len(path) <= 4096, len(path)
        add_file(l, path, b"x")
    return [l.close()], "ok"


def c_pax_comment_900k(L):
    # 200 entries, each with a PAX extended header of one 900 KiB record (under max_header 1 MiB).
    l = L()
    val = "c" * (900 * 1024)
    for i in range(200):
        l.tar.addfile(info(f"p{i}", 1, pax={"comment": val}), io.BytesIO(b"x"))
    return [l.close()], "ok"


def c_pax_path_900k(L):
    # As asked: a 900 KiB `path` record. Under max_header (1 MiB) but over max_path_len (4,096).
    l = L()
    for i in range(200):
        p = f"{i:03d}/" + "p" * (900 * 1024 - 8)
        l.tar.addfile(info(p, 1), io.BytesIO(b"x"))
    return [l.close()], "error: path length over max_path_len (4,096)"


def c_pax_over_limit(L):
    l = L()
    add_file(l, "before", b"x")
    l.tar.addfile(info("big", 1, pax={"comment": "c" * (1200 * 1024)}), io.BytesIO(b"x"))
    add_file(l, "after", b"x")
    return [l.close()], "error: tar entry header over max_header (1 MiB)"


def c_liar_10gb(L):
    # A header whose size field says 10 GB (PAX size record: more than the 8 GiB octal field),
    # followed by 4 KiB of data and nothing else (no end-of-archive): a truncated tar inside a
    # complete gzip stream.
    l = L()
    add_file(l, "ok", b"fine")
    l.raw(info("liar", 10 * 10**9).tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape"))
    l.raw(b"only a few KB " * 300)
    return [l.close(end_of_archive=False)], "error: truncated layer"


def c_symlinks(L):
    # 10,000 symlinks: 100 chains of 60 links (longer than MAX_SYMLINK_HOPS 40), 1,000 three-link
    # loops, 1,000 self-loops, 1,000 links escaping the root; then 2,000 hardlinks to them.
    l = L()
    for d in ("c", "loop", "self", "esc", "h"):
        add_dir(l, d)
    n = 0
    for c in range(100):
        for j in range(60):
            tgt = f"c{c}_{j + 1}" if j < 59 else f"../c/c{c}_0"  # ends in a loop too
            l.tar.addfile(info(f"c/c{c}_{j}", kind=tarfile.SYMTYPE, linkname=tgt))
            n += 1
    for k in range(1000):
        for j in range(3):
            l.tar.addfile(info(f"loop/l{k}_{j}", kind=tarfile.SYMTYPE,
                               linkname=f"l{k}_{(j + 1) % 3}"))
            n += 1
    for k in range(n, 10_000):
        if k % 2:
            l.tar.addfile(info(f"self/s{k}", kind=tarfile.SYMTYPE, linkname=f"s{k}/x"))
        else:
            l.tar.addfile(info(f"esc/e{k}", kind=tarfile.SYMTYPE,
                               linkname="../" * 20 + "etc/shadow"))
    for k in range(2000):
        tgt = f"c/c{k % 100}_{k % 60}" if k % 2 else f"loop/l{k % 1000}_0"
        l.tar.addfile(info(f"h/h{k}", kind=tarfile.LNKTYPE, linkname=tgt))
    add_dir(l, "etc")
    add_file(l, "etc/os-release", OS_RELEASE)
    return [l.close()], "ok"


def c_symlink_os_release(L):
    # etc/os-release (read by every SBOM) is a link into a loop.
    l = L()
    add_dir(l, "etc")
    add_dir(l, "usr")
    add_dir(l, "usr/lib")
    l.tar.addfile(info("etc/os-release", kind=tarfile.SYMTYPE, linkname="../usr/lib/os-release"))
    l.tar.addfile(info("usr/lib/os-release", kind=tarfile.SYMTYPE, linkname="os-release2"))
    l.tar.addfile(info("usr/lib/os-release2", kind=tarfile.SYMTYPE, linkname="os-release"))
    return [l.close()], "ok or SymlinkLoop error"


def c_duplicates(L):
    # 50,000 entries of the same path, 64 KiB each, every one different (3.2 GB uncompressed).
    l = L()
    add_dir(l, "app")
    for i in range(50_000):
        head = f"version {i}\n".encode()
        add_stream(l, "app/data.txt", 64 * 1024, byte=bytes([97 + i % 26]), prefix=head)
    return [l.close()], "ok"


def c_whiteouts(L):
    one = L()
    for d in range(100):
        add_dir(one, f"d{d}")
    for i in range(50_000):
        add_file(one, f"d{i % 100}/f{i}", b"x")
    first = one.close()
    two = L()
    for i in range(50_000):
        add_file(two, f"d{i % 100}/.wh.f{i}")
    return [first, two.close()], "ok"


CASES = {
    "baseline": c_baseline,
    "gzip-bomb-2g": c_gzip_bomb,
    "gzip-bomb-200x10m": c_gzip_bomb_200x10m,
    "zstd-bomb-2g": c_zstd_bomb,
    "zstd-bomb-2g-long27": c_zstd_bomb_long,
    "zstd-window-2g": c_zstd_window_2g,
    "tiny-100k": c_tiny_files,
    "tiny-400k": c_tiny_files_400k,
    "deep-paths-2k": c_deep_paths,
    "pax-900k-x200": c_pax_comment_900k,
    "pax-path-900k": c_pax_path_900k,
    "pax-over-limit": c_pax_over_limit,
    "liar-10gb": c_liar_10gb,
    "symlinks-10k": c_symlinks,
    "symlink-os-release-loop": c_symlink_os_release,
    "duplicates-50k": c_duplicates,
    "whiteouts-50k": c_whiteouts,
}


def build(out, name):
    layout = os.path.join(out, name)
    shutil.rmtree(layout, ignore_errors=True)
    os.makedirs(os.path.join(layout, "blobs", "sha256"))
    def new_layer(*a):
        return Layer(layout, *a)

    def raw_blob(tar, blob, compression):
        digest = put_blob(layout, blob)
        return {"mediaType": "application/vnd.oci.image.layer.v1.tar+" + compression,
                "digest": digest, "size": len(blob),
                "diff_id": "sha256:" + hashlib.sha256(tar).hexdigest(), "uncompressed": len(tar)}

    new_layer.raw_blob = raw_blob
    layers, expected = CASES[name](new_layer)
    finish(layout, layers)
    meta = {"case": name, "expected": expected,
            "blob_bytes": sum(l["size"] for l in layers),
            "uncompressed_bytes": sum(l["uncompressed"] for l in layers),
            "layers": [{k: l[k] for k in ("mediaType", "digest", "size", "diff_id",
                                          "uncompressed")} for l in layers]}
    with open(os.path.join(layout, "case.json"), "w") as f:
        json.dump(meta, f, indent=2)
    print(f"{name}: {meta['blob_bytes']} bytes of blobs, "
          f"{meta['uncompressed_bytes']} uncompressed", flush=True)


def main(argv):
    if argv[:1] == ["--list"]:
        print("\n".join(CASES))
        return
    if not argv or argv[0].startswith("-"):
        raise SystemExit(__doc__)
    out, names = argv[0], argv[1:] or list(CASES)
    for n in names:
        if n not in CASES:
            raise SystemExit(f"unknown case {n}; --list shows them")
    for n in names:
        build(out, n)


if __name__ == "__main__":
    main(sys.argv[1:])
