"""Routes: /api/heartbeats (monitors, for users) and /api/heartbeats/{key} (pings, for tools)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse

from tocsin.deps import CurrentUser, DbSession, State
from tocsin.heartbeats import service
from tocsin.heartbeats.schemas import HeartbeatIn, HeartbeatOut, HeartbeatUpdate, PingAccepted
from tocsin.schemas import PathId

router = APIRouter(prefix="/api", tags=["heartbeats"])

# Monitor ids are numbers and ping keys never are: the `:int` routes come first and take the numbers.
BY_ID = "/heartbeats/{heartbeat_id:int}"


@router.get("/heartbeats", response_model=list[HeartbeatOut])
def list_heartbeats(session: DbSession, user: CurrentUser, state: State) -> list[HeartbeatOut]:
    """Heartbeat monitors of the alert sources you can see."""
    now = state.clock.now()
    return [HeartbeatOut.of(m, now) for m in service.list_monitors(session, user)]


@router.post("/heartbeats", status_code=201, response_model=HeartbeatOut)
def create_heartbeat(body: HeartbeatIn, session: DbSession, user: CurrentUser, state: State) -> HeartbeatOut:
    """Create a monitor; its first interval starts now. The ping key is shown only here and on rotate-key."""
    monitor, key = service.create_monitor(session, state.clock, user, body.changes(partial=False))
    return HeartbeatOut.of(monitor, state.clock.now(), key=key, base_url=state.settings.base_url)


@router.get(BY_ID, response_model=HeartbeatOut)
def get_heartbeat(heartbeat_id: PathId, session: DbSession, user: CurrentUser, state: State) -> HeartbeatOut:
    return HeartbeatOut.of(service.get_visible_monitor(session, user, heartbeat_id), state.clock.now())


@router.put(BY_ID, response_model=HeartbeatOut)
def update_heartbeat(
    heartbeat_id: PathId, body: HeartbeatUpdate, session: DbSession, user: CurrentUser, state: State
) -> HeartbeatOut:
    """Change a monitor; fields left out keep their value. PAUSED cancels the pending check, ACTIVE starts a
    fresh interval."""
    monitor = service.get_visible_monitor(session, user, heartbeat_id)
    service.update_monitor(session, state.clock, user, monitor, body.changes(partial=True))
    return HeartbeatOut.of(monitor, state.clock.now())


@router.delete(BY_ID, status_code=204)
def delete_heartbeat(heartbeat_id: PathId, session: DbSession, user: CurrentUser) -> Response:
    service.delete_monitor(session, user, service.get_visible_monitor(session, user, heartbeat_id))
    return Response(status_code=204)


@router.post(BY_ID + "/rotate-key", response_model=HeartbeatOut)
def rotate_heartbeat_key(heartbeat_id: PathId, session: DbSession, user: CurrentUser, state: State) -> HeartbeatOut:
    """Replace the ping key; the old one stops working at once. The new key is shown only here."""
    monitor = service.get_visible_monitor(session, user, heartbeat_id)
    key = service.rotate_key(session, state.clock, user, monitor)
    return HeartbeatOut.of(monitor, state.clock.now(), key=key, base_url=state.settings.base_url)


PingKey = Annotated[str, Path(max_length=200, description="The monitor's ping key")]
_PING_RESPONSES: dict[int | str, dict[str, Any]] = {202: {"model": PingAccepted, "description": "Ping recorded"}}


def ping_heartbeat(key: PingKey, request: Request, session: DbSession, state: State) -> Response:
    """Record a ping (no authentication beyond the key; any body is ignored). HEAD answers without a body."""
    monitor = service.ping(session, state.clock, key)
    state.event_limiter.check(f"heartbeat:{monitor.id}", "pings for this heartbeat")
    answer = PingAccepted(state=service.state(monitor, state.clock.now()))
    session.commit()  # durable before the 202 is sent
    if request.method == "HEAD":
        return Response(status_code=202)
    return JSONResponse(answer.model_dump(by_alias=True), status_code=202)


for _method in ("GET", "POST", "HEAD"):  # one route per method: each gets its own OpenAPI operation id
    router.add_api_route(
        "/heartbeats/{key}", ping_heartbeat, methods=[_method], status_code=202, response_model=PingAccepted,
        responses=_PING_RESPONSES, summary="Ping a heartbeat monitor", operation_id=f"ping_heartbeat_{_method.lower()}",
    )
