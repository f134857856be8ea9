"""Near-identical texts at scale: jieba word shingles, MinHash signatures (datasketch) and banded
locality-sensitive hashing, then the groups of applications whose texts are nearly the same.

Why these: jieba is the segmenter the navigation room already uses for Chinese titles and abstracts, so a word is
the same word in both rooms; word shingles keep "一种…的装置" boilerplate from making every pair alike the way
character n-grams would.  datasketch's MinHash is the well-kept reference implementation of Broder's estimator: its
hash function (``sha1_hash32``), its MurmurHash3 pre-mix and its permutation parameters (``MinHash(seed=1)``) are
used as they are, applied here to a whole chunk of texts at once with numpy, so a signature is exactly datasketch's
(tests/test_supervision_text.py checks it).  The banding is done here with numpy (a 64-bit key per band, sort, pair
the runs) rather than with datasketch's ``MinHashLSH``, whose Python dict per band holds every key and grows to
gigabytes at a million applications.  docs/abnormal.md "Text search", docs/benchmarks.md "Near-duplicate search".
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
import multiprocessing
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from hashlib import sha1
from itertools import chain, islice

import numpy as np

_DROP = re.compile(r"[\s\W_]+", re.UNICODE)  # punctuation, spaces, symbols
_EMPTY = np.uint32(0xFFFFFFFF)          # datasketch's value of a permutation that saw nothing
_FMIX = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))
_MIX64 = np.uint64(0x9E3779B97F4A7C15)  # odd constant folding a band's rows into one 64-bit key
CHUNK = 1000          # texts per piece of work: ~130,000 shingles, a (130,000 × num_perm) uint32 block (~66 MB)
MIN_PARALLEL = 4000   # fewer texts than this are signed in-process: starting workers costs more than it saves
BUCKET_CAP = 50       # a band bucket with more members (boilerplate) is split further by the next bands' rows
WINDOW = 5            # members of a bucket still too big after every band (copies) paired with their next five
CACHE_SIZE = 300_000  # signatures kept by the process-wide cache (~200 MB at 128 permutations)
BLOCK_MEMO = 100_000  # blocks (clauses between punctuation) whose words are remembered, per process (~60 MB)
_ABSENT = object()    # not in jieba's dictionary, not even as a prefix of a word
_NO_SCORE = float("-inf")


def _jieba():
    import jieba

    jieba.setLogLevel(60)
    return jieba


def _keep(word: str) -> bool:
    # isalnum() first: most words are plain words, and the regular expression costs more than the test
    return word.isalnum() or not _DROP.fullmatch(word)


def tokens(text: str) -> list[str]:
    """The words of a text (jieba, no HMM), after NFKC folding, without punctuation and spaces: exactly the words
    of ``jieba.lcut(folded, HMM=False)`` that are not punctuation or spaces.

    jieba cuts a text into blocks at every character outside its word alphabet (``re_han_default``: punctuation,
    spaces) and segments each block on its own, so a block's words never depend on the rest of the text.  We do the
    same split and segment each block through a bounded memo (``_block_words``): patent texts repeat their clauses
    ("其特征在于", "结构简单", "本发明公开了一种…"), and a block seen before costs one dictionary look-up."""
    folded = unicodedata.normalize("NFKC", text or "").lower()
    han = _segmenter().han
    out: list[str] = []
    for block in han.split(folded):
        if not block:
            continue
        if han.match(block):
            out += _block_words(block)
        else:   # outside jieba's word alphabet: it yields each character (and "\r\n", a space) on its own
            out += [c for c in block if _keep(c)]
    return out


class _Segmenter:
    """jieba's dictionary as one look-up: every word and word prefix of ``jieba.dt.FREQ`` → its log-probability
    ``log(freq) − log(total)`` (None for a prefix that is no word), computed once per process."""

    def __init__(self) -> None:
        dt = _jieba().dt
        dt.check_initialized()
        logtotal = math.log(dt.total)
        self.han = _jieba().re_han_default
        self.logp: dict[str, float | None] = {w: (math.log(f) - logtotal if f else None) for w, f in dt.FREQ.items()}
        self.floor = math.log(1) - logtotal   # a character that is no word: jieba's log(FREQ.get(c) or 1) − log(total)


_SEGMENTER: _Segmenter | None = None


def _segmenter() -> _Segmenter:
    global _SEGMENTER
    if _SEGMENTER is None:
        _SEGMENTER = _Segmenter()
    return _SEGMENTER


@functools.lru_cache(maxsize=BLOCK_MEMO)
def _block_words(block: str) -> tuple[str, ...]:
    """The kept words of one block, as jieba's ``__cut_DAG_NO_HMM`` cuts it: the most probable route through the
    dictionary's words (from the end: at each character the word ending furthest on a tie, as jieba's ``max`` of
    (score, end) does), then runs of single ASCII letters or digits joined.  Same arithmetic, same order, so the same
    floats and the same words (tests/test_supervision_text.py compares with ``jieba.lcut``); one dictionary look-up
    per step instead of jieba's DAG dict, ``log`` calls and generator of tuples.  Bounded LRU memo."""
    seg = _segmenter()
    logp, n = seg.logp, len(block)
    best = [0.0] * (n + 1)
    end = [0] * n
    for k in range(n - 1, -1, -1):
        score, stop, j = _NO_SCORE, k + 1, k + 1
        p = logp.get(block[k], _ABSENT)
        while p is not _ABSENT:
            if p is not None:
                s = p + best[j]
                if s >= score:
                    score, stop = s, j
            if j >= n:
                break
            j += 1
            p = logp.get(block[k:j], _ABSENT)
        best[k] = score if score != _NO_SCORE else seg.floor + best[k + 1]
        end[k] = stop
    words: list[str] = []
    x, buf = 0, ""
    while x < n:
        y = end[x]
        word = block[x:y]
        if y - x == 1 and word < "\x80" and word.isalnum():   # jieba's re_eng: one ASCII letter or digit
            buf += word
        else:
            if buf:
                words.append(buf)
                buf = ""
            words.append(word)
        x = y
    if buf:
        words.append(buf)
    return tuple(w for w in words if _keep(w))


