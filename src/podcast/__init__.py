"""podcast: a daily spoken broadcast of new AI research papers, published as a podcast feed.

Stages: sources → select → write → speak → produce → publish, strung together in
:mod:`podcast.pipeline`; the CLI in :mod:`podcast.cli` is a thin front end.
"""

__version__ = "0.1.0"
