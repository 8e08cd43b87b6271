"""python-web's memory per worker by web framework (bench/accuracy: a small flask app, a small
django project): the framework declared in composegen.yaml, else detected from the base service's
environment, command or image; a default, said to be one, where nothing tells."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from composegen.profiles.models import ServiceSpec
from composegen.sizing import python_web
from composegen.sizing.detect import detect_framework
from composegen.sizing.inputs import BaseService, ServiceInputs
from composegen.sizing.quantity import explain_lines
from composegen.units import MIB
from tests.conftest import make_profile


def base(image: str | None = None, command: str | None = None, **environment: str) -> BaseService:
    return BaseService(name="web", image=image, command=command, environment=environment)


def inputs(service: BaseService, **spec: Any) -> ServiceInputs:
    return ServiceInputs("web", "python-web", "test", ServiceSpec.model_validate(spec), service)


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        (base("acme/shop:1", "gunicorn app:app", DJANGO_SETTINGS_MODULE="shop.settings"),
         ("django", "DJANGO_SETTINGS_MODULE in the base environment")),
        (base("acme/api:1", "gunicorn app:app", FLASK_APP="app"), ("flask", "FLASK_APP in the base environment")),
        (base("blog-web:dev", "python manage.py runserver 0.0.0.0:8000"), ("django", "the command runs 'manage.py'")),
        (base("acme/shop:1", "gunicorn shop.wsgi:application -w 4"),
         ("django", "the command runs 'shop.wsgi:application'")),
        (base("acme/shop:1", "uvicorn shop.asgi:application"), ("django", "the command runs 'shop.asgi:application'")),
        (base("acme/api:1", "flask run --host 0.0.0.0"), ("flask", "the command runs 'flask'")),
        (base("ghcr.io/acme/django-shop:2.1", "gunicorn app:app"), ("django", "image name 'django-shop'")),
        (base("acme/api:1", "uvicorn main:app"), None),
        (base("acme/flasky:1"), None),  # a word of the name, not a part of one
        (base(), None),
    ],
)  # fmt: skip
def test_detect_framework(service: BaseService, expected: tuple[str, str] | None) -> None:
    assert detect_framework(service) == expected


def per_worker(service: BaseService, **spec: Any) -> tuple[float, str]:
    quantity = python_web.per_worker_memory(inputs(service, **spec), make_profile())
    return quantity.value, quantity.source


def test_each_framework_has_its_measured_figure() -> None:
    value, source = per_worker(base(command="gunicorn shop.wsgi:application"))
    assert value == 38 * MIB
    assert source == (
        "measured: bench/accuracy (docs/sizing.md §Measured): a small django app (framework detected: the "
        "command runs 'shop.wsgi:application'; declare memory_per_worker: for a heavier app)"
    )
    assert per_worker(base(command="flask run"))[0] == 22 * MIB
    # declared wins over what is detected; memory_per_worker over both
    value, source = per_worker(base(command="flask run"), framework="django")
    assert value == 38 * MIB and "framework composegen.yaml: services.web.framework" in source
    assert per_worker(base(command="flask run"), framework="django", memory_per_worker="300M")[0] == 300 * MIB


def test_an_unknown_framework_gets_a_default_that_says_so() -> None:
    value, source = per_worker(base("acme/api:1", "uvicorn main:app"))
    assert value == 38 * MIB  # the heaviest measured: short of memory, a worker is killed
    assert "framework not detected from the environment, command, image or dependency files: assumed" in source
    assert "the heaviest measured (flask 22 MiB: declare framework: or memory_per_worker:)" in source


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"requirements.txt": "gunicorn==23.0\n# serves api:app\n"}, "wsgi"),
        ({"requirements.txt": "-r base.txt\nDjango>=5.0  # the shop\ngunicorn\n"}, "django"),
        ({"pyproject.toml": '[project]\nname = "api"\ndependencies = [\n  "Flask>=3",\n  "gunicorn",\n]\n'}, "flask"),
        ({"requirements.txt": "gunicorn\npandas\n"}, None),  # heavier than a plain app: not known
        ({"README.md": "gunicorn"}, None),
    ],
)  # fmt: skip
def test_the_framework_from_the_dependency_files_composegen_can_see(
    tmp_path: Path, files: dict[str, str], expected: str | None
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    built = BaseService(name="web", command="gunicorn api:app", build_context=str(tmp_path))
    mounted = BaseService(name="web", command="gunicorn api:app", bind_mounts=((str(tmp_path), "/app"),))
    for service in (built, mounted):
        found = detect_framework(service)
        assert (found[0] if found else None) == expected
        if found:
            assert found[1].startswith(str(tmp_path))


def test_a_plain_wsgi_app_gets_its_measured_figure(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("gunicorn\n")
    value, source = per_worker(BaseService(name="web", command="gunicorn api:app", build_context=str(tmp_path)))
    assert value == 22 * MIB
    assert source.startswith("measured: bench/servers")


def test_a_framework_composegen_did_not_measure_is_refused() -> None:
    with pytest.raises(ValidationError, match="framework"):
        ServiceSpec.model_validate({"framework": "rails"})


def test_django_workers_and_preload() -> None:
    shop = base(command="gunicorn shop.wsgi:application", DJANGO_SETTINGS_MODULE="shop.settings")
    # 24 MiB arbiter + 4 × 38 MiB; with --preload the arbiter imports the app: 5 × 38 MiB
    assert python_web.size(inputs(shop, workers=4), make_profile()).memory.value == pytest.approx(176 * MIB * 1.2)
    preloaded = python_web.size(inputs(shop, workers=4, preload=True), make_profile())
    assert preloaded.memory.value == pytest.approx(190 * MIB * 1.2)


def test_runserver_is_one_process_and_its_autoreloader() -> None:
    dev = python_web.size(inputs(base(command="python manage.py runserver 0.0.0.0:8000")), make_profile())
    assert dev.extra["workers"].value == 1  # not (2 × cores) + 1
    assert dev.memory.value == pytest.approx(2 * 38 * MIB * 1.2)  # the autoreloader imports the project too
    text = "\n".join(explain_lines(dev.memory))
    assert "runserver's autoreloader (a parent process that imports the app too) = 38 MiB" in text
    assert "workers = 1  (Django's runserver serves from one process (a thread per request))" in text
    quiet = python_web.size(inputs(base(command="python manage.py runserver --noreload")), make_profile())
    assert quiet.memory.value == pytest.approx((24 + 38) * MIB * 1.2)  # the arbiter's figure: no app in it


@pytest.mark.parametrize(
    ("build", "folder"),
    [("./app", "app"), ({"context": "app", "dockerfile": "Dockerfile"}, "app"), ({"dockerfile": "Dockerfile"}, ".")],
)
def test_the_build_context_is_read_from_the_compose_file(tmp_path: Path, build: object, folder: str) -> None:
    from composegen.resolve import base_service

    (tmp_path / folder).mkdir(exist_ok=True)
    (tmp_path / folder / "requirements.txt").write_text("gunicorn\n")
    service = base_service("web", {"build": build, "command": "gunicorn api:app"}, tmp_path)
    assert service.build_context == str(tmp_path / folder)
    assert detect_framework(service) == (
        "wsgi",
        f"{tmp_path / folder / 'requirements.txt'} lists gunicorn and no web framework",
    )


def test_a_git_build_context_is_not_read(tmp_path: Path) -> None:
    from composegen.resolve import base_service

    assert base_service("web", {"build": "https://github.com/acme/api.git#main"}, tmp_path).build_context is None
