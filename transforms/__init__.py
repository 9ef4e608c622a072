"""SQL transforms: the dbt project in `sql/`, run on the pipeline's destination.

Public surface: `run_transforms(pipeline, full_rebuild=..., company_domains=...)` runs `dbt build`
(full, incremental or not at all) and returns a printable `TransformReport`.
"""

from transforms.report import ModelRun, TransformReport
from transforms.runner import DEFAULT_COMPANY_DOMAINS, TransformFailed, build_docs, run_transforms

__all__ = [
    "DEFAULT_COMPANY_DOMAINS",
    "ModelRun",
    "TransformFailed",
    "TransformReport",
    "build_docs",
    "run_transforms",
]
