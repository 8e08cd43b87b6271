"""Render a StackPlan into compose overlay text (`layout`, written by `yamlio.dump`), then validate it."""
