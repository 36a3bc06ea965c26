import dataclasses
import math
import os
import tomllib
from typing import Literal

from kerasseq import config
from tests.test_case import TestCase


@dataclasses.dataclass
class Encoder:
    num_layers: int = 1
    bidirectional: bool = False


@dataclasses.dataclass
class Model:
    cell: Literal["gru", "lstm", "simple_rnn"] = "gru"
    units: int = 64
    dropout: float = 0.0
    encoder: Encoder = dataclasses.field(default_factory=Encoder)
    attention: Encoder | None = None


@dataclasses.dataclass
class Training:
    epochs: int
    learning_rate: float = 1e-3
    batch_sizes: tuple[int, ...] = (32,)
    clipnorm: float | None = None
    schedule: Literal["constant", "cosine"] | None = None
    class_weight: dict[str, float] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Data:
    path: str
    columns: tuple[str, int] = ("text", 0)
    splits: list[float] = dataclasses.field(default_factory=lambda: [0.8, 0.2])
    lowercase: bool = True


@dataclasses.dataclass
class Settings:
    training: Training
    data: Data
    model: Model = dataclasses.field(default_factory=Model)
    name: str = "run"


TOML = """\
name = "imdb"

[model]
cell = "lstm"
units = 128
dropout = 0  # an int for a float field

[model.encoder]
num_layers = 2

[training]
epochs = 5
batch_sizes = [16, 64]
class_weight = { pos = 1, neg = 2.5 }

[data]
path = "/data/imdb"
columns = ["review", 1]
"""

EXPECTED = Settings(
    name="imdb",
    model=Model(cell="lstm", units=128, dropout=0.0, encoder=Encoder(num_layers=2)),
    training=Training(
        epochs=5, batch_sizes=(16, 64), class_weight={"pos": 1.0, "neg": 2.5}
    ),
    data=Data(path="/data/imdb", columns=("review", 1)),
)


