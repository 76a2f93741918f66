#!/usr/bin/env python3
"""Peak memory of a command and all its descendants (stdlib only, Linux /proc).

usage: peakmem.py [--interval SECONDS] -- CMD [ARGS...]

Prints one JSON object: the command's exit code, wall time, ru_maxrss of the largest single
process (what /usr/bin/time -v reports as "Maximum resident set size") and, sampled every
--interval seconds, the peak of the SUM of RSS and of PSS over the whole process tree.
Tools that fork workers (checkov runs its frameworks in forked processes) are undercounted by
ru_maxrss; PSS splits copy-on-write pages shared between parent and children fairly, so the
PSS sum is the honest "memory the run needs" figure. Sampling can miss peaks shorter than the
interval: for short single-process runs trust ru_maxrss.
"""
import json, os, resource, subprocess, sys, time


def children_map():
    kids = {}
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open(f'/proc/{d}/stat') as f:
                s = f.read()
            ppid = int(s[s.rindex(')') + 2:].split()[1])
        except (OSError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(d))
    return kids


def tree(root):
    kids, out, todo = children_map(), [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def mem(pid):
    rss = pss = 0
    try:
        with open(f'/proc/{pid}/smaps_rollup') as f:
            for line in f:
                if line.startswith('Rss:'):
                    rss = int(line.split()[1])
                elif line.startswith('Pss:'):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def main():
    args = sys.argv[1:]
    interval = 0.01
    if args[:1] == ['--interval']:
        interval = float(args[1]); args = args[2:]
    if args[:1] == ['--']:
        args = args[1:]
    if not args:
        sys.exit(__doc__)
    t0 = time.monotonic()
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak_rss = peak_pss = peak_procs = samples = 0
    while p.poll() is None:
        rs = ps = 0
        pids = tree(p.pid)
        for pid in pids:
            r, s = mem(pid)
            rs += r; ps += s
        peak_rss, peak_pss = max(peak_rss, rs), max(peak_pss, ps)
        peak_procs = max(peak_procs, len(pids))
        samples += 1
        time.sleep(interval)
    wall = time.monotonic() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({
        'cmd': args, 'exit': p.returncode, 'wall_s': round(wall, 3), 'samples': samples,
        'ru_maxrss_kib': ru.ru_maxrss, 'tree_peak_rss_kib': peak_rss,
        'tree_peak_pss_kib': peak_pss, 'tree_peak_procs': peak_procs,
    }))


if __name__ == '__main__':
    main()
