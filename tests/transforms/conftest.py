"""Fixtures of the transform tests. The shared `world` (a loaded and transformed warehouse per
worker) lives in tests/conftest.py, so the report and dashboard tests reuse the same one."""

from tests.transforms.world import EVENTS_PER_DAY  # noqa: F401  (the PostgreSQL and Spark twins' volume)
