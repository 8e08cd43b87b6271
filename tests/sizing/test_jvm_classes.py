"""The class path composegen counts for a JVM application's metaspace bound (composegen.sizing.classes):
counted only where all of it is on the service's bind mounts; unknown, with the reason, elsewhere."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest

from composegen.sizing import classes
from composegen.sizing.inputs import BaseService


def jar_bytes(count: int, manifest: str | None = None, nested: dict[str, int] | None = None) -> bytes:
    """A jar of `count` class files, with a manifest and nested jars (stored, as Spring Boot's are)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as jar:
        if manifest is not None:
            jar.writestr("META-INF/MANIFEST.MF", manifest)
        for n in range(count):
            jar.writestr(f"com/example/C{n}.class", b"")
        for name, inner in (nested or {}).items():
            jar.writestr(zipfile.ZipInfo(name), jar_bytes(inner), compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()


#: (name, command, {host file: classes | text}, bind mounts, environment, classes or None, words in `why`)
CASES: list[tuple[str, Any, dict[str, Any], list[tuple[str, str]], dict[str, str], int | None, str]] = [
    ("-jar on a mount", "java -Xmx1g -jar /app/app.jar", {"app/app.jar": 120}, [("app", "/app")], {}, 120, "-jar"),
    (
        "the manifest's Class-Path, relative to the jar, continued on a second line",
        "java -jar /app/app.jar",
        {
            "app/app.jar": ("manifest", 10, "Manifest-Version: 1.0\r\nClass-Path: lib/a.jar li\r\n b/b.jar\r\n\r\n"),
            "app/lib/a.jar": 20,
            "app/lib/b.jar": 30,
        },
        [("app", "/app")],
        {},
        60,
        "",
    ),
    (
        "Spring Boot's nested jars",
        "java -jar /app/boot.jar",
        {"app/boot.jar": ("nested", 5, {"BOOT-INF/lib/spring.jar": 300, "BOOT-INF/lib/jackson.jar": 200})},
        [("app", "/app")],
        {},
        505,
        "",
    ),
    (
        "-cp with a folder of classes and a folder of jars (wildcard)",
        ["java", "-cp", "/srv/classes:/srv/lib/*", "com.example.Main"],
        {"srv/classes/com/example/Main.class": "", "srv/classes/com/example/Util.class": "", "srv/lib/x.jar": 7},
        [("srv", "/srv")],
        {},
        9,
        "the main class com.example.Main",
    ),
    (
        "the most specific mount holds the path",
        "java -cp /app/lib/*:/app/extra.jar Main",
        {"lib/one.jar": 4, "root/extra.jar": 6},
        [("root", "/app"), ("lib", "/app/lib")],
        {},
        10,
        "",
    ),
    (
        "a source file: the types it declares",
        "java -Xmx256m -cp /app /app/Catalogue.java",
        {"app/Catalogue.java": "public class Catalogue {\n record Item(int id) {}\n interface Api {}\n}\n"},
        [("app", "/app")],
        {},
        3,
        "the source file /app/Catalogue.java",
    ),
    (
        "a source file without -cp: the working directory is on its class path",
        "java /app/Catalogue.java",
        {"app/Catalogue.java": "class Catalogue {}\n"},
        [("app", "/app")],
        {},
        None,
        "working directory",
    ),
    (
        "CLASSPATH where no -cp is given",
        "java Main",
        {"app/app.jar": 11},
        [("app", "/app")],
        {"CLASSPATH": "/app/app.jar"},
        11,
        "",
    ),
    (
        "an agent in JAVA_TOOL_OPTIONS is counted too",
        "java -jar /app/app.jar",
        {"app/app.jar": 3, "app/agent.jar": 40},
        [("app", "/app")],
        {"JAVA_TOOL_OPTIONS": "-javaagent:/app/agent.jar=port=9404"},
        43,
        "",
    ),
    (
        "a class path entry the mount does not hold is skipped, as the JVM skips it",
        "java -cp /app/app.jar:/app/missing.jar Main",
        {"app/app.jar": 2},
        [("app", "/app")],
        {},
        2,
        "",
    ),
    ("a relative jar: the working directory is the image's", "java -jar app.jar", {}, [], {}, None, "relative"),
    ("a jar in the image", "java -jar /opt/app.jar", {"app/app.jar": 1}, [("app", "/app")], {}, None, "bind mount"),
    (
        "an agent in the image",
        "java -javaagent:/opt/otel.jar -jar /app/app.jar",
        {"app/app.jar": 1},
        [("app", "/app")],
        {},
        None,
        "/opt/otel.jar",
    ),
    ("a variable", "java -jar $APP_JAR", {}, [], {}, None, "variable"),
    ("no -cp: the working directory", "java com.example.Main", {}, [], {}, None, "working directory"),
    ("not java", "python app.py", {}, [], {}, None, "does not run java"),
    ("an unknown option before -jar", "java --frobnicate x -jar /app/a.jar", {}, [], {}, None, "before -jar"),
    ("an @argfile", "java @/app/args Main", {}, [], {}, None, "argfile"),
    ("a broken jar", "java -jar /app/app.jar", {"app/app.jar": "not a zip"}, [("app", "/app")], {}, None, "read"),
]


def make(tmp_path: Path, files: dict[str, Any]) -> None:
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, int):
            path.write_bytes(jar_bytes(content))
        elif isinstance(content, tuple) and content[0] == "manifest":
            path.write_bytes(jar_bytes(content[1], manifest=content[2]))
        elif isinstance(content, tuple):
            path.write_bytes(jar_bytes(content[1], nested=content[2]))
        else:
            path.write_text(content)


@pytest.mark.parametrize(
    ("name", "command", "files", "mounts", "env", "expected", "why"), CASES, ids=[c[0] for c in CASES]
)
def test_class_path_count(
    tmp_path: Path,
    name: str,
    command: Any,
    files: dict[str, Any],
    mounts: list[tuple[str, str]],
    env: dict[str, str],
    expected: int | None,
    why: str,
) -> None:
    make(tmp_path, files)
    base = BaseService(
        "app",
        command=tuple(command) if isinstance(command, list) else command,
        bind_mounts=tuple((str(tmp_path / host), target) for host, target in mounts),
        environment=env,
    )
    counted = classes.count(base)
    assert counted.classes == expected, counted.why
    assert why in counted.why


def test_counting_stops_at_its_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bounded work: past MOST_ENTRIES files and archive entries, the count is unknown (no bound written)."""
    make(tmp_path, {"app/big.jar": 50})
    monkeypatch.setattr(classes, "MOST_ENTRIES", 40)
    base = BaseService("app", command="java -jar /app/big.jar", bind_mounts=((str(tmp_path / "app"), "/app"),))
    counted = classes.count(base)
    assert counted.classes is None
    assert "more than 40" in counted.why


def test_a_manifest_that_names_itself_is_read_once(tmp_path: Path) -> None:
    """Class-Path loops end: each entry is counted once (linear in the entries)."""
    make(
        tmp_path,
        {
            "app/a.jar": ("manifest", 1, "Class-Path: b.jar a.jar\n"),
            "app/b.jar": ("manifest", 2, "Class-Path: a.jar\n"),
        },
    )
    base = BaseService("app", command="java -jar /app/a.jar", bind_mounts=((str(tmp_path / "app"), "/app"),))
    assert classes.count(base).classes == 3


def test_a_pipe_named_like_a_jar_is_not_read(tmp_path: Path) -> None:
    """A FIFO on the mount would block a reader: only regular files are opened."""
    (tmp_path / "app").mkdir()
    os.mkfifo(tmp_path / "app" / "app.jar")
    os.mkfifo(tmp_path / "app" / "lib.jar")
    base = BaseService("app", command="java -cp /app/app.jar:/app Main", bind_mounts=((str(tmp_path / "app"), "/app"),))
    assert classes.count(base).classes == 0


def test_a_damaged_nested_jar_makes_the_count_unknown(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    with zipfile.ZipFile(tmp_path / "app" / "boot.jar", "w") as jar:
        jar.writestr("BOOT-INF/lib/broken.jar", b"not a zip at all")
    base = BaseService("app", command="java -jar /app/boot.jar", bind_mounts=((str(tmp_path / "app"), "/app"),))
    counted = classes.count(base)
    assert counted.classes is None
    assert "could not read" in counted.why
