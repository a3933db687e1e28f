#!/usr/bin/python3
"""Loopback test servers for publish (127.0.0.1 only, bounded lifetime).

  --mode faults  PUT/HEAD/GET store; --script lists what the PUTs get in
                 turn: 500, 403, stall (no answer), cut (connection closed
                 mid-body), ok. After the script every PUT is stored.
  --mode sigv4   an object store that recomputes the SigV4 signature of
                 every request with botocore and answers 403 on a mismatch
                 (and on a body whose sha256 is not x-amz-content-sha256).
  --mode github  the release and asset endpoints publish uses; checks
                 method, path, headers and query the API documents.
  --mode gitlab  generic package uploads; checks the token header, the
                 encoded project path, select=package_file, serial uploads.

Every request is logged as one JSON line to --log; requests that break the
documented shape are logged with "violation" and answered 400.
"""
import argparse, hashlib, json, os, re, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs, unquote

A = None
LOCK = threading.Lock()
STORE = {}            # path -> bytes
SCRIPT = []
GH = {"release": None, "assets": {}, "next": 10}
GL = {"busy": False}


def log(entry):
    with LOCK:
        with open(A.log, "a") as f:
            f.write(json.dumps(entry) + "\n")


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, code, body=b"", ctype="application/json", length=None, headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def entry(self, **kw):
        e = {"method": self.command, "path": self.path,
             "headers": {k.lower(): v for k, v in self.headers.items()}}
        e.update(kw)
        log(e)

    def violation(self, why):
        self.entry(violation=why)
        self.reply(400, {"message": "fake: " + why})

    # --- plain store -------------------------------------------------
    def store(self):
        key = urlsplit(self.path).path
        if self.command == "PUT":
            data = self.body()
            with LOCK:
                STORE[key] = data
            self.entry(size=len(data), sha256=hashlib.sha256(data).hexdigest())
            return self.reply(201, "")
        self.entry()
        with LOCK:
            data = STORE.get(key)
        if data is None:
            return self.reply(404, "no such object")
        self.reply(200, data, "application/octet-stream")

    def faults(self):
        if self.command == "PUT":
            with LOCK:
                action = SCRIPT.pop(0) if SCRIPT else "ok"
            if action == "stall":
                self.entry(action=action)
                time.sleep(A.stall)
                self.close_connection = True
                return
            if action == "cut":
                n = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(n // 2)
                self.entry(action=action)
                self.close_connection = True
                return
            m = re.fullmatch(r"(\d{3})ra(\d+)", action)
            if m:  # e.g. 503ra2: 503 with "Retry-After: 2"
                self.body()
                self.entry(action=action)
                return self.reply(int(m.group(1)), "fake: busy", "text/plain",
                                  headers={"Retry-After": m.group(2)})
            if action.isdigit():
                self.body()
                self.entry(action=action)
                msg = "fake: access denied to this bucket" if action == "403" else "fake: server error"
                return self.reply(int(action), msg, "text/plain")
        self.store()

    # --- SigV4 -------------------------------------------------------
    def sigv4(self):
        from botocore.auth import S3SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        data = self.body() if self.command == "PUT" else b""
        auth = self.headers.get("Authorization", "")
        m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/s3/aws4_request, ?"
                     r"SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$", auth)
        if not m:
            self.entry(verdict="no-sigv4")
            return self.reply(403, "<Error><Code>AccessDenied</Code><Message>no SigV4 "
                              "Authorization</Message></Error>", "application/xml")
        key, _, region, signed, sig = m.groups()
        claimed = self.headers.get("x-amz-content-sha256", "")
        headers = {}
        for h in signed.split(";"):
            if self.headers.get(h) is None:
                self.entry(verdict="signed-header-missing", header=h)
                return self.reply(403, "signed header %s missing" % h)
            headers[h] = self.headers.get(h)
        req = AWSRequest(method=self.command, url="http://%s%s" % (self.headers["Host"], self.path),
                         headers=headers, data=b"")
        req.context["timestamp"] = self.headers.get("x-amz-date", "")
        signer = S3SigV4Auth(Credentials(A.access_key, A.secret, A.session or None), "s3", A.region)
        want = signer.signature(signer.string_to_sign(req, signer.canonical_request(req)), req)
        ok = (key == A.access_key and region == A.region and want == sig
              and (not A.session or self.headers.get("x-amz-security-token") == A.session)
              and claimed == hashlib.sha256(data).hexdigest())
        self.entry(verdict="ok" if ok else "mismatch", signed=signed)
        if not ok:
            return self.reply(403, "<Error><Code>SignatureDoesNotMatch</Code><Message>The "
                              "request signature we calculated does not match</Message></Error>",
                              "application/xml")
        p = urlsplit(self.path).path
        if self.command == "PUT":
            with LOCK:
                STORE[p] = data
            return self.reply(200, "")
        with LOCK:
            data = STORE.get(p)
        if data is None:
            return self.reply(404, "")
        self.reply(200, data, "application/octet-stream")

    # --- GitHub ------------------------------------------------------
    def github(self):
        h = self.headers
        if h.get("Authorization") != "Bearer " + A.token:
            self.body()
            self.entry(violation="bad token")
            return self.reply(401, {"message": "Bad credentials"})
        if h.get("Accept") != "application/vnd.github+json" or \
           h.get("X-GitHub-Api-Version") != "2022-11-28" or not h.get("User-Agent"):
            self.body()
            return self.violation("missing Accept, X-GitHub-Api-Version or User-Agent")
        u = urlsplit(self.path)
        q = parse_qs(u.query)
        repo = "/repos/" + A.repo
        base = "http://127.0.0.1:%d" % self.server.server_address[1]
        with LOCK:
            rel = GH["release"]
        if self.command == "GET" and u.path == repo + "/releases/tags/" + A.tag:
            self.entry()
            if not rel:
                return self.reply(404, {"message": "Not Found"})
            return self.reply(200, rel)
        if self.command == "POST" and u.path == repo + "/releases":
            b = json.loads(self.body() or b"{}")
            if h.get("Content-Type") != "application/json" or b.get("tag_name") != A.tag:
                return self.violation("release creation without JSON tag_name")
            self.entry(json=b)
            with LOCK:
                GH["release"] = {"id": 7, "tag_name": A.tag,
                                 "upload_url": base + "/uploads" + repo + "/releases/7/assets{?name,label}"}
                rel = GH["release"]
            return self.reply(201, rel)
        if self.command == "GET" and u.path == repo + "/releases/7/assets":
            # pages as GitHub serves them: per_page (default 30, at most 100), page from 1
            try:
                per = min(int(q.get("per_page", ["30"])[0]), 100)
                page = int(q.get("page", ["1"])[0])
            except ValueError:
                return self.violation("per_page or page is not a number")
            self.entry(page=page, per_page=per)
            with LOCK:
                items = list(GH["assets"].values())
            return self.reply(200, items[(page - 1) * per:page * per])
        m = re.fullmatch(repo + r"/releases/assets/(\d+)", u.path)
        if self.command == "DELETE" and m:
            self.entry()
            with LOCK:
                for n, a in list(GH["assets"].items()):
                    if a["id"] == int(m.group(1)):
                        del GH["assets"][n]
                        return self.reply(204, "")
            return self.reply(404, {"message": "Not Found"})
        if self.command == "POST" and u.path == "/uploads" + repo + "/releases/7/assets":
            data = self.body()
            name = q.get("name", [""])[0]
            if not name or h.get("Content-Type") != "application/octet-stream" \
               or int(h.get("Content-Length") or -1) != len(data):
                return self.violation("asset upload without name, octet-stream or length")
            self.entry(name=name, size=len(data))
            with LOCK:
                if name in GH["assets"]:
                    return self.reply(422, {"message": "Validation Failed",
                                            "errors": [{"resource": "ReleaseAsset",
                                                        "code": "already_exists", "field": "name"}]})
                GH["next"] += 1
                action = SCRIPT.pop(0) if SCRIPT else "ok"
                if action == "502":
                    GH["assets"][name] = {"id": GH["next"], "name": name, "size": 0, "state": "starter"}
                    return self.reply(502, {"message": "Server Error"})
                GH["assets"][name] = {"id": GH["next"], "name": name, "size": len(data),
                                      "state": "uploaded",
                                      "digest": "sha256:" + hashlib.sha256(data).hexdigest()}
                return self.reply(201, GH["assets"][name])
        self.body()
        return self.violation("unexpected %s %s" % (self.command, u.path))

    # --- GitLab ------------------------------------------------------
    def gitlab(self):
        h = self.headers
        tok = h.get("JOB-TOKEN") or h.get("PRIVATE-TOKEN")
        if tok != A.token:
            self.body()
            self.entry(violation="bad token")
            return self.reply(401, {"message": "401 Unauthorized"})
        u = urlsplit(self.path)
        m = re.fullmatch(r"/api/v4/projects/([^/]+)/packages/generic/([^/]+)/([^/]+)/([^/]+)", u.path)
        if self.command != "PUT" or not m or parse_qs(u.query).get("select") != ["package_file"]:
            self.body()
            return self.violation("expected PUT .../packages/generic/PKG/VER/FILE?select=package_file")
        if unquote(m.group(1)) != A.repo:
            self.body()
            return self.violation("project %s is not %s (encoded)" % (m.group(1), A.repo))
        with LOCK:
            if GL["busy"]:
                self.body()
                return self.violation("concurrent uploads to one package version")
            GL["busy"] = True
        try:
            data = self.body()
            time.sleep(0.05)
        finally:
            with LOCK:
                GL["busy"] = False
        self.entry(file=unquote(m.group(4)), size=len(data))
        return self.reply(201, {"id": 1, "package_id": 1, "file_name": unquote(m.group(4)),
                                "size": len(data), "file_sha256": hashlib.sha256(data).hexdigest()})

    def handle_any(self):
        getattr(self, A.mode)()

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = handle_any


