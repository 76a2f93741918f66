#!/usr/bin/env python3
"""Writes N distinct small-but-real images as OCI layouts for bench/load.sh, reproducibly.

    gen_images.py OUT_DIR [--count 50] [--repos 10] [--layer-mb 2] [--seed 11]

Image i goes to OUT_DIR/i (one OCI layout per image) under tag v<i % per-repo>, meant for
repository load/app-<i // per-repo> (per-repo = count / repos), and one line
"i repo tag manifest-digest" per image is printed, so the load test promotes several images
into the same repository at once (concurrent uploads of the shared base blob).

Each image is the demo image of scripts/make-demo-images.py, varied so that every digest
differs and each SBOM is different:
  layer 1  the golden base layer, byte for byte (shared by all images: the same blob);
  layer 2  the application layer: requests 2.28.0 (vulnerable in fixtures/osv) or 2.31.0,
           10 + 33 * (i % 30) extra Python distributions (dist-info METADATA), an image id file;
  layer 3  LAYER_MB MiB of pseudo-random bytes from random.Random(seed * 1000 + i)
           (incompressible, so the blob really is that size on the wire).
Tar headers, gzip and JSON are fixed as in make-demo-images.py: the same arguments give the
same bytes on any machine. Only the standard library.
"""

import argparse
import importlib.util
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO = os.path.join(HERE, "..", "..", "scripts", "make-demo-images.py")


def load_demo():
    spec = importlib.util.spec_from_file_location("make_demo_images", DEMO)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def app_files(demo, i):
    site = "usr/lib/python3/dist-packages"
    requests = "2.28.0" if i % 2 == 0 else "2.31.0"
    files = {
        "app/app.py": demo.APP_PY,
        "app/image-id": f"load-image-{i}\n",
        "app/requirements.txt": f"flask==2.3.3\nrequests=={requests}\n",
        f"{site}/requests-{requests}.dist-info/METADATA": demo.REQUESTS_METADATA.replace("2.28.0", requests),
        f"{site}/requests-{requests}.dist-info/RECORD": "requests/__init__.py,,\n",
        f"{site}/requests/__init__.py": f"__version__ = '{requests}'\n",
    }
    for k in range(10 + 33 * (i % 30)):
        name = f"loadpkg-{k:03d}"
        version = f"1.{k % 13}.{i}"
        files[f"{site}/{name.replace('-', '_')}-{version}.dist-info/METADATA"] = (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
            f"Summary: load-test package {k} of image {i}\nLicense: MIT\n"
        )
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=50)
    ap.add_argument("--repos", type=int, default=10)
    ap.add_argument("--layer-mb", type=float, default=2)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    if args.count < 1 or args.repos < 1 or args.count % args.repos:
        ap.error("--count must be a positive multiple of --repos")
    per_repo = args.count // args.repos
    demo = load_demo()
    size = int(args.layer_mb * 1024 * 1024)
    for i in range(args.count):
        rng = random.Random(args.seed * 1000 + i)
        config = {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "User": "10001",
            "WorkingDir": "/app",
            "Cmd": ["python3", "/app/app.py"],
            "Labels": {"org.opencontainers.image.title": f"load-app-{i}", "org.opencontainers.image.version": "1.0"},
        }
        history = [
            "ADD rootfs.tar / # golden base: Debian 12 (assay demo)",
            "COPY app/ /app/ && pip install -r requirements.txt # buildkit",
            "COPY data/ /data/ # load-test payload",
        ]
        repo, tag = f"load/app-{i // per_repo}", f"v{i % per_repo}"
        root = os.path.join(args.out, str(i))
        digest = image(demo, root, [demo.base_files(), app_files(demo, i)], rng.randbytes(size), config, history, tag)
        print(i, repo, tag, digest, flush=True)


def payload_tar(demo, data):
    """A layer holding /data/noise.bin (bytes), written like demo.layer_tar."""
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        d = tarfile.TarInfo("data")
        d.type, d.mode, d.mtime, d.uid, d.gid, d.uname, d.gname = tarfile.DIRTYPE, 0o755, demo.MTIME, 0, 0, "root", "root"
        tar.addfile(d)
        f = tarfile.TarInfo("data/noise.bin")
        f.size, f.mode, f.mtime, f.uid, f.gid, f.uname, f.gname = len(data), 0o644, demo.MTIME, 0, 0, "root", "root"
        tar.addfile(f, io.BytesIO(data))
    return buf.getvalue()


def image(demo, root, layers, payload, config_extra, history, tag):
    """demo.image with a third, binary layer and a chosen tag."""
    import gzip
    import io

    layout = demo.Layout(root)
    layer_descs, diff_ids = [], []
    # Random data does not compress: gzip level 1 gives the same size as 9, much faster.
    raws = [(demo.layer_tar(files), 9) for files in layers] + [(payload_tar(demo, payload), 1)]
    for raw, level in raws:
        diff_ids.append(demo.sha256(raw))
        out = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=level) as gz:
            gz.write(raw)
        layer_descs.append(layout.blob(out.getvalue(), "application/vnd.oci.image.layer.v1.tar+gzip"))
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": demo.CREATED,
        "config": config_extra,
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": demo.CREATED, "created_by": h} for h in history],
    }
    config_desc = layout.blob(demo.canonical(config), "application/vnd.oci.image.config.v1+json")
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": config_desc,
        "layers": layer_descs,
    }
    manifest_desc = layout.blob(demo.canonical(manifest), "application/vnd.oci.image.manifest.v1+json")
    layout.write(manifest_desc, tag)
    return manifest_desc["digest"]


if __name__ == "__main__":
    main()
