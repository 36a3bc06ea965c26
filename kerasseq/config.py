"""Typed configuration: TOML files into dataclasses, checked, and back to TOML.

A pipeline's settings are plain dataclasses (a `model` section, a `training`
section, a `data` section, ...). This module fills them from TOML, which is
read with the standard library's `tomllib`, and checks every value on the way:

- `from_dict(cls, data)` builds a (nested) dataclass from a mapping. Unknown
  keys are rejected, naming the dotted key (`model.unit`) and suggesting the
  closest known one (`model.units`); a value of the wrong type is rejected,
  naming the key, the expected type and the value received; missing required
  keys are named. Supported field types: `int`, `float` (integers accepted and
  converted), `str`, `bool`, `X | None`, unions, `list[X]`, `tuple[X, ...]`
  and `tuple[X, Y]`, `Literal[...]`, `dict[str, X]`, nested dataclasses and
  `typing.Any`.
- `load(cls, path, overrides=())` reads a TOML file (errors name the file; a
  syntax error names the file and the line), applies command-line overrides,
  then `from_dict`.
- `apply_overrides(data, ["model.units=256", 'data.path="x"'])` sets dotted
  keys, as `kerasseq train CONFIG --set key=value` does. A value is parsed as a
  TOML value (`256`, `true`, `[1, 2]`, `"x"`), else kept as a bare string.
- `to_dict(obj)` and `dumps(obj)` write a config back (TOML has no writer in
  the standard library, so `dumps` is a small one for the types above), and
  `load(cls, path)` of what `dumps` wrote gives an equal object.

TOML has no null: a field set to `None` is left out when written, which reads
back only if the field's default is `None` (anything else is an error).

Example:

>>> import dataclasses
>>> from typing import Literal
>>> from kerasseq import config
>>> @dataclasses.dataclass
... class Model:
...     cell: Literal["gru", "lstm"] = "gru"
...     units: int = 64
>>> @dataclasses.dataclass
... class Settings:
...     model: Model = dataclasses.field(default_factory=Model)
...     learning_rate: float = 1e-3
>>> settings = config.loads(Settings, "learning_rate = 1\\n[model]\\nunits = 128\\n")
>>> settings
Settings(model=Model(cell='gru', units=128), learning_rate=1.0)
>>> print(config.dumps(settings), end="")
learning_rate = 1.0
<BLANKLINE>
[model]
cell = "gru"
units = 128
>>> try:
...     config.from_dict(Settings, {"model": {"unit": 3}})
... except ValueError as error:
...     print(error)  # doctest: +NORMALIZE_WHITESPACE
Unknown config key `model.unit`; did you mean `model.units`?
Known keys in `model`: cell, units
"""

import dataclasses
import difflib
import math
import os
import pathlib
import re
import tomllib
import types
import typing
from collections.abc import Iterable
from collections.abc import Mapping

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


class ConfigError(ValueError):
    """A config that does not fit its dataclasses: unknown key, wrong type, ..."""


# === Reading ===


