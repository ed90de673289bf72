"""Every page names the site's icon, and /favicon.ico answers for the tools that ask for it anyway."""

from __future__ import annotations

from chronology.extensions import db
from tests.factories import login, make_school, make_user


def test_favicon_ico_answers_with_the_icon_without_signing_in(client):
    with client.get("/favicon.ico") as response:  # a file is sent: close it
        assert response.status_code == 200
        assert response.mimetype == "image/svg+xml"
        assert b"<svg" in response.data
        assert "no-store" not in response.headers.get("Cache-Control", "")


def test_every_page_links_the_icon(client):
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in client.get("/login").get_data(
        as_text=True)
    login(client, make_user(make_school(), "staff").email)
    assert 'rel="icon"' in client.get("/observations/new").get_data(as_text=True)
    with client.get("/static/favicon.svg") as icon:
        assert icon.status_code == 200


def test_the_icon_is_served_to_someone_who_must_still_choose_a_password(client):
    user = make_user(make_school(), "staff")
    login(client, user.email)
    user.must_change_password = True
    db.session.commit()
    assert client.get("/observations/new").status_code == 302
    with client.get("/favicon.ico") as icon:
        assert icon.status_code == 200
