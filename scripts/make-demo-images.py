#!/usr/bin/env python3
"""Writes the demo images of fixtures/images as OCI image layouts, byte for byte reproducibly.

    python3 scripts/make-demo-images.py [OUT_DIR]      # default: fixtures/images

Two images, so the golden-image flow can be shown with no registry and no download:

  golden-base/   tag 1.0: one layer, a tiny Debian 12 userland as a golden base image would
                 carry it (os-release, a dpkg status database with six packages and their
                 .list files, /etc/passwd).
  demo-app/      tag 1.0: the golden base's layer, unchanged, plus one application layer (a
                 Python service with requests 2.28.0 installed, and a Flask app).

The package versions are chosen against fixtures/osv so that a scan finds something real:
libexpat1 2.5.0-1 (source expat: CVE-2024-45490, fixed in 2.5.0-1+deb12u1), tar
1.34+dfsg-1.2 (CVE-2023-39804, fixed in 1.34+dfsg-1.2+deb12u1) and requests 2.28.0
(CVE-2023-32681, fixed in 2.31.0); zlib1g 1:1.2.13.dfsg-1 is past both zlib fixes.

Everything is fixed: tar headers (mtime SOURCE_DATE_EPOCH-like constant, uid/gid 0, sorted
entries), gzip without a name or time, JSON with sorted keys. `scripts/test.sh` runs this
script into a temporary directory and compares it with the committed layouts.
"""

import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

MTIME = 1700000000  # 2023-11-14T22:13:20Z, the images' creation time
CREATED = "2023-11-14T22:13:20Z"

OS_RELEASE = """PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
"""

# (package, version, source or None, architecture, files)
DPKG = [
    ("base-files", "12.4+deb12u5", None, "amd64", ["/etc/debian_version", "/etc/os-release"]),
    ("libc6", "2.36-9+deb12u7", "glibc", "amd64", ["/lib/x86_64-linux-gnu/libc.so.6"]),
    ("libexpat1", "2.5.0-1", "expat", "amd64", ["/usr/lib/x86_64-linux-gnu/libexpat.so.1"]),
    ("python3-minimal", "3.11.2-1+b1", "python3-defaults", "amd64", ["/usr/share/doc/python3-minimal/README"]),
    ("tar", "1.34+dfsg-1.2", None, "amd64", ["/bin/tar"]),
    ("zlib1g", "1:1.2.13.dfsg-1", "zlib", "amd64", ["/lib/x86_64-linux-gnu/libz.so.1"]),
]


def dpkg_status():
    stanzas = []
    for name, version, source, arch, _ in DPKG:
        lines = [
            f"Package: {name}",
            "Status: install ok installed",
            "Priority: optional",
            "Section: libs",
            "Maintainer: Debian Developers <debian-devel@lists.debian.org>",
            f"Architecture: {arch}",
        ]
        if source:
            lines.append(f"Source: {source}")
        lines += [f"Version: {version}", f"Description: {name} (assay demo image)"]
        stanzas.append("\n".join(lines) + "\n")
    return "\n".join(stanzas)


REQUESTS_METADATA = """Metadata-Version: 2.1
Name: requests
Version: 2.28.0
Summary: Python HTTP for Humans.
Home-page: https://requests.readthedocs.io
License: Apache 2.0
Requires-Python: >=3.7, <4
"""

APP_PY = """from flask import Flask

app = Flask(__name__)


@app.get("/healthz")
def healthz():
    return "ok"
"""


def base_files():
    files = {
        "etc/os-release": OS_RELEASE,
        "etc/debian_version": "12.5\n",
        "etc/passwd": "root:x:0:0:root:/root:/bin/bash\napp:x:10001:10001::/app:/usr/sbin/nologin\n",
        "etc/group": "root:x:0:\napp:x:10001:\n",
        "var/lib/dpkg/status": dpkg_status(),
    }
    for name, _, _, arch, paths in DPKG:
        list_name = f"{name}:{arch}" if name.startswith("lib") else name
        files[f"var/lib/dpkg/info/{list_name}.list"] = "".join(p + "\n" for p in paths)
        for p in paths:
            files.setdefault(p.lstrip("/"), f"{name} payload\n")
    return files


