"""MinHash fingerprints with LSH bands: near-duplicate text at a bounded cost.

A review's word 3-gram shingles are reduced to ``NUM_PERM`` minimum hashes; the
fraction of equal positions between two signatures estimates the Jaccard
similarity of their shingle sets. Signatures are cut into ``BANDS`` bands of
``ROWS`` values and each band hashed to one integer, stored in an indexed array:
two texts share a band hash with high probability when their similarity is above
about (1/BANDS)^(1/ROWS) = 0.5, so candidates come from one GIN index lookup
instead of a comparison with every recent review.

The permutation constants are fixed: signatures stored in the database must stay
comparable across processes and releases. Changing them means recomputing every
stored fingerprint.
"""

from __future__ import annotations

import hashlib
import re
import struct

import numpy as np

NUM_PERM = 64
BANDS = 16
ROWS = NUM_PERM // BANDS
SHINGLE_WORDS = 3
# Shorter texts get no fingerprint: "Great product!" from two customers is not a copy, and
# such common short texts would crowd the band index.
MIN_SHINGLES = 8
_MERSENNE_PRIME = np.uint64((1 << 61) - 1)
_MAX_HASH = np.uint64(0xFFFFFFFF)
_GENERATOR = np.random.RandomState(20240617)  # fixed seed: see the module docstring
_A = _GENERATOR.randint(1, (1 << 61) - 1, size=NUM_PERM, dtype=np.uint64)
_B = _GENERATOR.randint(0, (1 << 61) - 1, size=NUM_PERM, dtype=np.uint64)
_WORD = re.compile(r"\w+")


def shingles(text: str) -> set[str]:
    """Lower-cased word 3-grams."""
    words = _WORD.findall(text.lower())
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


def signature(text: str) -> list[int]:
    """The MinHash signature of ``text`` (empty for a text under ``MIN_SHINGLES`` shingles)."""
    found = shingles(text)
    if len(found) < MIN_SHINGLES:
        return []
    hashes = np.fromiter(
        (int.from_bytes(hashlib.blake2b(s.encode(), digest_size=4).digest(), "little") for s in found),
        dtype=np.uint64,
        count=len(found),
    )
    # Universal hashing a*x+b mod p; uint64 overflow wraps, which is fine for hashing.
    permuted = ((hashes[:, None] * _A + _B) % _MERSENNE_PRIME) & _MAX_HASH
    return [int(value) for value in permuted.min(axis=0)]


def bands(sig: list[int]) -> list[int]:
    """One signed 64-bit hash per band (fits a PostgreSQL bigint)."""
    if len(sig) != NUM_PERM:
        return []
    result = []
    for band in range(BANDS):
        chunk = struct.pack(f"<I{ROWS}Q", band, *sig[band * ROWS : (band + 1) * ROWS])
        result.append(int.from_bytes(hashlib.blake2b(chunk, digest_size=8).digest(), "little", signed=True))
    return result


def similarity(a: list[int], b: list[int]) -> float:
    """Estimated Jaccard similarity of the texts behind two signatures."""
    if len(a) != NUM_PERM or len(b) != NUM_PERM:
        return 0.0
    return float(np.count_nonzero(np.asarray(a) == np.asarray(b))) / NUM_PERM
