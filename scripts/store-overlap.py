#!/usr/bin/env python3
"""Normalised line overlap between sqlite/ and postgres/ (same-named files).

Issue 14 measures how much of the two stores is written twice this way.

Usage: scripts/store-overlap.py REV [REPO_DIR] [-v]   (reads the tree of REV
with git show, so the working tree is not touched; REPO_DIR defaults to the
current directory; -v lists each file).

For each non-test .go file in sqlite/: its non-blank, non-comment lines,
trimmed; string literals -> "S", numbers -> N, ?/?N/$N placeholders -> P;
a line counts as matched if the same normalised line appears (as often) in
the same-named file in postgres/. overlap = matched / total over sqlite/.
"""
import collections, re, subprocess, sys


args = [a for a in sys.argv[1:] if a != '-v']
rev = args[0]
repo = args[1] if len(args) > 1 else '.'

def git(*args):
    return subprocess.run(['git', *args], capture_output=True, text=True, cwd=repo, check=True).stdout

def files(d):
    out = git('ls-tree', '-r', '--name-only', rev, d + '/').split()
    return {f.split('/', 1)[1]: f for f in out if f.endswith('.go') and not f.endswith('_test.go')}

def lines(path):
    res, in_block = [], False
    for l in git('show', f'{rev}:{path}').split('\n'):
        l = l.strip()
        if in_block:
            if '*/' in l:
                in_block = False
            continue
        if l.startswith('/*'):
            in_block = '*/' not in l
            continue
        if not l or l.startswith('//'):
            continue
        res.append(l)
    return res

def norm(l):
    l = re.sub(r'"(?:[^"\\]|\\.)*"', '"S"', l)
    l = re.sub(r'`[^`]*`', '"S"', l)
    l = re.sub(r"'(?:[^'\\]|\\.)*'", '"S"', l)
    l = re.sub(r'\$\d+', 'P', l)
    l = re.sub(r'\?\d*', 'P', l)
    l = re.sub(r'\b\d+(?:\.\d+)?\b', 'N', l)
    return l

s, p = files('sqlite'), files('postgres')
tot = matched = 0
per = []
for name, sp in sorted(s.items()):
    sl = lines(sp)
    tot += len(sl)
    m = 0
    if name in p:
        pn = collections.Counter(norm(x) for x in lines(p[name]))
        for l in sl:
            n = norm(l)
            if pn[n] > 0:
                m += 1
                pn[n] -= 1
    matched += m
    per.append((name, m, len(sl)))
if '-v' in sys.argv:
    for name, m, n in per:
        print(f'  {name:28s} {m:5d}/{n:5d}')
print(f'{rev}: sqlite lines {tot}; normalised lines also in postgres (same file) {matched} = {100*matched/tot:.1f}%')
