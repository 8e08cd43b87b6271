"""What `docker stack deploy` does with each compose key: the data the Swarm target converts by.

Sources (cited, not guessed):
- docker/cli cli/compose/types/types.go: `UnsupportedProperties` (stack deploy prints "Ignoring
  unsupported options: ..." and deploys without them), `DeprecatedProperties` (ignored, with a
  note) and `ForbiddenProperties` (the deploy is refused).
- docker/cli cli/compose/schema/data/config_schema_v3.13.json, the schema docker 28's `stack
  deploy` and `stack config` validate against: every key outside it makes the deploy fail with
  "Additional property ... is not allowed".
- facts/compose-spec.md, "What compose v2 honours outside Swarm": the short tmpfs form is not
  converted (CG402), security_opt and shm_size are ignored, mem_limit / memswap_limit / cpuset are
  refused (CG403).
"""

from __future__ import annotations

#: Service keys the v3.13 schema accepts (x- extension keys are accepted too).
SERVICE_KEYS = frozenset(
    {
        "deploy", "build", "cap_add", "cap_drop", "cgroupns_mode", "cgroup_parent", "command", "configs",
        "container_name", "credential_spec", "depends_on", "devices", "dns", "dns_search", "domainname",
        "entrypoint", "env_file", "environment", "expose", "external_links", "extra_hosts", "healthcheck",
        "hostname", "image", "init", "ipc", "isolation", "labels", "links", "logging", "mac_address",
        "network_mode", "networks", "pid", "ports", "privileged", "read_only", "restart", "security_opt",
        "shm_size", "secrets", "sysctls", "stdin_open", "stop_grace_period", "stop_signal", "tmpfs", "tty",
        "ulimits", "user", "userns_mode", "volumes", "working_dir",
    }
)  # fmt: skip

#: Keys the schema accepts and stack deploy ignores (types.go UnsupportedProperties and
#: DeprecatedProperties), with what that means for the service.
IGNORED: dict[str, str] = {
    "build": "Swarm does not build: it runs `image`, which must be pushed where every node can pull it",
    "cgroupns_mode": "Swarm services take the daemon's cgroup namespace mode",
    "cgroup_parent": "Swarm services cannot choose their cgroup parent",
    "devices": "Swarm services cannot map devices",
    "domainname": "Swarm services cannot set a domain name",
    "external_links": "Swarm has no links: services find each other by name on their networks",
    "ipc": "Swarm services cannot share an IPC namespace",
    "links": "Swarm has no links: services find each other by name on their networks",
    "mac_address": "Swarm services cannot choose a MAC address",
    "network_mode": "Swarm services attach to networks, not to a network mode",
    "pid": "Swarm services cannot share a PID namespace",
    "privileged": "Swarm services cannot run privileged",
    "restart": "Swarm restarts by deploy.restart_policy (composegen writes it from the profile's restart)",
    "security_opt": "Swarm services run without these options (no-new-privileges and seccomp/apparmor "
    "profiles are not applied)",
    "userns_mode": "Swarm services cannot choose a user namespace mode",
    "container_name": "Swarm names each task itself; a fixed container name is not supported",
    "expose": "unnecessary under Swarm: services on one network reach each other on any port",
    "depends_on": "Swarm starts services in any order and waits for no condition (service_healthy, "
    "service_completed_successfully): each service must retry what it connects to",
}

#: Keys stack deploy refuses (types.go ForbiddenProperties), and what to use instead.
REFUSED: dict[str, str] = {
    "extends": "stack deploy does not resolve extends",
    "volume_driver": "define the volume under top-level volumes with its driver",
    "volumes_from": "share a named volume from top-level volumes instead",
    "cpu_quota": "Swarm takes deploy.resources.limits.cpus",
    "cpu_shares": "Swarm takes deploy.resources.limits.cpus",
    "cpuset": "Swarm cannot pin cores",
    "memswap_limit": "Swarm has no swap limit",
}

#: Legacy keys with a deploy.resources home, moved there (a value already in deploy wins).
MOVED: dict[str, tuple[str, str]] = {
    "mem_limit": ("limits", "memory"),
    "cpus": ("limits", "cpus"),
    "mem_reservation": ("reservations", "memory"),
    "pids_limit": ("limits", "pids"),
}

DEPLOY_KEYS = frozenset(
    {"mode", "endpoint_mode", "replicas", "labels", "rollback_config", "update_config", "resources",
     "restart_policy", "placement"}
)  # fmt: skip
RESOURCE_KEYS = {"limits": frozenset({"cpus", "memory", "pids"}), "reservations": frozenset({"cpus", "memory"})}
UPDATE_KEYS = frozenset({"parallelism", "delay", "failure_action", "monitor", "max_failure_ratio", "order"})
RESTART_KEYS = frozenset({"condition", "delay", "max_attempts", "window"})
PLACEMENT_KEYS = frozenset({"constraints", "preferences", "max_replicas_per_node"})
HEALTHCHECK_KEYS = frozenset({"disable", "interval", "retries", "test", "timeout", "start_period", "start_interval"})

#: Top-level keys the v3.13 schema accepts (x- extension keys too).
TOP_LEVEL_KEYS = frozenset({"version", "services", "networks", "volumes", "secrets", "configs"})
TOP_LEVEL_WHY: dict[str, str] = {
    "name": "the stack's name is the last argument of `docker stack deploy`",
    "include": "stack deploy does not include other files: composegen merged them in",
    "models": "Swarm has no models",
}

#: The mode Docker gives a tmpfs mount when none is set (docker run --mount type=tmpfs: 1777).
DEFAULT_TMPFS_MODE = 0o1777
