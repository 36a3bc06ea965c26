"""SavedModel export helpers: atomic folder writes and a fresh-process check.

`Pipeline.export` builds a `keras.export.ExportArchive` whose
`serving_default` signature takes raw strings, then uses the two functions
here:

- `write_directory(directory, write, overwrite)` lets `write` fill a
  temporary folder beside `directory` and renames it into place only when
  `write` returned, so a failed export (or save) leaves nothing behind and
  never damages an existing `directory`;
- `check_export(path, texts, expected)` reloads the SavedModel at `path` with
  `tf.saved_model.load` in a fresh Python process that imports only
  TensorFlow (so neither kerasseq nor tensorflow-text are needed to serve it),
  calls `serving_default` on `texts` and compares the answer with
  `expected`; any difference is a `RuntimeError`.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence

import numpy as np

# Run by `check_export` in a fresh interpreter: argv[1] is the SavedModel,
# argv[2] the texts as JSON; prints the outputs as one JSON line.
CHECK_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import tensorflow as tf
    revived = tf.saved_model.load(sys.argv[1])
    serve = revived.signatures["serving_default"]
    outputs = serve(texts=tf.constant(json.loads(sys.argv[2]), tf.string))
    for name in ("kerasseq", "tensorflow_text"):
        assert name not in sys.modules, name + " was imported"
    result = {}
    for key, value in outputs.items():
        value = value.numpy()
        if value.dtype == object:
            result[key] = [item.decode("utf-8") for item in value.reshape(-1)]
        else:
            result[key] = value.tolist()
    print(json.dumps(result))
    """
)


def check_export(
    path: str | os.PathLike,
    texts: Sequence[str],
    expected: Mapping[str, np.ndarray],
    atol: float = 1e-5,
    timeout: float = 300,
) -> None:
    """Reloads a SavedModel in a fresh process and checks its answers.

    The process (`sys.executable`, TensorFlow logs quiet, working folder
    `path`) loads `path` with `tf.saved_model.load`, calls its
    `serving_default` signature with `texts=` a `tf.string` tensor of
    `texts`, and fails if kerasseq or tensorflow-text got imported. Each
    output named in `expected` must then equal it: floats within `atol`
    (same shape), strings and integers exactly. Outputs the signature has
    beyond `expected` are ignored.

    Args:
        path: The SavedModel folder.
        texts: The texts to send, a list of strings.
        expected: Output name → expected NumPy array (strings as an object
            array of `str`).
        atol: Absolute tolerance for float outputs. Defaults to `1e-5`.
        timeout: Seconds the process may take. Defaults to `300`.

    Raises:
        RuntimeError: The SavedModel fails to load or to answer, lacks an
            expected output, or answers differently (the output, what it
            answered and what was expected are named).
    """
    path = os.fspath(path)
    texts = list(texts)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, "-c", CHECK_SCRIPT, path, json.dumps(texts)],
        capture_output=True,
        text=True,
        env=env,
        cwd=path,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            "The exported SavedModel failed to load or answer in a fresh "
            f"process:\n{result.stderr[-3000:]}"
        )
    actual = json.loads(result.stdout.strip().splitlines()[-1])
    for key, value in expected.items():
        if key not in actual:
            raise RuntimeError(
                f"The exported SavedModel has no output {key!r}; it has "
                f"{sorted(actual)}"
            )
        value = np.asarray(value)
        got = np.asarray(actual[key])
        if value.dtype.kind in "fc":
            same = got.shape == value.shape and np.allclose(got, value, atol=atol)
        else:
            same = got.tolist() == value.tolist()
        if not same:
            raise RuntimeError(
                f"The exported SavedModel answers differently from `predict` "
                f"on {texts!r}: output {key!r} is {got.tolist()!r}, expected "
                f"{value.tolist()!r}"
            )


def write_directory(
    directory: str | os.PathLike,
    write: Callable[[str], None],
    overwrite: bool = False,
) -> str:
    """Creates `directory` atomically: `write(tmp)` fills a temporary folder.

    The temporary folder is made beside `directory` (same file system, hidden
    name starting with `.`), so the final `os.replace` is a rename. When
    `write` raises, the temporary folder is removed, the error propagates and
    an existing `directory` is untouched. With `overwrite=True` an existing
    `directory` is first moved aside, then deleted once the new one is in
    place.

    Args:
        directory: The folder to create; missing parents are created.
        write: Callable taking the temporary folder's path (it exists and is
            empty) and writing the files into it.
        overwrite: Whether to replace an existing `directory`. Defaults to
            `False`.

    Returns:
        The absolute path of `directory`.

    Raises:
        FileExistsError: `directory` exists and `overwrite` is `False`.

    Example:

    >>> import os, tempfile
    >>> from kerasseq.export import write_directory
    >>> def write(tmp):
    ...     with open(os.path.join(tmp, "a.txt"), "w") as f:
    ...         _ = f.write("a")
    >>> path = write_directory(os.path.join(tempfile.mkdtemp(), "out"), write)
    >>> os.listdir(path)
    ['a.txt']
    """
    directory = os.path.abspath(os.fspath(directory))
    if os.path.exists(directory) and not overwrite:
        raise FileExistsError(
            f"{directory!r} already exists; pass `overwrite=True` to replace it"
        )
    parent = os.path.dirname(directory)
    os.makedirs(parent, exist_ok=True)
    name = os.path.basename(directory)
    tmp = tempfile.mkdtemp(prefix=f".{name}.", dir=parent)
    try:
        write(tmp)
        if os.path.exists(directory):
            old = tempfile.mkdtemp(prefix=f".{name}.old.", dir=parent)
            os.replace(directory, os.path.join(old, "previous"))
            os.replace(tmp, directory)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return directory
