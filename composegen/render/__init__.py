"""Render a StackPlan into compose overlay text through the jinja2 templates, then validate it."""