def from_dict(cls: type, data: Mapping, path: str = ""):
    """Builds the dataclass `cls` from a mapping, checking keys and types.

    Args:
        cls: A dataclass type; fields may be nested dataclasses.
        data: A mapping from field names to values, as `tomllib` returns.
        path: The dotted key of `data` in a larger config (`"model"`), used in
            error messages. Defaults to `""` (the top level).

    Returns:
        An instance of `cls`. Integers given for `float` fields become floats
        and lists given for `tuple` fields become tuples.

    Raises:
        ConfigError: (a `ValueError`) for an unknown key, a missing required
            key or a value of the wrong type; the message names the dotted key.

    Example:

    >>> import dataclasses
    >>> from kerasseq import config
    >>> @dataclasses.dataclass
    ... class Training:
    ...     epochs: int
    ...     batch_size: int = 32
    >>> config.from_dict(Training, {"epochs": 3})
    Training(epochs=3, batch_size=32)
    >>> try:
    ...     config.from_dict(Training, {"epochs": "3"}, path="training")
    ... except ValueError as error:
    ...     print(error)  # doctest: +NORMALIZE_WHITESPACE
    `training.epochs` must be of type int,
    received: training.epochs='3' (str)
    """
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise TypeError(f"`cls` must be a dataclass type, received: cls={cls!r}")
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"{_where(path)}must be a table ({cls.__name__}), received: "
            f"{_received(path, data)}"
        )
    fields = _init_fields(cls)
    hints = _type_hints(cls)
    for key in data:
        if key not in fields:
            raise ConfigError(_unknown_key_message(key, fields, path))
    missing = [
        name
        for name, field in fields.items()
        if name not in data
        and field.default is dataclasses.MISSING
        and field.default_factory is dataclasses.MISSING
    ]
    if missing:
        keys = ", ".join(f"`{_join(path, name)}`" for name in missing)
        plural = "s" if len(missing) > 1 else ""
        raise ConfigError(f"Missing required config key{plural}: {keys}")
    values = {
        key: _convert(hints.get(key, typing.Any), value, _join(path, key))
        for key, value in data.items()
    }
    try:
        return cls(**values)
    except (TypeError, ValueError) as error:  # __post_init__ checks
        if isinstance(error, ConfigError) or not path:
            raise
        raise ConfigError(f"In `{path}`: {error}") from error


def loads(cls: type, text: str, overrides: Iterable[str] = (), source: str = ""):
    """Builds `cls` from TOML text (see `load`).

    Args:
        cls: A dataclass type.
        text: TOML text.
        overrides: `key=value` strings applied before checking (see
            `apply_overrides`).
        source: A name for the text in error messages (a file name).
            Defaults to `""`.

    Returns:
        An instance of `cls`.

    Raises:
        ConfigError: for invalid TOML (naming the line) or a config that does
            not fit `cls`.
    """
    prefix = f"{source}: " if source else ""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{prefix}invalid TOML: {error}") from None
    try:
        data = apply_overrides(data, overrides, cls)
        return from_dict(cls, data)
    except ConfigError as error:
        if not prefix:
            raise
        raise ConfigError(f"{prefix}{error}") from None


def load(cls: type, path: str | os.PathLike, overrides: Iterable[str] = ()):
    """Reads the TOML file `path` into the dataclass `cls`.

    Args:
        cls: A dataclass type.
        path: Path of a UTF-8 TOML file.
        overrides: `key=value` strings applied to the file's values before
            they are checked, as given to `--set` on the command line (see
            `apply_overrides`). Defaults to none.

    Returns:
        An instance of `cls`.

    Raises:
        FileNotFoundError: if there is no file at `path`.
        ConfigError: (a `ValueError`) for invalid TOML (the message names the
            file and the line), a bad override, or a config that does not fit
            `cls` (the message names the file and the dotted key).
    """
    path = pathlib.Path(os.fspath(path)).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"No config file at {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not UTF-8 text ({error})") from None
    return loads(cls, text, overrides, source=str(path))


