"""Gateway steps: settings and restarts, the verification handshake, health and readiness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from pytest_bdd import given, parsers, then, when

from metasim.steps.targets.config import expand
from metasim.steps.targets.settings import Setting
from metasim.steps.vocabulary import CHANNEL, ENDPOINT, HANDSHAKE, SETTING
from metasim.steps.world import World


@given(parsers.parse('the gateway runs with the "{name}" setting'))
def runs_with_setting(world: World, name: str) -> None:
    """Restart the gateway (if needed) with a named setting, as the target maps it."""
    world.target.configure(world.target.setting(SETTING(name)).overrides())


@when(parsers.parse("Meta verifies the {channel} webhook with {variant}"))
def verify(world: World, channel: str, variant: str) -> None:
    """Send the GET handshake: right or wrong verify token, no token, no or other hub.mode."""
    world.handshake = world.target.handshake(CHANNEL(channel), HANDSHAKE(variant))


@then("the gateway answers 200 with the challenge")
def challenge_echoed(world: World) -> None:
    """The handshake got 200 and the exact hub.challenge as the body."""
    result = world.handshake
    assert result is not None, "no handshake was sent"
    assert result.status == 200 and result.body == result.expected_body, result.describe()


@then("the gateway refuses the handshake with 403")
def handshake_refused(world: World) -> None:
    """The handshake got 403, as Meta's sample does for anything but a valid subscribe."""
    result = world.handshake
    assert result is not None, "no handshake was sent"
    assert result.status == 403, result.describe()


@when(parsers.parse("the {endpoint} endpoint is requested"))
def request_endpoint(world: World, endpoint: str) -> None:
    """GET /health, /ready or /metrics."""
    world.response = world.target.endpoint(ENDPOINT(endpoint))


@then(parsers.parse("the endpoint answers {status:d}"))
def endpoint_status(world: World, status: int) -> None:
    """The last endpoint request got this HTTP status."""
    got = world.response
    assert got is not None, "no endpoint was requested"
    assert got.status_code == status, f"expected {status}, got {got.status_code}: {got.text[:200]}"


@then(parsers.parse('the endpoint body is "{text}"'))
def endpoint_body(world: World, text: str) -> None:
    """The last endpoint answer's body is exactly this text (surrounding whitespace ignored)."""
    assert world.response is not None, "no endpoint was requested"
    assert world.response.text.strip() == text, f"body was {world.response.text[:200]!r}"


@when("the gateway restarts")
def restart(world: World) -> None:
    """Stop and start the gateway with its current settings (the store is kept)."""
    world.target.require("restart")
    world.target.restart()


@when(parsers.parse('the gateway is started with the "{name}" setting'))
def start_with(world: World, name: str) -> None:
    """Restart the gateway with a named setting, noting whether it refused to start and why."""
    world.notes["start_error"] = world.target.try_configure(_apply(world, name))


@then("the gateway refuses to start, naming the setting's variables")
def refuses_to_start(world: World) -> None:
    """The gateway did not come up, and its error (or output) names every variable the target
    lists for that setting (``names``)."""
    error = world.notes.get("start_error")
    assert error, "the gateway started although its configuration is invalid"
    missing = _unnamed(world, error)
    assert not missing, f"the startup error does not name {missing}:\n{error}"


@when(parsers.parse('preflight runs with the "{name}" setting'))
def preflight(world: World, name: str) -> None:
    """Run the gateway's preflight check with a named setting on top of the suite's env."""
    world.notes["preflight"] = world.target.preflight(_apply(world, name))


@when("preflight runs with the suite's settings")
def preflight_baseline(world: World) -> None:
    """Run the gateway's preflight check with the suite's own (valid) configuration."""
    world.notes["preflight"] = world.target.preflight({})


