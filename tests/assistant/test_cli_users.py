"""`klimawissen users`: in-process through assistant.cli.main, and once as a real subprocess."""

import getpass
import io
import subprocess
import sys

import pytest

from assistant.accounts import Accounts
from assistant.audit import AuditLog
from assistant.cli import main
from assistant.sessions import Sessions
from tests.conftest import REPO, VENV_BIN
from tests.helpers import child_environment

PASSWORD = "Klimaneutral2035!"


@pytest.fixture
def config(tmp_path, settings):
    path = tmp_path / "klimawissen.toml"
    path.write_text(f'data_dir = "{settings.data_dir}"\n', encoding="utf-8")
    return path


@pytest.fixture
def users(config, monkeypatch, capsys):
    """Run `klimawissen --config … users ARGS`; returns (exit code, stdout, stderr)."""
    def run(*args, stdin=None):
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(["--config", str(config), "users", *args])
        out, err = capsys.readouterr()
        return code, out, err
    return run


def typed(monkeypatch, *answers):
    """getpass.getpass answers these in order, and must not be asked more often."""
    replies = list(answers)
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": replies.pop(0))
    return replies


def test_add_with_password_from_stdin_then_list(users, settings):
    code, out, _ = users("add", "Anna", "--role", "staff", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 0 and "Angelegt: anna (staff)" in out
    assert users("add", "bernd", "--role", "partner", "--password-stdin", stdin=PASSWORD + "\r\n")[0] == 0

    accounts = Accounts(settings.registry_path)
    assert accounts.authenticate("anna", PASSWORD).role == "staff"
    assert accounts.authenticate("bernd", PASSWORD).role == "partner"  # the line ending is not part of it

    code, out, _ = users("list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["anna", "staff"] and lines[1].split()[:2] == ["bernd", "partner"]
    assert lines[-1] == "2 Benutzer"
    assert PASSWORD not in out and "argon2" not in out
    assert [(e.actor, e.action, e.target) for e in AuditLog(settings.registry_path).recent()] == [
        ("cli", "user.add", "bernd"), ("cli", "user.add", "anna")]


def test_add_asks_for_the_password_twice(users, settings, monkeypatch):
    left = typed(monkeypatch, PASSWORD, PASSWORD)
    assert users("add", "anna", "--role", "staff")[0] == 0
    assert left == []
    assert Accounts(settings.registry_path).authenticate("anna", PASSWORD) is not None

    typed(monkeypatch, PASSWORD, PASSWORD + "x")
    code, _, err = users("add", "bernd", "--role", "partner")
    assert code == 2 and "stimmen nicht überein" in err
    assert Accounts(settings.registry_path).get("bernd") is None


def test_refusals_exit_with_2_and_a_german_message(users, settings):
    assert users("add", "anna", "--role", "staff", "--password-stdin", stdin=PASSWORD)[0] == 0

    code, out, err = users("add", "ANNA", "--role", "partner", "--password-stdin", stdin=PASSWORD)
    assert (code, out) == (2, "") and "gibt es schon" in err
    code, _, err = users("add", "carla", "--role", "partner", "--password-stdin", stdin="kurz\n")
    assert code == 2 and "mindestens 10 Zeichen" in err
    code, _, err = users("add", "carla meier", "--role", "partner", "--password-stdin", stdin=PASSWORD)
    assert code == 2 and "Benutzername" in err
    assert [u.username for u in Accounts(settings.registry_path).all()] == ["anna"]

    with pytest.raises(SystemExit) as exited:
        users("add", "carla", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    assert exited.value.code == 2


def test_password_change_ends_the_sessions(users, settings):
    users("add", "anna", "--role", "staff", "--password-stdin", stdin=PASSWORD)
    accounts, sessions = Accounts(settings.registry_path), Sessions(settings.registry_path, 3600)
    token = sessions.create(accounts.get("anna"))

    code, out, _ = users("password", "anna", "--password-stdin", stdin="ganz neues passwort\n")
    assert code == 0 and "1 Sitzungen beendet" in out
    assert sessions.lookup(token) is None
    assert accounts.authenticate("anna", PASSWORD) is None
    assert accounts.authenticate("anna", "ganz neues passwort") is not None

    code, _, err = users("password", "anna", "--password-stdin", stdin="kurz\n")
    assert code == 2 and "mindestens 10 Zeichen" in err
    code, _, err = users("password", "niemand", "--password-stdin", stdin=PASSWORD)
    assert code == 1 and "Keinen Benutzer niemand" in err


def test_remove_deletes_the_user_and_ends_the_sessions(users, settings):
    for name in ("anna", "bernd"):
        users("add", name, "--role", "staff", "--password-stdin", stdin=PASSWORD)
    accounts, sessions = Accounts(settings.registry_path), Sessions(settings.registry_path, 3600)
    anna = [sessions.create(accounts.get("anna")) for _ in range(2)]
    bernd = sessions.create(accounts.get("bernd"))

    code, out, _ = users("remove", "Anna")
    assert code == 0 and "Entfernt: anna (2 Sitzungen beendet)" in out
    assert accounts.get("anna") is None
    assert all(sessions.lookup(token) is None for token in anna)
    assert sessions.lookup(bernd).username == "bernd"
    assert AuditLog(settings.registry_path).recent(limit=1)[0].action == "user.remove"

    code, _, err = users("remove", "anna")
    assert code == 1 and "Keinen Benutzer anna" in err


def test_console_script_reads_the_password_from_stdin(tmp_path, settings):
    env = child_environment(data_dir=str(settings.data_dir))
    command = [str(VENV_BIN / "klimawissen"), "users", "add", "anna", "--role", "partner", "--password-stdin"]

    result = subprocess.run(command, input=PASSWORD + "\n", capture_output=True, text=True, env=env, cwd=REPO,
                            timeout=120)

    assert result.returncode == 0, result.stderr
    assert Accounts(settings.registry_path).authenticate("anna", PASSWORD).role == "partner"
