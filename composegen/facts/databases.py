"""Databases: PostgreSQL, MySQL/MariaDB, MongoDB, Redis/Valkey, ClickHouse server flags.

Settings: `shared_buffers`, `effective_cache_size`, `work_mem`, `maintenance_work_mem`,
`max_wal_size` (bytes), `max_connections`, `max_parallel_workers_per_gather`,
`max_parallel_maintenance_workers` (counts), `hash_mem_multiplier` (a ratio) (postgres);
`innodb_buffer_pool_size` (bytes), `max_connections`, `innodb_log_file_size` (bytes) (mysql);
`wiredtiger_cache` (bytes) (mongodb); `maxmemory` (bytes), `maxmemory_policy`, `appendonly`
(bool), `save` (str; "" disables snapshots) (redis);
`max_server_memory_usage` (bytes), `max_server_memory_usage_to_ram_ratio` (clickhouse); and
`config_file` (not read) for each.
"""

from __future__ import annotations

from collections.abc import Callable

from composegen.facts import values
from composegen.facts.argv import Word
from composegen.facts.context import Context, Readout, read_program
from composegen.facts.model import Fact, Unread, Value
from composegen.facts.options import Option, fact, parse_options, table, unread_of


def _pg(default_unit: int) -> Callable[[str], Value]:
    def parse(text: str) -> Value:
        return values.postgres_size(text, default_unit)

    return parse


#: The GUCs read, with the unit of a value written without one.
#: https://www.postgresql.org/docs/current/runtime-config-resource.html (shared_buffers: "taken as
#: blocks, that is BLCKSZ bytes, typically 8kB"; work_mem, maintenance_work_mem: "taken as
#: kilobytes"); runtime-config-wal.html (max_wal_size: "taken as megabytes");
#: runtime-config-query.html (effective_cache_size: "taken as blocks"); runtime-config-resource.html
#: (max_parallel_workers_per_gather, max_parallel_maintenance_workers: integers; hash_mem_multiplier:
#: a floating-point multiple of work_mem).
POSTGRES_SETTINGS: dict[str, Callable[[str], Value]] = {
    "shared_buffers": _pg(8 * values.KIB),
    "effective_cache_size": _pg(8 * values.KIB),
    "work_mem": _pg(values.KIB),
    "maintenance_work_mem": _pg(values.KIB),
    "max_wal_size": _pg(values.MIB),
    "max_connections": values.count,
    "max_parallel_workers_per_gather": values.count,
    "max_parallel_maintenance_workers": values.count,
    "hash_mem_multiplier": values.decimal,
}
#: `postgres -B n` is shared_buffers, `-N n` max_connections.
#: https://www.postgresql.org/docs/current/app-postgres.html
_POSTGRES_SHORT = {"-B": "shared_buffers", "-N": "max_connections"}


def _postgres_setting(name_value: str, raw: str, word: Word, facts: list[Fact], unread: list[Word]) -> None:
    name, eq, value = name_value.partition("=")
    name = name.strip().lower().replace("-", "_")  # GUC names: any case; `--shared-buffers` too
    if name == "config_file" and eq:
        facts.append(Fact("postgres", "config_file", value, raw, word.origin, word.via, "not-read"))
    elif name in POSTGRES_SETTINGS and eq:
        facts.append(fact("postgres", name, POSTGRES_SETTINGS[name], value, raw, word))
    elif name in POSTGRES_SETTINGS:
        facts.append(Fact("postgres", name, None, raw, word.origin, word.via, "unreadable"))
    else:
        unread.append(word._replace(text=raw))


def read_postgres(ctx: Context) -> Readout:
    """`postgres -c name=value`, `-cname=value`, `--name=value`, `-B`, `-N`: the last one wins (the
    server applies them in order). https://www.postgresql.org/docs/current/app-postgres.html"""
    facts: list[Fact] = []
    unread: list[Unread] = []
    for words in ctx.words_of("postgres"):
        skipped: list[Word] = []
        i = 0
        while i < len(words):
            word = words[i]
            text = word.text
            if text in ("-c", *_POSTGRES_SHORT) and i + 1 < len(words):
                nxt = words[i + 1]
                if text == "-c":
                    _postgres_setting(nxt.text, f"-c {nxt.text}", word, facts, skipped)
                else:
                    setting = _POSTGRES_SHORT[text]
                    facts.append(
                        fact("postgres", setting, POSTGRES_SETTINGS[setting], nxt.text, f"{text} {nxt.text}", word)
                    )
                i += 2
                continue
            if (text.startswith("-c") and len(text) > 2) or (text.startswith("--") and "=" in text):
                _postgres_setting(text[2:], text, word, facts, skipped)
            else:
                skipped.append(word)
            i += 1
        unread.extend(unread_of("postgres", skipped))
    return Readout(facts, unread)


