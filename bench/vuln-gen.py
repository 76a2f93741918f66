#!/usr/bin/env python3
"""Inputs for bench/vuln-match.sh: a root filesystem shaped like a Debian + Python image and
an OSV export large enough to look like osv.dev's.

The rootfs gets this machine's /etc/os-release, /var/lib/dpkg/status and the METADATA of
every Python distribution under /usr/lib/python3/dist-packages (copied, nothing else), so the
package count is the machine's (Debian 12 here: ~790 dpkg + ~30 Python packages).

The export holds RECORDS generated OSV records (default 60000): for every source package of
the status file and every Python distribution, a few records with realistic ranges (some
matching the installed version, most not), plus filler records for other package names, in
the shapes of Debian's and PyPI's OSV records (ECOSYSTEM ranges, introduced/fixed, aliases,
CVSS vectors). Usage: vuln-gen.py OUT_DIR [RECORDS]
"""
import email.parser
import glob
import json
import os
import random
import shutil
import sys
import zipfile

out = sys.argv[1]
total = int(sys.argv[2]) if len(sys.argv) > 2 else 60000
random.seed(42)
rootfs = os.path.join(out, "rootfs")
shutil.rmtree(rootfs, ignore_errors=True)
os.makedirs(os.path.join(rootfs, "etc"))
os.makedirs(os.path.join(rootfs, "var/lib/dpkg"))
shutil.copy("/etc/os-release", os.path.join(rootfs, "etc/os-release"))
shutil.copy("/var/lib/dpkg/status", os.path.join(rootfs, "var/lib/dpkg/status"))

# Source packages and their versions from the status file.
sources = {}
block = {}
for line in open("/var/lib/dpkg/status", encoding="utf-8", errors="replace").read().split("\n") + [""]:
    if not line:
        if block.get("Package") and "installed" in block.get("Status", ""):
            src = block.get("Source", block["Package"]).split(" ")[0]
            ver = block.get("Source", "").split("(")[-1].rstrip(")") if "(" in block.get("Source", "") else block.get("Version", "")
            sources[src] = ver
        block = {}
        continue
    if ":" in line and not line.startswith(" "):
        k, v = line.split(":", 1)
        block[k] = v.strip()

python = {}
metas = glob.glob("/usr/lib/python3/dist-packages/*.dist-info/METADATA")
metas += glob.glob("/usr/lib/python3/dist-packages/*.egg-info/PKG-INFO")
for meta in sorted(metas):
    headers = email.parser.Parser().parsestr(open(meta, encoding="utf-8", errors="replace").read(), headersonly=True)
    name, version = headers.get("Name"), headers.get("Version")
    if not name or not version:
        continue
    python[name] = version
    dest = os.path.join(rootfs, "usr/lib/python3/dist-packages", os.path.basename(os.path.dirname(meta)))
    os.makedirs(dest, exist_ok=True)
    shutil.copy(meta, os.path.join(dest, os.path.basename(meta)))

def record(n, ecosystem, name, events, cve):
    return {
        "schema_version": "1.6.0",
        "id": ("DEBIAN-" if ecosystem.startswith("Debian") else "PYSEC-") + cve,
        "modified": "2025-06-01T00:00:00Z",
        "aliases": [cve],
        "summary": f"generated advisory {n} for {name}",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        "affected": [{"package": {"ecosystem": ecosystem, "name": name},
                      "ranges": [{"type": "ECOSYSTEM", "events": events}]}],
    }

records = []
n = 0
def add(ecosystem, name, installed):
    global n
    n += 1
    cve = f"CVE-2099-{n:06d}"
    r = random.random()
    if r < 0.15 and installed:      # affects the installed version, fixed "later"
        events = [{"introduced": "0"}, {"fixed": installed + "+fix1"}] if ecosystem.startswith("Debian") else [{"introduced": "0"}, {"fixed": "9999.0"}]
    elif r < 0.9:                   # fixed long ago
        events = [{"introduced": "0"}, {"fixed": "0.0.1"}]
    else:                           # not fixed, introduced after the installed version
        events = [{"introduced": "99999"}]
    records.append(record(n, ecosystem, name, events, cve))

for src, ver in sorted(sources.items()):
    for _ in range(random.randint(1, 12)):
        add("Debian:12", src, ver)
for name, ver in sorted(python.items()):
    for _ in range(random.randint(1, 6)):
        add("PyPI", name, ver)
while len(records) < total:
    eco = random.choice(["Debian:12", "Debian:11", "PyPI"])
    add(eco, f"filler-{random.randint(0, total // 3)}", None)

with zipfile.ZipFile(os.path.join(out, "all.zip"), "w", zipfile.ZIP_DEFLATED) as z:
    for r in records:
        z.writestr(r["id"] + ".json", json.dumps(r))
print(f"{len(sources)} source packages, {len(python)} Python distributions, {len(records)} records")
