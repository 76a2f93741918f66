#!/usr/bin/env python3
"""Push one image of an OCI layout to a plain-HTTP loopback registry (test use only).

    push_layout.py LAYOUT_DIR TAG HOST:PORT REPOSITORY

The wrapper tests run the GitLab templates against a real registry (Debian's docker-registry
on a free loopback port); this puts the demo image there with the distribution API's
monolithic upload (POST, then PUT ?digest=), so the test needs no skopeo or docker. Only the
standard library: blobs are small fixture files. Exits non-zero with one line on any error.
"""
import json
import os
import sys
import urllib.error
import urllib.request


def request(method, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    layout, tag, host, repo = sys.argv[1:]
    if not host.startswith(("127.0.0.1:", "localhost:")):
        sys.exit(f"push_layout: {host} is not a loopback registry")
    index = json.load(open(os.path.join(layout, "index.json")))
    found = [m for m in index["manifests"]
             if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag]
    if not found:
        sys.exit(f"push_layout: no tag {tag} in {layout}")
    desc = found[0]

    def blob(digest):
        algo, hexd = digest.split(":", 1)
        return open(os.path.join(layout, "blobs", algo, hexd), "rb").read()

    manifest = blob(desc["digest"])
    parsed = json.loads(manifest)
    base = f"http://{host}/v2/{repo}"
    for d in [parsed["config"]] + parsed["layers"]:
        status, _, _ = request("HEAD", f"{base}/blobs/{d['digest']}")
        if status == 200:
            continue
        status, headers, body = request("POST", f"{base}/blobs/uploads/")
        if status != 202:
            sys.exit(f"push_layout: POST upload: {status} {body[:200]!r}")
        location = headers["Location"]
        if location.startswith("/"):
            location = f"http://{host}{location}"
        sep = "&" if "?" in location else "?"
        status, _, body = request("PUT", f"{location}{sep}digest={d['digest']}", blob(d["digest"]),
                                  {"Content-Type": "application/octet-stream"})
        if status != 201:
            sys.exit(f"push_layout: PUT {d['digest']}: {status} {body[:200]!r}")
    status, _, body = request("PUT", f"{base}/manifests/{tag}", manifest,
                              {"Content-Type": desc["mediaType"]})
    if status != 201:
        sys.exit(f"push_layout: PUT manifest: {status} {body[:200]!r}")
    print(f"{host}/{repo}:{tag}@{desc['digest']}")


if __name__ == "__main__":
    main()
