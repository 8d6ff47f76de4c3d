#!/usr/bin/env python3
"""Builds the bundled word-level corpus crates/kusari/data/classics/ in PTB's layout.

The texts are three public-domain books of the Canterbury Corpus as shipped in
the PyPI source distribution of `brotli` 1.2.1 (MIT licensed packaging, files
under tests/testdata/):

  alice29.txt   Lewis Carroll, Alice's Adventures in Wonderland (Project
                Gutenberg's Millennium Fulcrum Edition 2.9)
  asyoulik.txt  William Shakespeare, As You Like It
  plrabn12.txt  John Milton, Paradise Lost (Project Gutenberg's 1992 release;
                its Gutenberg introduction before "Book I" is dropped)

Processing, as PTB's preprocessing does in spirit: one sentence per line,
lower case, words are runs of letters (with inner apostrophes), numbers become
`N`, punctuation is dropped; each book is split 90/5/5 by sentence position
(so every split has all three books); words seen fewer than MIN_COUNT times in
the training part, or outside the most frequent MAX_VOCAB, become `<unk>`.
The loader appends `<eos>` to every line, as Chainer's `get_ptb_words`.

Usage: python3 scripts/make_text_corpus.py [UNPACKED_BROTLI_SDIST_DIR]
(without an argument it runs `pip download --no-deps --no-binary :all:
brotli==1.2.1` into a temporary folder). Plain python3, no packages needed.
"""

import collections
import hashlib
import os
import re
import subprocess
import sys
import tarfile
import tempfile

VERSION = "1.2.1"
BOOKS = [
    ("alice29.txt", None),
    ("asyoulik.txt", None),
    ("plrabn12.txt", "Book I"),  # the text starts at its first book heading
]
# The texts the README describes; a different file is refused rather than
# silently producing another corpus.
SHA256 = {
    "alice29.txt": "7467306ee0feed4971260f3c87421154a05be571d944e9cb021a5713700c38f0",
    "asyoulik.txt": "eaa3526fe53859f34ecdf255712f9ecf0b2c903451d4755b2edaa2e2599cb0fc",
    "plrabn12.txt": "07e2e0b461af78c7c647cb53dab39de560198e16f799b4516eccf0fbd69f764c",
}
MIN_COUNT = 2
MAX_VOCAB = 10000  # including <unk>; <eos> is added by the loader
SPLIT = (0.90, 0.05, 0.05)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crates", "kusari", "data", "classics")

WORD = re.compile(r"[a-z]+(?:'[a-z]+)*|[0-9]+(?:[.,][0-9]+)*")
# A sentence ends at . ! ? (and the ; : of verse would make lines too short).
SENT_END = re.compile(r"(?<=[.!?])\s+")


def fetch_sdist(tmp):
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
         f"brotli=={VERSION}", "-d", tmp],
        check=True,
    )
    sdist = os.path.join(tmp, f"brotli-{VERSION}.tar.gz")
    with tarfile.open(sdist) as t:
        try:
            t.extractall(tmp, filter="data")
        except TypeError:  # Python before 3.12 has no extraction filters
            t.extractall(tmp)
    return os.path.join(tmp, f"brotli-{VERSION}")


def sentences(text):
    """The book as a list of token lists, one per sentence."""
    text = text.replace("\r\n", "\n")
    out = []
    # Paragraphs (blank-line separated) never share a sentence: a heading or
    # a speaker's turn ends there even without a full stop.
    for para in re.split(r"\n\s*\n", text):
        para = " ".join(para.split())
        for sent in SENT_END.split(para):
            # Backquotes and quotes open and close speech in these editions;
            # only apostrophes between letters belong to words.
            toks = WORD.findall(sent.lower().replace("`", " "))
            toks = ["N" if t[0].isdigit() else t for t in toks]
            if toks:
                out.append(toks)
    return out


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else None
    with tempfile.TemporaryDirectory() as tmp:
        if src is None:
            src = fetch_sdist(tmp)
        splits = [[], [], []]
        for name, start in BOOKS:
            path = os.path.join(src, "tests", "testdata", name)
            raw = open(path, "rb").read()
            digest = hashlib.sha256(raw).hexdigest()
            if digest != SHA256[name]:
                sys.exit(f"{path}: sha256 {digest}, expected {SHA256[name]} (another text?)")
            print(f"{name}: {len(raw)} bytes, sha256 {digest}")
            text = raw.decode("ascii")
            if start is not None:
                text = text[text.index(start):]
            sents = sentences(text)
            n = len(sents)
            a = int(n * SPLIT[0])
            b = int(n * (SPLIT[0] + SPLIT[1]))
            splits[0] += sents[:a]
            splits[1] += sents[a:b]
            splits[2] += sents[b:]
    counts = collections.Counter(w for s in splits[0] for w in s)
    kept = [w for w, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if c >= MIN_COUNT]
    vocab = set(kept[: MAX_VOCAB - 1]) | {"<unk>"}
    os.makedirs(OUT, exist_ok=True)
    for part, sents in zip(("train", "valid", "test"), splits):
        lines = [" ".join(w if w in vocab else "<unk>" for w in s) for s in sents]
        path = os.path.join(OUT, f"ptb.{part}.txt")
        tmp_path = path + ".tmp"
        with open(tmp_path, "w", encoding="ascii", newline="\n") as f:
            f.write("".join(" " + line + " \n" for line in lines))
        os.replace(tmp_path, path)  # atomic: never a half-written corpus
        words = sum(len(s) for s in sents)
        unk = sum(1 for s in sents for w in s if w not in vocab)
        print(f"ptb.{part}.txt: {len(lines)} lines, {words} words (+{len(lines)} <eos>), "
              f"{unk} <unk> ({100.0 * unk / max(words, 1):.1f}%)")
    print(f"vocabulary: {len(vocab)} words + <eos>")


if __name__ == "__main__":
    main()