def main():
    global A
    p = argparse.ArgumentParser()
    p.add_argument("--mode", required=True, choices=["faults", "sigv4", "github", "gitlab"])
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--script", default="")
    p.add_argument("--stall", type=float, default=20)
    p.add_argument("--access-key", default="")
    p.add_argument("--secret", default="")
    p.add_argument("--session", default="")
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--token", default="")
    p.add_argument("--repo", default="")
    p.add_argument("--tag", default="")
    p.add_argument("--lifetime", type=float, default=300)
    p.add_argument("--existing-assets", type=int, default=0,
                   help="github: the release exists with this many other assets")
    p.add_argument("--stale-asset", default="",
                   help="github: then a half-uploaded (starter) asset of this name")
    A = p.parse_args()
    SCRIPT.extend(s for s in A.script.split(",") if s)
    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    if A.existing_assets or A.stale_asset:
        base = "http://127.0.0.1:%d" % srv.server_address[1]
        GH["release"] = {"id": 7, "tag_name": A.tag, "upload_url": base + "/uploads/repos/"
                         + A.repo + "/releases/7/assets{?name,label}"}
        for i in range(A.existing_assets):
            GH["next"] += 1
            n = "other-%03d.bin" % i
            GH["assets"][n] = {"id": GH["next"], "name": n, "size": 1, "state": "uploaded",
                               "digest": "sha256:" + hashlib.sha256(b"x").hexdigest()}
        if A.stale_asset:
            GH["next"] += 1
            GH["assets"][A.stale_asset] = {"id": GH["next"], "name": A.stale_asset, "size": 0,
                                           "state": "starter"}
    srv.daemon_threads = True
    tmp = A.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, A.port_file)
    # never outlive a crashed test by long
    threading.Timer(A.lifetime, lambda: os._exit(3)).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
