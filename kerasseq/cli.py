"""The `kerasseq` command line.

Commands import what they need (TensorFlow, gensim) only when they run, so
that parsing the command line stays cheap.
"""

import argparse
import sys

_ANALOGY_HELP = """\
Prints the words nearest to A - B + C by cosine similarity (3CosAdd: the unit
vectors of A and C added, B's subtracted, as gensim's
`most_similar(positive=[A, C], negative=[B])`; A, B and C themselves are left
out). So `kerasseq embeddings analogy FILE king man woman` asks "king - man +
woman = ?" (man is to king as woman is to ?), and good vectors answer queen.
Note the order differs from the analogy test files (questions-words.txt writes
`man king woman queen`, i.e. B A C answer).
"""


def main(argv=None) -> int:
    """Entry point of the `kerasseq` console script.

    Args:
        argv: The arguments (without the program name). Defaults to
            `sys.argv[1:]`.

    Returns:
        The exit status: 0 on success, 2 for bad input (a missing file, an
        unknown word), with the reason printed to stderr.
    """
    parser = argparse.ArgumentParser(
        prog="kerasseq", description="Recurrent sequence models for Keras 3."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="train a small attention model on generated data (no download)"
    )
    demo.add_argument(
        "--seconds", type=float, default=20.0, help="training time (default 20)"
    )
    demo.add_argument(
        "--cell", default="gru", help="gru, lstm or simple_rnn (default gru)"
    )
    _add_embeddings_parser(commands)
    args = parser.parse_args(argv)

    if args.command == "demo":
        from kerasseq import demo as demo_module

        if args.seconds <= 0:
            parser.error(f"--seconds must be positive, received: {args.seconds}")
        demo_module.run(seconds=args.seconds, cell=args.cell)
    elif args.command == "embeddings":
        return _run_embeddings(args)
    return 0


# === embeddings ===


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(
            f"must be a positive integer, received: {text}"
        )
    return value


