"""From a tracked run to production: the model registry, the export, the serving runtime.

- ``registry``: registered models, their versions, stages, aliases, audit trail, lineage,
  and the model references (``"churn/3"``, ``"churn@Production"``) the rest resolve.
- ``runtime/``: the serving code copied into an exported package (imports nothing of ours).

Nothing is imported up front: ``import mlops_jupyter`` stays cheap.
"""
