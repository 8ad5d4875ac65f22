"""A repository behind GitHub's contents, git refs and pulls endpoints, for respx: each
response in its documented shape (docs.github.com/rest/repos/contents, /rest/git/refs,
/rest/pulls/pulls), with the writes it received kept for assertions."""

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx
import respx

API = "https://api.github.com"


def blob_sha(text: str) -> str:
    data = text.encode()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # noqa: S324 (git's id)


def contents_body(repo: str, path: str, text: str, ref: str) -> dict[str, Any]:
    """``GET /repos/{o}/{r}/contents/{path}`` for a file (base64 in 60-character lines)."""
    encoded = base64.b64encode(text.encode()).decode()
    lines = "\n".join(encoded[i : i + 60] for i in range(0, len(encoded), 60)) + "\n"
    url = f"{API}/repos/{repo}/contents/{path}?ref={ref}"
    return {
        "type": "file",
        "encoding": "base64",
        "size": len(text.encode()),
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "content": lines,
        "sha": blob_sha(text),
        "url": url,
        "git_url": f"{API}/repos/{repo}/git/blobs/{blob_sha(text)}",
        "html_url": f"https://github.com/{repo}/blob/{ref}/{path}",
        "download_url": f"https://raw.githubusercontent.com/{repo}/{ref}/{path}",
        "_links": {"self": url, "git": f"{API}/repos/{repo}/git/blobs/{blob_sha(text)}"},
    }


def directory_entry(repo: str, path: str, text: str) -> dict[str, Any]:
    """One item of ``GET /repos/{o}/{r}/contents/{folder}`` (a folder lists its files)."""
    body = contents_body(repo, path, text, "main")
    return {k: v for k, v in body.items() if k not in ("content", "encoding")}


@dataclass
class FakeRepository:
    """Files per ref (a commit sha or a branch), branches created, commits and pull requests."""

    repo: str
    default_branch: str = "main"
    files: dict[str, dict[str, str]] = field(default_factory=dict)  # ref → path → text
    branches: dict[str, str] = field(default_factory=dict)  # branch → sha it started at
    commits: list[dict[str, Any]] = field(default_factory=list)
    pulls: list[dict[str, Any]] = field(default_factory=list)
    writes: list[httpx.Request] = field(default_factory=list)

    def route(self, router: respx.Router) -> None:
        base = f"{API}/repos/{self.repo}"
        router.get(url__regex=rf"^{re.escape(base)}/contents/.*").mock(side_effect=self._get)
        router.put(url__regex=rf"^{re.escape(base)}/contents/.*").mock(side_effect=self._put)
        router.post(f"{base}/git/refs").mock(side_effect=self._create_ref)
        router.post(f"{base}/pulls").mock(side_effect=self._create_pull)
        router.get(f"{base}/pulls").mock(side_effect=self._list_pulls)
        # Anything that merges or updates a ref: recorded (and a test asserts it never came).
        router.route(url__regex=rf"^{re.escape(base)}/(pulls/\d+/merge|merges|git/refs/).*").mock(
            side_effect=self._forbidden
        )

    def _path(self, request: httpx.Request) -> str:
        return request.url.path.split("/contents/", 1)[1]

    def _get(self, request: httpx.Request) -> httpx.Response:
        path, ref = self._path(request), request.url.params.get("ref", self.default_branch)
        tree = self.files.get(ref, {})
        if path in tree:
            return httpx.Response(200, json=contents_body(self.repo, path, tree[path], ref))
        inside = {p: t for p, t in tree.items() if p.startswith(path.rstrip("/") + "/")}
        folder = [p for p in inside if "/" not in p[len(path.rstrip("/")) + 1 :]]
        if folder:
            return httpx.Response(
                200, json=[directory_entry(self.repo, p, tree[p]) for p in folder]
            )
        return httpx.Response(404, json={"message": "Not Found", "status": "404"})

    def _create_ref(self, request: httpx.Request) -> httpx.Response:
        self.writes.append(request)
        body = json.loads(request.content)
        branch = body["ref"].removeprefix("refs/heads/")
        if branch in self.branches or branch == self.default_branch:
            return httpx.Response(
                422, json={"message": "Reference already exists", "status": "422"}
            )
        self.branches[branch] = body["sha"]
        self.files[branch] = dict(self.files.get(body["sha"], {}))
        return httpx.Response(
            201,
            json={
                "ref": body["ref"],
                "node_id": "REF_kwDOA",
                "url": f"{API}/repos/{self.repo}/git/{body['ref']}",
                "object": {"type": "commit", "sha": body["sha"], "url": "x"},
            },
        )

    def _put(self, request: httpx.Request) -> httpx.Response:
        self.writes.append(request)
        body = json.loads(request.content)
        path, branch = self._path(request), body.get("branch", self.default_branch)
        current = self.files.get(branch, {}).get(path)
        if current is not None and body.get("sha") != blob_sha(current):
            return httpx.Response(409, json={"message": f"{path} does not match {body.get('sha')}"})
        text = base64.b64decode(body["content"]).decode()
        self.files.setdefault(branch, {})[path] = text
        commit = {"sha": hashlib.sha1(text.encode()).hexdigest(), "message": body["message"]}  # noqa: S324
        self.commits.append({"branch": branch, "path": path, "text": text, **commit})
        return httpx.Response(
            200, json={"content": contents_body(self.repo, path, text, branch), "commit": commit}
        )

    def _create_pull(self, request: httpx.Request) -> httpx.Response:
        self.writes.append(request)
        body = json.loads(request.content)
        if any(p["head"]["ref"] == body["head"] and p["state"] == "open" for p in self.pulls):
            return httpx.Response(
                422,
                json={
                    "message": "Validation Failed",
                    "errors": [
                        {
                            "resource": "PullRequest",
                            "code": "custom",
                            "message": f"A pull request already exists for {body['head']}.",
                        }
                    ],
                },
            )
        number = 100 + len(self.pulls)
        pull = {
            "number": number,
            "state": "open",
            "title": body["title"],
            "body": body["body"],
            "html_url": f"https://github.com/{self.repo}/pull/{number}",
            "head": {"ref": body["head"]},
            "base": {"ref": body["base"]},
            "merged": False,
        }
        self.pulls.append(pull)
        return httpx.Response(201, json=pull)

    def _list_pulls(self, request: httpx.Request) -> httpx.Response:
        head = request.url.params.get("head", "").split(":", 1)[-1]
        return httpx.Response(200, json=[p for p in self.pulls if p["head"]["ref"] == head])

    def _forbidden(self, request: httpx.Request) -> httpx.Response:
        self.writes.append(request)
        return httpx.Response(403, json={"message": "not expected"})

    def default_branch_writes(self) -> list[httpx.Request]:
        """Writes that merged or touched the default branch (there must be none)."""
        return [
            r
            for r in self.writes
            if "/merge" in r.url.path
            or "/git/refs/" in r.url.path
            or (
                r.method == "PUT"
                and json.loads(r.content).get("branch", self.default_branch) == self.default_branch
            )
        ]
