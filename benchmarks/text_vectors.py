"""Loading pretrained word vectors: kerasseq against gensim, and the cache.

On the full GloVe 6B 50d file (400,000 words, `glove.6B.50d.txt.gz`) it times:

- the cold load of `kerasseq.embeddings.load_vectors` (parse, plus writing the
  reload cache into an empty folder) against gensim's
  `KeyedVectors.load_word2vec_format(no_header=True)`;
- the cached reload (memory-mapped `.npy` plus the vocabulary) against that
  cold load.

Each load runs alone in a fresh Python process that first imports what it
needs (`kerasseq.embeddings`, TensorFlow and gensim for ours; gensim for the
peer), so import costs (gensim alone takes ~0.7 s) count for neither; the
timer covers the call only. Peak memory is that process's
`resource.getrusage(RUSAGE_SELF).ru_maxrss` after the load minus the same
figure after the imports: the peak resident memory the load added. A
memory-mapped reload reads matrix pages only when they are used, so its
figure leaves the matrix out until then. Each figure is the median over
`--repeats` rounds; the rounds alternate which loader goes first.

`run()` returns the rows `{"name", "ours", "peer", "ratio", "unit", "goal"}`,
where `ratio > 1` means kerasseq is better.

Usage: `python benchmarks/text_vectors.py [--repeats 3] [--path FILE.txt.gz]`
"""

import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]


def default_path() -> pathlib.Path:
    data = os.environ.get("KERASSEQ_DATA", REPO_ROOT.parent / "shared" / "data")
    return pathlib.Path(data) / "glove" / "glove.6B.50d.txt.gz"


def _child(variant: str, path: str, cache_dir: str) -> None:
    """Runs one load in this (fresh) process and prints its figures as JSON."""
    import resource
    import time

    if variant == "gensim":
        from gensim.models import KeyedVectors

        def load():
            return KeyedVectors.load_word2vec_format(path, no_header=True)
    else:
        import gensim.models  # noqa: F401  (imported by load_vectors anyway)
        import tensorflow  # noqa: F401

        from kerasseq.embeddings import load_vectors

        def load():
            return load_vectors(path, cache_dir=cache_dir)

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    vectors = load()
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mb": (peak - baseline) / 1024,
                "shape": list(vectors.vectors.shape),
            }
        )
    )


def _measure(variant, path, cache_dir):
    env = {
        **os.environ,
        "KERAS_BACKEND": "tensorflow",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONPATH": os.pathsep.join(
            [str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
    }
    result = subprocess.run(
        [sys.executable, __file__, "--child", variant, str(path), str(cache_dir)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{variant} load failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(repeats: int = 3, path=None) -> list[dict]:
    """Measures the loads and returns the benchmark rows (see module docstring)."""
    path = pathlib.Path(path) if path is not None else default_path()
    if not path.is_file():
        raise FileNotFoundError(f"No GloVe file at {path} (set KERASSEQ_DATA)")
    figures = {"cold": [], "cached": [], "gensim": []}
    for round_number in range(repeats):
        cache_dir = tempfile.mkdtemp(prefix="kerasseq-bench-")
        try:
            order = ["cold", "cached", "gensim"]
            if round_number % 2:
                order = ["gensim", "cold", "cached"]
            for variant in order:
                figures[variant].append(_measure(variant, path, cache_dir))
        finally:
            shutil.rmtree(cache_dir, ignore_errors=True)
    shapes = {tuple(f["shape"]) for values in figures.values() for f in values}
    if len(shapes) != 1:
        raise RuntimeError(f"The loads disagree on the shape: {shapes}")

    def median(variant, key):
        return statistics.median(f[key] for f in figures[variant])

    cold, cached, gensim = (median(v, "seconds") for v in ("cold", "cached", "gensim"))
    cold_mb, cached_mb, gensim_mb = (
        median(v, "peak_mb") for v in ("cold", "cached", "gensim")
    )
    words = shapes.pop()[0]
    return [
        {
            "name": f"{path.name} ({words:,} words): cold load (parse + cache "
            "write) vs gensim load_word2vec_format(no_header=True)",
            "ours": cold,
            "peer": gensim,
            "ratio": gensim / cold,
            "unit": "s",
            "goal": ">= 1.0 (not slower than gensim)",
        },
        {
            "name": f"{path.name}: cached reload (memory-mapped) vs our cold load",
            "ours": cached,
            "peer": cold,
            "ratio": cold / cached,
            "unit": "s",
            "goal": ">= 20",
        },
        {
            "name": f"{path.name}: peak memory added by the cold load vs gensim",
            "ours": cold_mb,
            "peer": gensim_mb,
            "ratio": _ratio(gensim_mb, cold_mb),
            "unit": "MB",
            "goal": "printed",
        },
        {
            "name": f"{path.name}: peak memory added by the cached reload vs cold",
            "ours": cached_mb,
            "peer": cold_mb,
            "ratio": _ratio(cold_mb, cached_mb),
            "unit": "MB",
            "goal": "printed",
        },
    ]


def _ratio(peer, ours):
    return peer / ours if ours > 0 else float("inf")


def main(argv=None) -> list[dict]:
    from text import format_table  # benchmarks/ is on sys.path as a script

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--path", default=None, help="a GloVe text file")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(*args.child)
        return []
    rows = run(args.repeats, args.path)
    print(format_table(rows))
    return rows


if __name__ == "__main__":
    main()
