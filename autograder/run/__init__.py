"""The run layer: where student code runs and how its observations come back.

The worker (the only place student code runs) and the zygote are run as files of their own, never
imported by the engine; the rest is the trusted side: the protocol, one sandbox spec, the runner,
the fork servers, control groups, the clock that tells a slow worker from a starved machine, and the
session that starts a run's workers and hands out their observations and the reference's.
"""
