"""The classes on a JVM application's class path, where composegen can see all of it: the count its
metaspace bound (-XX:MaxMetaspaceSize) rests on.

Paketo's memory calculator (paketo-buildpacks/libjvm, helper/memory_calculator.go) estimates the
classes a JVM loads as 35 % (ClassLoadFactor) of those the JVM and the application carry: the
JVM's own modules (BPI_JVM_CLASS_COUNT) plus every `.class`, `.clj`, `.groovy` and `.kts` file
under the application's folder, loose or in a jar (count/count_classes.go). A metaspace bound
below what the application loads stops it at start-up (`OutOfMemoryError: Metaspace`), so
composegen counts only where it sees the whole class path the command names:

- `java -jar X` (X and the jars its manifest's Class-Path names), `-cp`/`-classpath`/
  `--class-path` (folders, jars, `folder/*`), the module path, the `-javaagent:` jars (the
  command's and JAVA_TOOL_OPTIONS'), a source file (`java App.java`: the types it declares), else
  the CLASSPATH variable;
- each path in the container read on the host through the service's bind mounts; a jar's nested
  jars (Spring Boot's BOOT-INF/lib, a war's WEB-INF/lib) counted from their zip directories.

Unknown (None, with the reason) where any of it is not on a bind mount (baked into the image, or
in a build context: composegen does not read a Dockerfile's COPY lines, and a context's sources
say nothing of the jars a multi-stage build fetches), relative (the working directory is the
image's), named through a variable, unreadable, or more than composegen reads. The work is linear
in the entries read and bounded (MOST_ENTRIES, MOST_NESTED_BYTES).
"""

from __future__ import annotations

import os
import posixpath
import re
import shlex
import zipfile
import zlib
from collections import deque
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote

from composegen.sizing.inputs import BaseService

#: Paketo's class files (count/count_classes.go ClassExtensions).
CLASS_SUFFIXES = (".class", ".clj", ".groovy", ".kts")
ARCHIVE_SUFFIXES = (".jar", ".war", ".zip")
#: Files walked plus archive entries read, and bytes of nested jars read, before composegen stops
#: counting (a class path this large is declared: loaded_classes:).
MOST_ENTRIES = 500_000
MOST_NESTED_BYTES = 512 * 1024**2
MOST_MANIFEST_BYTES = 256 * 1024
MOST_SOURCE_BYTES = 4 * 1024**2
#: The options whose value is a class path or module path (java man page).
CLASS_PATH_OPTIONS = frozenset({"-cp", "-classpath", "--class-path"})
MODULE_PATH_OPTIONS = frozenset({"-p", "--module-path", "--upgrade-module-path"})
#: The launcher's other options that take the next word as their value.
VALUE_OPTIONS = frozenset(
    {
        "--add-modules",
        "--limit-modules",
        "--add-exports",
        "--add-opens",
        "--add-reads",
        "--patch-module",
        "--source",
        "--enable-native-access",
        "-d",
        "--describe-module",
    }
)
#: What reading a damaged, encrypted or unsupported archive raises (zipfile, zlib).
UNREADABLE = (OSError, zipfile.BadZipFile, ValueError, EOFError, NotImplementedError, RuntimeError, zlib.error)
#: A type a source file declares (an over-count where a comment or a string says `class X`: safe).
_DECLARED_TYPE = re.compile(rb"\b(?:class|interface|enum|record)\s+[A-Za-z_$]")


class ClassCount(NamedTuple):
    """The classes composegen counted on the class path (None: it cannot see all of it), and what
    it counted or why it could not."""

    classes: int | None
    why: str


class Unknown(Exception):
    """Part of the class path composegen cannot count (the message says which, and why)."""


def java_words(base: BaseService) -> list[str] | None:
    """The `java` command the service ends by running, as words (None: it runs no `java`)."""
    from composegen.sizing.detect import main_words  # lazy: detect imports the compose syntax

    words = main_words(base)
    if not words or posixpath.basename(words[0]) != "java":
        return None
    return words[1:]


