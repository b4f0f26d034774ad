"""Example job types, shipped in the layer so a fresh deployment has something to run.

They are examples, not part of the library: ``jobstream.examples.demo`` shows one job type per
way of reporting progress, and is the default ``Settings.job_registry``.
"""

from jobstream.examples.demo import registry

__all__ = ["registry"]
