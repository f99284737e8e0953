"""The scheduler's weekly report over HTTP (``GET /report?since=7d&format=…``)."""

from __future__ import annotations

from typing import Any

import httpx


class HttpReports:
    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        token: str | None = None,
        since: str = "7d",
    ) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.since = since
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def link(self) -> str:
        return f"{self.base_url}/report?since={self.since}&format=html"

    async def text(self, format: str) -> str:
        """Raises ``httpx.HTTPError`` when the scheduler is away or answers an error."""
        response = await self.client.get(
            f"{self.base_url}/report",
            params={"since": self.since, "format": format},
            headers=self.headers,
        )
        response.raise_for_status()
        return response.text

    async def figures(self) -> dict[str, Any]:
        response = await self.client.get(
            f"{self.base_url}/report",
            params={"since": self.since, "format": "json"},
            headers=self.headers,
        )
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body
