"""Near-identical texts at scale: jieba word shingles, MinHash signatures (datasketch) and banded
locality-sensitive hashing, then the groups of applications whose texts are nearly the same.

Why these: jieba is the segmenter the navigation room already uses for Chinese titles and abstracts, so a word is
the same word in both rooms; word shingles keep "一种…的装置" boilerplate from making every pair alike the way
character n-grams would.  datasketch's MinHash (``MinHash.bulk``, numpy over a batch) is the well-kept reference
implementation of Broder's estimator; the banding is done here with numpy (sort the band hashes, pair the runs)
rather than with datasketch's ``MinHashLSH``, whose Python dict per band holds every key and grows to gigabytes at
a million applications.  Baseline implementation; helper H1 owns its speed (see bench/abnormal_bench.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np

_DROP = re.compile(r"[\s\W_]+", re.UNICODE)  # punctuation, spaces, symbols


def _jieba():
    import jieba

    jieba.setLogLevel(60)
    return jieba


def tokens(text: str) -> list[str]:
    """The words of a text (jieba, no HMM), after NFKC folding, without punctuation and spaces."""
    folded = unicodedata.normalize("NFKC", text or "").lower()
    return [w for w in _jieba().lcut(folded, HMM=False) if not _DROP.fullmatch(w)]


def shingles(words: Sequence[str], size: int) -> list[bytes]:
    """Runs of ``size`` consecutive words (the words themselves when fewer), as UTF-8 bytes."""
    if len(words) < size:
        return [" ".join(words).encode()] if words else []
    return [" ".join(words[i:i + size]).encode() for i in range(len(words) - size + 1)]


def signatures(texts: Sequence[str], *, num_perm: int = 128, shingle: int = 2, max_chars: int = 600,
               workers: int = 1) -> np.ndarray:
    """(len(texts), num_perm) uint64 MinHash signatures of the texts' word shingles (each text cut to
    ``max_chars``).  An empty text gets datasketch's empty signature (the maximum everywhere)."""
    from datasketch import MinHash

    sets = [shingles(tokens(t[:max_chars]), shingle) for t in texts]
    out = np.empty((len(texts), num_perm), dtype=np.uint64)
    for i, mh in enumerate(MinHash.bulk(sets, num_perm=num_perm, seed=1)):
        out[i] = mh.hashvalues
    return out


def similar_pairs(sigs: np.ndarray, *, bands: int, threshold: float) -> list[tuple[int, int, float]]:
    """(i, j, estimated Jaccard) with i < j for every pair at ``threshold`` or above, found by banding: two texts
    are compared when all the rows of one band agree."""
    n, perms = sigs.shape
    rows = perms // bands
    found: set[tuple[int, int]] = set()
    for b in range(bands):
        band = np.ascontiguousarray(sigs[:, b * rows:(b + 1) * rows])
        keys = band.view(np.dtype((np.void, band.dtype.itemsize * rows))).ravel()
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        ends = np.r_[starts[1:], n]
        for s, e in zip(starts, ends, strict=True):
            if e - s > 1:
                members = np.sort(order[s:e])
                for x in range(len(members)):
                    for y in range(x + 1, len(members)):
                        found.add((int(members[x]), int(members[y])))
    out = []
    for i, j in sorted(found):
        sim = float(np.mean(sigs[i] == sigs[j]))
        if sim >= threshold:
            out.append((i, j, sim))
    return out


def groups(count: int, pairs: Sequence[tuple[int, int, float]]) -> list[list[int]]:
    """Connected groups (two or more members, each sorted, in order of their first member) of the pairs over
    ``count`` items."""
    parent = list(range(count))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j, _ in pairs:
        a, b = root(i), root(j)
        if a != b:
            parent[max(a, b)] = min(a, b)
    members: dict[int, list[int]] = {}
    for x in range(count):
        members.setdefault(root(x), []).append(x)
    return sorted((m for m in members.values() if len(m) > 1), key=lambda m: m[0])
