"""The SQL examples in docs/analyst-guide.md run as written against the built tables."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "analyst-guide.md"
EXAMPLES = re.findall(r"```sql\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.S)


def test_the_guide_has_five_example_questions():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("sql", EXAMPLES, ids=[f"example{i + 1}" for i in range(len(EXAMPLES))])
def test_guide_example_runs_on_duckdb(world, sql):
    assert isinstance(world.query(sql), list)
