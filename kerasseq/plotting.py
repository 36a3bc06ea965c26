"""PNG plots of training curves and attention weights (matplotlib, optional).

matplotlib is imported only when a function is called (`pip install
"kerasseq[plot]"` installs it), and every figure is drawn on its own Agg
canvas: no window opens, and the pyplot state and backend of the caller are
left alone. Each function writes its PNG to a temporary file in the target
folder (created if missing), renames it into place and returns the path.

- `plot_history(history, path)`: loss and metrics per epoch, the validation
  curve beside its training curve (`Pipeline.fit` returns the history).
- `plot_attention(weights, source_tokens, target_tokens, path)`: a heatmap of
  an attention matrix, rows the target tokens, columns the source tokens.
- `plot_token_weights(tokens_and_weights, path)`: the weight of each token of
  one text, as `TextClassifier.explain` returns them.
"""

import math
import numbers
import os
import tempfile
from collections.abc import Mapping
from collections.abc import Sequence

import numpy as np

_INSTALL_HINT = 'pip install "kerasseq[plot]"'


def plot_history(history, path, metrics: Sequence[str] | None = None) -> str:
    """Plots training curves per epoch and writes them to a PNG.

    One panel per metric; a `val_<name>` series, when present, is drawn in
    the panel of `<name>` as the validation curve.

    Args:
        history: A `keras.callbacks.History` (what `fit` returns) or its
            `.history` dict, `{name: [value per epoch]}`.
        path: The PNG file to write (suffix `.png`); its folder is created.
        metrics: Optional names to plot (without the `val_` prefix), in
            panel order. Defaults to `None`: every training metric, `loss`
            first (and the validation-only ones).

    Returns:
        The path written, as a string.

    Raises:
        ValueError: an empty history, a metric it does not hold, series of
            non-numbers, or a path that does not end in `.png`.
        ImportError: matplotlib is not installed.

    Example:

    >>> import os, tempfile
    >>> from kerasseq.plotting import plot_history
    >>> history = {"loss": [0.9, 0.6, 0.5], "val_loss": [1.0, 0.8, 0.7],
    ...            "accuracy": [0.5, 0.7, 0.8]}
    >>> path = os.path.join(tempfile.mkdtemp(), "curves", "history.png")
    >>> plot_history(history, path) == path, os.path.getsize(path) > 0
    (True, True)
    """
    series = _history_series(history)
    names = _history_panels(series, metrics)
    path = _check_png_path(path)
    figure_class, canvas_class = _matplotlib()
    columns = min(len(names), 3)
    rows = math.ceil(len(names) / columns)
    figure = figure_class(figsize=(4.2 * columns, 3.2 * rows), layout="constrained")
    canvas_class(figure)
    for index, name in enumerate(names):
        axes = figure.add_subplot(rows, columns, index + 1)
        for key, label in ((name, "training"), (f"val_{name}", "validation")):
            if key in series:
                values = series[key]
                epochs = np.arange(1, len(values) + 1)
                axes.plot(epochs, values, marker="o", markersize=3, label=label)
        axes.set_title(name)
        axes.set_xlabel("epoch")
        axes.xaxis.get_major_locator().set_params(integer=True)
        axes.grid(alpha=0.3)
        axes.legend()
    return _save(figure, path)


