"""SQL transforms: the models in `sql/`, ordered by their references and run through dlt.

Public surface: `run_transforms(pipeline, full_rebuild=..., company_domains=...)` builds the
audit tables, marts and detections on the pipeline's destination and returns a printable
`TransformReport`; `list_models()` lists the models in build order.
"""

from transforms.models import Model, list_models
from transforms.report import ModelRun, TransformReport
from transforms.runner import DEFAULT_COMPANY_DOMAINS, run_transforms

__all__ = [
    "DEFAULT_COMPANY_DOMAINS",
    "Model",
    "ModelRun",
    "TransformReport",
    "list_models",
    "run_transforms",
]
