"""Runtimes with a heap: the JVM (`java` flags and the options variables), Node's old space, Go's
GOMEMLIMIT.

Settings: `heap_max`, `heap_initial`, `max_ram`, `code_cache_max`, `metaspace_max`, `direct_max`,
`stack_size` (bytes), `max_ram_percentage` (float), `container_support` (bool), `gc` (the collector a
`-XX:+Use...GC` flag picks: serial, parallel, g1, z, shenandoah, epsilon) for program `jvm`;
`max_old_space` (bytes) for `node`; `memory_limit` (bytes, or `off`) for `go`.
"""

from __future__ import annotations

from collections.abc import Sequence

from composegen.facts import values
from composegen.facts.argv import Word
from composegen.facts.context import Context, Readout, env_options
from composegen.facts.model import Fact, Unread
from composegen.facts.options import Option, fact, parse_options, table, unread_of

#: `-X` and `-XX:` options read: prefix -> (setting, parser). -XX:MaxHeapSize is -Xmx's long name.
#: https://docs.oracle.com/en/java/javase/21/docs/specs/man/java.html
_JVM_PREFIXES = (
    ("-Xmx", "heap_max", values.jvm_size),
    ("-Xms", "heap_initial", values.jvm_size),
    ("-XX:MaxHeapSize=", "heap_max", values.jvm_size),
    ("-XX:InitialHeapSize=", "heap_initial", values.jvm_size),
    ("-XX:MaxRAMPercentage=", "max_ram_percentage", values.decimal),
    ("-XX:MaxRAM=", "max_ram", values.jvm_size),
    ("-XX:ReservedCodeCacheSize=", "code_cache_max", values.jvm_size),
    ("-XX:MaxMetaspaceSize=", "metaspace_max", values.jvm_size),
    ("-XX:MaxDirectMemorySize=", "direct_max", values.jvm_size),
    ("-Xss", "stack_size", values.jvm_size),
)
_JVM_FLAGS: dict[str, tuple[str, bool | str]] = {
    "-XX:+UseContainerSupport": ("container_support", True),
    "-XX:-UseContainerSupport": ("container_support", False),
    "-XX:+UseSerialGC": ("gc", "serial"),
    "-XX:+UseParallelGC": ("gc", "parallel"),
    "-XX:+UseG1GC": ("gc", "g1"),
    "-XX:+UseZGC": ("gc", "z"),
    "-XX:+UseShenandoahGC": ("gc", "shenandoah"),
    "-XX:+UseEpsilonGC": ("gc", "epsilon"),
}
#: java launcher options that take the next word as their value.
_JAVA_VALUE_OPTIONS = frozenset({"-cp", "-classpath", "--class-path", "-p", "--module-path", "--add-modules"})

#: The options variables, in the order the JVM sees them (the last occurrence of an option wins):
#: JAVA_TOOL_OPTIONS is read by the VM before the command line; JDK_JAVA_OPTIONS is put before the
#: launcher's arguments (java man page, "Using the JDK_JAVA_OPTIONS Launcher Environment
#: Variable"); the images' own variables are put on the command line their start scripts build
#: (Tomcat's catalina.sh puts CATALINA_OPTS after JAVA_OPTS; Elasticsearch, OpenSearch and
#: Logstash put theirs after jvm.options; Kafka's KAFKA_HEAP_OPTS defaults to -Xmx1G -Xms1G when
#: unset; ZooKeeper's zkServer.sh puts SERVER_JVMFLAGS before JVMFLAGS); then the command line;
#: _JAVA_OPTIONS is read by the VM after the command line, so it wins over it
#: (https://github.com/openjdk/jdk/blob/master/src/hotspot/share/runtime/arguments.cpp,
#: `Arguments::parse_vm_init_args`: JAVA_TOOL_OPTIONS, command line, _JAVA_OPTIONS).
JVM_BEFORE_COMMAND = (
    "JAVA_TOOL_OPTIONS",
    "JDK_JAVA_OPTIONS",
    "JAVA_OPTS",
    "CATALINA_OPTS",
    "ES_JAVA_OPTS",
    "OPENSEARCH_JAVA_OPTS",
    "LS_JAVA_OPTS",
    "KAFKA_HEAP_OPTS",
    "KAFKA_OPTS",
    "SERVER_JVMFLAGS",
    "JVMFLAGS",
)
JVM_AFTER_COMMAND = ("_JAVA_OPTIONS",)


def _jvm_words(words: Sequence[Word], facts: list[Fact], unread: list[Word]) -> None:
    for word in words:
        text = word.text
        if text in _JVM_FLAGS:
            setting, value = _JVM_FLAGS[text]
            facts.append(Fact("jvm", setting, value, text, word.origin, word.via))
            continue
        for prefix, setting, parse in _JVM_PREFIXES:
            if text.startswith(prefix):
                facts.append(fact("jvm", setting, parse, text[len(prefix) :], word.cited(), word))
                break
        else:
            unread.append(word)


def _java_options(words: Sequence[Word]) -> tuple[list[Word], list[Word]]:
    """A `java` command's VM options (before `-jar`, `-m` or the main class) and the rest."""
    i = 0
    while i < len(words):
        text = words[i].text
        if text in ("-jar", "-m", "--module") or not text.startswith("-"):
            return list(words[:i]), list(words[i:])
        i += 2 if text in _JAVA_VALUE_OPTIONS else 1
    return list(words), []


def read_jvm(ctx: Context) -> Readout:
    facts: list[Fact] = []
    skipped: list[Word] = []
    for name in JVM_BEFORE_COMMAND:
        _jvm_words(env_options(ctx, name, facts), facts, skipped)
    unread: list[Unread] = []
    for words in ctx.words_of("jvm"):
        options, rest = _java_options(words)
        own: list[Word] = []
        _jvm_words(options, facts, own)
        unread.extend(unread_of("jvm", own + rest))
    for name in JVM_AFTER_COMMAND:
        _jvm_words(env_options(ctx, name, facts), facts, skipped)
    return Readout(facts, unread)


NODE = table((Option(("--max-old-space-size", "--max_old_space_size"), "max_old_space", values.mebibytes),))


def read_node(ctx: Context) -> Readout:
    """`--max-old-space-size=MiB` in NODE_OPTIONS (read before the command line's options, so the
    command line wins) and on the `node` command line, before the script.
    https://nodejs.org/api/cli.html#node_optionsoptions"""
    facts: list[Fact] = []
    unread: list[Unread] = []
    facts.extend(parse_options("node", env_options(ctx, "NODE_OPTIONS", facts), NODE).facts)
    for words in ctx.words_of("node"):
        at = next((i for i, w in enumerate(words) if not w.text.startswith("-")), len(words))
        parsed = parse_options("node", words[:at], NODE)
        facts.extend(parsed.facts)
        unread.extend(unread_of("node", parsed.unread + list(words[at:])))
    return Readout(facts, unread)


def read_go(ctx: Context) -> Readout:
    """GOMEMLIMIT: the Go runtime's soft memory limit. https://pkg.go.dev/runtime#hdr-Environment_Variables"""
    found = ctx.env_fact("go", "memory_limit", "GOMEMLIMIT", values.go_size)
    return Readout([found] if found else [], [])


READERS = (read_jvm, read_node, read_go)
