"""In-graph decoding: greedy, beam search and temperature / top-k sampling."""

from kerasseq.samplers.beam_sampler import BeamSampler
from kerasseq.samplers.greedy_sampler import GreedySampler
from kerasseq.samplers.random_sampler import RandomSampler
from kerasseq.samplers.sampler import Sampler
from kerasseq.samplers.serialization import get

__all__ = [
    "BeamSampler",
    "GreedySampler",
    "RandomSampler",
    "Sampler",
    "get",
]
