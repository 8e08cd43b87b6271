"""The typed shapes of a profile (profiles/*.yaml) and of a stack description (composegen.yaml).

A profile says how to size (margins, hardening, healthcheck pacing, tiers); composegen.yaml says
what runs (roles, counts, models, datasets, the host). Both are frozen and reject unknown keys.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer, model_validator

from composegen.profiles.types import ByteSize, Duration, EnvironmentName, EnvironmentValue, Params
from composegen.units import human_bytes

Role = Literal[
    "python-web",
    "worker",
    "pytest",
    "postgres",
    "redis",
    "clickhouse",
    "mysql",
    "mongo",
    "jvm",
    "kafka",
    "zookeeper",
    "elasticsearch",
    "proxy",
    "ml-inference",
    "llm",
    "agent",
    "generic",
]
ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]

Dtype = Literal["fp32", "fp16", "bf16", "int8", "int4"]
#: The web frameworks whose memory per worker composegen measured (bench/accuracy).
Framework = Literal["django", "flask", "wsgi"]
Target = Literal["compose", "swarm"]


#: Upper bounds of the counts composegen.yaml and profiles hold: far above any real stack, and low
#: enough that what is computed from them stays a size compose reads and a plan that fits in
#: memory (`workers: 1000000000000` made a memory limit compose refuses; `agents` of 10^12 made
#: a plan of 10^12 replicas, a MemoryError).
MAX_WORKERS = 1024  # processes, or threads, in one container
MAX_REPLICAS = 10_000  # containers of one service (and agents of one container)
MAX_AGENTS = MAX_REPLICAS  # agents of one service: a replica each by default
MAX_CONNECTIONS = 1_000_000
MAX_KEYS = 10**12  # keys in one Redis: its own limit is 2^32 per hash, far more per database
MAX_BATCH = 65_536
MAX_TOKENS = 10_000_000  # a sequence or context length
MAX_SEQUENCES = 100_000
MAX_TESTS = 10_000_000
MAX_KV_BYTES_PER_TOKEN = 1024**3
MAX_CLASSES = 10_000_000  # classes one JVM loads (a large application: tens of thousands)


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- profiles --------------------------------------------------------------------------------


class MemoryPolicy(Frozen):
    margin: float = Field(1.2, ge=1.0, le=4.0, description="Limit = estimated peak × margin")
    reservation_ratio: float | None = Field(
        None, gt=0, le=1.0, description="Reservation = limit × ratio; none when unset"
    )
    minimum: ByteSize = Field(32 * 1024**2, description="No limit below this")
    # Not an input of the overlay (only `watch` reads it): excluded from model_dump, so the render
    # digest does not move.
    maximum: ByteSize | None = Field(
        None,
        exclude=True,
        description="`composegen watch --auto-adjust` never raises a limit above this (default: twice the limit)",
    )


class CpuPolicy(Frozen):
    limits: bool = Field(True, description="Write cpus limits")
    default: float = Field(1.0, gt=0, description="Cores for a role with no better estimate")


class HealthcheckPolicy(Frozen):
    interval: Duration = 10.0
    timeout: Duration = 5.0
    retries: int = Field(5, ge=1)
    start_interval: Duration | None = Field(2.0, description="Probe pace during start_period")
    startup_margin: float = Field(1.5, ge=1.0, description="start_period = expected startup × margin")
    minimum_start_period: Duration = 10.0


class TmpfsPolicy(Frozen):
    data_dirs: bool = Field(False, description="Put database data dirs on tmpfs (counted in the limit)")
    dataset_factor: float = Field(2.0, ge=1.0, description="tmpfs size = dataset × factor (indexes, WAL, temp files)")
    minimum: ByteSize = 64 * 1024**2


class HardeningPolicy(Frozen):
    read_only: bool = False
    tmp_size: ByteSize = Field(64 * 1024**2, description="Size of the tmpfs /tmp a read-only root gets")
    no_new_privileges: bool = False
    user: str | None = Field(None, description="Run as this user where the role allows it")
    cap_drop: tuple[str, ...] = ()


class LoggingPolicy(Frozen):
    driver: str = "json-file"
    max_size: str = "10m"
    max_file: int = Field(3, ge=1)
    compress: bool = False


class NetworkPolicy(Frozen):
    name: str | None = Field(
        None,
        description="A fixed network name; leave it out so that each compose project gets its own "
        "(two stacks with one fixed name share a network)",
    )
    mtu: int | None = Field(None, ge=576, le=65535)
    internal: bool = False


class MonitoringPolicy(Frozen):
    warn: float = Field(0.8, gt=0, lt=1)
    critical: float = Field(0.9, gt=0, le=1)
    label_prefix: str = "composegen"
    # Alert rules only (`composegen export alerts`), not inputs of the overlay: excluded from
    # model_dump, so the render digest does not move.
    cpu: float = Field(0.8, gt=0, le=1, exclude=True, description="CPU alert: usage above this share of the limit")
    pending: Duration = Field(300.0, exclude=True, description="How long a condition holds before an alert fires")
    leak_window: Duration = Field(3600.0, exclude=True, description="Leak alert: the range predict_linear fits")
    leak_horizon: Duration = Field(
        86400.0, exclude=True, description="Leak alert: fires when memory would reach the limit within this"
    )


class ScaleRule(Frozen):
    """One HorizontalPodAutoscaler scaling policy: change by `value` pods or percent per `period`."""

    type: Literal["Pods", "Percent"]
    value: int = Field(ge=1)
    period: Duration = Field(15.0, gt=0, le=1800)


class ScaleBehavior(Frozen):
    stabilization_window: Duration = Field(0.0, ge=0, le=3600)
    select: Literal["Max", "Min", "Disabled"] = "Max"
    policies: tuple[ScaleRule, ...] = ()


class AutoscalingPolicy(Frozen):
    """`composegen export k8s`: a HorizontalPodAutoscaler for each stateless service."""

    cpu: float = Field(0.7, gt=0, le=1, description="Target average CPU as a share of the CPU limit")
    memory: float = Field(0.8, gt=0, le=1, description="Target average memory as a share of the memory limit")
    max_replicas_factor: float = Field(3.0, ge=1, description="maxReplicas = replicas × this, rounded up")
    scale_up: ScaleBehavior = ScaleBehavior(
        policies=(ScaleRule(type="Percent", value=100), ScaleRule(type="Pods", value=4))
    )
    scale_down: ScaleBehavior = ScaleBehavior(
        stabilization_window=300.0, policies=(ScaleRule(type="Percent", value=100),)
    )


class Tier(Frozen):
    """`composegen export env`: one deployment size; its inputs replace composegen.yaml's."""

    description: str = ""
    host: HostSpec | None = Field(None, description="The host of this tier (the fit check)")
    workers: int | None = Field(None, ge=1, le=MAX_WORKERS, description="Workers of every service that runs workers")
    replicas: int | None = Field(None, ge=1, le=MAX_REPLICAS, description="Replicas of every stateless service")
    agents: int | None = Field(None, ge=1, le=MAX_AGENTS, description="Agents of every service that runs agents")


