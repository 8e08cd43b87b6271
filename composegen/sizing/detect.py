"""Role detection: which calculator sizes a service that composegen.yaml does not describe.

Rules are data, checked in order: images first (a database image running a custom command is
still that database), then commands. The first match wins and names itself, so `explain` can say
"detected from image 'postgres:16.4' (rule: postgres)".
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from composegen.compose.syntax import image_name
from composegen.sizing.inputs import BaseService

if TYPE_CHECKING:
    from composegen.masking import StackSecrets


class Rule(NamedTuple):
    """A detection rule: the role, and the image or command pattern that gives it.

    `words` are the names the pattern looks for, as plain text: a rule whose words are not in
    the text cannot match, and its pattern is not even compiled (`re` compiles each one once,
    when first used: a lint run asks a few rules about a few images)."""

    role: str
    source: str  # the regular expression
    words: tuple[str, ...]

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(self.source)


def _words(alternatives: str) -> tuple[str, ...]:
    words = tuple(word.replace(r"\.", ".") for word in alternatives.split("|"))
    assert not any("\\" in word for word in words), "only \\. is escaped in the rules"
    return words


def _image(role: str, names: str) -> Rule:
    # the image's repository name, after any registry and namespace, before the tag
    return Rule(role, rf"^(?:{names})(?:[-_.][\w.-]*)?$", _words(names))


def _image_matches(rule: Rule, name: str) -> bool:
    """`rule.pattern.match(name)` for an image rule (`_image`), without compiling the pattern (a
    lint run meets many images): one of its names, then nothing, or `-`, `_` or `.` and word
    characters, dots and dashes (`\\w` is what `str.isalnum` or `_` is; `$` matches before a last
    newline too)."""
    for word in rule.words:
        if name.startswith(word):
            rest = name[len(word) :]
            rest = rest[:-1] if rest.endswith("\n") else rest
            if not rest or (rest[0] in "-_." and all(c.isalnum() or c in "_.-" for c in rest[1:])):
                return True
    return False


def _command(role: str, words: str) -> Rule:
    return Rule(role, rf"(?:^|[\s/\"'=])(?:{words})(?:$|[\s\"':])", _words(words))


IMAGE_RULES: tuple[Rule, ...] = (
    _image("postgres", r"postgres|postgis|timescaledb|pgvector|timescaledb-ha"),
    _image("redis", r"redis|valkey|keydb|redis-stack-server"),
    _image("clickhouse", r"clickhouse|clickhouse-server"),
    _image("mysql", r"mysql|mariadb|percona|percona-server"),
    _image("mongo", r"mongo|mongodb|mongodb-community-server"),
    # Kafka's own tools (Connect workers, the REST proxy, UIs) are JVM programs, not brokers
    _image(
        "jvm",
        r"cp-kafka-connect|cp-server-connect|cp-kafka-rest|kafka-connect|kafka-rest|kafka-ui|kafka-manager|kafdrop",
    ),
    _image("kafka", r"kafka|cp-kafka|cp-server|redpanda"),
    _image("zookeeper", r"zookeeper|cp-zookeeper"),
    _image("elasticsearch", r"elasticsearch|opensearch"),
    _image("proxy", r"nginx|nginx-unprivileged|openresty|traefik|haproxy|caddy|envoy"),
    _image("llm", r"ollama|vllm-openai|vllm|text-generation-inference|llama\.cpp|llama-cpp-python|localai"),
    _image(
        "jvm",
        r"cassandra|keycloak|tomcat|jenkins|sonarqube|openjdk|eclipse-temurin|amazoncorretto|"
        r"flink|spark|solr|neo4j|nexus3|schema-registry|cp-schema-registry|temporal",
    ),
)

COMMAND_RULES: tuple[Rule, ...] = (
    _command("pytest", r"pytest|py\.test"),
    _command("worker", r"celery|rq|rqworker|dramatiq|arq|huey_consumer"),
    _command("python-web", r"gunicorn|uvicorn|hypercorn|daphne|granian|runserver|flask"),
    _command("jvm", r"java"),
)


def command_text(base: BaseService) -> str:
    parts: list[str] = []
    for value in (base.entrypoint, base.command):
        if isinstance(value, str):
            parts.append(value)
        elif value:
            parts.extend(value)
    return " ".join(parts)


#: Web frameworks, by what a base compose file shows of them: the settings variable each one reads,
#: then its command-line tools and Django's startproject layout (`<project>/wsgi.py` holding
#: `application`), then a word of the image name. The first match wins. Patterns as text, compiled
#: (by `re`, once) only when a python-web service is sized: lint imports this module.
FRAMEWORK_ENVIRONMENT: tuple[tuple[str, str], ...] = (("django", "DJANGO_SETTINGS_MODULE"), ("flask", "FLASK_APP"))
FRAMEWORK_COMMANDS: tuple[tuple[str, str], ...] = (
    ("django", r"(?:^|[\s/\"'=])(manage\.py|django-admin|runserver|[\w.]+\.[wa]sgi:application)(?:$|[\s\"'])"),
    ("flask", r"(?:^|[\s/\"'=])(flask)(?:$|[\s\"'])"),
)


def detect_framework(base: BaseService) -> tuple[str, str] | None:
    """(framework, reason) of a python web service, or None when nothing in the base says."""
    for framework, variable in FRAMEWORK_ENVIRONMENT:
        if variable in base.environment:
            return framework, f"{variable} in the base environment"
    text = command_text(base)
    for framework, pattern in _framework_patterns() if text else ():
        found = pattern.search(text)
        if found:
            return framework, f"the command runs {found.group(1)!r}"
    name = image_name(base.image) if base.image else ""
    words = _name_words(name)
    for framework, _ in FRAMEWORK_COMMANDS:
        if framework in words:
            return framework, f"image name {name!r}"
    return requirements_framework(base)


@functools.cache
def _framework_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """FRAMEWORK_COMMANDS compiled, once (each python-web service of a stack is searched)."""
    return tuple((framework, re.compile(pattern)) for framework, pattern in FRAMEWORK_COMMANDS)


@functools.lru_cache(maxsize=64)  # a stack's services share a few images
def _name_words(name: str) -> frozenset[str]:
    """The words of an image's name, between `-`, `_` and `.`."""
    return frozenset(re.split(r"[-_.]", name))