def shingles(words: Sequence[str], size: int) -> list[bytes]:
    """Runs of ``size`` consecutive words (the words themselves when fewer), as UTF-8 bytes."""
    if len(words) < size:
        return [" ".join(words).encode()] if words else []
    return [" ".join(words[i:i + size]).encode() for i in range(len(words) - size + 1)]


# --- MinHash: datasketch's estimator, vectorised over a chunk --------------------------------------------------

_PERMUTATIONS: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's (a, b) of MinHash(num_perm, seed=1) (scheme affine32): taken from datasketch, not re-derived,
    so an upgrade that changes them changes ours too (and the equality test says so)."""
    if num_perm not in _PERMUTATIONS:
        from datasketch import MinHash

        a, b = MinHash(num_perm=num_perm, seed=1).permutations
        _PERMUTATIONS[num_perm] = (np.asarray(a, dtype=np.uint32), np.asarray(b, dtype=np.uint32))
    return _PERMUTATIONS[num_perm]


def _fmix32(hv: np.ndarray) -> np.ndarray:
    """MurmurHash3's finalizer, datasketch's pre-mix of each input hash (uint32 arithmetic wraps)."""
    s1, m1, s2, m2, s3 = _FMIX
    hv = hv ^ (hv >> s1)
    hv = hv * m1
    hv = hv ^ (hv >> s2)
    hv = hv * m2
    return hv ^ (hv >> s3)


def _minhash(sets: Sequence[Sequence[bytes]], num_perm: int) -> np.ndarray:
    """(len(sets), num_perm) uint32: what ``MinHash(num_perm, seed=1).update_batch(s).hashvalues`` gives for
    each set, computed for the whole chunk in one pass (sha1_hash32 of each shingle, the pre-mix, a·h + b mod 2³²,
    the minimum per set through ``minimum.reduceat``)."""
    a, b = _permutations(num_perm)
    out = np.full((len(sets), num_perm), _EMPTY, dtype=np.uint32)
    lengths = np.fromiter((len(s) for s in sets), dtype=np.int64, count=len(sets))
    total = int(lengths.sum())
    if not total:
        return out
    flat = list(chain.from_iterable(sets))
    if len(_HASHES) > _HASHES_MAX:
        _HASHES.clear()
    # the shingles not seen before, hashed once each; then every look-up runs in C (set difference, map)
    _HASHES.update((x, int.from_bytes(sha1(x).digest()[:4], "little")) for x in set(flat).difference(_HASHES))
    hv = np.fromiter(map(_HASHES.__getitem__, flat), dtype=np.uint32, count=total)
    # (num_perm, shingles): the minimum of each text's shingles then runs along contiguous memory
    phv = np.multiply.outer(a, _fmix32(hv))
    phv += b[:, None]
    filled = lengths > 0
    starts = (np.cumsum(lengths) - lengths)[filled]
    out[filled] = np.minimum.reduceat(phv, starts, axis=1).T
    return out


# datasketch's sha1_hash32 (the first four bytes of SHA-1, little-endian) of shingles seen before in this process:
# common word pairs ("本发明 公开") recur in most texts
_HASHES: dict[bytes, int] = {}
_HASHES_MAX = 500_000   # about 60 MB per process at most; cleared when full


def _sign_chunk(job: tuple[Sequence[str], int, int, int]) -> tuple[np.ndarray, int, int]:
    """Signatures of one chunk of texts (run in a worker or in-process), with the block memo's hits and misses."""
    texts, num_perm, shingle, max_chars = job
    before = _block_words.cache_info()
    block = _minhash([shingles(tokens(t[:max_chars]), shingle) for t in texts], num_perm)
    after = _block_words.cache_info()
    return block, after.hits - before.hits, after.misses - before.misses