class RolePolicy(Frozen):
    """Per-role numbers a profile chooses: a role's baseline when composegen.yaml gives none."""

    memory: ByteSize | None = Field(None, description="Baseline working set of one instance")
    cpus: float | None = Field(None, gt=0)
    startup: Duration | None = Field(None, description="Expected time to healthy")


class AgentTier(Frozen):
    up_to: int | None = Field(description="Highest agent count of this tier; null for the last")
    memory: ByteSize
    cpus: float = Field(gt=0)


class AgentPolicy(Frozen):
    tiers: tuple[AgentTier, ...] = ()
    stagger: Duration = Field(0.0, description="Start agents spread over this window")
    connections_per_agent: float = Field(1.0, ge=0)
    update_parallelism: int = Field(10, ge=1)
    update_delay: Duration = 10.0

    @model_validator(mode="after")
    def _tiers_ascend(self) -> AgentPolicy:
        bounds = [t.up_to for t in self.tiers]
        if any(b is None for b in bounds[:-1]):
            raise ValueError("only the last agent tier may have up_to: null")
        numbers = [b for b in bounds if b is not None]
        if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
            raise ValueError("agent tiers must be listed in ascending up_to order")
        return self


class MLPolicy(Frozen):
    gunicorn_timeout: Duration = 120.0
    max_requests: int = Field(0, ge=0, description="Recycle a worker after this many requests (0: off)")
    max_requests_jitter: int = Field(0, ge=0)
    model_cache_volume: bool = True
    cache_path: str = "/root/.cache/huggingface"


