"""Where the client keeps its server address and API token, and how the environment overrides them.

The file is ``$XDG_CONFIG_HOME/lid/config.json`` (``~/.config/lid/config.json`` by default), readable
by its owner only (0600): it holds a token that can submit on the team's behalf.
``LID_SERVER`` and ``LID_TOKEN`` override it, so CI jobs need no file at all.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SERVER = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class Settings:
    server: str
    token: str | None


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "lid" / "config.json"


def load_config() -> dict[str, str]:
    """The stored settings, or an empty dict when there is no (readable) file yet."""
    path = config_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


def save_config(data: dict[str, str]) -> Path:
    """Write the settings with mode 0600 from the start (never world-readable, not even briefly)."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def forget_config() -> None:
    path = config_path()
    if path.exists():
        path.unlink()


def normalise_server(url: str) -> str:
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = "http://" + url
    return url


def resolve_settings(server_option: str | None) -> Settings:
    """``--server`` beats ``LID_SERVER`` beats the file; ``LID_TOKEN`` beats the file.

    A stored token is only sent to the server it was issued by, so ``--server`` pointing elsewhere
    never leaks it.
    """
    stored = load_config()
    server = normalise_server(server_option or os.environ.get("LID_SERVER") or stored.get("server") or DEFAULT_SERVER)
    token = os.environ.get("LID_TOKEN") or None
    if token is None and stored.get("token") and normalise_server(stored.get("server", "")) == server:
        token = stored["token"]
    return Settings(server=server, token=token)
