"""The sessions' pages through plain HTTP forms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI

from tests.factories import client_for, make_user

pytestmark = pytest.mark.anyio


def _form(day: str, **changes: str) -> dict[str, str]:
    return {
        "title": "Maths, class 4B",
        "description": "Fractions.",
        "day": day,
        "start": "10:00",
        "timezone": "UTC",
        "duration_minutes": "60",
        "capacity": "20",
        "mode": "in_person",
        "location": "Room 12",
        **changes,
    }


async def test_a_refused_edit_shows_the_form_again_with_the_reason(app: FastAPI) -> None:
    async with app.state.runtime.database() as db:
        organiser = await make_user(db, name="Ada")
    client, headers = await client_for(app, organiser.email)
    day = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    try:
        published = await client.post("/sessions", data=_form(day), headers=headers)
        assert published.status_code == 303, published.text
        page = published.headers["location"]
        # Moved into the past: refused, and the form comes back with the reason and the values.
        yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
        edited = await client.post(
            f"{page}/edit", data=_form(yesterday, title="Maths, moved"), headers=headers
        )
        assert edited.status_code == 422, edited.text
        assert "The session must start in the future." in edited.text
        assert 'value="Maths, moved"' in edited.text
        shown = await client.get(page)
        assert "Maths, class 4B" in shown.text and "Maths, moved" not in shown.text
    finally:
        await client.aclose()
