"""The desk's web app (办理台): pages for staff, an API for the bureau's systems.

FastAPI, server-rendered Jinja2 pages with htmx (shipped under `static/`, nothing from the
internet). Every page, download and API call checks the session and the user's area on
the server; every state-changing request carries `X-CSRF-Token`. Actions go to the case
store (short transactions); pages read the latest published night read-only
(`pensionlink.warehouse.published.LatestNight`), so a night publishing meanwhile neither
waits for the desk nor is waited for. Every view of a person's page, every download,
every action and every login (ok or failed) is written to the audit.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
import polars as pl
from fastapi import FastAPI, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from pensionlink.cases.store import (
    CaseStore,
    CaseStoreBusy,
    CaseStoreUnreachable,
    case_store_location,
    open_case_store,
)
from pensionlink.cases_cli import LIST_FIELDS
from pensionlink.connectors.citizen_id import mask_one
from pensionlink.desk import sessions
from pensionlink.desk.accounts import DeskUser, check_login, machine_role
from pensionlink.desk.case_actions import ActionAsked, state_allows, take_action
from pensionlink.desk.night_data import LiveCases, review_items
from pensionlink.desk.pair_view import explain, parse_comparison, waterfall
from pensionlink.desk.worklists import (
    WORKLISTS,
    filter_cases,
    in_area,
    page_of,
    worklist_counts,
)
from pensionlink.reports.labels import (
    CASE_ACTION,
    CASE_KIND,
    CASE_STATE,
    CLOSE_REASON,
    EVIDENCE,
    SUBSIDY_ELIGIBILITY,
)
from pensionlink.warehouse.published import LatestNight, NoNightYet
from pensionlink.warehouse.queries import (
    PERSON_SOURCES,
    death_finding,
    has_table,
    hukou_namesakes,
    person_records,
)

__all__ = ["DeskConfig", "create_app"]

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
MAX_FAILED_PER_ADDRESS = 20  # behind the bureau's proxy many staff share one address
#: How long a page's audit row or a login waits for another writer (a night's short
#: transaction) before the desk answers 503; an action waits the store's own timeout.
DESK_BUSY_SECONDS = 5.0
_ACTIONS_OF_KIND = {
    "death": ("verify_dead", "verify_alive", "notify", "suspend"),
    "recovery": ("record_recovery", "write_off"),
    "uninsured": ("contacted", "apply_advance"),
    "subsidy": ("apply", "village_check", "township_check", "city_approve", "pay", "archive"),
    "advance": ("approve", "advance_paid", "repay"),
}
_SOURCE_WORD = {
    **EVIDENCE,
    "medical_enrollment": "医保参保记录",
    "resident_roster": "城乡居保参保名册",
    "visits": "就诊记录",
}
_FIELD_WORD = {
    "name": "姓名",
    "sex": "性别",
    "birth_date": "出生日期",
    "death_date": "死亡日期",
    "death_time": "死亡时间",
    "death_place": "死亡地点",
    "cremation_date": "火化日期",
    "funeral_home": "殡仪馆",
    "hukou_status": "人员状态",
    "deregistered_date": "注销日期",
    "township": "乡镇街道",
    "village": "村社区",
    "status": "状态",
    "end_date": "终止日期",
    "end_reason": "终止原因",
    "scheme": "险种",
    "enrolled_date": "参保日期",
    "monthly_pension": "月养老金",
    "visit_date": "就诊日期",
    "facility": "医疗机构",
    "citizen_id_raw": "身份证号（已遮盖）",
}
_PAIR_FIELDS = (
    ("姓名", "name"),
    ("性别", "sex"),
    ("出生日期", "birth_date"),
    ("死亡日期", "death_date"),
    ("乡镇街道", "township"),
    ("村社区", "village"),
    ("身份证号", "citizen_id_raw"),
)


@dataclass(frozen=True)
class DeskConfig:
    """Where the desk reads and writes: the warehouse (`db`) and its case store."""

    db: Path
    secure_cookies: bool = False  # always Secure (also when the proxy sends no -Proto)
    busy_seconds: float = DESK_BUSY_SECONDS

    @property
    def store_location(self) -> str:
        return case_store_location(self.db)

    @property
    def data_docs(self) -> Path:
        return self.db.parent / "data-docs"


_ID_FIELDS = frozenset({"citizen_id_raw", "citizen_id", "person_id"})


def _shown(value: Any, field: str) -> str:
    """A record's value as the page shows it: IDs masked (前6后4), times to the minute."""
    if value is None:
        return "—"
    if field in _ID_FIELDS:
        return mask_one(str(value)) or "—"
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    return str(value)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        KIND=CASE_KIND,
        STATE=CASE_STATE,
        ACTION=CASE_ACTION,
        CLOSE=CLOSE_REASON,
        ELIGIBILITY=SUBSIDY_ELIGIBILITY,
        SOURCE=_SOURCE_WORD,
        FIELD=_FIELD_WORD,
    )
    env.filters["shown"] = _shown
    env.filters["yuan"] = lambda fen: "—" if fen is None else f"{fen / 100:,.2f}"
    return env