class _Counter:
    """Counts class files on host paths, within the budget."""

    def __init__(self, mounts: tuple[tuple[str, str], ...]) -> None:
        # the deepest mount first: a path takes the most specific mount that holds it
        self.mounts = sorted(((posixpath.normpath(c), h) for h, c in mounts), key=lambda m: -len(m[0]))
        self.entries = 0
        self.nested_bytes = 0
        self.seen: set[str] = set()
        self.classes = 0

    def host(self, path: str) -> Path:
        """The host path a container path is bind-mounted from."""
        if "$" in path or "`" in path:
            raise Unknown(f"{path!r} is named through a variable")
        if not path.startswith("/"):
            raise Unknown(f"{path!r} is relative to the working directory, which is the image's")
        path = posixpath.normpath(path)
        for target, source in self.mounts:
            if path == target or path.startswith(target.rstrip("/") + "/"):
                return Path(source, posixpath.relpath(path, target))
        raise Unknown(f"{path} is not on a bind mount (the image's or a build's: composegen cannot read it)")

    def tick(self, entries: int = 1) -> None:
        self.entries += entries
        if self.entries > MOST_ENTRIES:
            raise Unknown(f"more than {MOST_ENTRIES:,} files and archive entries (composegen stops counting there)")

    def entry(self, path: str) -> list[str]:
        """Count one class path entry (a container path); return the container paths its manifest adds."""
        if path in self.seen:
            return []
        self.seen.add(path)
        self.tick()
        if path.endswith("/*"):  # every jar in the folder (java man page: class path wildcards)
            return self.folder_jars(path[:-2])
        host = self.host(path)
        try:
            if host.is_dir():
                self.folder(host)
                return []
            if not host.is_file():
                return []  # the JVM skips a class path entry that is not there (nor reads a pipe or a device)
            if host.name.lower().endswith(ARCHIVE_SUFFIXES):
                return self.archive(host, posixpath.dirname(path))
            if host.name.endswith(".java"):
                self.source(host)
            return []
        except UNREADABLE as error:
            raise Unknown(f"could not read {host}: {error}") from None

    def folder_jars(self, path: str) -> list[str]:
        host = self.host(path)
        added: list[str] = []
        try:
            names = sorted(child.name for child in host.iterdir()) if host.is_dir() else []
        except OSError as error:
            raise Unknown(f"could not read {host}: {error}") from None
        for name in names:
            self.tick()
            if name.lower().endswith(".jar"):
                added += self.entry(posixpath.join(path, name))
        return added

    def folder(self, host: Path) -> None:
        """Class files and archives under a folder (Paketo counts the jars in it too: an over-count)."""
        for root, dirs, files in os.walk(host, onerror=_raise):
            dirs.sort()
            self.tick(len(files) + len(dirs))
            for name in files:
                if name.endswith(CLASS_SUFFIXES):
                    self.classes += 1
                elif name.lower().endswith(ARCHIVE_SUFFIXES) and Path(root, name).is_file():
                    self.archive(Path(root, name), None)

    def archive(self, host: Path, container_dir: str | None) -> list[str]:
        """Classes in a jar and in the jars nested in it; the Class-Path of its manifest."""
        with zipfile.ZipFile(host) as jar:
            self.zip_classes(jar, nested=True)
            if container_dir is None:
                return []
            return [_joined(container_dir, item) for item in manifest_class_path(jar)]

    def zip_classes(self, jar: zipfile.ZipFile, *, nested: bool) -> None:
        infos = jar.infolist()
        self.tick(len(infos))
        for info in infos:
            name = info.filename
            if name.endswith(CLASS_SUFFIXES):
                self.classes += 1
            elif nested and name.lower().endswith(".jar") and not info.is_dir():
                self.nested_bytes += info.file_size
                if self.nested_bytes > MOST_NESTED_BYTES:
                    raise Unknown(f"more than {MOST_NESTED_BYTES // 1024**2} MiB of nested jars")
                with jar.open(info) as inner, zipfile.ZipFile(inner) as inner_jar:
                    self.zip_classes(inner_jar, nested=False)

    def source(self, host: Path) -> None:
        """A source file the launcher compiles: each type it declares is a class."""
        with host.open("rb") as handle:
            text = handle.read(MOST_SOURCE_BYTES + 1)
        if len(text) > MOST_SOURCE_BYTES:
            raise Unknown(f"{host} is over {MOST_SOURCE_BYTES // 1024**2} MiB")
        self.classes += len(_DECLARED_TYPE.findall(text))


def _raise(error: OSError) -> None:
    raise error


def _joined(container_dir: str, item: str) -> str:
    """A manifest Class-Path item (a URL relative to the jar's folder) as a container path."""
    item = unquote(item.removeprefix("file:"))
    return item if item.startswith("/") else posixpath.join(container_dir, item)


