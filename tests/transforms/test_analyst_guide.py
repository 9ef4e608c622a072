"""The SQL examples in the README and docs/analyst-guide.md run as written against the built tables."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", ROOT / "docs" / "analyst-guide.md"]
EXAMPLES = [
    sql
    for doc in DOCS
    for sql in re.findall(r"```sql\n(.*?)```", doc.read_text(encoding="utf-8"), flags=re.S)
]


def test_the_readme_has_eight_example_questions():
    assert len(EXAMPLES) >= 8


@pytest.mark.parametrize("sql", EXAMPLES, ids=[f"example{i + 1}" for i in range(len(EXAMPLES))])
def test_guide_example_runs_on_duckdb(world, sql):
    assert isinstance(world.query(sql), list)
