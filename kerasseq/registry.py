"""Names → classes, so configs can say `cell = "gru"`."""

import difflib

from kerasseq import layers
from kerasseq import validation

# name → (cell class, sequence layer class). Add a new cell here (see DESIGN.md).
_CELLS = {
    "simple_rnn": (layers.SimpleRNNCell, layers.SimpleRNN),
    "gru": (layers.GRUCell, layers.GRU),
    "lstm": (layers.LSTMCell, layers.LSTM),
}
_ALIASES = {"rnn": "simple_rnn", "vanilla": "simple_rnn"}


def cell_names() -> list[str]:
    """The registered cell names (aliases excluded), sorted."""
    return sorted(_CELLS)


def get_cell_class(name: str) -> type:
    """The cell class registered as `name` (e.g. `"gru"` → `GRUCell`)."""
    return _CELLS[_resolve(name)][0]


def get_recurrent_layer_class(name: str) -> type:
    """The sequence layer class registered as `name` (e.g. `"gru"` → `GRU`)."""
    return _CELLS[_resolve(name)][1]


def _resolve(name: str) -> str:
    if not isinstance(name, str):
        validation.check_one_of("cell", name, cell_names())  # raises
    key = _ALIASES.get(name.lower(), name.lower())
    if key not in _CELLS:
        close = difflib.get_close_matches(key, list(_CELLS) + list(_ALIASES), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"Unknown `cell`: received cell={name!r}. Known cells: "
            f"{cell_names()} (aliases: {sorted(_ALIASES)}).{hint}"
        )
    return key
