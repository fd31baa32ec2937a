"""The env source Settings.from_env reads: a given mapping, values trimmed, empty ones unset."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic_settings import BaseSettings, EnvSettingsSource


class MappingEnvSource(EnvSettingsSource):
    """pydantic-settings' env source over ``env`` (tests, preflight) instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]) -> None:
        self._given = env
        super().__init__(settings_cls, case_sensitive=True)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        # an empty or blank value counts as unset, as in docker-compose ${X:-}: the default
        # applies (env_ignore_empty alone would keep "  " and refuse it)
        return {k: v.strip() for k, v in self._given.items() if v is not None and v.strip()}