def plot_attention(
    weights,
    source_tokens: Sequence[str],
    target_tokens: Sequence[str],
    path,
    title: str | None = None,
) -> str:
    """Draws an attention matrix as a heatmap and writes it to a PNG.

    Args:
        weights: Array-like of shape `(len(target_tokens),
            len(source_tokens))`: row `i` holds how much target token `i`
            attends to each source token (e.g. a decoder's attention
            weights for one example).
        source_tokens: The column labels (the attended sequence).
        target_tokens: The row labels (the attending sequence).
        path: The PNG file to write (suffix `.png`); its folder is created.
        title: Optional figure title. Defaults to `None`.

    Returns:
        The path written, as a string.

    Raises:
        ValueError: `weights` not of shape `(len(target_tokens),
            len(source_tokens))` (both shapes named), empty token lists,
            non-finite weights, or a path that does not end in `.png`.
        ImportError: matplotlib is not installed.

    Example:

    >>> import os, tempfile
    >>> from kerasseq.plotting import plot_attention
    >>> weights = np.array([[0.8, 0.1, 0.1], [0.1, 0.2, 0.7]])
    >>> path = os.path.join(tempfile.mkdtemp(), "attention.png")
    >>> plot_attention(weights, ["le", "chat", "noir"], ["the", "cat"], path) == path
    True
    """
    source_tokens = _check_tokens("source_tokens", source_tokens)
    target_tokens = _check_tokens("target_tokens", target_tokens)
    weights = _check_weights(weights)
    expected = (len(target_tokens), len(source_tokens))
    if weights.shape != expected:
        raise ValueError(
            "`weights` must have shape (len(target_tokens), len(source_tokens)) = "
            f"{expected}, received: weights of shape {weights.shape} for "
            f"{len(target_tokens)} target and {len(source_tokens)} source tokens"
        )
    path = _check_png_path(path)
    figure_class, canvas_class = _matplotlib()
    width = min(max(3.0, 0.45 * len(source_tokens) + 2.0), 30.0)
    height = min(max(2.5, 0.4 * len(target_tokens) + 1.5), 30.0)
    figure = figure_class(figsize=(width, height), layout="constrained")
    canvas_class(figure)
    axes = figure.add_subplot()
    image = axes.imshow(weights, cmap="viridis", aspect="auto", vmin=0.0)
    axes.set_xticks(range(len(source_tokens)), source_tokens, rotation=90)
    axes.set_yticks(range(len(target_tokens)), target_tokens)
    axes.set_xlabel("source")
    axes.set_ylabel("target")
    figure.colorbar(image, ax=axes, label="weight")
    if title is not None:
        axes.set_title(str(title), wrap=True)
    return _save(figure, path)


def plot_token_weights(tokens_and_weights, path, title: str | None = None) -> str:
    """Draws the weight of each token of one text as bars, in reading order.

    Args:
        tokens_and_weights: A sequence of `(token, weight)` pairs, as
            `TextClassifier.explain(text)` returns them.
        path: The PNG file to write (suffix `.png`); its folder is created.
        title: Optional figure title. Defaults to `None`.

    Returns:
        The path written, as a string.

    Raises:
        ValueError: no pairs (a text without tokens), an item that is not a
            `(str, number)` pair, a non-finite weight, or a path that does
            not end in `.png`.
        ImportError: matplotlib is not installed.

    Example:

    >>> import os, tempfile
    >>> from kerasseq.plotting import plot_token_weights
    >>> pairs = [("a", 0.1), ("moving", 0.6), ("film", 0.3)]
    >>> path = os.path.join(tempfile.mkdtemp(), "weights.png")
    >>> plot_token_weights(pairs, path, title="pos") == path
    True
    """
    tokens, weights = _check_pairs(tokens_and_weights)
    path = _check_png_path(path)
    figure_class, canvas_class = _matplotlib()
    height = min(max(2.0, 0.3 * len(tokens) + 1.2), 40.0)
    figure = figure_class(figsize=(6.0, height), layout="constrained")
    canvas_class(figure)
    axes = figure.add_subplot()
    positions = np.arange(len(tokens))
    colors = _weight_colors(weights)
    axes.barh(positions, weights, color=colors)
    axes.set_yticks(positions, tokens)
    axes.invert_yaxis()  # The first token on top.
    axes.set_xlabel("weight")
    axes.grid(axis="x", alpha=0.3)
    if title is not None:
        axes.set_title(str(title), wrap=True)
    return _save(figure, path)


# === Helpers ===