def _add_embeddings_parser(commands) -> None:
    embeddings = commands.add_parser(
        "embeddings",
        help="inspect a word-vector file: info, nearest words, analogies",
        description="Inspect pretrained word vectors (any format that "
        "kerasseq.embeddings.load_vectors reads: GloVe, word2vec text/binary, "
        "fastText .vec/.bin, gensim-data names). The first load of a text or "
        "word2vec-binary file writes a reload cache.",
    )
    actions = embeddings.add_subparsers(dest="action", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "file", metavar="FILE", help="word-vector file or gensim-data name"
    )
    common.add_argument(
        "--format",
        default=None,
        help="glove, word2vec, fasttext-vec, word2vec-binary, fasttext-bin, "
        "gensim or gensim-data (default: detected from the file)",
    )
    common.add_argument(
        "--cache-dir",
        default=None,
        help="folder of the reload cache (default: kerasseq-cache/ beside the "
        "file, else the user cache folder)",
    )
    common.add_argument(
        "--trusted",
        action="store_true",
        help="allow gensim's native (pickle) format; only for files you trust",
    )
    actions.add_parser(
        "info",
        parents=[common],
        help="format, number of words, dimension, examples, cache folder",
        description="Prints the detected format, the number of words, the "
        "dimension, a few example words and where the reload cache is.",
    )
    nearest = actions.add_parser(
        "nearest",
        parents=[common],
        help="nearest neighbours of words by cosine similarity",
        description="Prints the nearest neighbours of each WORD with their "
        "cosine similarities.",
    )
    nearest.add_argument("words", metavar="WORD", nargs="+")
    nearest.add_argument(
        "--top", type=_positive_int, default=10, help="neighbours per word (10)"
    )
    analogy = actions.add_parser(
        "analogy",
        parents=[common],
        help="answers of A - B + C (king man woman -> queen)",
        description=_ANALOGY_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    analogy.add_argument("a", metavar="A", help="the word to start from (king)")
    analogy.add_argument("b", metavar="B", help="the word to subtract (man)")
    analogy.add_argument("c", metavar="C", help="the word to add (woman)")
    analogy.add_argument(
        "--top", type=_positive_int, default=5, help="answers to print (5)"
    )


def _run_embeddings(args) -> int:
    prog = f"kerasseq embeddings {args.action}"
    try:
        path, vectors = _load(args)
    except (FileNotFoundError, ValueError, ConnectionError, OSError) as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    if args.action == "info":
        _print_info(args, path, vectors)
        return 0
    words = args.words if args.action == "nearest" else [args.a, args.b, args.c]
    unknown = [word for word in dict.fromkeys(words) if word not in vectors]
    if unknown:
        for word in unknown:
            print(
                f"{prog}: error: {_unknown_message(word, vectors, path)}",
                file=sys.stderr,
            )
        return 2
    if args.action == "nearest":
        for index, word in enumerate(args.words):
            if index:
                print()
            print(f"nearest to {word!r}{_subword_note(word, vectors)}:")
            _print_ranking(vectors.most_similar(word, topn=args.top))
    else:
        print(f"{args.a} - {args.b} + {args.c} = ?")
        _print_ranking(
            vectors.most_similar(
                positive=[args.a, args.c], negative=[args.b], topn=args.top
            )
        )
    return 0


def _load(args):
    import pathlib

    from kerasseq import embeddings
    from kerasseq.embeddings import formats

    source, format = args.file, args.format
    formats.check_format(format)
    if format == "gensim-data" or (
        format is None and formats.looks_like_gensim_data_name(source)
    ):
        source, format = embeddings.gensim_data_path(source), None
    path = pathlib.Path(source).expanduser()
    vectors = embeddings.load_vectors(
        path, format, cache_dir=args.cache_dir, trusted=args.trusted
    )
    return path, vectors


def _print_info(args, path, vectors) -> None:
    from kerasseq.embeddings import cache
    from kerasseq.embeddings import formats

    format = args.format if args.format not in (None, "gensim-data") else None
    format = format or formats.detect_format(path)
    examples = vectors.index_to_key[:8]
    rows = [
        ("file", str(path)),
        ("format", format),
        ("words", f"{len(vectors.index_to_key):,}"),
        ("dimension", str(vectors.vector_size)),
        ("examples", ", ".join(examples) + (", ..." if len(vectors) > 8 else "")),
        ("cache", _cache_location(path, format, args.cache_dir, cache, formats)),
    ]
    if format == "fasttext-bin":
        rows.insert(4, ("subwords", "yes: vectors are built for unseen words"))
    for name, value in rows:
        print(f"{name + ':':<11} {value}")


def _cache_location(path, format, cache_dir, cache, formats) -> str:
    import pathlib

    if format not in formats.CACHED_FORMATS:
        return f"none ({format} files are read directly, not cached)"
    if cache_dir is not None:
        folders = [pathlib.Path(cache_dir).expanduser()]
    else:
        folders = cache.default_cache_dirs(path)
    for folder in folders:
        entry = cache.entry_dir(folder, path)
        if (entry / cache.MANIFEST).is_file():
            return str(entry)
    return "none (it could not be written; see the warning above)"


def _unknown_message(word, vectors, path) -> str:
    message = f"{word!r} is not in the vocabulary of {path} ({len(vectors):,} words)"
    for variant in dict.fromkeys((word.lower(), word.capitalize(), word.upper())):
        if variant != word and variant in vectors:
            return f"{message}; did you mean {variant!r}?"
    return message


def _subword_note(word, vectors) -> str:
    if vectors.has_index_for(word):
        return ""
    return " (not in the vocabulary: its vector is built from subwords)"


def _print_ranking(pairs) -> None:
    width = max((len(word) for word, _ in pairs), default=0)
    for rank, (word, similarity) in enumerate(pairs, start=1):
        print(f"{rank:>3}. {word:<{width}}  {similarity:.4f}")


if __name__ == "__main__":
    sys.exit(main())