#: The dependency files read for a service's framework, in its build context and in the host
#: folders mounted into it (its code), and the most of each that is read.
DEPENDENCY_FILES = ("requirements.txt", "pyproject.toml")
DEPENDENCY_BYTES = 256 * 1024
#: A project that depends on nothing but these serves a plain WSGI app (no web framework).
PLAIN_WSGI = frozenset({"gunicorn", "packaging", "setuptools", "wheel", "pip"})
#: A requirement's and a pyproject dependency's name, at a line's start (patterns as text, compiled
#: by `re` when a dependency file is first read)
_REQUIREMENT = r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)"
_PYPROJECT_DEPENDENCY = r"^\s*[\"']([A-Za-z0-9][A-Za-z0-9._-]*)"


def dependencies(text: str, file_name: str) -> frozenset[str]:
    """The distributions a requirements.txt or a pyproject.toml lists (names, normalised)."""
    if file_name == "pyproject.toml":
        block = re.search(r"^dependencies\s*=\s*\[(.*?)\]", text, re.MULTILINE | re.DOTALL)
        names = re.findall(_PYPROJECT_DEPENDENCY, block.group(1), re.MULTILINE) if block else []
    else:
        names = re.findall(_REQUIREMENT, text, re.MULTILINE)
    return frozenset(re.sub(r"[-_.]+", "-", n).lower() for n in names)


def requirements_framework(base: BaseService) -> tuple[str, str] | None:
    """(framework, reason) from the dependency files composegen can see: the build context's and
    those of the host folders mounted into the service. Django or Flask where one lists it, a
    plain WSGI app where they list gunicorn and nothing heavier; None where none says."""
    folders = [base.build_context] if base.build_context else []
    folders += [host for host, _ in base.bind_mounts]
    for folder in folders:
        for file_name in DEPENDENCY_FILES:
            path = Path(folder) / file_name
            try:
                with path.open(encoding="utf-8", errors="replace") as handle:
                    listed = dependencies(handle.read(DEPENDENCY_BYTES), file_name)
            except OSError:
                continue
            for framework in ("django", "flask"):
                if framework in listed:
                    return framework, f"{path} lists {framework}"
            if "gunicorn" in listed and listed <= PLAIN_WSGI:
                return "wsgi", f"{path} lists gunicorn and no web framework"
    return None


