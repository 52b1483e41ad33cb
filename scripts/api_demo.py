"""A court's side of the JSON API, as a new user would try it (issue 14, "done means"):

    python scripts/api_demo.py --base http://127.0.0.1:5000 --token mdapi_… \
        --committee 4 --listen 8765 [--secret <signing secret>]

It listens on 127.0.0.1:<listen> for the pushed status changes (register
http://127.0.0.1:<listen>/callback as the client's 回调地址 in 系统管理 → 接口客户端 and run
`flask api-deliver`), refers a case to the committee, sends the same referral again (the same
case comes back), then follows the case while director1 works it in the browser, printing each
request, answer and pushed message, and when the case has ended and its 反馈函 is issued,
fetches the PDF. Standard library only, plus pypdf to show the letter's first lines."""

import argparse
import hashlib
import hmac
import http.server
import io
import json
import threading
import time
import urllib.error
import urllib.request
from datetime import date

RECEIVED: list[dict] = []


def show(title: str, value) -> None:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=2)
    print(f"--- {title}\n{text}", flush=True)


def call(base: str, token: str, method: str, path: str, body=None):
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def receiver(port: int, secret: str) -> None:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            signature = self.headers.get("X-Mediation-Signature", "")
            expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            key = self.headers.get("Idempotency-Key", "")
            repeat = any(m["key"] == key for m in RECEIVED)
            message = {"key": key, "payload": json.loads(body),
                       "signature": "验证通过" if secret and hmac.compare_digest(
                           signature, expected) else ("未验证" if not secret else "不符")}  # fmt: skip
            if not repeat:
                RECEIVED.append(message)
            show("回调收到" + ("（重复，已忽略）" if repeat else ""), message)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:5000")
    parser.add_argument("--token", required=True)
    parser.add_argument("--committee", type=int, required=True, help="东街调委会的编号")
    parser.add_argument("--listen", type=int, default=8765)
    parser.add_argument("--secret", default="", help="签名密钥，用于验证推送的签名")
    parser.add_argument("--reference", default="（2026）浙0102民诉前调1234号")
    parser.add_argument("--wait", type=int, default=900, help="等待案件结束的秒数")
    args = parser.parse_args()
    receiver(args.listen, args.secret)
    print(f"回调地址：http://127.0.0.1:{args.listen}/callback", flush=True)

    referral = {
        "reference_number": args.reference,
        "referred_on": date.today().isoformat(),
        "committee_id": args.committee,
        "category": "neighbour",
        "dispute_place": "东街社区幸福路",
        "summary": "两户因院墙渗水发生争执，经法院诉前委派调解。",
        "request": "请求对方修缮院墙并赔偿损失三千元。",
        "parties": [
            {"role": "applicant", "kind": "person", "name": "王建国",
             "id_number": "330109198510120033", "phone": "13800138000",
             "address": "东街社区幸福路12号"},
            {"role": "respondent", "kind": "person", "name": "李秀英",
             "phone": "13900139000", "address": "东街社区幸福路14号"},
        ],
    }  # fmt: skip
    show("POST /api/v1/referrals", referral)
    status, _, body = call(args.base, args.token, "POST", "/api/v1/referrals", referral)
    case = json.loads(body)
    show(f"→ {status}", case)
    status, _, body = call(args.base, args.token, "POST", "/api/v1/referrals", referral)
    show(f"POST /api/v1/referrals（同一文号再次提交）→ {status}", {"id": json.loads(body)["id"]})

    path = f"/api/v1/referrals/{case['id']}"
    seen, deadline = case["status"], time.monotonic() + args.wait
    while time.monotonic() < deadline:
        status, _, body = call(args.base, args.token, "GET", path)
        current = json.loads(body)
        if current["status"] != seen:
            seen = current["status"]
            show(f"GET {path} → {status}", current)
        if current["documents"]["feedback"]:
            break
        time.sleep(2)
    else:
        print("等待超时：案件尚未结束或反馈函尚未出具。")
        return
    status, headers, pdf = call(args.base, args.token, "GET", path + "/feedback.pdf")
    show(f"GET {path}/feedback.pdf → {status}",
         f"{headers.get('Content-Type')}，{len(pdf)} 字节")  # fmt: skip
    try:
        from pypdf import PdfReader

        text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
        show("反馈函第一页（节选）", "\n".join(text.splitlines()[:12]))
    except ImportError:
        pass
    time.sleep(3)  # the last pushes
    show("收到的状态推送", [(m["payload"]["from_status"], m["payload"]["to_status"],
                             m["signature"]) for m in RECEIVED])  # fmt: skip


if __name__ == "__main__":
    main()
