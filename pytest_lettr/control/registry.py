"""Several isolated accounts on one server: the default one and those ``POST /_lettr/accounts`` makes.

Every key belongs to exactly one account, so a request acts on the account its bearer key belongs
to (found by the key's hash, confirmed in constant time); a request with no key, or with a key no
account knows, goes to the default account, whose access check then refuses it as before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import InvalidParameter, NotFound
from ..randomness import Entropy
from ..state import Account

#: The id of the server's own account (``lettr_server.account``).
DEFAULT_ACCOUNT_ID = "acct_default"

#: Makes an account: ``(seed_material, admin_key, **options)``.
AccountFactory = Callable[..., Account]


class AccountRegistry:
    """The accounts of one server by id. The default one is read and replaced through callables
    (the server owns it and swaps it per test); the others live here until :meth:`clear`."""

    def __init__(self, seed: object, make: AccountFactory, get_default: Callable[[], Account],
                 set_default: Callable[[Account], None]) -> None:
        self._seed = seed
        self._make = make
        self._get_default = get_default
        self._set_default = set_default
        self._lock = threading.Lock()
        self._accounts: dict[str, Account] = {}
        self._options: dict[str, dict[str, Any]] = {}
        self._entropy = Entropy(f"{seed}:accounts")
        self._made = 0

    def __iter__(self) -> Iterator[tuple[str, Account]]:
        """``(id, account)`` pairs, the default account first."""
        with self._lock:
            others = list(self._accounts.items())
        return iter([(DEFAULT_ACCOUNT_ID, self._get_default()), *others])

    def __len__(self) -> int:
        with self._lock:
            return 1 + len(self._accounts)

    def create(self, **options: Any) -> tuple[str, Account]:
        """A fresh account with its own seed, clock, keys and stores; returns ``(id, account)``."""
        with self._lock:
            self._made += 1
            number = self._made
            account_id = self._entropy.new_id("acct_")
        account = self._make(f"account:{number}", None, **options)
        with self._lock:
            self._accounts[account_id] = account
            self._options[account_id] = {"number": number, **options}
        return account_id, account

    def get(self, account_id: str) -> Account:
        if account_id == DEFAULT_ACCOUNT_ID:
            return self._get_default()
        with self._lock:
            account = self._accounts.get(account_id)
        if account is None:
            raise NotFound(f"Account '{account_id}' not found")
        return account

    def find(self, token: str | None) -> tuple[str, Account] | None:
        """The account holding the key ``token`` (``None`` if none does)."""
        if not token:
            return None
        for account_id, account in self:
            if account.keys.knows(token):
                return account_id, account
        return None

    def account_for(self, token: str | None) -> Account:
        """The account a request with ``token`` acts on: its key's, else the default one."""
        with self._lock:
            alone = not self._accounts
        if alone:  # the common case: no account was made, so no key needs hashing here
            return self._get_default()
        found = self.find(token)
        return self._get_default() if found is None else found[1]

    def reset(self, account_id: str) -> Account:
        """Replace one account by a fresh one with the same id, options and admin key."""
        previous = self.get(account_id)
        admin_key = previous.admin_key.key
        if account_id == DEFAULT_ACCOUNT_ID:
            fresh = self._make(None, admin_key)
            self._set_default(fresh)
        else:
            with self._lock:
                options = dict(self._options[account_id])
            number = options.pop("number")
            fresh = self._make(f"account:{number}", admin_key, **options)
            with self._lock:
                self._accounts[account_id] = fresh
        previous.close()
        return fresh

    def delete(self, account_id: str) -> None:
        """Remove a created account (the default one stays: ``InvalidParameter``)."""
        if account_id == DEFAULT_ACCOUNT_ID:
            raise InvalidParameter("The server's default account cannot be deleted; reset it instead")
        with self._lock:
            account = self._accounts.pop(account_id, None)
            self._options.pop(account_id, None)
        if account is None:
            raise NotFound(f"Account '{account_id}' not found")
        account.close()

    def clear(self) -> None:
        """Forget (and close) every created account; ids start over, as a fresh server's would."""
        with self._lock:
            gone = list(self._accounts.values())
            self._accounts.clear()
            self._options.clear()
            self._entropy = Entropy(f"{self._seed}:accounts")
            self._made = 0
        for account in gone:
            account.close()


__all__ = ["DEFAULT_ACCOUNT_ID", "AccountRegistry"]