#: Image roles whose server is a JVM its image starts through a script (kafka-server-start.sh,
#: zkServer.sh): a command that runs `java` itself runs another JVM program, with its own heap.
JVM_SERVER_ROLES = frozenset({"kafka", "zookeeper"})


def main_words(base: BaseService) -> list[str] | None:
    """The words of the command the service ends by running, read the way composegen.facts reads
    every command: entrypoint + command split as compose splits them, wrappers and `sh -c`
    scripts looked through, the script's last command. None where it does not split."""
    from composegen.compose.syntax import SyntaxProblem  # lazy: only for a JVM server's image
    from composegen.facts.argv import split_value
    from composegen.facts.stack import last_command

    def listed(value: str | tuple[str, ...] | None) -> str | list[str] | None:
        return list(value) if isinstance(value, tuple) else value

    try:
        words = [
            *split_value(listed(base.entrypoint), None, "entrypoint"),
            *split_value(listed(base.command), None, "command"),
        ]
    except SyntaxProblem:
        return None
    return [word.text for word in last_command(words)]


def main_program(base: BaseService) -> str | None:
    """The program the service ends by running (composegen.facts' reader name, `jvm` for `java`)."""
    from composegen.facts.argv import PROGRAMS, basename

    main = main_words(base)
    return PROGRAMS.get(basename(main[0])) if main else None


@functools.lru_cache(maxsize=256)  # a stack's services share a few images
def decided_by_image(image: str | None) -> bool:
    """Whether `detect` gives a service with this image the same answer whatever it runs and
    sets: an image rule names it, and not a JVM server's (whose command may run java instead)."""
    name = image_name(image) if image else ""
    rule = image_rule(name) if name and "$" not in name else None
    return rule is not None and rule.role not in JVM_SERVER_ROLES


@functools.lru_cache(maxsize=256)  # a stack's services share a few images
def image_rule(name: str) -> Rule | None:
    """The first of IMAGE_RULES that names the image `name` (`image_name`'s), if one does."""
    for rule in IMAGE_RULES:
        if name.startswith(rule.words) and _image_matches(rule, name):
            return rule
    return None


@functools.cache
def _mentions(rule: Rule) -> re.Pattern[str]:
    """Any of a command rule's words, anywhere: where none is, its pattern cannot match."""
    return re.compile("|".join(re.escape(word) for word in rule.words))


def detect(base: BaseService, secrets: StackSecrets | None = None) -> tuple[str, str]:
    """(role, reason) for a service from its image and command; the reason never quotes one of
    `secrets` (the stack's, see Stack.secret_values) or what looks like a secret. What the command
    runs wins over a JVM server's image name: `java ...` on a ZooKeeper image is a JVM program."""
    name = image_name(base.image) if base.image else ""
    rule = image_rule(name) if name and "$" not in name else None
    if rule is not None:
        if rule.role in JVM_SERVER_ROLES and main_program(base) == "jvm":
            return "jvm", (
                f"the command runs java, not the {rule.role} server image {base.image!r} starts "
                f"(image name {name!r}): sized as a JVM program, its own -Xmx sets the heap"
            )
        return rule.role, f"detected from image {base.image!r} (image name {name!r})"
    text = command_text(base)
    what = f"image {base.image!r}" if base.image else "a build with no image name"
    if not text:
        return "generic", f"default: no rule matched {what}"
    from composegen.masking import mask, service_secrets  # lazy: a lint of image-only services skips it

    # the reason is printed in the overlay and by explain: never a password from the command
    shown = mask(text, service_secrets(secrets, base.environment))
    for rule in COMMAND_RULES:
        found = rule.pattern.search(text) if _mentions(rule).search(text) else None
        if found:
            word = found.group(0).strip(" /\"'=:")
            return rule.role, f"detected from command {shown[:60]!r} (runs {word!r})"
    return "generic", f"default: no rule matched {what} or command {shown[:40]!r}"
