"""What the benchmark scripts share: the data folder, an epoch timer, the table.

The scripts run as `python benchmarks/NAME.py` (this folder is then on
`sys.path`) and are loaded by file path in `tests/benchmarks_test.py`; each
puts this folder on `sys.path` before `from benchlib import ...`.
"""

import os
import pathlib
import time

import keras

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]


def default_data_dir() -> pathlib.Path:
    """`$KERASSEQ_DATA`, else `../shared/data` beside the repository."""
    return pathlib.Path(
        os.environ.get("KERASSEQ_DATA", REPO_ROOT.parent / "shared" / "data")
    )


class EpochTimer(keras.callbacks.Callback):
    """Times each epoch from its start to the end of its last training batch.

    The end of the last batch, not `on_epoch_end`, so that validation is not
    counted (`../shared/PERF-NOTES.md`: time batches from callbacks, never
    whole `fit` calls).

    Attributes:
        seconds: One float per epoch.
        steps: The training batches of each epoch.
    """

    def __init__(self):
        super().__init__()
        self.seconds = []
        self.steps = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = self.last = time.perf_counter()
        self.count = 0

    def on_train_batch_end(self, batch, logs=None):
        self.last = time.perf_counter()
        self.count += 1

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(self.last - self.start)
        self.steps.append(self.count)


def row(name, ours, peer, ratio, unit, goal, passed) -> dict:
    """One row of a benchmark table (see `format_rows`)."""
    return {
        "name": name,
        "ours": ours,
        "peer": peer,
        "ratio": ratio,
        "unit": unit,
        "goal": goal,
        "passed": bool(passed),
    }


def format_rows(rows) -> str:
    """`benchmarks/text.py`'s table of `rows` with a pass/FAIL column added.

    Each row is a dict with `text.format_table`'s keys and a bool `"passed"`.
    """
    from text import format_table  # This folder is on `sys.path` (see above).

    lines = format_table(rows).split("\n")
    width = max(len(line) for line in lines)
    lines[0] = f"{lines[0]:<{width}}  result"
    lines[1] = "-" * (width + 8)
    for i, row in enumerate(rows, start=2):
        lines[i] = f"{lines[i]:<{width}}  {'pass' if row['passed'] else 'FAIL'}"
    return "\n".join(lines)