class PytestPolicy(Frozen):
    mode: str = "ci"
    collection_timeout: Duration = 300.0
    execution_timeout: Duration = 1800.0


#: The policy of a role a profile does not name: every number left to the calculator.
_NO_ROLE_POLICY = RolePolicy()


class Profile(Frozen):
    name: str
    description: str = ""
    extends: str | None = None
    target: Target = "compose"
    memory: MemoryPolicy = MemoryPolicy()
    cpu: CpuPolicy = CpuPolicy()
    pids: int | None = Field(None, ge=1, description="pids limit per container")
    healthcheck: HealthcheckPolicy = HealthcheckPolicy()
    tmpfs: TmpfsPolicy = TmpfsPolicy()
    hardening: HardeningPolicy = HardeningPolicy()
    logging: LoggingPolicy | None = None
    restart: Literal["no", "always", "on-failure", "unless-stopped"] | None = None
    network: NetworkPolicy | None = None
    monitoring: MonitoringPolicy | None = None
    environment: dict[str, dict[EnvironmentName, EnvironmentValue]] = Field(
        default_factory=dict,
        description="Environment by role; the keys `all` and `python` reach every / every Python service",
    )
    roles: dict[Role, RolePolicy] = Field(default_factory=dict)
    agents: AgentPolicy = AgentPolicy()
    ml: MLPolicy = MLPolicy()
    pytest: PytestPolicy | None = None
    # Inputs of `composegen export`, not of the overlay: excluded from model_dump (render digest).
    autoscaling: AutoscalingPolicy | None = Field(None, exclude=True, description="HPA for export k8s")
    tiers: dict[str, Tier] = Field(default_factory=dict, exclude=True, description="Tiers for export env")

    def role(self, role: str) -> RolePolicy:
        """The profile's numbers for `role`; none chosen (all None) for a role it does not name.
        (Asked for every service a calculator sizes: a look-up, and one frozen empty policy.)"""
        found = self.roles.get(role)  # type: ignore[call-overload]  # any text: no policy for an unknown role
        return _NO_ROLE_POLICY if found is None else found


# --- composegen.yaml ---------------------------------------------------------------------------


class ModelRef(Frozen):
    name: str | None = Field(
        None, description="A model composegen knows: a name `composegen models` lists (Hugging Face id or alias)"
    )
    params: Params | None = Field(None, description="Parameter count, for a model it does not know")
    path: str | None = Field(
        None,
        description="A model on disk, relative to composegen.yaml: a Hugging Face folder or cache, a .safetensors "
        "or .gguf file; its params, dtype and KV cache are read from its headers (`composegen models inspect`)",
    )
    dtype: Dtype = Field("fp32", description="The weights' dtype (for a path: the checkpoint's, unless given)")
    kv_bytes_per_token: int | None = Field(
        None, gt=0, le=MAX_KV_BYTES_PER_TOKEN, description="LLM KV cache bytes per token (fp16)"
    )

    @model_validator(mode="after")
    def _named_or_sized(self) -> ModelRef:
        if self.name is None and self.params is None and self.path is None:
            raise ValueError("a model needs a name, params or path")
        return self

    @model_serializer(mode="wrap")
    def _no_path_unsaid(self, handler: SerializerFunctionWrapHandler) -> Any:
        """A model without a path dumps as it did before `path` existed: render digests stay put."""
        data = handler(self)
        if isinstance(data, dict) and data.get("path") is None:
            data.pop("path", None)
        return data


