"""The production server (`make serve`): waitress serves the app built by create_app."""

import threading
import urllib.request

from waitress.server import create_server

from mediation import create_app


def test_waitress_serves_the_login_page_and_static_files(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
                      "SECRET_KEY": "serve-test"})  # fmt: skip
    server = create_server(app, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.effective_port}"
        with urllib.request.urlopen(f"{base}/login", timeout=10) as response:
            html = response.read().decode()
        assert response.status == 200 and "登录" in html and "查询本人案件" in html
        with urllib.request.urlopen(f"{base}/static/css/app.css", timeout=10) as response:
            assert response.status == 200 and b".card" in response.read()
    finally:
        server.close()
        thread.join(timeout=5)
