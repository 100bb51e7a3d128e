"""From a tracked run to production: the model registry, the export, the serving runtime.

- ``registry``: registered models, their versions, stages, aliases, audit trail, lineage,
  and the model references (``"churn/3"``, ``"churn@Production"``) the rest resolve.
- ``lineage``: where a version comes from (run, code, training data, environment, git).
- ``runtime/``: the serving code copied into an exported package (imports nothing of ours).

Nothing is imported up front: ``import mlops_jupyter`` stays cheap.
"""
