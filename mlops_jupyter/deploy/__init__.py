"""From a tracked run to production: the model registry, the export, the serving runtime.

- ``registry``: registered models, their versions, stages, aliases, audit trail, lineage,
  and the model references (``"churn/3"``, ``"churn@Production"``) the rest resolve.
- ``lineage``: where a version comes from (run, code, training data, environment, git).
- ``training_script``: ``train.py`` from a run's code slice, loading its stored training data.
- ``layout``: the exporter's side of the package format (which runtime files to copy,
  the input schema and reference profile written into the manifest).
- ``runtime/``: the serving code copied into an exported package. The project never
  imports it, and it imports nothing of ours (see ``deploy/runtime/README.md``).

Nothing is imported up front: ``import mlops_jupyter`` stays cheap.
"""
