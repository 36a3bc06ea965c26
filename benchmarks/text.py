"""The text-input benchmarks of kerasseq in one table.

Three measurements, each against a peer timed in the same run (see each module):

1. `text_vectors.py`: loading GloVe 6B 50d (400k words): our cold text parse
   against gensim's `load_word2vec_format(no_header=True)`, and our cached
   reload against our cold parse; peak memory.
2. `text_tokenize.py`: building the vocabulary of IMDB's 25k training reviews
   against `keras.layers.TextVectorization.adapt`, and tokenize + lookup
   throughput in tf.data against `TextVectorization`.
3. `text_bucketing.py`: one epoch of a GRU classifier over IMDB reviews with
   length bucketing against padding every batch to the same max length.

Every row prints ours, the peer, `ratio` (> 1 means kerasseq is better) and the
goal from the issue. The data comes from `../shared/data` or `$KERASSEQ_DATA`.

Usage: `python benchmarks/text.py [--repeats 3] [--parts vectors tokenize bucketing]`
"""

import argparse
import importlib.util
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

PARTS = ("vectors", "tokenize", "bucketing")
HERE = pathlib.Path(__file__).resolve().parent


def load_part(part):
    """Imports `benchmarks/text_<part>.py` (benchmarks/ is not a package)."""
    path = HERE / f"text_{part}.py"
    spec = importlib.util.spec_from_file_location(f"text_{part}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def format_table(rows):
    """The rows as a fixed-width table, one line per measurement."""
    width = max([len("measure")] + [len(row["name"]) for row in rows]) + 2
    header = f"{'measure':<{width}}{'ours':>12}{'peer':>12}{'ratio':>8}"
    header += f"  {'unit':<14}goal"
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(
            f"{row['name']:<{width}}{row['ours']:>12.4g}{row['peer']:>12.4g}"
            f"{row['ratio']:>8.2f}  {row['unit']:<14}{row['goal']}"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1, received: {args.repeats}")
    rows = []
    for part in args.parts:
        part_rows = load_part(part).run(repeats=args.repeats)
        rows.extend(part_rows)
        print(format_table(part_rows), flush=True)
        print()
    print("all rows:")
    print(format_table(rows))
    return rows


if __name__ == "__main__":
    main()
