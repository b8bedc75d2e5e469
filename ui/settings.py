"""The chat server's settings: the core settings plus where and for whom the page is served."""

from __future__ import annotations

from pydantic import Field, SecretStr

from rag.settings import Settings


class UISettings(Settings):
    ui_host: str = "127.0.0.1"
    ui_port: int = 7860
    ui_user: str | None = None
    ui_password: str | None = None
    ui_allow_upload: bool = False  # uploads from other hosts without a login (see ui.access)
    upload_max_bytes: int = 20_000_000
    api_key: SecretStr | None = None  # Bearer token of /v1; see ui.access.check_api_key
    ui_examples: list[str] = Field(
        default_factory=list,
        description="example questions on the empty page (default: from the documents' titles)",
    )
