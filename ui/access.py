"""Who may reach the page: the optional login, and the warning for an exposed server."""

from __future__ import annotations

import ipaddress

from ui.settings import UISettings


def login(settings: UISettings) -> tuple[str, str] | None:
    """The (user, password) pair from settings, or None; half a login is a mistake."""
    if settings.ui_user and settings.ui_password:
        return settings.ui_user, settings.ui_password
    if settings.ui_user or settings.ui_password:
        raise ValueError("set both RAG_UI_USER and RAG_UI_PASSWORD to require a login")
    return None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def upload_allowed(settings: UISettings) -> bool:
    """Uploading is on for loopback, behind a login, or where a setting turns it on."""
    return is_loopback(settings.ui_host) or bool(login(settings)) or settings.ui_allow_upload


def check_api_key(settings: UISettings) -> None:
    """The API reads the documents as the page does: when the page needs a login or is
    reachable from other machines, the API needs a key (ValueError without one)."""
    if settings.api_key or (is_loopback(settings.ui_host) and not login(settings)):
        return
    why = "a login is configured" if login(settings) else f"{settings.ui_host} is not loopback"
    raise ValueError(f"set RAG_API_KEY: the /v1 API needs a key when {why}")


def exposure_warning(settings: UISettings) -> str | None:
    if is_loopback(settings.ui_host) or login(settings):
        return None
    uploads = (
        "Uploading is ON (RAG_UI_ALLOW_UPLOAD): anyone can also add and remove documents."
        if settings.ui_allow_upload
        else "Uploading is off (RAG_UI_ALLOW_UPLOAD=true would turn it on for anyone)."
    )
    return (
        f"WARNING: serving on {settings.ui_host}, reachable from other machines, WITHOUT a login. "
        "Anyone who can reach this port can read your documents. Set RAG_UI_USER and "
        f"RAG_UI_PASSWORD, or serve on 127.0.0.1. {uploads}"
    )
