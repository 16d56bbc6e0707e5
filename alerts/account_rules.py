"""The account rules the engine watches: per account, judged on each account update, their quiet state changes kept."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from fxbot.alerts.account_eval import AccountState, evaluate_account_rule
from fxbot.alerts.firing import Firing, runaway_firing
from fxbot.alerts.price_firing import RUNAWAY_FIRES, RUNAWAY_WINDOW_S
from fxbot.alerts.rules import AccountRule, FireState


class AccountRules:
    """Margin, equity and drawdown rules by id and by account, the last state seen of each account, and the
    fire-state changes that notified nobody (pause, resume, re-arm, new day) until taken."""

    def __init__(self) -> None:
        self._rules: dict[int, AccountRule] = {}
        self._by_account: dict[str, set[int]] = {}
        self._last_state: dict[str, AccountState] = {}
        self._dirty: dict[int, AccountRule] = {}

    def __len__(self) -> int:
        return len(self._rules)

    def __contains__(self, rule_id: int) -> bool:
        return rule_id in self._rules

    def get(self, rule_id: int) -> AccountRule | None:
        return self._rules.get(rule_id)

    def add(self, rule: AccountRule) -> None:
        """Watch a rule (the engine checked it: stored, live, its id not watched yet)."""
        self._rules[rule.id] = rule
        self._by_account.setdefault(rule.account_id, set()).add(rule.id)

    def remove(self, rule_id: int) -> AccountRule | None:
        """Stop watching a rule; the rule, None when it was not watched."""
        rule = self._rules.pop(rule_id, None)
        if rule is None:
            return None
        self._by_account.get(rule.account_id, set()).discard(rule_id)
        self._dirty.pop(rule_id, None)
        return rule

    def expire(self, rule_id: int) -> AccountRule | None:
        """Stop watching an expired rule; the rule as reported (expired, done), None when it was not watched."""
        rule = self._rules.get(rule_id)
        if rule is None:
            return None
        self.remove(rule_id)
        return replace(rule, state=replace(rule.state, expired_reported=True, done=True))

    def pause(self, rule_id: int) -> bool:
        """Pause a rule; False if unknown or already paused."""
        rule = self._rules.get(rule_id)
        if rule is None or rule.state.paused:
            return False
        self._set(replace(rule, state=replace(rule.state, paused=True)))
        return True

    def resume(self, rule_id: int) -> bool:
        """Resume a paused rule, freshly armed; False if unknown or not paused."""
        rule = self._rules.get(rule_id)
        if rule is None or not rule.state.paused:
            return False
        self._set(replace(rule, state=replace(rule.state, paused=False, armed=True, recent_fires=())))
        return True

    def judge_now(self, rule_id: int, reading: AccountState | None, at: datetime) -> list[Firing]:
        """Judge one just added or resumed rule alone: on the stream's last state of its account when there is
        one (pushed on every change, so current), else on `reading`."""
        rule = self._rules.get(rule_id)
        if rule is None or rule.state.paused:
            return []
        state = self._last_state.get(rule.account_id)
        if state is None and reading is not None:
            state = reading
        return [] if state is None else self._evaluate(rule.account_id, state, at, only={rule_id})

    def on_account(self, account_id: str, account: AccountState, at: datetime) -> list[Firing]:
        """Judge the account's rules on its latest state (remembered for rules judged later)."""
        self._last_state[account_id] = account
        return self._evaluate(account_id, account, at)

    def for_chat(self, chat_id: str) -> list[AccountRule]:
        """The rules of a chat (a scan)."""
        return [r for r in self._rules.values() if r.chat_id == chat_id]

    def move_chat(self, old_chat_id: str, new_chat_id: str) -> int:
        """A chat changed id: its rules fire for the new id; how many moved."""
        moved = 0
        for rule_id, rule in list(self._rules.items()):
            if rule.chat_id == old_chat_id:
                self._rules[rule_id] = replace(rule, chat_id=new_chat_id)
                if rule_id in self._dirty:
                    self._dirty[rule_id] = self._rules[rule_id]
                moved += 1
        return moved

    def watched_accounts(self) -> set[str]:
        """Accounts with live rules."""
        return {r.account_id for r in self._rules.values() if not r.state.paused}

    def take_state_changes(self, into: dict[int, FireState]) -> None:
        """Add the fire-state changes that notified nobody since the last call to `into`, and forget them."""
        for rule_id, rule in self._dirty.items():
            into[rule_id] = rule.state
        self._dirty.clear()

    def _set(self, rule: AccountRule) -> None:
        self._rules[rule.id] = rule
        self._dirty[rule.id] = rule

    def _evaluate(
        self, account_id: str, account: AccountState, at: datetime, only: set[int] | None = None
    ) -> list[Firing]:
        fired: list[Firing] = []
        for rule_id in sorted(only if only is not None else self._by_account.get(account_id, ())):
            rule = self._rules.get(rule_id)
            if rule is None:
                continue
            outcome = evaluate_account_rule(rule, account, at)
            if not outcome.changed:
                continue
            new_rule = outcome.rule
            if outcome.firing is None:
                self._set(new_rule)
                continue
            fired.append(outcome.firing)
            self._dirty.pop(rule_id, None)
            if new_rule.state.done:
                self.remove(rule_id)
                continue
            recent = [t for t in new_rule.state.recent_fires if t > at.timestamp() - RUNAWAY_WINDOW_S]
            if len(recent) > RUNAWAY_FIRES:
                new_rule = replace(new_rule, state=replace(new_rule.state, paused=True))
                fired.append(runaway_firing(new_rule, at, len(recent), RUNAWAY_WINDOW_S))
            self._rules[rule_id] = new_rule
        return fired