def apply_overrides(
    data: Mapping, overrides: Iterable[str], cls: type | None = None
) -> dict:
    """Returns a copy of `data` with dotted `key=value` overrides applied.

    Each override sets one value, creating the tables on its way:
    `"training.epochs=3"` sets `data["training"]["epochs"] = 3`. The value is
    read as a TOML value (`3`, `0.5`, `true`, `"text"`, `[1, 2]`,
    `{ a = 1 }`); anything that is not TOML is kept as a bare string, so
    `data.path=/tmp/x.csv` needs no quotes. A value that starts like a TOML
    string, array or table (`"`, `'`, `[`, `{`) but does not parse is an error.

    Args:
        data: The config as a mapping (e.g. what `tomllib` read). Not changed.
        overrides: Strings `dotted.key=value`.
        cls: Optional dataclass type of the whole config: keys are checked
            against its fields (with a suggestion for a misspelt key) as they
            are set. Without it, `from_dict` checks them later.

    Returns:
        A new dict.

    Raises:
        ConfigError: for an override without `=`, an invalid key, a value
            that starts like TOML but is not, a key that is not a field of
            `cls`, or a key below a value that is not a table.

    Example:

    >>> from kerasseq.config import apply_overrides
    >>> data = apply_overrides(
    ...     {"model": {"units": 64}},
    ...     ["model.units=256", "training.epochs=3", "data.path=/tmp/a b.csv"],
    ... )
    >>> data["model"], data["training"], data["data"]
    ({'units': 256}, {'epochs': 3}, {'path': '/tmp/a b.csv'})
    """
    result = _copy_tables(data)
    if isinstance(overrides, str):
        overrides = [overrides]
    for override in overrides:
        key, value = _parse_override(override)
        parts = key.split(".")
        table, section_cls = result, cls
        for depth, part in enumerate(parts):
            dotted = ".".join(parts[: depth + 1])
            if section_cls is not None:
                fields = _init_fields(section_cls)
                if part not in fields:
                    message = _unknown_key_message(
                        part, fields, ".".join(parts[:depth])
                    )
                    raise ConfigError(f"--set {override}: {message}")
                section_cls = _dataclass_of(_type_hints(section_cls).get(part))
            if depth == len(parts) - 1:
                table[part] = value
                break
            child = table.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(
                    f"--set {override}: `{dotted}` is not a table, it holds "
                    f"{child!r}, so `{key}` cannot be set"
                )
            table = child
    return result


def _parse_override(override) -> tuple[str, typing.Any]:
    if not isinstance(override, str) or "=" not in override:
        raise ConfigError(
            "An override must be `key=value` (e.g. model.units=256), received: "
            f"{override!r}"
        )
    key, text = override.split("=", 1)
    key, text = key.strip(), text.strip()
    if not all(_BARE_KEY.match(part) for part in key.split(".")):
        raise ConfigError(
            "An override key must be dotted names of letters, digits, `_` and "
            f"`-` (e.g. model.units), received: {key!r} in {override!r}"
        )
    try:
        return key, tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError as error:
        if text[:1] in ("'", '"', "[", "{"):
            reason = re.sub(r" \(at [^)]*\)$", "", str(error))
            raise ConfigError(
                f"--set {override}: the value is not valid TOML: {reason}"
            ) from None
        return key, text


def _copy_tables(data):
    if isinstance(data, Mapping):
        return {key: _copy_tables(value) for key, value in data.items()}
    return data


def _init_fields(cls) -> dict:
    return {field.name: field for field in dataclasses.fields(cls) if field.init}


def _type_hints(cls) -> dict:
    try:
        return typing.get_type_hints(cls)
    except (NameError, TypeError):  # unresolvable string annotations
        return {
            field.name: field.type
            for field in dataclasses.fields(cls)
            if not isinstance(field.type, str)
        }


def _dataclass_of(annotation):
    """The dataclass inside `annotation` (`Model`, `Model | None`), if any."""
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return annotation
    if _is_union(annotation):
        classes = [_dataclass_of(arg) for arg in typing.get_args(annotation)]
        classes = [found for found in classes if found is not None]
        if len(classes) == 1:
            return classes[0]
    return None


def _unknown_key_message(key, fields, path) -> str:
    known = list(fields)
    close = difflib.get_close_matches(str(key), known, n=1)
    hint = f"; did you mean `{_join(path, close[0])}`?" if close else "."
    where = f"`{path}`" if path else "the top level"
    listing = ", ".join(known) if known else "(none)"
    return (
        f"Unknown config key `{_join(path, str(key))}`{hint} Known keys in "
        f"{where}: {listing}"
    )


def _join(path: str, key) -> str:
    return f"{path}.{key}" if path else str(key)


