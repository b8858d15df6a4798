"""The common app (its database lookups registered when the apps are ready), and what the
installed apps declare in modules of an agreed name (`nav`, `roles`)."""

from collections.abc import Iterator
from importlib import import_module
from types import ModuleType

from django.apps import AppConfig, apps


class CommonConfig(AppConfig):
    name = "common"

    def ready(self):
        from . import db  # noqa: F401  (registers its lookups, for every query)


def app_modules(name: str) -> Iterator[tuple[AppConfig, ModuleType]]:
    """Each installed app that has a `name` module, with that module."""
    for app_config in apps.get_app_configs():
        try:
            module = import_module(f"{app_config.name}.{name}")
        except ModuleNotFoundError as exc:
            # Only a missing module means the app declares nothing; a broken import is a bug.
            if exc.name != f"{app_config.name}.{name}":
                raise
            continue
        yield app_config, module
