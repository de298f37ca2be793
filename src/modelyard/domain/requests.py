"""Transition requests: who approves, rejects or cancels them, and the last approval
that performs the transition.

Approving needs the request's role (or above) on the model, and not to be its
requester unless the policy allows it; the approval that reaches the count performs
the transition in the same transaction, gates re-checked then.  Each decision first
takes the model's row lock and reads the request ``FOR UPDATE``, so two approvals
arriving together are counted one after the other and perform it once.  Anyone who
may read the model sees its requests: who approved, how many are still needed and why
it is blocked."""

from __future__ import annotations

from modelyard.domain import events as ev
from modelyard.domain import governance_events as gev
from modelyard.domain.entities import Page, Principal
from modelyard.domain.governance_records import (
    CANCELLED,
    DONE,
    FAILED,
    OPEN,
    REJECTED,
    TransitionRequest,
)
from modelyard.domain.gates import check_gates
from modelyard.domain.lookup import find_model
from modelyard.domain.paging import decode_token, page_of
from modelyard.domain.ports import Transaction
from modelyard.domain.records import ModelRecord
from modelyard.domain.roles import Permission, parse_role
from modelyard.domain.stages import StageOps
from modelyard.domain.validation import check_int, check_max_results, check_text
from modelyard.errors import (
    Conflict,
    InvalidParameter,
    ModelyardError,
    NotFound,
    PermissionDenied,
)