def create_app(config: DeskConfig) -> FastAPI:
    """The desk for the warehouse `config.db`."""
    app = FastAPI(title="pensionlink 办理台", docs_url=None, redoc_url=None, openapi_url=None)
    night = LatestNight(config.db)
    name_key = secrets.token_bytes(32)  # keys the audit's unknown login names
    live = LiveCases()
    env = _environment()
    app.state.night = night
    app.state.config = config
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(CaseStoreBusy)
    @app.exception_handler(CaseStoreUnreachable)
    def store_unavailable(request: Request, exc: Exception) -> Response:
        """Any request the case store cannot answer now: 503 with one line."""
        line = str(exc) if isinstance(exc, CaseStoreBusy) else _UNREACHABLE
        log.warning("案件库不可用 case store unavailable: %s", type(exc).__name__)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": line}, status_code=503)
        return HTMLResponse(line, status_code=503)

    @app.exception_handler(NoNightYet)
    def no_night_yet(request: Request, exc: NoNightYet) -> Response:
        """Any page or API call before the first night is published: 503, one line."""
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": _NO_NIGHT}, status_code=503)
        return HTMLResponse(_NO_NIGHT, status_code=503)

    @contextlib.contextmanager
    def store() -> Iterator[CaseStore]:
        with open_case_store(config.store_location, config.busy_seconds) as opened:
            yield opened

    def client(request: Request) -> str:
        return request.client.host if request.client else "?"

    def session_of(request: Request) -> tuple[DeskUser, str] | None:
        token = request.cookies.get(sessions.SESSION_COOKIE)
        if not token:
            return None
        with store() as s:
            row = s.session(sessions.token_hash(token))
        if row is None:
            return None
        user = DeskUser(row["name"], row["role"], row["township"], row["village"])
        return user, row["csrf_token"]

    def csrf_ok(request: Request, csrf: str) -> bool:
        return sessions.csrf_matches(
            request.headers.get(sessions.CSRF_HEADER),
            request.cookies.get(sessions.CSRF_COOKIE),
            csrf,
        )

    def audit(
        who: str,
        what: str,
        ref: str | None = None,
        detail: str | None = None,
        request: Request | None = None,
    ) -> None:
        with store() as s:
            s.record_audit(who, what, ref, detail, client(request) if request else None)

    def page(
        name: str,
        request: Request,
        user: DeskUser | None,
        csrf: str | None,
        status: int = 200,
        **values: Any,
    ) -> HTMLResponse:
        html = env.get_template(name).render(user=user, csrf=csrf, path=request.url.path, **values)
        return HTMLResponse(html, status_code=status)

    def to_login(request: Request) -> RedirectResponse:
        return RedirectResponse(f"/login?{urlencode({'next': request.url.path})}", 303)

    def refused(request: Request, user: DeskUser, csrf: str, status: int, message: str):
        return page("refused.html.j2", request, user, csrf, status=status, message=message)

    def staff_page(request: Request) -> tuple[DeskUser, str] | Response:
        """The user of a page about cases, or where to send them (login, 403 for admin)."""
        found = session_of(request)
        if found is None:
            return to_login(request)
        user, csrf = found
        if not user.sees_cases:
            return refused(request, user, csrf, 403, _NO_CASES)
        return found

    def staff_post(request: Request, as_json: bool) -> tuple[DeskUser, str] | Response:
        """The user of a state-changing request: 401 without a session, 403 without the
        CSRF header or for an admin."""
        answer = JSONResponse if as_json else HTMLResponse

        def no(status: int, text: str) -> Response:
            return answer({"error": text} if as_json else text, status_code=status)

        found = session_of(request)
        if found is None:
            return no(401, _SESSION_GONE)
        user, csrf = found
        if not csrf_ok(request, csrf):
            return no(403, _CSRF_REFUSED)
        if not user.sees_cases:
            return no(403, _NO_CASES)
        return found

    def area_of(cases: pl.DataFrame, case_id: str) -> dict | None:
        found = cases.filter(pl.col("case_id") == case_id)
        return found.row(0, named=True) if found.height else None

    # --- logging in ------------------------------------------------------------------

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/") -> HTMLResponse:
        return page("login.html.j2", request, None, None, next=_safe_next(next))

    @app.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form()
        return await run_in_threadpool(log_in, request, form)

    def log_in(request: Request, form: Any) -> Response:
        name = str(form.get("username") or "").strip()
        password = str(form.get("password") or "")
        target = _safe_next(str(form.get("next") or "/"))
        since = dt.datetime.now() - sessions.FAILED_WINDOW
        address = client(request)
        with store() as s:
            found = s.user(name) if name else None
            # an unknown name is kept keyed: a password typed in the name field is not kept
            who = name if found is not None else sessions.unknown_name(name, name_key)
            by_pair = s.audit_count_from("login_failed", since, who, address)
            by_name = s.audit_count("login_failed", since, who=who)
            by_address = s.audit_count("login_failed", since, client=address)
            if (
                by_pair >= sessions.MAX_FAILED
                or by_name >= sessions.MAX_FAILED_PER_NAME
                or (by_address >= MAX_FAILED_PER_ADDRESS and by_name > 0)
            ):
                s.record_audit(who, "login_limited", None, None, address)
                return page(
                    "login.html.j2",
                    request,
                    None,
                    None,
                    status=429,
                    next=target,
                    error="登录失败次数过多，请15分钟后再试 too many failed logins; "
                    "try again in 15 minutes",
                )
            ok = check_login(found, password)
            if not ok:
                s.record_audit(who, "login_failed", None, None, address)
                return page(
                    "login.html.j2",
                    request,
                    None,
                    None,
                    status=401,
                    next=target,
                    error="用户名或密码错误，或账号已停用 wrong name or password, or the "
                    "account is disabled",
                )
            token, csrf = sessions.new_token(), sessions.new_token()
            s.open_session(
                sessions.token_hash(token), name, csrf, sessions.expiry(dt.datetime.now())
            )
            s.record_audit(name, "login_ok", None, None, address)
        response = RedirectResponse(target, status_code=303)
        age = sessions.SESSION_HOURS * 3600
        # Secure over HTTPS: asked for, or the proxy said so (X-Forwarded-Proto, trusted)
        secure = config.secure_cookies or request.url.scheme == "https"
        response.set_cookie(
            sessions.SESSION_COOKIE,
            token,
            max_age=age,
            httponly=True,
            samesite="strict",
            secure=secure,
        )
        response.set_cookie(
            sessions.CSRF_COOKIE,
            csrf,
            max_age=age,
            httponly=False,
            samesite="strict",
            secure=secure,
        )
        return response

    @app.post("/logout")
    def logout(request: Request) -> Response:
        found = session_of(request)
        if found is None:
            return RedirectResponse("/login", 303)
        user, csrf = found
        if not csrf_ok(request, csrf):
            return JSONResponse({"error": _CSRF_REFUSED}, status_code=403)
        with store() as s:
            s.end_session(sessions.token_hash(request.cookies[sessions.SESSION_COOKIE]))
            s.record_audit(user.name, "logout", None, None, client(request))
        response = Response(status_code=204, headers={"HX-Redirect": "/login"})
        response.delete_cookie(sessions.SESSION_COOKIE)
        response.delete_cookie(sessions.CSRF_COOKIE)
        return response

    # --- pages -------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> Response:
        found = session_of(request)
        if found is None:
            return to_login(request)
        user, csrf = found
        if not user.sees_cases:
            return page("home.html.j2", request, user, csrf, lists=[], reviews=None, night=None)
        try:
            with store() as s:
                cases = live.frame(s, night)
                reviews = in_area(review_items(s, night), user)
                latest = s.nights().filter(pl.col("moved") == 1)["as_of"].max()
        except NoNightYet:
            return page("home.html.j2", request, user, csrf, lists=[], reviews=None, night=None)
        return page(
            "home.html.j2",
            request,
            user,
            csrf,
            lists=worklist_counts(cases, user),
            reviews={"count": reviews.height},
            night=latest,
        )

    @app.get("/cases", response_class=HTMLResponse)
    def case_list(
        request: Request,
        worklist: str | None = None,
        kind: str | None = None,
        state: str | None = None,
        village: str | None = None,
        age_min: str | None = None,
        age_max: str | None = None,
        page_no: int = 1,
    ) -> Response:
        found = staff_page(request)
        if isinstance(found, Response):
            return found
        user, csrf = found
        with store() as s:
            cases = live.frame(s, night)
            latest = s.nights().filter(pl.col("moved") == 1)["as_of"].max()
        on = dt.date.fromisoformat(latest) if latest else dt.date.today()
        chosen = filter_cases(
            cases,
            user,
            worklist=worklist,
            kind=kind,
            state=state,
            village=village,
            age_min=_int(age_min),
            age_max=_int(age_max),
            on=on,
        )
        shown, pages = page_of(chosen, page_no)
        mine = filter_cases(cases, user)
        query = {
            k: v
            for k, v in (
                ("worklist", worklist),
                ("kind", kind),
                ("state", state),
                ("village", village),
                ("age_min", age_min),
                ("age_max", age_max),
            )
            if v
        }
        return page(
            "cases.html.j2",
            request,
            user,
            csrf,
            rows=shown.to_dicts(),
            total=chosen.height,
            page_no=min(max(page_no, 1), pages),
            pages=pages,
            query=query,
            query_text=urlencode(query),
            villages=sorted(mine["village"].drop_nulls().unique().to_list()),
            states=sorted(mine["state"].drop_nulls().unique().to_list()),
            kinds=sorted(mine["kind"].drop_nulls().unique().to_list()),
            worklists=WORKLISTS,
        )

    @app.get("/cases/{case_id}", response_class=HTMLResponse)
    def case_page(request: Request, case_id: str) -> Response:
        found = staff_page(request)
        if isinstance(found, Response):
            return found
        user, csrf = found
        with store() as s:
            case = area_of(live.frame(s, night), case_id)
            if case is None:
                return refused(request, user, csrf, 404, f"没有此案件 no case {case_id}")
            if not user.covers(case["township"], case["village"]):
                s.record_audit(user.name, "view_refused", case_id, None, client(request))
                return refused(
                    request, user, csrf, 403, f"案件 {case_id} 不在您的辖区 not in your area"
                )
            events = s.events(case_id).to_dicts()
            s.record_audit(user.name, "view_case", case_id, None, client(request))
        records, finding = [], None
        if case["kind"] == "death" and case["citizen_id"]:
            records, finding = _death_evidence(night, case["citizen_id"])
        actions = [
            {
                "code": a,
                "word": CASE_ACTION.get(a, a),
                "mine": machine_role(user, case["kind"], a) is not None,
            }
            for a in _ACTIONS_OF_KIND.get(case["kind"], ())
            if state_allows(case["kind"], a, case["state"]) is not False
        ]
        return page(
            "case.html.j2",
            request,
            user,
            csrf,
            case=case,
            events=events,
            actions=actions,
            records=records,
            finding=finding,
        )

    @app.post("/cases/{case_id}/act", response_class=HTMLResponse)
    async def act_from_page(request: Request, case_id: str) -> Response:
        form = await request.form()
        return await run_in_threadpool(act_on_page, request, case_id, form)

    def act_on_page(request: Request, case_id: str, form: Any) -> Response:
        found = staff_post(request, as_json=False)
        if isinstance(found, Response):
            return found
        user, _ = found
        asked = ActionAsked(
            action=str(form.get("action") or ""),
            note=_form(form, "note"),
            amount=_form(form, "amount"),
            outcome=_form(form, "outcome"),
            applicant=_form(form, "applicant"),
            relation=_form(form, "relation"),
            override=bool(form.get("override")),
            to=_form(form, "to"),
        )
        outcome = act(request, user, case_id, asked)
        headers = {"HX-Refresh": "true"} if outcome.status == 200 else {}
        html = env.get_template("outcome.html.j2").render(outcome=outcome)
        return HTMLResponse(html, status_code=outcome.status, headers=headers)

    def act(request: Request, user: DeskUser, case_id: str, asked: ActionAsked):
        from pensionlink.desk.case_actions import Outcome

        with store() as s:
            case = area_of(live.frame(s, night), case_id)
        if case is None:
            outcome = Outcome(404, f"没有此案件 no case {case_id} (see pensionlink cases list)")
        else:
            outcome = take_action(config.db, user, case, (case["township"], case["village"]), asked)
        audit(
            user.name,
            "action",
            case_id,
            f"{asked.action} {outcome.status} {outcome.message}",
            request,
        )
        return outcome

    @app.get("/reviews", response_class=HTMLResponse)
    def review_list(request: Request, village: str | None = None) -> Response:
        found = staff_page(request)
        if isinstance(found, Response):
            return found
        user, csrf = found
        with store() as s:
            items = in_area(review_items(s, night), user)
        villages = sorted(items["village"].drop_nulls().unique().to_list())
        if village:
            items = items.filter(pl.col("village") == village)
        return page(
            "reviews.html.j2",
            request,
            user,
            csrf,
            items=items.to_dicts(),
            villages=villages,
            village=village,
        )

    @app.get("/reviews/{review_id}", response_class=HTMLResponse)
    def review_page(request: Request, review_id: str) -> Response:
        found = staff_page(request)
        if isinstance(found, Response):
            return found
        user, csrf = found
        with store() as s:
            items = review_items(s, night).filter(pl.col("review_id") == review_id)
        if items.is_empty():
            return refused(
                request,
                user,
                csrf,
                404,
                f"复核项 {review_id} 不在今晚的待复核队列 not in tonight's queue",
            )
        item = items.row(0, named=True)
        if not user.covers(item["township"], item["village"]):
            audit(user.name, "view_refused", review_id, None, request)
            return refused(
                request, user, csrf, 403, f"复核项 {review_id} 不在您的辖区 not in your area"
            )
        with night.read() as (warehouse, _, _):
            queued, record, person = warehouse.review_detail(review_id)
            namesakes = (
                warehouse.frame(hukou_namesakes(record["name"], record.get("birth_date")))
                if record and record.get("name")
                else pl.DataFrame()
            )
        parts = parse_comparison(queued["comparison"])
        total = queued["weight"] if queued["weight"] is not None else sum(p.weight for p in parts)
        bars, zero, height = waterfall(parts, total)
        rows = [
            {
                "label": label,
                "left": _shown((record or {}).get(key), key),
                "right": _shown((person or {}).get(key), key),
                "same": (record or {}).get(key) == (person or {}).get(key),
            }
            for label, key in _PAIR_FIELDS
        ]
        audit(user.name, "view_pair", review_id, f"namesakes {namesakes.height}", request)
        return page(
            "pair.html.j2",
            request,
            user,
            csrf,
            item=queued,
            rows=rows,
            parts=parts,
            bars=bars,
            zero=zero,
            height=height,
            summary=explain(queued["weight"], queued["probability"]),
            namesakes=[_namesake(r, user, queued["person_id"]) for r in namesakes.to_dicts()],
            source_word=_SOURCE_WORD.get(queued["source"], queued["source"]),
        )

    @app.post("/reviews/{review_id}/decide", response_class=HTMLResponse)
    async def decide(request: Request, review_id: str) -> Response:
        form = await request.form()
        return await run_in_threadpool(decide_pair, request, review_id, form)

    def decide_pair(request: Request, review_id: str, form: Any) -> Response:
        from pensionlink.review_cli import record_review

        found = staff_post(request, as_json=False)
        if isinstance(found, Response):
            return found
        user, _ = found
        decision = str(form.get("decision") or "")
        if decision not in ("accept", "reject"):
            return HTMLResponse("请选择 accept 或 reject expected accept or reject", 400)
        with store() as s:
            items = review_items(s, night).filter(pl.col("review_id") == review_id)
        if items.is_empty():
            return HTMLResponse(
                escape(f"复核项 {review_id} 不在待复核队列 not queued or decided"), 409
            )
        item = items.row(0, named=True)
        if not user.covers(item["township"], item["village"]):
            audit(user.name, "decide_refused", review_id, None, request)
            return HTMLResponse(escape(f"复核项 {review_id} 不在您的辖区 not in your area"), 403)
        try:
            record_review(config.db, review_id, decision, user.name, _form(form, "note"))
        except LookupError as exc:
            audit(user.name, "review_decision", review_id, f"{decision} refused", request)
            return HTMLResponse(escape(str(exc)), status_code=409)
        audit(user.name, "review_decision", review_id, decision, request)
        return HTMLResponse(
            escape(f"已记录 recorded: {review_id} {decision}"), headers={"HX-Redirect": "/reviews"}
        )

    # --- downloads -----------------------------------------------------------------------

    @app.get("/downloads/workbook")
    def workbook(request: Request, township: str | None = None) -> Response:
        from pensionlink.reports import NothingPublished, load_report_data
        from pensionlink.reports.workbook import write_township_workbook

        found = session_of(request)
        if found is None:
            return to_login(request)
        user, csrf = found
        township = township or user.township
        if (
            user.role not in ("township", "city")
            or not township
            or (user.role == "township" and township != user.township)
        ):
            audit(user.name, "download_refused", township, "workbook", request)
            return refused(
                request,
                user,
                csrf,
                403,
                "乡镇核查表仅本乡镇及市局用户可下载 the township's workbook is "
                "for that township and the city",
            )
        try:
            with night.read() as (warehouse, _, _):
                data = load_report_data(warehouse)
        except (NothingPublished, NoNightYet) as exc:
            return refused(request, user, csrf, 404, str(exc))
        if township not in data.townships:
            return refused(request, user, csrf, 404, f"今晚没有乡镇 {township} no such township")
        with tempfile.TemporaryDirectory(prefix="pensionlink-desk-") as tmp:
            path = Path(tmp) / "workbook.xlsx"
            write_township_workbook(path, township, data.for_township(township))
            content = path.read_bytes()
        audit(user.name, "download", township, "workbook", request)
        name = f"{township}_{data.as_of:%Y-%m-%d}.xlsx"
        return Response(
            content,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": _attachment(name)},
        )

    @app.get("/downloads/notices", response_class=HTMLResponse)
    def notices(request: Request) -> Response:
        from pensionlink.reports import NothingPublished, load_report_data
        from pensionlink.reports.death_documents import render_notices
        from pensionlink.reports.document_data import load_death_documents

        found = staff_page(request)
        if isinstance(found, Response):
            return found
        user, csrf = found
        try:
            with night.read() as (warehouse, _, _):
                data = load_report_data(warehouse)
                papers = load_death_documents(warehouse, data.as_of, data.run_id)
        except (NothingPublished, NoNightYet) as exc:
            return refused(request, user, csrf, 404, str(exc))
        if papers is None:
            return refused(request, user, csrf, 404, "今晚没有待告知的死亡案件 no notices")
        with store() as s:
            waiting = live.frame(s, night).filter(pl.col("state") == "confirmed")["case_id"]
        rows = papers.rows.filter(pl.col("case_id").is_in(waiting.implode()))
        rows = in_area(rows, user)
        ids = ",".join(rows["case_id"].sort().to_list())  # whose notices were printed (PIPL)
        audit(user.name, "download", user.area_word, f"notices {rows.height}: {ids}", request)
        if rows.is_empty():
            return refused(request, user, csrf, 404, "辖区内没有待告知的死亡案件 no notices")
        return HTMLResponse(render_notices(rows, papers.terms))

    @app.get("/downloads/claims")
    def claim_forms(request: Request, township: str | None = None, form: str = "approval"):
        """A township's 丧葬补助金发放审批表 (form=approval) or 申领汇总表 (form=summary),
        as PDF, with the steps recorded up to now; only the claims in the user's area."""
        from pensionlink.desk.claim_forms import FORMS, claims_in_area, render_claim_form
        from pensionlink.desk.night_data import people_by_key
        from pensionlink.reports.case_data import read_claim_deaths
        from pensionlink.reports.death_documents import PdfUnavailable, html_to_pdf, load_bureau

        found = staff_page(request)
        if isinstance(found, Response):
            return found
        user, csrf = found
        township = township or user.township
        if form not in FORMS:
            return refused(
                request,
                user,
                csrf,
                400,
                "表格应为 approval 或 summary form must be approval or summary",
            )
        if not township:
            return refused(request, user, csrf, 400, "请选择乡镇 township= is required")
        if user.role != "city" and township != user.township:
            audit(user.name, "download_refused", township, f"claims {form}", request)
            return refused(
                request,
                user,
                csrf,
                403,
                f"乡镇 {township} 不在您的辖区 not in your area",
            )
        try:
            with night.read() as (warehouse, _, _):
                deaths = read_claim_deaths(warehouse)
            people = people_by_key(night)
            with store() as s:
                cases, events, nights = s.cases(), s.events(), s.nights()
        except NoNightYet as exc:
            return refused(request, user, csrf, 404, str(exc))
        moved = nights.filter(pl.col("moved") == 1)["as_of"]
        as_of = dt.date.fromisoformat(moved.max()) if moved.len() else dt.date.today()
        claims, steps = claims_in_area(cases, events, nights, people, user, township)
        html, ids = render_claim_form(
            form, township, claims, steps, deaths, as_of, load_bureau().name
        )
        audit(
            user.name, "download", township, f"claims {form} {len(ids)}: {','.join(ids)}", request
        )
        if not ids:
            return refused(request, user, csrf, 404, "辖区内没有丧葬补助金申领 no claims")
        try:
            content, media, suffix = html_to_pdf(html), "application/pdf", "pdf"
        except PdfUnavailable:
            content, media, suffix = html.encode("utf-8"), "text/html; charset=utf-8", "html"
        name = f"{township}_{FORMS[form]}_{as_of:%Y-%m-%d}.{suffix}"
        return Response(
            content, media_type=media, headers={"Content-Disposition": _attachment(name)}
        )

    @app.get("/docs/{path:path}")
    def data_docs(request: Request, path: str = "") -> Response:
        found = staff_page(request)  # staff only: the results name sources about people
        if isinstance(found, Response):
            return found
        user, csrf = found
        root = config.data_docs.resolve()
        target = (root / (path or "index.html")).resolve()
        if root not in target.parents and target != root:
            return refused(request, user, csrf, 404, "没有此文件 no such file")
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            return refused(request, user, csrf, 404, "数据校验报告尚未生成 no Data Docs yet")
        if target.suffix == ".html":  # a page read (its scripts and styles are not)
            audit(user.name, "view_docs", str(target.relative_to(root)), None, request)
        return FileResponse(target)

    # --- the API (OUTPUTS.md, Desk) ------------------------------------------------------

    @app.get("/api/cases")
    def api_cases(
        request: Request,
        kind: str | None = None,
        state: str | None = None,
        village: str | None = None,
    ) -> Response:
        found = session_of(request)
        if found is None:
            return JSONResponse({"error": _SESSION_GONE}, status_code=401)
        user, _ = found
        if not user.sees_cases:
            return JSONResponse({"error": _NO_CASES}, status_code=403)
        with store() as s:
            cases = live.frame(s, night)
        chosen = filter_cases(cases, user, kind=kind, state=state, village=village)
        audit(
            user.name,
            "api_list",
            None,
            json.dumps(
                {"kind": kind, "state": state, "village": village, "n": chosen.height},
                ensure_ascii=False,
            ),
            request,
        )
        rows = chosen.sort("case_id").select(LIST_FIELDS).to_dicts()
        return Response(
            json.dumps(rows, ensure_ascii=False, default=str), media_type="application/json"
        )

    @app.post("/api/cases/{case_id}/actions")
    async def api_act(request: Request, case_id: str) -> Response:
        raw = await request.body()
        return await run_in_threadpool(act_by_api, request, case_id, raw)

    def act_by_api(request: Request, case_id: str, raw: bytes) -> Response:
        found = staff_post(request, as_json=True)
        if isinstance(found, Response):
            return found
        user, _ = found
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("action"), str):
            return JSONResponse(
                {"error": "须提供 JSON 且含 action expected JSON with action"}, status_code=400
            )
        asked = ActionAsked(
            action=body["action"],
            note=body.get("note"),
            amount=None if body.get("amount") is None else str(body["amount"]),
            outcome=body.get("outcome"),
            applicant=body.get("applicant"),
            relation=body.get("relation"),
            override=bool(body.get("override")),
            to=body.get("to"),
        )
        outcome = act(request, user, case_id, asked)
        if outcome.status == 200:
            answer = {"case_id": case_id, "state": outcome.state, "message": outcome.message}
            if outcome.opened:
                answer["opened"] = outcome.opened
            return JSONResponse(answer)
        return JSONResponse({"error": outcome.message}, status_code=outcome.status)

    return app


