"""The role → calculator registry. Each calculator is a pure function of (inputs, profile)."""

from __future__ import annotations

from collections.abc import Callable

from composegen.profiles.models import Profile
from composegen.sizing import (
    agent,
    clickhouse,
    elasticsearch,
    generic,
    jvm,
    llm,
    ml,
    mongo,
    mysql,
    postgres,
    proxy,
    pytest_runner,
    python_web,
    redis,
    worker,
)
from composegen.sizing.model import ServiceInputs, Sizing

Calculator = Callable[[ServiceInputs, Profile], Sizing]

CALCULATORS: dict[str, Calculator] = {
    "python-web": python_web.size,
    "worker": worker.size,
    "pytest": pytest_runner.size,
    "postgres": postgres.size,
    "redis": redis.size,
    "clickhouse": clickhouse.size,
    "mysql": mysql.size,
    "mongo": mongo.size,
    "jvm": jvm.size,
    "kafka": jvm.size_kafka,
    "zookeeper": jvm.size_zookeeper,
    "elasticsearch": elasticsearch.size,
    "proxy": proxy.size,
    "ml-inference": ml.size,
    "llm": llm.size,
    "agent": agent.size,
    "generic": generic.size,
}