class RequestOps(StageOps):
    def _request(self, tx: Transaction, actor: Principal, request_id: int,
                 permission: Permission) -> tuple[ModelRecord, TransitionRequest]:
        if isinstance(request_id, bool) or not isinstance(request_id, int):
            raise InvalidParameter("a request id is a number")
        check_int(request_id, "request id")  # in the databases' integer range
        hide = f"request #{request_id} does not exist"
        found = tx.governance.request(request_id)
        if found is None:
            raise NotFound(hide)
        model = find_model(tx, found.model)
        self.access.require(actor, permission, project_id=model.project_id,
                            model_id=model.id, hide=hide)
        return model, found

    def get_request(self, actor: Principal, request_id: int) -> TransitionRequest:
        with self.store.read() as tx:
            return self._request(tx, actor, request_id, Permission.READ)[1]

    def list_requests(self, actor: Principal, *, model: str | None = None,
                      open_only: bool = False, max_results: int | None = None,
                      page_token: str | None = None) -> Page[TransitionRequest]:
        limit = check_max_results(max_results)
        offset = decode_token(page_token)
        with self.store.read() as tx:
            model_id = None
            if model is not None:
                m = find_model(tx, model)
                self._allow(actor, Permission.READ, m)
                model_id = m.id
            items = tx.governance.list_requests(model_id=model_id,
                                                status=OPEN if open_only else None,
                                                offset=offset, limit=limit + 1)
            page = page_of(items, offset, limit)
            shown = self._readable(tx, actor, {r.model for r in page.items})
        return Page([r for r in page.items if r.model in shown], page.next_page_token)

    def may_decide(self, actor: Principal, request_id: int) -> dict[str, bool]:
        """What the actor may do with an open request (``approve``, ``reject``,
        ``cancel``), by the rules :meth:`approve_request` and the others enforce, so an
        interface offers only those."""
        with self.store.read() as tx:
            model, req = self._request(tx, actor, request_id, Permission.READ)
            if req.status != OPEN:
                return {"approve": False, "reject": False, "cancel": False}
            role_ok = self.access.role_on(actor, model.project_id, model.id) \
                >= parse_role(req.role)
            own = actor.name == req.requester
            try:
                self._allow(actor, Permission.MANAGE, model)
                manages = True
            except ModelyardError:
                manages = False
        writes = actor.scope != "read"
        return {"approve": writes and role_ok and (not own or req.allow_requester),
                "reject": writes and role_ok, "cancel": writes and (own or manages)}

    def approve_request(self, actor: Principal, request_id: int,
                        comment: str = "") -> TransitionRequest:
        comment = check_text(comment, "comment", 4096)
        failure: str | None = None
        with self.store.write() as tx:
            model, req = self._locked(tx, actor, request_id)
            if self.access.role_on(actor, model.project_id, model.id) < parse_role(req.role):
                raise PermissionDenied(f"approving request #{req.id} needs the {req.role} role")
            if actor.name == req.requester and not req.allow_requester:
                raise PermissionDenied(f"the requester cannot approve request #{req.id}")
            now = self.clock.now_ms()
            tx.governance.add_decision(req.id, actor.name, "approve", comment, now)
            count = len(req.approvers) + 1
            v = tx.registry.version(model.id, req.version)
            if v is None:
                raise NotFound(f"version {req.version} of model {model.name!r} does not exist")
            performed = count >= req.needed
            ev.on_version(tx, now, actor, gev.RequestApproved(req.id, count, req.needed,
                                                              performed, comment), model, v)
            if performed:
                policy = self._policy(tx, model)
                current = policy.current(v.stage)
                try:
                    rule = policy.rule(current, policy.canonical(req.to_stage))
                    check_gates(rule.gates, tx.registry.version_entity(v),
                                f"{current} -> {req.to_stage}")
                except (Conflict, InvalidParameter) as exc:
                    failure = str(exc)
                    tx.governance.close_request(req.id, FAILED, now, actor.name, failure)
                    ev.on_version(tx, now, actor, gev.RequestFailed(req.id, failure), model, v)
                else:
                    self._perform(tx, actor, policy, rule, model, v, current, rule.target,
                                  tx.governance.request_archive(req.id), req.id, now)
                    tx.governance.close_request(req.id, DONE, now, actor.name,
                                                f"performed on approval by {actor.name}")
            found = tx.governance.request(req.id)
            assert found is not None
        if failure is not None:
            raise Conflict(f"request #{request_id} failed: {failure}")
        return found

    def reject_request(self, actor: Principal, request_id: int,
                       comment: str = "") -> TransitionRequest:
        comment = check_text(comment, "comment", 4096)
        with self.store.write() as tx:
            model, req = self._locked(tx, actor, request_id)
            if self.access.role_on(actor, model.project_id, model.id) < parse_role(req.role):
                raise PermissionDenied(f"rejecting request #{req.id} needs the {req.role} role")
            now = self.clock.now_ms()
            tx.governance.add_decision(req.id, actor.name, "reject", comment, now)
            tx.governance.close_request(req.id, REJECTED, now, actor.name,
                                        f"rejected by {actor.name}" + (f": {comment}"
                                                                      if comment else ""))
            self._request_event(tx, actor, model, req, gev.RequestRejected(req.id, comment), now)
            return self._reread(tx, req.id)

    def cancel_request(self, actor: Principal, request_id: int) -> TransitionRequest:
        """By its requester, or by a maintainer of the model."""
        with self.store.write() as tx:
            model, req = self._locked(tx, actor, request_id)
            if actor.name != req.requester:
                self._allow(actor, Permission.MANAGE, model)
            now = self.clock.now_ms()
            tx.governance.close_request(req.id, CANCELLED, now, actor.name,
                                        f"cancelled by {actor.name}")
            self._request_event(tx, actor, model, req, gev.RequestCancelled(req.id), now)
            return self._reread(tx, req.id)

    def _locked(self, tx: Transaction, actor: Principal,
                request_id: int) -> tuple[ModelRecord, TransitionRequest]:
        """The request, re-read under the model's row lock and its own; must be open."""
        model, _ = self._request(tx, actor, request_id, Permission.READ)
        tx.registry.touch_model(model.id, self.clock.now_ms(), actor.name)
        req = tx.governance.request(request_id, lock=True)
        if req is None:
            raise NotFound(f"request #{request_id} does not exist")
        if req.status != OPEN:
            raise Conflict(f"request #{req.id} is {req.status}, not open")
        return model, req

    @staticmethod
    def _reread(tx: Transaction, request_id: int) -> TransitionRequest:
        found = tx.governance.request(request_id)
        assert found is not None
        return found

    @staticmethod
    def _request_event(tx: Transaction, actor: Principal, model: ModelRecord,
                       req: TransitionRequest, payload: ev.Payload, now: int) -> None:
        ev.record(tx, now, actor, payload, "version", f"{model.name}/{req.version}",
                  model.project, key=f"{model.id}/{req.version}", model_id=model.id)
