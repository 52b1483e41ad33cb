"""Error pages written for a person, not a stack trace."""

from flask import Flask, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import Conflict

from mediation.extensions import db

MESSAGES = {
    400: ("请求有误", "提交的内容无法处理，请返回上一页重试。"),
    403: ("无权操作", "您的账户无权进行此操作。如有需要，请联系调委会主任或系统管理员。"),
    404: ("找不到页面", "您要找的页面不存在，或不在您的查看范围内。"),
    405: ("操作方式不正确", "请通过页面上的按钮进行操作。"),
    409: (
        "操作冲突",
        "您操作的内容刚刚已被他人（或您在另一窗口）修改，本次操作未保存。"
        "请返回并刷新页面，查看最新内容后再操作。",
    ),
    413: ("文件过大", "上传的文件超过了大小限制。"),
    500: ("系统出错", "系统暂时出现问题，您填写的内容未保存。请稍后重试，或联系系统管理员。"),
}

# What the API says instead of the pages' advice on buttons and pages.
API_MESSAGES = {
    400: "请求有误，无法处理。",
    404: "没有这个接口或对象，或不在贵单位的授权范围内。",
    405: "该接口不支持这种请求方法。",
    413: "请求内容过大。",
    500: "系统暂时出现问题，本次请求未处理，请稍后重试。",
}


def register_error_pages(app: Flask) -> None:
    def render(code: int):
        title, text = MESSAGES[code]
        if request.path.startswith("/api/"):  # the JSON API answers in JSON, in Chinese too
            return jsonify(message=API_MESSAGES.get(code, text)), code
        return render_template("errors/error.html", code=code, title=title, text=text), code

    for code in MESSAGES:
        app.register_error_handler(code, lambda e, code=code: render(code))

    @app.errorhandler(Conflict)
    def conflict(e):
        title, text = MESSAGES[409]
        if e.description != Conflict.description:  # a conflict that says more
            text = e.description
        if request.path.startswith("/api/"):
            return jsonify(message=text), 409
        return render_template("errors/error.html", code=409, title=title, text=text), 409

    @app.errorhandler(StaleDataError)
    @app.errorhandler(IntegrityError)
    def lost_race(e):
        """Two requests changed the same row at once (a stale version), or both made the
        row only one may have (a unique key): the later one is refused and rolled back."""
        db.session.rollback()
        current_app.logger.info("conflict refused: %s", e)
        return render(409)

    @app.errorhandler(OperationalError)
    def busy(e):
        """SQLite's "database is locked" after the wait, PostgreSQL's serialization failures
        and deadlocks: another request held what this one needed. Anything else is a 500."""
        db.session.rollback()
        message = str(e.orig).lower()
        if not any(word in message for word in ("locked", "serializ", "deadlock", "busy")):
            current_app.logger.exception("database error")
            return render(500)
        current_app.logger.info("conflict refused: %s", e)
        return render(409)

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        text = "页面已过期（可能是长时间未操作或已重新登录），请刷新页面后重新提交。"
        return render_template("errors/error.html", code=400, title="页面已过期", text=text), 400