class FromDictTest(TestCase):
    def test_builds_nested_dataclasses_with_conversions(self):
        settings = config.from_dict(Settings, tomllib.loads(TOML))
        self.assertEqual(EXPECTED, settings)
        self.assertIs(float, type(settings.model.dropout))
        self.assertIs(float, type(settings.training.class_weight["pos"]))
        self.assertEqual((16, 64), settings.training.batch_sizes)
        self.assertIsNone(settings.model.attention)

    def test_unknown_key_names_dotted_key_and_suggests(self):
        data = {"training": {"epochs": 1}, "data": {"path": "x"}}
        with self.assertRaisesRegex(
            ValueError,
            r"^Unknown config key `model\.unit`; did you mean `model\.units`\? Known "
            r"keys in `model`: cell, units, dropout, encoder, attention$",
        ):
            config.from_dict(Settings, {**data, "model": {"unit": 3}})
        with self.assertRaisesRegex(
            ValueError,
            r"^Unknown config key `model\.encoder\.layers`; did you mean "
            r"`model\.encoder\.num_layers`\?",
        ):
            config.from_dict(Settings, {**data, "model": {"encoder": {"layers": 2}}})
        with self.assertRaisesRegex(
            ValueError,
            r"^Unknown config key `zzz`\. Known keys in the top level: training, "
            r"data, model, name$",
        ):
            config.from_dict(Settings, {**data, "zzz": 1})

    def test_wrong_types_name_key_expected_type_and_value(self):
        cases = [
            (
                {"model": {"units": "128"}},
                "`model.units` must be of type int, received: model.units='128' (str)",
            ),
            (
                {"model": {"units": 1.5}},
                "`model.units` must be of type int, received: model.units=1.5 (float)",
            ),
            (
                {"model": {"units": True}},
                "`model.units` must be of type int, received: model.units=True (bool)",
            ),
            (
                {"model": {"dropout": False}},
                "`model.dropout` must be of type float, received: "
                "model.dropout=False (bool)",
            ),
            (
                {"model": {"cell": "rnn"}},
                "`model.cell` must be one of 'gru', 'lstm', 'simple_rnn', received: "
                "model.cell='rnn' (str)",
            ),
            (
                {"model": "big"},
                "`model` must be a table (Model), received: model='big' (str)",
            ),
            (
                {"model": {"attention": 3}},
                "`model.attention` must be of type a table (Encoder) | None, "
                "received: model.attention=3 (int)",
            ),
            (
                {"model": {"attention": {"num_layers": "2"}}},
                "`model.attention.num_layers` must be of type int, received: "
                "model.attention.num_layers='2' (str)",
            ),
            (
                {"training": {"epochs": 1, "batch_sizes": [16, "32"]}},
                "`training.batch_sizes[1]` must be of type int, received: "
                "training.batch_sizes[1]='32' (str)",
            ),
            (
                {"training": {"epochs": 1, "clipnorm": "1"}},
                "`training.clipnorm` must be of type float | None, received: "
                "training.clipnorm='1' (str)",
            ),
            (
                {"training": {"epochs": 1, "schedule": "linear"}},
                "`training.schedule` must be one of 'constant', 'cosine' or None, "
                "received: training.schedule='linear' (str)",
            ),
            (
                {"training": {"epochs": 1, "class_weight": {"pos": "high"}}},
                "`training.class_weight.pos` must be of type float, received: "
                "training.class_weight.pos='high' (str)",
            ),
            (
                {"data": {"path": "x", "columns": ["text"]}},
                "`data.columns` must be of type tuple[str, int] (2 items), received: "
                "data.columns=['text'] (list)",
            ),
            (
                {"data": {"path": "x", "splits": 0.8}},
                "`data.splits` must be of type list[float], received: "
                "data.splits=0.8 (float)",
            ),
            (
                {"data": {"path": "x", "lowercase": "yes"}},
                "`data.lowercase` must be of type bool, received: "
                "data.lowercase='yes' (str)",
            ),
        ]
        for change, message in cases:
            data = {"training": {"epochs": 1}, "data": {"path": "x"}}
            for section, values in change.items():
                if isinstance(values, dict) and isinstance(data.get(section), dict):
                    data[section] = {**data[section], **values}
                else:
                    data[section] = values
            with self.subTest(message=message):
                with self.assertRaises(ValueError) as context:
                    config.from_dict(Settings, data)
                self.assertEqual(message, str(context.exception))

    def test_missing_required_keys_are_named(self):
        with self.assertRaisesRegex(
            ValueError, r"^Missing required config keys: `training`, `data`$"
        ):
            config.from_dict(Settings, {})
        with self.assertRaisesRegex(
            ValueError, r"^Missing required config key: `training\.epochs`$"
        ):
            config.from_dict(Settings, {"training": {}, "data": {"path": "x"}})

    def test_post_init_errors_name_the_section(self):
        @dataclasses.dataclass
        class Checked:
            units: int = 1

            def __post_init__(self):
                if self.units <= 0:
                    raise ValueError(
                        f"`units` must be positive, received: {self.units}"
                    )

        @dataclasses.dataclass
        class Outer:
            model: Checked

        with self.assertRaisesRegex(
            ValueError, r"^In `model`: `units` must be positive, received: 0$"
        ):
            config.from_dict(Outer, {"model": {"units": 0}})

    def test_rejects_a_class_that_is_not_a_dataclass(self):
        with self.assertRaisesRegex(TypeError, "must be a dataclass type"):
            config.from_dict(dict, {})