def manifest_class_path(jar: zipfile.ZipFile) -> list[str]:
    """The Class-Path items of a jar's META-INF/MANIFEST.MF (continuation lines joined)."""
    try:
        info = jar.getinfo("META-INF/MANIFEST.MF")
    except KeyError:
        return []
    if info.file_size > MOST_MANIFEST_BYTES:
        raise Unknown(f"its manifest is over {MOST_MANIFEST_BYTES // 1024} KiB")
    text = jar.read(info).decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    joined = text.replace("\n ", "")  # a manifest continues a line with a leading space
    for line in joined.split("\n"):
        key, _, value = line.partition(":")
        if key.strip().lower() == "class-path":
            return value.split()
    return []


class _Command(NamedTuple):
    entries: list[str]  # class path, module path, agent and source entries (container paths)
    what: str  # what the command runs, for the explanation


def _value(words: list[str], at: int) -> tuple[str, str, int]:
    """(option, value, next index) for `-cp X` and `--class-path=X`."""
    word = words[at]
    if "=" in word and word.startswith("--"):
        option, _, value = word.partition("=")
        return option, value, at + 1
    if at + 1 >= len(words):
        raise Unknown(f"{word} has no value")
    return word, words[at + 1], at + 2


def _command(words: list[str], environment: dict[str, str]) -> _Command:
    """The class path entries of `java` + `words` (JDK_JAVA_OPTIONS put before them, as the
    launcher does)."""
    try:
        words = [*shlex.split(environment.get("JDK_JAVA_OPTIONS", "")), *words]
    except ValueError:
        raise Unknown("JDK_JAVA_OPTIONS does not split into words") from None
    class_path: list[str] | None = None
    entries: list[str] = []
    at = 0
    while at < len(words) and words[at].startswith("-") and words[at] not in ("-jar", "-m", "--module"):
        word = words[at]
        option = word.split("=", 1)[0]
        if option in CLASS_PATH_OPTIONS | MODULE_PATH_OPTIONS:
            option, value, at = _value(words, at)
            if option in CLASS_PATH_OPTIONS:
                class_path = value.split(":")
            else:
                entries += value.split(":")
            continue
        if word.startswith("-javaagent:"):
            entries.append(word.removeprefix("-javaagent:").split("=", 1)[0])
        elif word.startswith("-Xbootclasspath/a:"):
            entries += word.removeprefix("-Xbootclasspath/a:").split(":")
        elif word.startswith("-Xbootclasspath/p:") or word.startswith("-Dloader.path="):
            raise Unknown(f"{option} adds classes composegen does not follow")
        at += 2 if option in VALUE_OPTIONS and "=" not in word else 1
    rest = words[at:]
    if any(word.startswith("@") for word in words[: at + 1]):
        raise Unknown("an @argfile holds part of the command")
    if not rest:
        raise Unknown("the java command names no main class, jar or source file")
    if rest[0] == "-jar":
        if len(rest) < 2:
            raise Unknown("-jar names no jar")
        return _Command([*entries, rest[1]], f"-jar {rest[1]}")
    if "-jar" in rest:
        raise Unknown(f"an option composegen does not know comes before -jar ({rest[0]!r})")
    if class_path is None:
        if "CLASSPATH" not in environment:
            raise Unknown("no -cp: the class path is the working directory, which is the image's")
        class_path = environment["CLASSPATH"].split(":")
    if rest[0] in ("-m", "--module"):
        return _Command([*entries, *class_path], "a module")
    if rest[0].endswith(".java"):
        return _Command([*entries, rest[0], *class_path], f"the source file {rest[0]}")
    return _Command([*entries, *class_path], f"the main class {rest[0]}")


def _agents(environment: dict[str, str]) -> list[str]:
    """The -javaagent jars JAVA_TOOL_OPTIONS adds (Paketo counts agents' classes too)."""
    try:
        words = shlex.split(environment.get("JAVA_TOOL_OPTIONS", ""))
    except ValueError:
        raise Unknown("JAVA_TOOL_OPTIONS does not split into words") from None
    return [w.removeprefix("-javaagent:").split("=", 1)[0] for w in words if w.startswith("-javaagent:")]


def count(base: BaseService) -> ClassCount:
    """The classes on the class path of the `java` command the service runs, where composegen sees
    all of it through the service's bind mounts; None and why where it does not."""
    words = java_words(base)
    if words is None:
        return ClassCount(None, "the command does not run java itself")
    environment = dict(base.environment)
    counter = _Counter(base.bind_mounts)
    try:
        command = _command(words, environment)
        queue = deque(entry for entry in (*_agents(environment), *command.entries) if entry)
        while queue:
            queue.extend(counter.entry(queue.popleft()))
    except Unknown as unknown:
        return ClassCount(None, f"composegen cannot count the class path: {unknown}")
    return ClassCount(counter.classes, f"{counter.classes:,} classes on the class path of {command.what}")
