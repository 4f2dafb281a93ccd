"""Evidence an auditor outside the council verifies without Casework: a provider's signed
evidence bundle (auditors and managers) and the council's public signing keys (anyone: a public
key is for publishing). docs/evidence-bundle.md describes the bundle and how to verify it."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from casework.api import API_PREFIX
from casework.api.auth import current_actor
from casework.api.problems import READ_ERRORS, ApiProblem, ErrorResponses, _schema
from casework.domain.actors import Actor, Role
from casework.domain.errors import Forbidden, NotFound
from casework.evidence.bundle import BrokenHistory, export_bundle
from casework.evidence.signing import SigningKeyError, SigningKeys

router = APIRouter(prefix=API_PREFIX, tags=["evidence"])

_SAFE_NAME = re.compile(r"^[A-Za-z0-9-]{1,100}$")
MAY_EXPORT = frozenset({Role.auditor, Role.manager})
NO_KEY: ErrorResponses = {503: _schema("The server has no signing key (CASEWORK_SIGNING_KEY_FILE).")}


def _keys(request: Request) -> SigningKeys:
    try:
        return SigningKeys.load(request.app.state.casework.settings.signing_key_file)
    except SigningKeyError:
        raise ApiProblem(
            503, "no-signing-key", "No signing key",
            "The server has no signing key to sign with: an administrator sets "
            "CASEWORK_SIGNING_KEY_FILE to a file made by `casework keys signing create PATH`.",
        ) from None


@router.get(
    "/providers/{provider_id}/evidence",
    responses={200: {"description": "The bundle (a zip).",
                     "content": {"application/zip": {"schema": {"type": "string",
                                                                "format": "binary"}}}},
               **READ_ERRORS, **NO_KEY},
    response_class=Response, summary="A provider's signed evidence bundle (auditors, managers)",
    description=(
        "A zip holding every event of the provider's streams with its hash links, the chain "
        "heads, a readable timeline, the latest signed checkpoint of the log, a manifest and the "
        "council's Ed25519 signature over it. Verify it offline with `casework verify-bundle "
        "FILE` or tools/verify_bundle.py. Same as `casework export provider ID --out FILE`."
    ),
)
async def provider_evidence(
    request: Request, provider_id: str, actor: Actor = Depends(current_actor)
) -> Response:
    if actor.role not in MAY_EXPORT:
        raise Forbidden(actor.role.value, "export evidence bundles (auditors and managers only)")
    cw = request.app.state.casework
    try:
        bundle = await run_in_threadpool(
            export_bundle, cw.store, lambda: _keys(request), provider_id, now=cw.clock.now(),
            council=cw.settings.council_name,
            exported_by={"name": actor.name, "role": actor.role.value, "via": "api"},
        )
    except BrokenHistory as exc:
        raise ApiProblem(409, "history-does-not-verify", "History does not verify", str(exc)) from None
    if bundle is None:
        raise NotFound("provider", provider_id)
    name = f"evidence-{provider_id}.zip" if _SAFE_NAME.match(provider_id) else "evidence.zip"
    return Response(bundle, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


class PublicKeyOut(BaseModel):
    key_id: str = Field(description="First 32 hex digits of the SHA-256 of the raw public key.")
    algorithm: str
    public_key: str = Field(description="PEM (SubjectPublicKeyInfo).")
    created_at: str
    retired_at: str | None = Field(description="When it stopped signing; null for the current key.")


class SigningKeysOut(BaseModel):
    format: str
    current_key_id: str
    keys: list[PublicKeyOut] = Field(description="Every key the council has had, oldest first.")


@router.get(
    "/signing-key", response_model=SigningKeysOut, responses=NO_KEY,
    summary="The council's public signing keys (no token needed)",
    description=(
        "The public half of the current Ed25519 signing key and of every key it replaced, so "
        "bundles and checkpoints signed before a rotation still verify. Save the answer as a "
        "file and pass it to `verify-bundle --public-key`."
    ),
)
def signing_key(request: Request) -> Any:
    return _keys(request).published()
