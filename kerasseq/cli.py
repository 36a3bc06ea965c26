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
        unknown config key, a bad `--set`, an unknown word), 1 when an export
        fails its check; the reason is printed to stderr on one line
        (`KERASSEQ_DEBUG=1` shows the traceback instead).
    """
    parser = argparse.ArgumentParser(
        prog="kerasseq", description="Recurrent sequence models for Keras 3."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo",
        help="train a character-level translator from human-readable dates in five "
        "languages to ISO dates, export it and reload it in a fresh process (no "
        "download, a few minutes)",
    )
    demo.add_argument(
        "--epochs", type=_positive_int, default=3, help="training epochs (default 3)"
    )
    demo.add_argument(
        "--cell", default="lstm", help="lstm, gru or simple_rnn (default lstm)"
    )
    _add_run_parsers(commands)
    _add_embeddings_parser(commands)
    args, extra = parser.parse_known_args(argv)
    if args.command == "predict" and not any(item.startswith("-") for item in extra):
        args.texts += extra  # texts after an option: `predict PATH --json TEXT`
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")

    if args.command == "embeddings":
        return _run_embeddings(args)
    if args.command in _RUN_COMMANDS:
        return _run_command(args)
    return 0


# === train, evaluate, predict, export ===

_RUN_COMMANDS = ("demo", "train", "evaluate", "predict", "export")

_TRAIN_HELP = """\
Trains the pipeline a run file describes (see pipelines/README.md), prints the
validation and test metrics, and writes what its [output] table asks for (the
saved pipeline, the exported SavedModel, a history plot, a metrics file).
Relative data paths are read from data.root, else $KERASSEQ_DATA.

example:
  KERASSEQ_DATA=/path/to/data kerasseq train pipelines/sentiment_rt.toml
  kerasseq train pipelines/dates.toml   # generated data, no data root needed
  kerasseq train pipelines/sentiment_rt.toml --set fit.epochs=1 \\
      --set model.units=32 --set output.overwrite=true
"""

_PREDICT_HELP = """\
Classifies or translates texts with an exported SavedModel (a folder with
saved_model.pb, served through its serving_default signature, as TF Serving
would) or a saved pipeline (a folder with config.toml, as output.save_dir
holds). Prints one line per text: label<TAB>probability<TAB>text for a
classifier, translation<TAB>score<TAB>text for a translator (the score is the
log-probability of the translation; tabs and newlines shown as spaces), or
JSON lines with --json.

examples:
  kerasseq predict saved_models/sentiment_rt/1 "a moving, beautifully shot film"
  kerasseq predict runs/sentiment_rt/pipeline --input reviews.txt --json
  cat reviews.txt | kerasseq predict saved_models/sentiment_rt/1 --input -
  kerasseq predict saved_models/dates/1 "25th of June, 2009" "3 mars 1987"