class LoadTest(TestCase):
    def write(self, text, name="settings.toml"):
        path = os.path.join(self.get_temp_dir(), name)
        with open(path, "w", encoding="utf-8") as file:
            file.write(text)
        return path

    def test_load_reads_the_file(self):
        self.assertEqual(EXPECTED, config.load(Settings, self.write(TOML)))

    def test_syntax_error_names_file_and_line(self):
        path = self.write(TOML.replace("units = 128", "units = = 128"))
        with self.assertRaises(ValueError) as context:
            config.load(Settings, path)
        self.assertEqual(
            f"{path}: invalid TOML: Invalid value (at line 5, column 9)",
            str(context.exception),
        )

    def test_config_errors_name_the_file(self):
        path = self.write(TOML.replace("units = 128", "unit = 128"))
        with self.assertRaises(ValueError) as context:
            config.load(Settings, path)
        self.assertEqual(
            f"{path}: Unknown config key `model.unit`; did you mean `model.units`? "
            "Known keys in `model`: cell, units, dropout, encoder, attention",
            str(context.exception),
        )

    def test_missing_file(self):
        path = os.path.join(self.get_temp_dir(), "absent.toml")
        with self.assertRaisesRegex(FileNotFoundError, f"No config file at {path}"):
            config.load(Settings, path)

    def test_load_with_overrides(self):
        settings = config.load(
            Settings,
            self.write(TOML),
            ["model.units=256", "training.epochs=3", 'data.path="x"'],
        )
        self.assertEqual(256, settings.model.units)
        self.assertEqual(3, settings.training.epochs)
        self.assertEqual("x", settings.data.path)
        self.assertEqual("lstm", settings.model.cell)


class ApplyOverridesTest(TestCase):
    def test_values_are_toml_else_bare_strings(self):
        data = {"model": {"units": 64, "cell": "gru"}, "name": "a"}
        result = config.apply_overrides(
            data,
            [
                "model.units=256",
                "training.learning_rate = 0.5",
                "training.batch_sizes=[8, 16]",
                "data.lowercase=false",
                'data.path="/tmp/x y.csv"',
                "name=/tmp/bare path",
                "model.encoder={ num_layers = 2 }",
                "data.columns=text=1",
            ],
        )
        self.assertEqual(
            {
                "model": {"units": 256, "cell": "gru", "encoder": {"num_layers": 2}},
                "name": "/tmp/bare path",
                "training": {"learning_rate": 0.5, "batch_sizes": [8, 16]},
                "data": {
                    "lowercase": False,
                    "path": "/tmp/x y.csv",
                    "columns": "text=1",
                },
            },
            result,
        )
        self.assertEqual({"model": {"units": 64, "cell": "gru"}, "name": "a"}, data)

    def test_bad_syntax_is_a_clear_error(self):
        cases = [
            (
                "model.units",
                "An override must be `key=value` (e.g. model.units=256), received: "
                "'model.units'",
            ),
            (
                "model..units=3",
                "An override key must be dotted names of letters, digits, `_` and `-` "
                "(e.g. model.units), received: 'model..units' in 'model..units=3'",
            ),
            (
                "=3",
                "An override key must be dotted names of letters, digits, `_` and `-` "
                "(e.g. model.units), received: '' in '=3'",
            ),
            (
                'data.path="x',
                '--set data.path="x: the value is not valid TOML: Unterminated string',
            ),
            (
                "training.batch_sizes=[1, 2",
                "--set training.batch_sizes=[1, 2: the value is not valid TOML: "
                "Unclosed array",
            ),
            (
                "model.units.big=1",
                "--set model.units.big=1: `model.units` is not a table, it holds 64, "
                "so `model.units.big` cannot be set",
            ),
        ]
        for override, message in cases:
            with self.subTest(override=override):
                with self.assertRaises(ValueError) as context:
                    config.apply_overrides({"model": {"units": 64}}, [override])
                self.assertEqual(message, str(context.exception))

    def test_unknown_keys_are_rejected_with_a_suggestion(self):
        with self.assertRaises(ValueError) as context:
            config.apply_overrides({}, ["model.unit=3"], Settings)
        self.assertEqual(
            "--set model.unit=3: Unknown config key `model.unit`; did you mean "
            "`model.units`? Known keys in `model`: cell, units, dropout, encoder, "
            "attention",
            str(context.exception),
        )
        with self.assertRaisesRegex(ValueError, r"did you mean `training`\?"):
            config.apply_overrides({}, ["trainig.epochs=3"], Settings)
        # Through an optional nested dataclass, and into a dict[str, X] field.
        result = config.apply_overrides(
            {},
            ["model.attention.num_layers=2", "training.class_weight.pos=2"],
            Settings,
        )
        self.assertEqual(2, result["model"]["attention"]["num_layers"])
        self.assertEqual(2, result["training"]["class_weight"]["pos"])

    def test_override_type_errors_come_from_from_dict(self):
        path = os.path.join(self.get_temp_dir(), "s.toml")
        with open(path, "w", encoding="utf-8") as file:
            file.write(TOML)
        with self.assertRaisesRegex(
            ValueError,
            r"`model\.units` must be of type int, received: "
            r"model\.units='many' \(str\)",
        ):
            config.load(Settings, path, ["model.units=many"])