def _worker_init() -> None:
    """Load jieba's dictionary (and our look-up of it) once per worker process, not once per chunk."""
    _segmenter()


def _pool(workers: int):
    # spawn: safe under the web server's threads and on every platform (fork would copy locks held by threads)
    return multiprocessing.get_context("spawn").Pool(workers, initializer=_worker_init)


def _chunks(texts: Iterable[str], size: int) -> Iterator[list[str]]:
    it = iter(texts)
    while piece := list(islice(it, size)):
        yield piece


def signature_stream(texts: Iterable[str], count: int, *, num_perm: int = 128, shingle: int = 2,
                     max_chars: int = 600, workers: int = 1, chunk: int = CHUNK,
                     stats: dict | None = None) -> np.ndarray:
    """``signatures`` of ``count`` texts read lazily from an iterable (the benchmark's million are never held in
    memory at once), in chunks spread over ``workers`` processes; returns (count, num_perm) uint64.  Uncached.
    ``stats``, when given, receives the block memo's hits and misses summed over the processes."""
    out = np.empty((count, num_perm), dtype=np.uint64)
    jobs = ((piece, num_perm, shingle, max_chars) for piece in _chunks(texts, chunk))
    row = hits = misses = 0
    with contextlib.ExitStack() as stack:
        if workers > 1 and count >= MIN_PARALLEL:
            results = stack.enter_context(_pool(workers)).imap(_sign_chunk, jobs, chunksize=1)
        else:
            results = map(_sign_chunk, jobs)
        for block, hit, miss in results:
            out[row:row + len(block)] = block
            row += len(block)
            hits, misses = hits + hit, misses + miss
    if row != count:
        raise ValueError(f"signature_stream: {row} texts read, {count} announced")
    if stats is not None:
        stats.update(block_hits=hits, block_misses=misses)
    return out


# --- the process-wide signature cache -------------------------------------------------------------------------

_CACHE: OrderedDict[tuple, bytes] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def _cache_key(text: str, num_perm: int, shingle: int, max_chars: int) -> tuple:
    return (hashlib.md5(text[:max_chars].encode()).digest(), num_perm, shingle, max_chars)


