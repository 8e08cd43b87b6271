"""Model facts: the bundled catalog of architectures (catalog.py, catalog.json), their parameter
formulas (params.py), and what a local model folder or file says without loading weights (local.py)."""