class WriteTest(TestCase):
    def test_dumps_round_trips(self):
        settings = dataclasses.replace(
            EXPECTED,
            name='a "quoted" name\twith\\ escapes, ünïcode 🙂 and \x01',
            model=dataclasses.replace(
                EXPECTED.model, attention=Encoder(3, True), dropout=0.1
            ),
            training=dataclasses.replace(
                EXPECTED.training,
                learning_rate=1e-20,
                clipnorm=math.inf,
                class_weight={"needs quotes": 1.0 / 3, "neg": -0.0},
            ),
        )
        text = config.dumps(settings)
        self.assertEqual(settings, config.loads(Settings, text))
        path = os.path.join(self.get_temp_dir(), "out", "settings.toml")
        config.dump(settings, path)
        self.assertEqual(settings, config.load(Settings, path))

    def test_dumps_layout(self):
        self.assertEqual(
            'name = "imdb"\n'
            "\n"
            "[training]\n"
            "epochs = 5\n"
            "learning_rate = 0.001\n"
            "batch_sizes = [16, 64]\n"
            "\n"
            "[training.class_weight]\n"
            "pos = 1.0\n"
            "neg = 2.5\n"
            "\n"
            "[data]\n"
            'path = "/data/imdb"\n'
            'columns = ["review", 1]\n'
            "splits = [0.8, 0.2]\n"
            "lowercase = true\n"
            "\n"
            "[model]\n"
            'cell = "lstm"\n'
            "units = 128\n"
            "dropout = 0.0\n"
            "\n"
            "[model.encoder]\n"
            "num_layers = 2\n"
            "bidirectional = false\n",
            config.dumps(EXPECTED),
        )

    def test_to_dict(self):
        self.assertEqual(
            {"num_layers": 2, "bidirectional": False}, config.to_dict(Encoder(2))
        )
        data = config.to_dict(EXPECTED)
        self.assertEqual([16, 64], data["training"]["batch_sizes"])
        self.assertNotIn("attention", data["model"])  # None: left out
        self.assertEqual(EXPECTED, config.from_dict(Settings, data))

    def test_none_that_would_not_read_back_is_an_error(self):
        @dataclasses.dataclass
        class Holder:
            value: int | None = 3

        with self.assertRaisesRegex(
            ValueError, r"`value` is None, which TOML cannot write"
        ):
            config.dumps(Holder(value=None))

    def test_empty_tables_and_inline_tables(self):
        data = {"a": {}, "b": [{"x": 1}, {}], "c": {"d": {"e": "f"}}}
        text = config.dumps(data)
        self.assertEqual(data, tomllib.loads(text))
        self.assertEqual('b = [{ x = 1 }, {}]\n\n[a]\n\n[c.d]\ne = "f"\n', text)
