#!/usr/bin/env python3
"""Checks and figures for bench/load.sh. Only the standard library.

    check.py dest HOST:PORT IMAGES_TXT RUN_DIR  every promoted image, byte for byte; no tag
                                                for a promotion that failed (RUN_DIR/i.rc)
    check.py promote RUN_DIR IMAGES_TXT RESULT [PREVIOUS_RUN_DIR]
                                                each `assay promote --format json` output; one
                                                whose previous run failed must say "promoted"
    check.py history RUN_DIR IMAGES_TXT         each `assay history --format json` output (of
                                                the images whose promotion did not fail)
    check.py scans REF_DIR RUN_DIR              each scan output parses and equals the reference
    check.py times DIR LABEL                    figures of the *.time files (/usr/bin/time)

IMAGES_TXT has one line "i repo tag manifest-digest ..." per image (bench/load/gen_images.py).
Each command prints one summary line (figures as key=value) and one line per problem, and
exits 1 when there is a problem.
"""

import glob
import hashlib
import json
import os
import statistics
import sys
import urllib.error
import urllib.request

MANIFEST_TYPES = ", ".join([
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])


def images(path):
    with open(path) as f:
        return [line.split()[:4] for line in f if line.strip()]


def failed(run_dir, i):
    """Whether the process of image i in run_dir exited non-zero."""
    if not run_dir:
        return False
    with open(os.path.join(run_dir, f"{i}.rc")) as f:
        return f.read().strip() != "0"


def get(url, accept=None):
    req = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return resp.headers, resp.read()


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def dest(host, images_txt, run_dir):
    """The tag names the expected manifest, and every blob it names is there, intact; a
    promotion that failed left no tag (no partial promotion)."""
    problems, blobs, size, untagged = [], 0, 0, 0
    for i, repo, tag, digest in images(images_txt):
        base = f"http://{host}/v2/{repo}"
        if failed(run_dir, i):
            req = urllib.request.Request(f"{base}/manifests/{tag}", method="HEAD", headers={"Accept": MANIFEST_TYPES})
            try:
                urllib.request.urlopen(req, timeout=60)
                problems.append(f"image {i} {repo}:{tag}: its promotion failed but the tag exists")
            except urllib.error.HTTPError as e:
                if e.code == 404:
                    untagged += 1
                else:
                    problems.append(f"image {i} {repo}:{tag}: HEAD answered {e.code}")
            continue
        try:
            headers, manifest = get(f"{base}/manifests/{tag}", MANIFEST_TYPES)
            if sha256(manifest) != digest or headers.get("Docker-Content-Digest") != digest:
                problems.append(f"image {i} {repo}:{tag}: manifest {sha256(manifest)} "
                                f"(header {headers.get('Docker-Content-Digest')}), expected {digest}")
                continue
            parsed = json.loads(manifest)
            for d in [parsed["config"]] + parsed["layers"]:
                _, data = get(f"{base}/blobs/{d['digest']}")
                blobs += 1
                size += len(data)
                if sha256(data) != d["digest"] or len(data) != d["size"]:
                    problems.append(f"image {i} {repo}:{tag}: blob {d['digest']} is {sha256(data)}, {len(data)} bytes")
        except Exception as e:  # one line per image, whatever went wrong
            problems.append(f"image {i} {repo}:{tag}: {type(e).__name__}: {e}")
    n = sum(1 for i, *_ in images(images_txt) if not failed(run_dir, i))
    print(f"dest promoted={n} intact={n - len({p.split(':')[0] for p in problems if 'its promotion failed' not in p})} blobs={blobs} bytes={size} "
          f"failed_promotions_left_no_tag={untagged}")
    return problems


def read_json(path):
    with open(path, "rb") as f:
        return json.loads(f.read())