"""


def _add_run_parsers(commands) -> None:
    overrides = argparse.ArgumentParser(add_help=False)
    overrides.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a run-file value, e.g. --set model.units=64 --set "
        'fit.epochs=1 (values are TOML: 3, 0.5, true, "text"; bare text is '
        "a string)",
    )
    batch = argparse.ArgumentParser(add_help=False)
    batch.add_argument(
        "--batch-size", type=_positive_int, default=64, help="texts per batch (64)"
    )
    train = commands.add_parser(
        "train",
        parents=[overrides],
        help="train a pipeline from a run file (CONFIG.toml)",
        description=_TRAIN_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument("config", metavar="CONFIG.toml", help="the run file")
    evaluate = commands.add_parser(
        "evaluate",
        parents=[overrides, batch],
        help="evaluate a trained pipeline on a split of its run's data",
        description="Loads the pipeline saved at output.save_dir of the run "
        "file and prints its metrics on a split of the run's data. With a saved "
        "pipeline folder instead of a run file, --input names the labelled "
        "file: for a classifier .csv/.tsv/.jsonl(.gz) with text and label "
        "columns, for a translator sentence pairs, source<TAB>target a line "
        "(with a run file of format sentence_pairs, its columns and separator).",
    )
    evaluate.add_argument(
        "target",
        metavar="CONFIG.toml|RUN_DIR",
        help="a run file, or a saved pipeline folder (with --input)",
    )
    evaluate.add_argument(
        "--split",
        choices=("test", "validation", "train"),
        default="test",
        help="the split of the run's data (default test)",
    )
    evaluate.add_argument(
        "--input",
        metavar="FILE",
        default=None,
        help="a labelled .csv/.tsv/.jsonl(.gz) file (text, label columns), or "
        "for a translator a source<TAB>target file, to evaluate on instead of "
        "a split",
    )
    predict = commands.add_parser(
        "predict",
        parents=[batch],
        help="classify or translate texts with an exported SavedModel or a "
        "saved pipeline",
        description=_PREDICT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    predict.add_argument(
        "model", metavar="PATH", help="SavedModel folder or saved pipeline folder"
    )
    predict.add_argument(
        "texts", metavar="TEXT", nargs="*", help="texts to classify or translate"
    )
    predict.add_argument(
        "--input",
        metavar="FILE",
        default=None,
        help="read the texts from FILE, one a line (UTF-8; - for stdin)",
    )
    predict.add_argument(
        "--json", action="store_true", help="print one JSON object per text"
    )
    export = commands.add_parser(
        "export",
        help="export a saved pipeline as a SavedModel serving raw strings",
        description="Exports the pipeline saved in RUN_DIR (or at "
        "output.save_dir of a run file) as a SavedModel whose serving_default "
        "signature takes raw strings; the export is reloaded in a fresh process "
        "and checked before it is renamed into place.",
    )
    export.add_argument(
        "run_dir",
        metavar="RUN_DIR",
        help="a saved pipeline folder (or a run file: its output.save_dir)",
    )
    export.add_argument("export_dir", metavar="EXPORT_DIR", help="folder to create")
    export.add_argument(
        "--overwrite", action="store_true", help="replace an existing EXPORT_DIR"
    )


class _UsageError(ValueError):
    """Bad command-line input found after parsing."""


def _run_command(args) -> int:
    import os

    prog = f"kerasseq {args.command}"
    handler = {
        "demo": _demo,
        "train": _train,
        "evaluate": _evaluate,
        "predict": _predict,
        "export": _export,
    }[args.command]
    try:
        return handler(args)
    except Exception as error:
        if os.environ.get("KERASSEQ_DEBUG") or not _is_input_error(error):
            raise
        print(f"{prog}: error: {_one_line(error)}", file=sys.stderr)
        return 1 if isinstance(error, RuntimeError) else 2


def _is_input_error(error) -> bool:
    import tensorflow as tf

    return isinstance(
        error, (OSError, ValueError, UnicodeError, RuntimeError, tf.errors.OpError)
    )


def _one_line(error) -> str:
    text = str(error).strip() or type(error).__name__
    if isinstance(error, RuntimeError):
        return text  # the export check's reason includes the child's stderr
    return " ".join(text.split())


def _demo(args) -> int:
    from kerasseq import demo

    demo.run(epochs=args.epochs, cell=args.cell)
    return 0


def _train(args) -> int:
    from kerasseq import runs

    run = runs.load_run(args.config, args.overrides)
    runs.train(run)
    return 0


def _evaluate(args) -> int:
    import pathlib

    from kerasseq import runs
    from kerasseq.data import SentencePairs

    target = pathlib.Path(args.target).expanduser()
    if target.is_dir():
        if args.overrides:
            raise _UsageError("--set needs a run file, not a saved pipeline folder")
        if args.input is None:
            raise _UsageError(
                f"{target} is a saved pipeline folder: give --input FILE (a "
                "labelled .csv/.tsv/.jsonl file), or evaluate with the run file"
            )
        pipeline, run = runs.load_pipeline(target), None
    else:
        run = runs.load_run(target, args.overrides)
        if run.output.save_dir is None:
            raise _UsageError(
                f"{target} sets no output.save_dir, so there is no trained "
                "pipeline to evaluate"
            )
        pipeline = runs.load_pipeline(runs.output_path(run.output.save_dir))
    if args.input is not None:
        data, name = _read_labelled(args.input, pipeline, run), "input"
    else:
        data, name = runs.read_split(run, args.split), args.split
        if data is None:
            raise _UsageError(
                f"The run {target} has no {name} split: set data.{name} or "
                f"data.{name}_split"
            )
    metrics = pipeline.evaluate(*runs.as_xy(data), batch_size=args.batch_size)
    unit = "pairs" if isinstance(data, SentencePairs) else "texts"
    print(f"{name}: {len(data):,} {unit}")
    print(runs.format_metrics({name: metrics}))
    return 0


def _read_labelled(path, pipeline, run):
    """The `--input` file of `evaluate`: labelled texts, or sentence pairs."""
    from kerasseq import data as data_lib
    from kerasseq.pipelines import Translator

    if not isinstance(pipeline, Translator):
        return data_lib.read_table(path)
    options = {}
    if run is not None and run.data.format == "sentence_pairs":
        settings = run.data
        options = {
            "source_column": settings.source_column,
            "target_column": settings.target_column,
            "separator": settings.separator,
            "encoding": settings.encoding,
            "errors": settings.errors,
        }
    return data_lib.read_sentence_pairs(path, **options)


def _export(args) -> int:
    import pathlib

    from kerasseq import runs

    source = pathlib.Path(args.run_dir).expanduser()
    if source.is_file():
        run = runs.load_run(source)
        if run.output.save_dir is None:
            raise _UsageError(f"{source} sets no output.save_dir to export from")
        source = pathlib.Path(runs.output_path(run.output.save_dir))
    pipeline = runs.load_pipeline(source)
    target = pathlib.Path(args.export_dir).expanduser().absolute()
    if target.exists() and not args.overwrite:
        raise FileExistsError(
            f"{target} already exists; pass --overwrite to replace it"
        )
    pipeline.export(target, overwrite=args.overwrite)
    print(f"exported {source} to {target} (checked in a fresh process)")
    return 0


def _read_texts(args) -> list[str]:
    import pathlib

    if args.input is not None and args.texts:
        raise _UsageError("give texts or --input FILE, not both")
    if args.input is None:
        if not args.texts:
            raise _UsageError("give texts to classify, or --input FILE")
        return list(args.texts)
    if args.input == "-":
        content = sys.stdin.read()
    else:
        path = pathlib.Path(args.input).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"No input file at {path}")
        content = path.read_text(encoding="utf-8")
    lines = content.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    texts = [line.removesuffix("\r") for line in lines]
    if not texts:
        raise _UsageError(f"{args.input}: no texts (the input is empty)")
    return texts


def _predict(args) -> int:
    import json
    import pathlib

    texts = _read_texts(args)
    path = pathlib.Path(args.model).expanduser()
    if (path / "saved_model.pb").is_file():
        rows = _predict_saved_model(path, texts, args.batch_size)
    elif (path / "config.toml").is_file():
        rows = _predict_pipeline(path, texts, args.batch_size)
    else:
        raise FileNotFoundError(
            f"{path} is neither an exported SavedModel (no saved_model.pb) nor a "
            "saved pipeline (no config.toml)"
        )
    for text, row in zip(texts, rows):
        if args.json:
            print(json.dumps({"text": text, **row}, ensure_ascii=False))
        elif "translation" in row:
            translation = " ".join(row["translation"].split())
            print(f"{translation}\t{row['score']:.4f}\t{' '.join(text.split())}")
        else:
            probability = row["probability"]
            if isinstance(probability, list):
                shown = ",".join(f"{p:.4f}" for p in probability)
            else:
                shown = f"{probability:.4f}"
            print(f"{row['label']}\t{shown}\t{' '.join(text.split())}")
    return 0


def _prediction_rows(probabilities, label_names, labels, multi_label, threshold):
    """One dict per text: label, probability (of the label), probabilities."""
    rows = []
    for index, row in enumerate(probabilities):
        row = [float(p) for p in row]
        if multi_label:
            chosen = [i for i, p in enumerate(row) if p >= threshold]
            probability = [row[i] for i in chosen]
        else:
            probability = max(row)
        if label_names is not None:
            by_name = dict(zip(map(str, label_names), row))
        else:
            by_name = row
        rows.append(
            {
                "label": labels[index],
                "probability": probability,
                "probabilities": by_name,
            }
        )
    return rows


def _translation_rows(translations, scores):
    """One dict per text: translation, score."""
    return [
        {"translation": translation, "score": float(score)}
        for translation, score in zip(translations, scores)
    ]


def _predict_saved_model(path, texts, batch_size):
    """Through `serving_default`, as TF Serving would; no kerasseq code.

    A translator's SavedModel (outputs `translation` and `score`) gives
    translation rows, a classifier's (`label`, `probabilities`) label rows.
    """
    import json
    import tomllib

    import numpy as np
    import tensorflow as tf

    serve = tf.saved_model.load(str(path)).signatures["serving_default"]
    if "translation" in serve.structured_outputs:
        translations, scores = [], []
        for start in range(0, len(texts), batch_size):
            batch = tf.constant(texts[start : start + batch_size], tf.string)
            outputs = serve(texts=batch)
            translations += [t.decode("utf-8") for t in outputs["translation"].numpy()]
            scores += outputs["score"].numpy().tolist()
        return _translation_rows(translations, scores)
    assets = path / "assets"
    label_names, multi_label, threshold = None, False, 0.5
    if (assets / "labels.json").is_file():
        label_names = json.loads((assets / "labels.json").read_text("utf-8")).get(
            "label_names"
        )
    if (assets / "config.toml").is_file():
        settings = tomllib.loads((assets / "config.toml").read_text("utf-8"))
        multi_label = bool(settings.get("multi_label", False))
        threshold = float(settings.get("threshold", 0.5))
    labels, probabilities = [], []
    for start in range(0, len(texts), batch_size):
        outputs = serve(texts=tf.constant(texts[start : start + batch_size], tf.string))
        labels += [label.decode("utf-8") for label in outputs["label"].numpy()]
        probabilities.append(outputs["probabilities"].numpy())
    probabilities = np.concatenate(probabilities)
    return _prediction_rows(probabilities, label_names, labels, multi_label, threshold)


def _predict_pipeline(path, texts, batch_size):
    from kerasseq import runs
    from kerasseq.pipelines import Translator

    pipeline = runs.load_pipeline(path)
    if isinstance(pipeline, Translator):
        translations, scores = pipeline.translate(
            texts, return_scores=True, batch_size=batch_size
        )
        return _translation_rows(translations, scores)
    probabilities = pipeline.predict_proba(texts, batch_size=batch_size)
    predictions = pipeline._decode(probabilities)
    settings = pipeline.settings
    multi_label = getattr(settings, "multi_label", False)
    if multi_label:
        labels = [",".join(str(item) for item in row) for row in predictions]
    else:
        labels = [str(label) for label in predictions]
    return _prediction_rows(
        probabilities,
        pipeline.label_names,
        labels,
        multi_label,
        getattr(settings, "threshold", 0.5),
    )


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