_SESSION_GONE = "未登录或会话已过期，请重新登录 not logged in or the session expired"
_CSRF_REFUSED = "CSRF 校验失败（缺少或不符的 X-CSRF-Token） missing or wrong X-CSRF-Token"
_NO_CASES = "管理员账号只管理用户，不办理案件 an admin account manages users only"
_NO_NIGHT = "尚无已发布的夜间数据，请在夜间任务完成后再试 no night has been published yet"
_UNREACHABLE = "案件库无法连接，请稍后重试 the case store cannot be reached; try again later"


def _safe_next(target: str) -> str:
    """Only a path of this site (no //host, no scheme) to go to after logging in."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text not in (None, "") else None
    except ValueError:
        return None


def _form(form: Any, key: str) -> str | None:
    value = form.get(key)
    return None if value is None or str(value).strip() == "" else str(value)


def _attachment(name: str) -> str:
    from urllib.parse import quote

    return f"attachment; filename=\"workbook.xlsx\"; filename*=UTF-8''{quote(name)}"


def _namesake(row: dict, user: DeskUser, candidate: str | None) -> dict:
    """A namesake as the pair page shows it: in full inside the user's area; outside it
    only the masked ID and the township (a person of another area is not theirs to see)."""
    shown = {**row, "candidate": row["citizen_id"] == candidate, "outside": False}
    if user.covers(row["township"], row["village"]):
        return shown
    return {
        "citizen_id": row["citizen_id"],
        "township": row["township"],
        "candidate": shown["candidate"],
        "outside": True,
    }


def _death_evidence(night: LatestNight, citizen_id: str) -> tuple[list[dict], dict | None]:
    """Every source's records of one person (IDs masked) and tonight's death finding."""
    out = []
    with night.read() as (warehouse, _, _):
        found = warehouse.frame(death_finding(citizen_id))
        finding = found.row(0, named=True) if found.height else None
        death_date = finding["death_date"] if finding else None
        for source in PERSON_SOURCES:
            if not warehouse.frame(has_table(source))["n"][0]:
                continue
            rows = warehouse.frame(person_records(source, citizen_id))
            for row in rows.to_dicts():
                fields = {k: v for k, v in row.items() if k in _FIELD_WORD and v is not None}
                later = (
                    source == "visits"
                    and death_date is not None
                    and row.get("visit_date") is not None
                    and row["visit_date"] > death_date
                )
                out.append({"source": source, "fields": fields, "after_death": later})
    return out, finding