def clear_cache() -> None:
    """Forget every cached signature, and the words of every block with the dictionary's look-up (tests; call it
    after changing jieba's dictionary, e.g. ``jieba.add_word``)."""
    global _SEGMENTER
    with _CACHE_LOCK:
        _CACHE.clear()
    _block_words.cache_clear()
    _SEGMENTER = None


def cache_info() -> dict[str, int]:
    return {"entries": len(_CACHE), "capacity": CACHE_SIZE}


def signatures(texts: Sequence[str], *, num_perm: int = 128, shingle: int = 2, max_chars: int = 600,
               workers: int = 1, cache: bool = True) -> np.ndarray:
    """(len(texts), num_perm) uint64 MinHash signatures of the texts' word shingles (each text cut to
    ``max_chars``), equal to datasketch's ``MinHash(num_perm, seed=1)`` of the same shingles.  An empty text gets
    datasketch's empty signature (2³²−1 everywhere).  Texts signed before in this process (same cut text, same
    settings) come from a bounded LRU cache, so the pages and the command do not segment the district again on
    every call; ``cache=False`` neither reads nor fills it."""
    out = np.empty((len(texts), num_perm), dtype=np.uint64)
    missing: list[int] = list(range(len(texts)))
    keys: list[tuple] = []
    if cache:
        keys = [_cache_key(t or "", num_perm, shingle, max_chars) for t in texts]
        missing = []
        with _CACHE_LOCK:
            for i, key in enumerate(keys):
                hit = _CACHE.get(key)
                if hit is None:
                    missing.append(i)
                else:
                    _CACHE.move_to_end(key)
                    out[i] = np.frombuffer(hit, dtype=np.uint32)
    if missing:
        fresh = signature_stream((texts[i] or "" for i in missing), len(missing), num_perm=num_perm,
                                 shingle=shingle, max_chars=max_chars, workers=workers)
        out[missing] = fresh
        if cache:
            _remember([keys[i] for i in missing], fresh)
    return out


def _remember(keys: list[tuple], sigs: np.ndarray) -> None:
    small = sigs.astype(np.uint32)   # values fit 32 bits: half the memory
    with _CACHE_LOCK:
        for key, sig in zip(keys[-CACHE_SIZE:], small[-CACHE_SIZE:], strict=True):
            _CACHE[key] = sig.tobytes()
            _CACHE.move_to_end(key)
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)


# --- banding and verification ---------------------------------------------------------------------------------

def _band_keys(band: np.ndarray, seed: np.ndarray | None = None) -> np.ndarray:
    """One uint64 per row of a band (its values folded and mixed into ``seed``, the key of the bands before, when
    given): equal rows give equal keys; two different rows share a key with odds of 2⁻⁶⁴, and such a pair is only a
    candidate, verified on the whole signature."""
    key = np.zeros(len(band), dtype=np.uint64) if seed is None else seed.copy()
    for col in band.T:
        key ^= col
        key *= _MIX64
        key ^= key >> np.uint64(29)
    return key


