"""What a transform run did: per model, the rows it holds and the seconds it took."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass
class ModelRun:
    """One model's part of a run."""

    name: str
    materialized: str
    action: str
    """`built` (dbt ran it) or `skipped`."""
    rows: int | None
    """Rows in the table after the run (None for views, which are not counted)."""
    seconds: float


@dataclass
class TransformReport:
    """The outcome of `run_transforms`; `str()` renders it as a table for the CLI."""

    mode: str
    """`full`, `incremental`, or `noop` (nothing loaded since the last run)."""
    reason: str
    dialect: str
    days: list[date] = field(default_factory=list)
    models: list[ModelRun] = field(default_factory=list)
    seconds: float = 0.0

    def model(self, name: str) -> ModelRun:
        """The run of one model, by name."""
        return next(run for run in self.models if run.name == name)

    def __str__(self) -> str:
        built = [run for run in self.models if run.action != "skipped"]
        tables = [run for run in built if run.materialized != "view"]
        views = [run for run in built if run.materialized == "view"]
        days = f", {len(self.days)} day(s)" if self.mode == "incremental" else ""
        lines = [
            f"transforms: {self.mode} on {self.dialect} ({self.reason}{days}), "
            f"{len(built)} model(s) in {self.seconds:.2f}s"
        ]
        width = max((len(run.name) for run in tables), default=0)
        for run in tables:
            rows = run.rows or 0
            line = f"  {run.name:<{width}}  {run.materialized:<11}  {rows:>12,} rows"
            lines.append(f"{line}  {run.seconds:7.3f}s")
        if views:
            seconds = sum(run.seconds for run in views)
            lines.append(f"  {len(views)} view(s) created in {seconds:.3f}s")
        return "\n".join(lines)
