"""Names and configs → samplers, so a config can say `sampler = "beam"`."""

import difflib

import keras

from kerasseq.samplers.beam_sampler import BeamSampler
from kerasseq.samplers.greedy_sampler import GreedySampler
from kerasseq.samplers.random_sampler import RandomSampler
from kerasseq.samplers.sampler import Sampler

_SAMPLERS = {
    "beam": BeamSampler,
    "greedy": GreedySampler,
    "random": RandomSampler,
}


def get(identifier, **kwargs) -> Sampler:
    """Returns a sampler from a name, a serialized config or an instance.

    Args:
        identifier: A `Sampler` (returned as is), one of the names
            `"greedy"`, `"beam"`, `"random"` (case-insensitive), or a dict
            from `keras.saving.serialize_keras_object(sampler)`.
        **kwargs: Constructor arguments used with a name, such as
            `beam_width=4`.

    Returns:
        A `kerasseq.samplers.Sampler`.

    Raises:
        ValueError: If the name is unknown, or `kwargs` come with something
            other than a name.

    Example:

    >>> from kerasseq import samplers
    >>> samplers.get("beam", beam_width=2).get_config()
    {'beam_width': 2, 'length_penalty': 0.0, 'num_results': 1}
    """
    if isinstance(identifier, Sampler) and not kwargs:
        return identifier
    if isinstance(identifier, dict) and not kwargs:
        sampler = keras.saving.deserialize_keras_object(identifier)
        if isinstance(sampler, Sampler):
            return sampler
    if isinstance(identifier, str):
        key = identifier.lower()
        if key in _SAMPLERS:
            return _SAMPLERS[key](**kwargs)
        close = difflib.get_close_matches(key, list(_SAMPLERS), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"Unknown `sampler`: received sampler={identifier!r}. Known "
            f"samplers: {sorted(_SAMPLERS)}.{hint}"
        )
    raise ValueError(
        "`sampler` must be a sampler name, a serialized sampler or a Sampler "
        "(constructor arguments go with a name only), received: "
        f"sampler={identifier!r}"
    )