def _runs(keys: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The members of buckets of equal keys with two or more members, sorted by key then by id (``ids`` come in
    ascending): (ids, keys, run number of each, size of its run)."""
    if len(keys) < 2:
        nothing = np.zeros(0, dtype=np.int64)
        return nothing, keys[:0], nothing, nothing
    order = np.argsort(keys, kind="stable")
    skeys, sids = keys[order], ids[order]
    run = np.cumsum(np.r_[True, skeys[1:] != skeys[:-1]]) - 1
    sizes = np.bincount(run)
    shared = sizes[run] > 1
    return sids[shared], skeys[shared], run[shared], sizes[run[shared]]


def _pairs_within(sids: np.ndarray, run: np.ndarray, reach: int) -> list[np.ndarray]:
    """Pair codes (i·2³² + j) of members of one run at most ``reach`` apart in the sorted order."""
    parts = []
    for d in range(1, reach + 1):
        same = run[:-d] == run[d:]
        if not same.any():
            break
        parts.append((sids[:-d][same] << 32) | sids[d:][same])
    return parts


def _band_candidates(sigs: np.ndarray, ids: np.ndarray, b: int, bands: int, rows: int,
                     cap: int) -> tuple[list[np.ndarray], int]:
    """Pair codes of the texts that share band ``b``: every pair of a bucket of up to ``cap`` members.  A bigger
    bucket (boilerplate: texts alike in these rows only) is split again by the next band's rows too, and so on;
    what is still bigger after every band (texts alike everywhere: copies) pairs each member with its next
    ``WINDOW``, which keeps the copies one group without the quadratic count.  Returns codes, big buckets."""
    keys: np.ndarray | None = None
    parts: list[np.ndarray] = []
    big = 0
    for level in range(bands):
        c = (b + level) % bands
        keys = _band_keys(np.ascontiguousarray(sigs[ids, c * rows:(c + 1) * rows], dtype=np.uint64), keys)
        sids, skeys, run, size = _runs(keys, ids)
        small = size <= cap
        parts += _pairs_within(sids[small], run[small], cap - 1)
        if small.all():
            return parts, big
        if level == 0:
            big = len(np.unique(run[~small]))
        if level == bands - 1:
            parts += _pairs_within(sids[~small], run[~small], WINDOW)
            break
        order = np.argsort(sids[~small], kind="stable")   # ids ascending again for the next split
        ids, keys = sids[~small][order], skeys[~small][order]
    return parts, big


def similar_pairs(sigs: np.ndarray, *, bands: int, threshold: float, cap: int = BUCKET_CAP,
                  stats: dict | None = None) -> list[tuple[int, int, float]]:
    """(i, j, estimated Jaccard) with i < j, sorted, for every pair at ``threshold`` or above, found by banding:
    two texts are compared when all the rows of one band agree.  Empty texts (datasketch's empty signature) are
    never paired.  A bucket of more than ``cap`` members (boilerplate shared by many texts) is split by the
    following bands too, and copies alike in every band are chained, so they still form one group; ``stats``,
    when given, receives the counts (candidates, big_buckets, empty, pairs)."""
    n, perms = sigs.shape
    rows = perms // bands
    filled = ~np.all(sigs == _EMPTY, axis=1)
    ids = np.flatnonzero(filled).astype(np.int64)
    narrow = sigs.astype(np.uint32)   # values fit 32 bits: half the memory read by the checks
    kept, sims, checked, big = [], [], 0, 0
    for b in range(bands):
        # each band's candidates are checked at once, so memory holds one band's candidates, never all of them
        found, many = _band_candidates(sigs, ids, b, bands, rows, cap)
        big += many
        if found:
            cand = np.unique(np.concatenate(found))
            checked += len(cand)
            code, sim = _verify(narrow, cand, threshold)
            kept.append(code)
            sims.append(sim)
    out: list[tuple[int, int, float]] = []
    if kept:
        code, first = np.unique(np.concatenate(kept), return_index=True)
        sim = np.concatenate(sims)[first]
        out = list(zip((code >> 32).tolist(), (code & 0xFFFFFFFF).tolist(), sim.tolist(), strict=True))
    if stats is not None:
        stats.update(candidates=checked, big_buckets=big, empty=int(n - len(ids)), pairs=len(out))
    return out


def _verify(sigs: np.ndarray, codes: np.ndarray, threshold: float,
            block: int = 100_000) -> tuple[np.ndarray, np.ndarray]:
    """The candidate codes whose signatures agree on at least ``threshold`` of the permutations, and their
    similarity, checked in blocks."""
    perms = sigs.shape[1]
    keep_codes, keep_sims = [], []
    for s in range(0, len(codes), block):
        c = codes[s:s + block]
        sim = np.count_nonzero(sigs[c >> 32] == sigs[c & 0xFFFFFFFF], axis=1) / perms
        keep = sim >= threshold
        keep_codes.append(c[keep])
        keep_sims.append(sim[keep])
    if not keep_codes:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    return np.concatenate(keep_codes), np.concatenate(keep_sims)


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
