"""Deploy: model registry, export of a servable package, and the serving runtime it carries.

``deploy/runtime/`` is not imported by the project: its files are copied into every exported
package (see ``deploy/runtime/README.md``).
"""