def app_files():
    site = "usr/lib/python3/dist-packages"
    return {
        "app/app.py": APP_PY,
        "app/requirements.txt": "flask==2.3.3\nrequests==2.28.0\n",
        f"{site}/requests-2.28.0.dist-info/METADATA": REQUESTS_METADATA,
        f"{site}/requests-2.28.0.dist-info/RECORD": "requests/__init__.py,,\n",
        f"{site}/requests/__init__.py": "__version__ = '2.28.0'\n",
    }


def layer_tar(files):
    """An uncompressed layer tar: directories first as tar tools write them, entries sorted."""
    dirs = set()
    for path in files:
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]))
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(dirs | set(files)):
            info = tarfile.TarInfo(path)
            info.mtime = MTIME
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            if path in files:
                data = files[path].encode()
                info.size = len(data)
                info.mode = 0o755 if path.startswith(("bin/", "usr/bin/")) else 0o644
                tar.addfile(info, io.BytesIO(data))
            else:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
    return buf.getvalue()


def gzip_bytes(data):
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz:
        gz.write(data)
    return out.getvalue()


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Layout:
    def __init__(self, root):
        self.root = root
        self.blobs = {}

    def blob(self, data, media_type):
        digest = sha256(data)
        self.blobs[digest] = data
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    def write(self, manifest_desc, tag):
        os.makedirs(os.path.join(self.root, "blobs", "sha256"), exist_ok=True)
        for digest, data in sorted(self.blobs.items()):
            with open(os.path.join(self.root, "blobs", "sha256", digest.split(":", 1)[1]), "wb") as f:
                f.write(data)
        with open(os.path.join(self.root, "oci-layout"), "wb") as f:
            f.write(canonical({"imageLayoutVersion": "1.0.0"}))
        desc = dict(manifest_desc)
        desc["annotations"] = {"org.opencontainers.image.ref.name": tag}
        index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [desc]}
        with open(os.path.join(self.root, "index.json"), "wb") as f:
            f.write(canonical(index))


def image(root, layers, config_extra, history):
    layout = Layout(root)
    layer_descs, diff_ids = [], []
    for files in layers:
        raw = layer_tar(files)
        diff_ids.append(sha256(raw))
        layer_descs.append(layout.blob(gzip_bytes(raw), "application/vnd.oci.image.layer.v1.tar+gzip"))
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": CREATED,
        "config": config_extra,
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": CREATED, "created_by": h} for h in history],
    }
    config_desc = layout.blob(canonical(config), "application/vnd.oci.image.config.v1+json")
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": config_desc,
        "layers": layer_descs,
    }
    manifest_desc = layout.blob(canonical(manifest), "application/vnd.oci.image.manifest.v1+json")
    layout.write(manifest_desc, "1.0")
    return manifest_desc["digest"]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "fixtures", "images")
    base_config = {
        "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        "Labels": {"org.opencontainers.image.title": "golden-base", "org.opencontainers.image.version": "1.0"},
    }
    base_history = ["ADD rootfs.tar / # golden base: Debian 12 (assay demo)"]
    base = image(os.path.join(out, "golden-base"), [base_files()], base_config, base_history)
    app_config = {
        "Env": base_config["Env"],
        "User": "10001",
        "WorkingDir": "/app",
        "Cmd": ["python3", "/app/app.py"],
        "Labels": {"org.opencontainers.image.title": "demo-app", "org.opencontainers.image.version": "1.0"},
    }
    app_history = base_history + ["COPY app/ /app/ && pip install -r requirements.txt # buildkit"]
    app = image(os.path.join(out, "demo-app"), [base_files(), app_files()], app_config, app_history)
    print(f"golden-base:1.0 {base}")
    print(f"demo-app:1.0    {app}")


if __name__ == "__main__":
    main()
