"""Hair-level review over HTTP: the photo page's editor reads and saves through these.

* ``GET /api/images/{id}/hairs``: the current hairs (newest reviewed version, else the
  detector's), the version a save must name, and the review history;
* ``POST /api/images/{id}/hairs``: ``{base_version, hairs, edits, reason}`` -> 201 with
  the new version, re-measured; 409 when someone saved since ``base_version`` (nothing
  is written); 422 for a malformed list;
* ``GET /api/images/{id}/hairs/detector``: the detector's own list, kept whatever the
  reviews did;
* ``POST /api/visits/{id}/joins``: ``{baseline_hair, followup_hair, reason}`` joins a
  lost and a new hair of the visit's comparison into one kept hair;
* ``GET /images/{id}/photo.png``: the photo's pixels as PNG (what the editor draws over;
  a browser cannot show every stored format).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from trichometry.clinic.review import detector_hairs, hairs_for_review, join_hairs, save_review
from trichometry.store import Store, User
from trichometry.store.images import decode_rgb
from trichometry.utils.encoding import encode_png
from trichometry.web.auth import api_csrf, api_user, page_user

ApiUser = Annotated[User, Depends(api_user)]
PageUser = Annotated[User, Depends(page_user)]

router = APIRouter(tags=["review"])


class ReviewIn(BaseModel):
    base_version: int = Field(ge=0, description="the version you edited (0: the detector's list)")
    hairs: list[dict[str, Any]] = Field(
        max_length=5000, description='the whole reviewed list: {"exit": [x, y], "end": [x, y], ...}'
    )
    edits: list[dict[str, Any]] = Field(default_factory=list, max_length=10_000)
    reason: str = Field(max_length=2000)


class JoinIn(BaseModel):
    baseline_hair: int = Field(ge=0, description="a lost hair's number in the comparison's per-hair table")
    followup_hair: int = Field(ge=0, description="a new hair's number in the comparison's per-hair table")
    reason: str = Field(max_length=2000)


def _store(request: Request) -> Store:
    return request.app.state.store


@router.get("/api/images/{image_id}/hairs")
def get_hairs(image_id: int, request: Request, user: ApiUser) -> dict[str, Any]:
    """The photo's current hairs and the version to name when saving."""
    return hairs_for_review(_store(request), user, image_id)


@router.post("/api/images/{image_id}/hairs", dependencies=[Depends(api_csrf)], status_code=201)
def post_hairs(image_id: int, body: ReviewIn, request: Request, user: ApiUser) -> dict[str, Any]:
    """Save a reviewed version (re-measured by the analysis engine)."""
    return save_review(
        _store(request), user, image_id, base_version=body.base_version, hairs=body.hairs, reason=body.reason,
        edits=body.edits,
    )  # fmt: skip


@router.post("/api/visits/{visit_id}/joins", dependencies=[Depends(api_csrf)], status_code=201)
def post_join(visit_id: int, body: JoinIn, request: Request, user: ApiUser) -> dict[str, Any]:
    """Join a lost baseline hair and a new follow-up hair into one kept hair (a new
    reviewed version of the follow-up photo)."""
    return join_hairs(
        _store(request), user, visit_id, baseline_hair=body.baseline_hair, followup_hair=body.followup_hair,
        reason=body.reason,
    )  # fmt: skip


@router.get("/api/images/{image_id}/hairs/detector")
def get_detector_hairs(image_id: int, request: Request, user: ApiUser) -> list[dict[str, Any]]:
    """The detector's own hairs of the photo."""
    return detector_hairs(_store(request), user, image_id)


@router.get("/images/{image_id}/photo.png")
def photo_png(image_id: int, request: Request, user: PageUser) -> Response:
    """The photo's pixels as PNG (no metadata)."""
    store = _store(request)
    vi = store.get_visit_image(user, image_id)
    return Response(encode_png(decode_rgb(store.image_bytes(vi.image.sha256))), media_type="image/png")