def _where(path: str) -> str:
    return f"`{path}` " if path else "The config "


def _received(path: str, value) -> str:
    shown = f"{value!r} ({type(value).__name__})"
    return f"{path}={shown}" if path else shown


def _is_union(annotation) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def type_name(annotation) -> str:
    """A short readable name of a field type, as used in error messages.

    Example:

    >>> from typing import Literal
    >>> from kerasseq.config import type_name
    >>> type_name(list[int]), type_name(float | None)
    ('list[int]', 'float | None')
    >>> type_name(Literal["gru", "lstm"]), type_name(Literal["gru", "lstm"] | None)
    ("one of 'gru', 'lstm'", "one of 'gru', 'lstm' or None")
    """
    if annotation is type(None):
        return "None"
    if annotation is typing.Any:
        return "any value"
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return "one of " + ", ".join(map(repr, args))
    if _is_union(annotation):
        names = [type_name(arg) for arg in args]
        if len(names) == 2 and names[0].startswith("one of ") and names[1] == "None":
            return f"{names[0]} or None"  # An optional Literal.
        return " | ".join(names)
    if origin is not None:
        names = ", ".join("..." if arg is Ellipsis else type_name(arg) for arg in args)
        return f"{getattr(origin, '__name__', origin)}[{names}]"
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return f"a table ({annotation.__name__})"
    return getattr(annotation, "__name__", str(annotation))


def _convert(annotation, value, path: str):
    """`value` checked against `annotation` (and converted where documented)."""

    def wrong():
        expected = type_name(annotation)
        if not expected.startswith("one of "):
            expected = f"of type {expected}"
        return ConfigError(
            f"`{path}` must be {expected}, received: {_received(path, value)}"
        )

    if annotation is typing.Any:
        return value
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        if isinstance(value, annotation):
            return value
        return from_dict(annotation, value, path)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        if any(value == arg and type(value) is type(arg) for arg in args):
            return value
        raise wrong()
    if _is_union(annotation):
        if value is None and type(None) in args:
            return None
        options = [arg for arg in args if arg is not type(None)]
        if len(options) == 1:
            try:
                return _convert(options[0], value, path)
            except ConfigError:
                if isinstance(value, Mapping | list) and not _is_scalar(options[0]):
                    raise  # the error inside the table or list is more precise
                raise wrong() from None
        for option in options:
            try:
                return _convert(option, value, path)
            except ConfigError:
                continue
        raise wrong()
    if annotation is bool:
        if isinstance(value, bool):
            return value
        raise wrong()
    if annotation is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise wrong()
    if annotation is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise wrong()
    if annotation is str:
        if isinstance(value, str):
            return value
        raise wrong()
    if annotation in (list, tuple):
        if isinstance(value, list | tuple):
            return annotation(value)
        raise wrong()
    if annotation is dict:
        if isinstance(value, Mapping):
            return dict(value)
        raise wrong()
    if origin is list:
        if not isinstance(value, list | tuple):
            raise wrong()
        (item,) = args or (typing.Any,)
        return [_convert(item, x, f"{path}[{i}]") for i, x in enumerate(value)]
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise wrong()
        if len(args) == 2 and args[1] is Ellipsis:
            items = [args[0]] * len(value)
        elif args == ((),):  # tuple[()]
            items = []
        else:
            items = list(args)
        if len(items) != len(value):
            raise ConfigError(
                f"`{path}` must be of type {type_name(annotation)} ({len(items)} "
                f"items), received: {_received(path, value)}"
            )
        return tuple(
            _convert(item, x, f"{path}[{i}]")
            for i, (item, x) in enumerate(zip(items, value))
        )
    if origin is dict:
        if not isinstance(value, Mapping):
            raise wrong()
        key_type, value_type = args or (str, typing.Any)
        if key_type is not str:
            raise TypeError(f"Config tables have str keys, not {key_type} ({path})")
        return {
            key: _convert(value_type, x, _join(path, key)) for key, x in value.items()
        }
    raise TypeError(
        f"Unsupported config field type {annotation!r} for `{path}`; use int, "
        "float, str, bool, X | None, list, tuple, Literal, dict[str, X] or a "
        "dataclass"
    )


