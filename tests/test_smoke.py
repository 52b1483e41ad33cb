"""The app starts, migrates and answers, on both databases."""


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert "登录" in response.get_data(as_text=True)


def test_world_builds(world, login):
    c = login("mediator1")
    page = c.get("/cases").get_data(as_text=True)
    assert "还没有案件" in page