def _matplotlib():
    """The `Figure` and Agg canvas classes, with an install hint if missing."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(
            f"kerasseq.plotting needs matplotlib: {_INSTALL_HINT}"
        ) from error
    return Figure, FigureCanvasAgg


def _weight_colors(weights):
    """Viridis colours of `weights` scaled to their largest value."""
    from matplotlib import colormaps

    largest = float(np.max(np.abs(weights))) or 1.0
    return colormaps["viridis"](np.abs(weights) / largest)


def _check_png_path(path) -> str:
    try:
        path = os.fspath(path)
    except TypeError:
        raise ValueError(
            f"`path` must be a file path, received: path={path!r} of type "
            f"{type(path).__name__}"
        ) from None
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not path.lower().endswith(".png"):
        raise ValueError(f"`path` must end in '.png', received: path={path!r}")
    return path


def _save(figure, path) -> str:
    """Writes `figure` as a PNG to a temporary file, then renames it to `path`."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, tmp = tempfile.mkstemp(
        prefix=f".{os.path.basename(path)}.", suffix=".png", dir=folder
    )
    try:
        with os.fdopen(handle, "wb") as file:
            figure.savefig(file, format="png", dpi=100)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def _history_series(history) -> dict:
    """`{name: float array}` from a `History` or its dict, checked."""
    series = getattr(history, "history", history)
    if not isinstance(series, Mapping):
        raise ValueError(
            "`history` must be a keras.callbacks.History or a dict of lists, "
            f"received: history of type {type(history).__name__}"
        )
    checked = {}
    for name, values in series.items():
        try:
            array = np.asarray(values, dtype="float64").reshape(-1)
        except (TypeError, ValueError):
            raise ValueError(
                f"`history[{name!r}]` must be a list of numbers, received: {values!r}"
            ) from None
        if array.size:
            checked[str(name)] = array
    if not checked:
        raise ValueError(
            "`history` is empty: it holds no values to plot (was `fit` run?), "
            f"received: {dict(series)!r}"
        )
    return checked


def _history_panels(series, metrics) -> list:
    """The panel names: `metrics`, or every base name with `loss` first."""
    if metrics is None:
        names = []
        for key in series:
            name = key[len("val_") :] if key.startswith("val_") else key
            if name not in names:
                names.append(name)
        return sorted(names, key=lambda name: name != "loss")
    if isinstance(metrics, str):
        metrics = [metrics]
    names = list(metrics)
    if not names:
        raise ValueError("`metrics` must name at least one metric, received: []")
    for name in names:
        if name not in series and f"val_{name}" not in series:
            raise ValueError(
                f"`metrics` names {name!r}, which the history does not hold; "
                f"it holds: {sorted(series)}"
            )
    return names


def _check_tokens(name, tokens) -> list:
    if isinstance(tokens, str) or not isinstance(tokens, Sequence | np.ndarray):
        raise ValueError(
            f"`{name}` must be a list of tokens, received: {name}={tokens!r}"
        )
    tokens = [_token_text(token) for token in tokens]
    if not tokens:
        raise ValueError(f"`{name}` must hold at least one token, received: []")
    return tokens


def _token_text(token) -> str:
    return token.decode("utf-8", "replace") if isinstance(token, bytes) else str(token)


def _check_weights(weights) -> np.ndarray:
    if hasattr(weights, "numpy"):
        weights = weights.numpy()
    try:
        weights = np.asarray(weights, dtype="float64")
    except (TypeError, ValueError):
        raise ValueError(
            f"`weights` must be a 2-D array of numbers, received: {weights!r}"
        ) from None
    if not np.all(np.isfinite(weights)):
        raise ValueError("`weights` must be finite, received NaN or infinite values")
    return weights


def _check_pairs(tokens_and_weights):
    if isinstance(tokens_and_weights, str | bytes | Mapping):
        raise ValueError(
            "`tokens_and_weights` must be a list of (token, weight) pairs, "
            f"received: {type(tokens_and_weights).__name__}"
        )
    tokens, weights = [], []
    for index, item in enumerate(tokens_and_weights):
        if (
            not isinstance(item, Sequence)
            or isinstance(item, str | bytes)
            or len(item) != 2
            or not isinstance(item[0], str | bytes)
            or isinstance(item[1], bool)
            or not isinstance(item[1], numbers.Real)
        ):
            raise ValueError(
                "`tokens_and_weights` must hold (token, weight) pairs, "
                f"received: tokens_and_weights[{index}]={item!r}"
            )
        if not math.isfinite(item[1]):
            raise ValueError(
                "Weights must be finite, received: "
                f"tokens_and_weights[{index}]={item!r}"
            )
        tokens.append(_token_text(item[0]))
        weights.append(float(item[1]))
    if not tokens:
        raise ValueError(
            "`tokens_and_weights` is empty (a text without tokens has no "
            "weights to plot), received: []"
        )
    return tokens, np.asarray(weights)
