"""The long-running front end: `podcast serve` with its schedule (:mod:`.service`), when builds
are due (:mod:`.schedule`, :mod:`.cron`), what `podcast status` and ``/healthz`` report
(:mod:`.status`) and the episode played aloud in the office (:mod:`.playback`). Like the CLI,
it only calls :mod:`podcast.pipeline`; it does no work itself.
"""
