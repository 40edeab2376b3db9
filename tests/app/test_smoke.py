"""Pages open for each demo user after the library import."""
import pytest


@pytest.mark.parametrize("username", ["admin", "vanhoa", "bientap", "duyet", "giamsat"])
def test_plan_list_opens_for_each_user(login, username):
    client = login(username)
    resp = client.get("/")
    assert resp.status_code == 200
    assert "Kế hoạch truyền thông" in resp.get_data(as_text=True)