def _is_scalar(annotation) -> bool:
    return annotation in (bool, int, float, str) or (
        typing.get_origin(annotation) is typing.Literal
    )


# === Writing ===


def to_dict(obj) -> dict:
    """The plain data of a config dataclass, as `from_dict` reads it back.

    Nested dataclasses become dicts, tuples become lists; fields set to `None`
    are left out (TOML has no null), which is allowed only where the field's
    default is `None`, so that `from_dict(type(obj), to_dict(obj)) == obj`.

    Args:
        obj: A dataclass instance (or a mapping of such values).

    Returns:
        A dict of dicts, lists, str, int, float and bool.

    Raises:
        ValueError: for a `None` that would not read back (a field whose
            default is not `None`, a `None` inside a list or dict).
    """
    result = _plain(obj, "")
    if not isinstance(result, dict):
        raise TypeError(
            f"`obj` must be a dataclass instance or a mapping, received: obj={obj!r}"
        )
    return result


def _plain(value, path: str):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        result = {}
        for field in dataclasses.fields(value):
            if not field.init:
                continue
            item = getattr(value, field.name)
            key = _join(path, field.name)
            if item is None:
                if field.default is None:
                    continue
                raise ValueError(
                    f"`{key}` is None, which TOML cannot write (it has no null) "
                    "and which would not read back, since the field's default "
                    "is not None"
                )
            result[field.name] = _plain(item, key)
        return result
    if isinstance(value, Mapping):
        return {str(key): _plain(item, _join(path, key)) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if value is None:
        raise ValueError(f"`{path}` is None, which TOML cannot write (it has no null)")
    if isinstance(value, bool | int | float | str):
        return value
    raise TypeError(
        f"`{path}` holds a {type(value).__name__}, which a config cannot hold: "
        f"{value!r}"
    )


def dumps(obj) -> str:
    """TOML text of a config dataclass (or a mapping), readable by `load`.

    Top-level scalars and arrays come first, then one `[section]` per table
    (nested ones as `[section.sub]`); tables inside arrays are written as
    inline tables. Floats keep every digit (`repr`), including `inf`, `-inf`
    and `nan`.

    Args:
        obj: A dataclass instance or a mapping (see `to_dict`).

    Returns:
        The TOML text, ending with a newline.

    Example:

    >>> from kerasseq.config import dumps
    >>> print(dumps({"name": "rt", "model": {"units": 8, "sizes": [1, 2]}}), end="")
    name = "rt"
    <BLANKLINE>
    [model]
    units = 8
    sizes = [1, 2]
    """
    lines: list[str] = []
    _write_table(to_dict(obj), [], lines)
    return "\n".join(lines).lstrip("\n") + "\n"


def dump(obj, path: str | os.PathLike) -> None:
    """Writes `dumps(obj)` to `path` (via a temporary file renamed into place)."""
    from kerasseq import files

    with files.atomic_write(path, "w", encoding="utf-8") as file:
        file.write(dumps(obj))


def _write_table(table: dict, keys: list[str], lines: list[str]) -> None:
    scalars = {k: v for k, v in table.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in table.items() if isinstance(v, dict)}
    if keys and (scalars or not tables):
        if lines:
            lines.append("")
        lines.append("[" + ".".join(_key(k) for k in keys) + "]")
    for key, value in scalars.items():
        lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in tables.items():
        _write_table(value, [*keys, key], lines)


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)  # always has "." or "e": valid TOML, exact round trip
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items())
        return "{ " + items + " }"
    raise TypeError(f"Cannot write {value!r} as TOML")


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n"}
_ESCAPES.update({"\f": "\\f", "\r": "\\r"})


def _string(text: str) -> str:
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'
