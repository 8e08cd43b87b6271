"""`composegen export`: the numbers the calculators derived, for other engines and monitors.

- `k8s`: Kubernetes manifests (Deployments / StatefulSets, Services, HPAs) from the plan;
- `env_tiers`: an overlay whose limits read variables, and one `.env.<tier>` per tier;
- `alerts`: Prometheus alert rules against each service's planned limits.

None of them derives a number: they read `composegen.render.overlay.plan` (the ServicePlan of
every service and the merged base stack) and lay it out for their target.
"""