class ServiceSpec(Frozen):
    role: Role | None = Field(None, description="Overrides the role detected from image or command")
    memory: ByteSize | None = Field(None, description="Declared working set: used instead of the estimate")
    cpus: float | None = Field(None, gt=0)
    workers: int | None = Field(None, ge=1, le=MAX_WORKERS)
    threads: int | None = Field(None, ge=1, le=MAX_WORKERS)
    preload: bool | None = None
    memory_per_worker: ByteSize | None = None
    framework: Framework | None = Field(
        None,
        description="The web framework a python-web service runs, for its memory per worker (detected from the "
        "environment, command, image or dependency files when not declared); wsgi: a plain WSGI app",
    )
    agents: int | None = Field(None, ge=1, le=MAX_AGENTS)
    agents_per_replica: int = Field(1, ge=1, le=MAX_REPLICAS)
    replicas: int | None = Field(None, ge=0, le=MAX_REPLICAS)
    models: tuple[ModelRef, ...] = ()
    batch: int = Field(1, ge=1, le=MAX_BATCH)
    sequence_length: int = Field(512, ge=1, le=MAX_TOKENS)
    context_length: int | None = Field(None, ge=1, le=MAX_TOKENS)
    concurrent_sequences: int | None = Field(None, ge=1, le=MAX_SEQUENCES)
    dataset: ByteSize | None = None
    connections: int | None = Field(None, ge=0, le=MAX_CONNECTIONS)
    startup: Duration | None = None
    tests: int | None = Field(None, ge=0, le=MAX_TESTS, description="Tests collected (pytest runners)")
    persistence: bool | None = Field(None, description="Redis RDB/AOF persistence")
    keys: int | None = Field(
        None,
        ge=0,
        le=MAX_KEYS,
        description="Keys a Redis holds, or znodes a ZooKeeper holds: each costs memory beside its value",
    )
    value_size: ByteSize | None = Field(
        None, description="Typical size of a Redis value: the dataset ÷ this is the key count, when keys is not given"
    )
    loaded_classes: int | None = Field(
        None,
        ge=1,
        le=MAX_CLASSES,
        description="Classes a JVM application loads (`jcmd <pid> VM.classloader_stats` or `jstat -class <pid>`: "
        "Loaded, at its busiest): composegen writes -XX:MaxMetaspaceSize from it; without it, from the class "
        "path it can count on the service's bind mounts, else it writes no metaspace bound",
    )
    direct_memory: ByteSize | None = Field(
        None,
        description="Direct buffer memory a JVM application uses at most (NIO, Netty's pools): written as "
        "-XX:MaxDirectMemorySize and counted; without it the JVM's own bound, the heap's maximum, is counted",
    )
    environment: dict[EnvironmentName, EnvironmentValue] = Field(default_factory=dict)

    @model_serializer(mode="wrap")
    def _jvm_inputs_unsaid(self, handler: SerializerFunctionWrapHandler) -> Any:
        """A service without the JVM's inputs dumps as it did before they existed: render digests stay put."""
        data = handler(self)
        if isinstance(data, dict):
            for key in ("loaded_classes", "direct_memory"):
                if data.get(key) is None:
                    data.pop(key, None)
        return data


class GpuSpec(Frozen):
    """The host's GPUs: how many, and the memory of each (given, or by the model's name)."""

    count: int = Field(1, ge=1, le=64, description="GPUs on the host")
    model: str | None = Field(None, description="The GPUs' model (H100, A100-40GB, L4, RTX 4090, ...)")
    memory: ByteSize | None = Field(None, description="Memory of each GPU (else the model's, from composegen's table)")

    @property
    def memory_each(self) -> int:
        """Bytes of one GPU: `memory`, else the table's for `model` (the validator saw to it)."""
        if self.memory is not None:
            return self.memory
        from composegen.gpu_table import gpu_memory

        return gpu_memory(self.model or "") or 0

    @model_validator(mode="after")
    def _sized(self) -> GpuSpec:
        if self.memory is None:
            from composegen.gpu_table import GPU_MEMORY, gpu_memory

            if self.model is None:
                raise ValueError("give the GPUs' memory (memory: 24G) or their model (model: L4)")
            if gpu_memory(self.model) is None:
                raise ValueError(
                    f"composegen does not know the GPU {self.model!r}: give its memory (memory: 24G) "
                    f"or name one of {', '.join(sorted(GPU_MEMORY))}"
                )
        return self