def promote(run_dir, images_txt, expected, previous=None):
    problems, copied, requests, reruns = [], 0, 0, 0
    for i, repo, tag, digest in images(images_txt):
        if failed(run_dir, i):
            continue  # reported with its exit code and error by load.sh
        want = expected
        if failed(previous, i):
            want, reruns = "promoted", reruns + 1
        try:
            out = read_json(os.path.join(run_dir, f"{i}.out"))
            copy = out["copy"]
            copied += copy["bytes_copied"]
            requests += copy["destination_requests"]
            if out["result"] != want:
                problems.append(f"promotion {i}: result {out['result']!r}, expected {want!r}")
            if copy["source_digest"] != digest or copy["destination_digest"] != digest:
                problems.append(f"promotion {i}: digests {copy['source_digest']} -> {copy['destination_digest']}, expected {digest}")
            if out["record"]["destinationDigest"] != digest:
                problems.append(f"promotion {i}: record names {out['record']['destinationDigest']}")
        except Exception as e:
            problems.append(f"promotion {i}: output: {type(e).__name__}: {e}")
    print(f"promote result={expected} bytes_copied={copied} destination_requests={requests}"
          + (f" reruns_of_failed_promotions_completed={reruns}" if previous else ""))
    return problems


def history(run_dir, images_txt):
    problems, n = [], 0
    for i, repo, tag, digest in images(images_txt):
        if failed(run_dir, i):
            continue
        n += 1
        try:
            out = read_json(os.path.join(run_dir, f"{i}.history"))
            records = out["promotions"]
            if out["digest"] != digest or len(records) != 1:
                problems.append(f"history {i}: digest {out['digest']}, {len(records)} records (expected 1)")
                continue
            r = records[0]
            if r.get("signer") != "build" or r["record"]["sourceDigest"] != digest or r["record"]["destinationDigest"] != digest:
                problems.append(f"history {i}: record {json.dumps(r)[:300]}")
        except Exception as e:
            problems.append(f"history {i}: output: {type(e).__name__}: {e}")
    print(f"history images={n} one_signed_record_each={not problems}")
    return problems


def scans(ref_dir, run_dir):
    problems, findings = [], 0
    refs = sorted(glob.glob(os.path.join(ref_dir, "*.json")))
    for ref in refs:
        name = os.path.basename(ref)
        path = os.path.join(run_dir, name)
        try:
            with open(path, "rb") as f:
                data = f.read()
            findings += len(json.loads(data)["findings"])
            with open(ref, "rb") as f:
                if f.read() != data:
                    problems.append(f"scan {name}: differs from the sequential run")
        except Exception as e:
            problems.append(f"scan {name}: {type(e).__name__}: {e}")
    print(f"scans outputs={len(refs)} identical_to_sequential={len(refs) - len(problems)} findings={findings}")
    return problems


def times(directory, label):
    """`/usr/bin/time -f '%e %M'` files (its last line; a failed command adds a line before)."""
    wall, rss = [], []
    for path in sorted(glob.glob(os.path.join(directory, "*.time"))):
        with open(path) as f:
            last = f.read().strip().splitlines()[-1].split()
        wall.append(float(last[0]))
        rss.append(int(last[1]))
    rcs = {}
    for path in glob.glob(os.path.join(directory, "*.rc")):
        with open(path) as f:
            rc = f.read().strip()
        rcs[rc] = rcs.get(rc, 0) + 1
    if not rss:
        print(f"{label} no timings in {directory}")
        return [f"{label}: no timings"]
    print(f"{label} processes={len(rss)} exit_codes={json.dumps(rcs, sort_keys=True)} "
          f"elapsed_s_max={max(wall):.2f} elapsed_s_median={statistics.median(wall):.2f} "
          f"max_rss_mib_max={max(rss) / 1024:.1f} max_rss_mib_median={statistics.median(rss) / 1024:.1f} "
          f"max_rss_mib_sum={sum(rss) / 1024:.0f}")
    return []


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    problems = {"dest": dest, "promote": promote, "history": history, "scans": scans, "times": times}[cmd](*args)
    for p in problems:
        print("  PROBLEM " + p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