@then(parsers.parse("preflight exits with {code:d}, naming the setting's variables"))
def preflight_names(world: World, code: int) -> None:
    """Preflight's exit code is this, and its output names every variable of the setting."""
    got_code, output = _preflight(world)
    assert got_code == code, f"preflight exited {got_code}, expected {code}:\n{output}"
    missing = _unnamed(world, output)
    assert not missing, f"preflight output does not name {missing}:\n{output}"


@then(parsers.parse("preflight exits with {code:d}"))
def preflight_exit(world: World, code: int) -> None:
    """Preflight's exit code is this."""
    got_code, output = _preflight(world)
    assert got_code == code, f"preflight exited {got_code}, expected {code}:\n{output}"


def _apply(world: World, name: str) -> dict[str, str | None]:
    """The target's overrides for named setting ``name``, noted for the checks that follow."""
    setting = world.target.setting(SETTING(name))
    world.notes["setting"] = setting
    return setting.overrides()


def _unnamed(world: World, text: str) -> list[str]:
    """The variables of the applied setting that ``text`` (an error, an output) does not name."""
    found = world.notes.get("setting")
    if not isinstance(found, Setting):
        raise AssertionError("no setting was applied yet: add a step naming one")
    return [name for name in found.names if name not in text]


def _preflight(world: World) -> tuple[int, str]:
    if "preflight" not in world.notes:
        raise AssertionError("preflight was not run yet: add 'When preflight runs with ...'")
    code, output = world.notes["preflight"]
    return int(code), str(output)


def _backup_dir(world: World) -> Path:
    world.target.require("backup")
    spec = world.target.config.backup
    assert spec is not None
    return Path(expand(spec.dir, world.target.placeholders()))


def _snapshot_name(world: World, days_ago: int) -> str:
    spec = world.target.config.backup
    assert spec is not None
    at = datetime.now(UTC) - timedelta(days=days_ago)
    return spec.name.replace("{stamp}", at.strftime("%Y%m%dT%H%M%SZ"))


@given(parsers.parse("backups taken {old:d} and {recent:d} days ago"))
def old_backups(world: World, old: int, recent: int) -> None:
    """Plant two snapshot files named as taken that many days ago in the backup folder."""
    folder = _backup_dir(world)
    folder.mkdir(parents=True, exist_ok=True)
    for days in (old, recent):
        name = _snapshot_name(world, days)
        (folder / name).write_bytes(b"")
        world.notes[f"snapshot-{days}"] = name


@when("the backup command runs")
def run_backup(world: World) -> None:
    """Run the target's backup command with the gateway's settings."""
    world.target.require("backup")
    spec = world.target.config.backup
    assert spec is not None
    world.notes["backup_before"] = set(p.name for p in _backup_dir(world).glob("*"))
    world.notes["backup"] = world.target.run_command(spec.command)


@then("the backup command exits 0 and a new snapshot exists")
def new_snapshot(world: World) -> None:
    """The backup command succeeded and wrote one more snapshot file."""
    code, output = world.note("backup", "When the backup command runs")
    assert code == 0, f"backup exited {code}:\n{output}"
    now = set(p.name for p in _backup_dir(world).glob("*"))
    fresh = now - world.note("backup_before", "When the backup command runs")
    assert fresh, f"no new file in {_backup_dir(world)}; output:\n{output}"


@then(parsers.parse("the snapshot from {days:d} days ago is pruned"))
def pruned(world: World, days: int) -> None:
    """The planted snapshot of that age is gone (older than the 7-day retention)."""
    name = world.note(f"snapshot-{days}", f"Given backups taken ... {days} ... days ago")
    assert not (_backup_dir(world) / name).exists(), f"{name} was kept"


@then(parsers.parse("the snapshot from {days:d} days ago is kept"))
def kept(world: World, days: int) -> None:
    """The planted snapshot of that age is still there (within the retention)."""
    name = world.note(f"snapshot-{days}", f"Given backups taken ... {days} ... days ago")
    assert (_backup_dir(world) / name).exists(), f"{name} was pruned"
