"""Stack facts: what each service of a merged stack RUNS, read from its own command, entrypoint,
environment, replicas, mounts, restart policy and file names, each fact with its file:line.

    read_stack(stack) -> {service: ServiceFacts}
    read_service(stack, name) -> ServiceFacts
    read_stack_facts(stack) -> StackFacts (the services, plus the target and usage of the stack)

Pure: no I/O beyond what the Stack already read. One module per program family (`python`, `jvm`,
`databases`, `llm`; `stack` for the compose file's own keys), the argv layer (`argv`) and the
value parsers in each program's units (`values`). Imports only composegen.compose, units, errors
and yamlio.
"""

from __future__ import annotations

from composegen.facts.model import Command, Fact, ServiceFacts, StackFacts, Status, Target, Unread, Usage, Value
from composegen.facts.read import read_service, read_stack, read_stack_facts

__all__ = [
    "Command",
    "Fact",
    "ServiceFacts",
    "StackFacts",
    "Status",
    "Target",
    "Unread",
    "Usage",
    "Value",
    "read_service",
    "read_stack",
    "read_stack_facts",
]
