"""SQL transforms: the dbt project in `sql/`, run on the pipeline's destination.

Public surface: `run_transforms(pipeline, full_rebuild=..., tuning=Tuning(...))` runs `dbt build`
(full, incremental or not at all) and returns a printable `TransformReport`.
"""

from transforms.report import ModelRun, TransformReport
from transforms.runner import TransformFailed, build_docs, run_transforms
from transforms.tuning import Tuning

__all__ = [
    "ModelRun",
    "TransformFailed",
    "TransformReport",
    "Tuning",
    "build_docs",
    "run_transforms",
]