class HostSpec(Frozen):
    memory: ByteSize
    cpus: float = Field(gt=0)
    reserve: ByteSize = Field(1024**3, description="Memory kept for the host itself")
    gpus: GpuSpec | None = Field(None, description="The host's GPUs (their memory is apart from `memory`)")

    @model_serializer(mode="wrap")
    def _no_gpus_unsaid(self, handler: SerializerFunctionWrapHandler) -> Any:
        """A host without GPUs dumps as it did before `gpus` existed: render digests stay put."""
        data = handler(self)
        if isinstance(data, dict) and data.get("gpus") is None:
            data.pop("gpus", None)
        return data

    def source(self, key: str, where: str = "composegen.yaml") -> str:
        """Where host.KEY came from: `WHERE: host.KEY` when composegen.yaml sets it (WHERE the
        file:line, where known), else that it is composegen's default."""
        if key in self.model_fields_set:
            return f"{where}: host.{key}"
        return f"composegen's default: composegen.yaml sets no host.{key}"

    def kind(self, key: str) -> Literal["declared", "default"]:
        """The kind of host.KEY's source (see `source`): declared, or composegen's default."""
        return "declared" if key in self.model_fields_set else "default"

    @model_validator(mode="after")
    def _room_beside_the_reserve(self) -> HostSpec:
        if self.memory <= self.reserve:
            raise ValueError(
                f"memory {human_bytes(self.memory)} leaves nothing for containers beside the reserve "
                f"{human_bytes(self.reserve)} kept for the host itself "
                "(give the host's whole memory, or a smaller reserve)"
            )
        return self


Usage = Literal["dev", "pytest", "prod"]
LintSeverity = Literal["error", "warning", "info", "off"]
RuleRef = str  # a rule code (CG101), name (memory-limit-missing), code prefix (CG1) or ALL


class LintSettings(Frozen):
    """`lint:` in composegen.yaml, the same keys as `[tool.composegen.lint]` in pyproject.toml
    (composegen.lint.config reads both and checks rule codes and options against the rules)."""

    select: tuple[RuleRef, ...] | None = Field(None, description="Rules to run (default: all)")
    enable: tuple[RuleRef, ...] | None = Field(None, description="Another name for select")
    ignore: tuple[RuleRef, ...] | None = Field(None, description="Rules not to run")
    disable: tuple[RuleRef, ...] | None = Field(None, description="Another name for ignore")
    severity: dict[RuleRef, LintSeverity] | None = Field(None, description="Severity per rule; off skips it")
    options: dict[RuleRef, dict[str, Any]] | None = Field(None, description="Options per rule")
    per_service: dict[str, tuple[RuleRef, ...]] | None = Field(
        None, description="Rules not applied to a service: {web: [CG101]}"
    )
    fail_on: Literal["error", "warning", "info"] | None = Field(
        None, description="Exit 1 on findings of this severity or above (default: error)"
    )
    usage: Usage | None = Field(None, description="How the stack is used (default: the top-level usage)")
    target: Target | None = Field(None, description="compose, or swarm for `docker stack deploy`")


class Project(Frozen):
    compose_files: tuple[str, ...] = Field(("docker-compose.yml",), min_length=1)
    host: HostSpec | None = None
    services: dict[str, ServiceSpec] = Field(default_factory=dict)
    # Not inputs of the overlay: excluded from model_dump, so the render digest does not move.
    usage: Usage | None = Field(
        None, exclude=True, description="How the stack is used: lint severities follow it (dev, pytest, prod)"
    )
    lint: LintSettings | None = Field(None, exclude=True, description="Lint settings (see docs/rules.md)")
    profiles: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        exclude=True,  # the resolved profile is in the render digest; its source text need not be
        description="Profiles of this project, by name: each a profile (`extends: pytest`, ...) that "
        "`--profile NAME` finds before the bundled ones",
    )