#: mysqld options: `-` and `_` are the same in option names; sizes take K, M, G... suffixes.
#: https://dev.mysql.com/doc/refman/8.4/en/command-line-options.html
MYSQL = table(
    (
        Option(("--innodb-buffer-pool-size",), "innodb_buffer_pool_size", values.mysql_size),
        Option(("--max-connections",), "max_connections", values.count),
        Option(("--innodb-log-file-size",), "innodb_log_file_size", values.mysql_size),
        Option(("--defaults-file", "--defaults-extra-file"), "config_file", values.text, status="not-read"),
    )
)


def read_mysql(ctx: Context) -> Readout:
    return read_program(ctx, "mysql", MYSQL, underscores=True)


#: https://www.mongodb.com/docs/manual/reference/program/mongod/#std-option-mongod.--wiredTigerCacheSizeGB
MONGODB = table(
    (
        Option(("--wiredTigerCacheSizeGB",), "wiredtiger_cache", values.gigabytes),
        Option(("-f", "--config"), "config_file", values.text, status="not-read"),
    )
)


def read_mongodb(ctx: Context) -> Readout:
    return read_program(ctx, "mongodb", MONGODB)


#: The redis settings read. redis-server takes a config file as its first argument, then
#: `--name value...` pairs, each name's values running to the next `--` word, as if written in
#: the config file after it. https://redis.io/docs/latest/operate/oss_and_stack/management/config/
#: ("Passing arguments using the command line")
REDIS_SETTINGS: dict[str, tuple[str, Callable[[str], Value] | None]] = {
    "maxmemory": ("maxmemory", values.redis_size),
    "maxmemory-policy": ("maxmemory_policy", values.text),
    "appendonly": ("appendonly", values.yes_no),
    "save": ("save", None),
}


def read_redis(ctx: Context) -> Readout:
    facts: list[Fact] = []
    unread: list[Unread] = []
    for words in ctx.words_of("redis"):
        skipped: list[Word] = []
        i = 0
        if words and not words[0].text.startswith("--") and words[0].text != "-":
            first = words[0]
            facts.append(Fact("redis", "config_file", first.text, first.text, first.origin, first.via, "not-read"))
            i = 1
        while i < len(words):
            word = words[i]
            j = i + 1
            while j < len(words) and not words[j].text.startswith("--"):
                j += 1
            args = [w.text for w in words[i + 1 : j]]
            name = word.text[2:].lower() if word.text.startswith("--") else ""
            raw = " ".join([word.text, *(a if a else '""' for a in args)])
            if name in REDIS_SETTINGS:
                setting, parse = REDIS_SETTINGS[name]
                if parse is None:
                    facts.append(Fact("redis", setting, " ".join(args), raw, word.origin, word.via))
                elif len(args) == 1:
                    facts.append(fact("redis", setting, parse, args[0], raw, word))
                else:
                    facts.append(Fact("redis", setting, None, raw, word.origin, word.via, "unreadable"))
            else:
                skipped.extend(words[i:j])
            i = j
        unread.extend(unread_of("redis", skipped))
    return Readout(facts, unread)


#: clickhouse-server takes `--config-file`/`-C`, then, after `--`, any server setting as
#: `--name=value` overriding its config file; the official image's entrypoint passes a command that
#: starts with `--` to it. max_server_memory_usage is whole bytes (0: the ratio decides), the ratio
#: a fraction of the server's memory (default 0.9).
#: https://clickhouse.com/docs/operations/server-configuration-parameters/settings#max_server_memory_usage
#: https://github.com/ClickHouse/ClickHouse/blob/master/docker/server/entrypoint.sh
CLICKHOUSE = table(
    (
        Option(("--max_server_memory_usage",), "max_server_memory_usage", values.count),
        Option(("--max_server_memory_usage_to_ram_ratio",), "max_server_memory_usage_to_ram_ratio", values.decimal),
        Option(("-C", "--config-file", "--config"), "config_file", values.text, status="not-read"),
    )
)


def read_clickhouse(ctx: Context) -> Readout:
    """clickhouse-server's own options, then the settings after `--` (read alike: the last wins)."""
    facts: list[Fact] = []
    unread: list[Unread] = []
    for words in ctx.words_of("clickhouse"):
        parsed = parse_options("clickhouse", [w for w in words if w.text != "--"], CLICKHOUSE)
        facts.extend(parsed.facts)
        unread.extend(unread_of("clickhouse", parsed.unread))
    return Readout(facts, unread)


READERS = (read_postgres, read_mysql, read_mongodb, read_redis, read_clickhouse)
