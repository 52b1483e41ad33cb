"""Error pages written for a person, not a stack trace."""

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError

MESSAGES = {
    400: ("请求有误", "提交的内容无法处理，请返回上一页重试。"),
    403: ("无权操作", "您的账户无权进行此操作。如有需要，请联系调委会主任或系统管理员。"),
    404: ("找不到页面", "您要找的页面不存在，或不在您的查看范围内。"),
    405: ("操作方式不正确", "请通过页面上的按钮进行操作。"),
    413: ("文件过大", "上传的文件超过了大小限制。"),
    500: ("系统出错", "系统暂时出现问题，您填写的内容未保存。请稍后重试，或联系系统管理员。"),
}


def register_error_pages(app: Flask) -> None:
    def render(code: int):
        title, text = MESSAGES[code]
        return render_template("errors/error.html", code=code, title=title, text=text), code

    for code in MESSAGES:
        app.register_error_handler(code, lambda e, code=code: render(code))

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        text = "页面已过期（可能是长时间未操作或已重新登录），请刷新页面后重新提交。"
        return render_template("errors/error.html", code=400, title="页面已过期", text=text), 400
